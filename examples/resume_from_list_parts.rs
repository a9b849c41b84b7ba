//! Resume a multipart upload from a ListParts response: which parts to upload again, with their
//! headers, and the values CompleteMultipartUpload needs once they are there.
//!
//!     aws glacier list-parts --account-id - --vault-name VAULT --upload-id ID > parts.json
//!     cargo run --example resume_from_list_parts -- ARCHIVE parts.json
//!
//! With no arguments it runs on a made-up archive and response: one part missing, one whose
//! upload was corrupted.

use glacier_tree_hash::{
    ArchiveAssembler, ChecksumHasher, ContentRange, Hasher, MultipartHasher, PartDifference,
    PartSize, TreeHash,
};
use std::error::Error;
use std::fs::File;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (archive, list_parts) = match args.as_slice() {
        [archive, list_parts] => (archive.into(), std::fs::read_to_string(list_parts)?),
        [] => made_up_upload()?,
        _ => return Err("usage: resume_from_list_parts [ARCHIVE LIST_PARTS_JSON]".into()),
    };
    let file = File::open(&archive)?;
    let response: serde_json::Value = serde_json::from_str(&list_parts)?;

    // The part size the upload was started with (an i64 in the SDKs), and every part Glacier
    // has.
    let part_size = PartSize::try_from(
        response["PartSizeInBytes"]
            .as_i64()
            .ok_or("the response has no PartSizeInBytes")?,
    )?;
    let mut listed = Vec::new();
    for part in response["Parts"]
        .as_array()
        .ok_or("the response has no Parts")?
    {
        let range: ContentRange = part["RangeInBytes"]
            .as_str()
            .ok_or("a part has no RangeInBytes")?
            .parse()?;
        let hash: TreeHash = part["SHA256TreeHash"]
            .as_str()
            .ok_or("a part has no SHA256TreeHash")?
            .parse()?;
        listed.push((range, hash));
    }

    // One read of the local file gives every part's checksums and the archive's.
    let summary = MultipartHasher::new(part_size)
        .update_file_rayon(&file, ..)?
        .finalize()?;
    let mut local = ArchiveAssembler::new(part_size);
    for hashed in &summary.parts {
        local.add_part(hashed.part, hashed.checksums.tree_hash)?;
    }

    let differences = local.differences(listed);
    for difference in &differences {
        let range = match difference {
            PartDifference::NotListed(range) => {
                println!("missing at Glacier: bytes {range:?}");
                range.clone()
            }
            PartDifference::Differs { range, .. } => {
                println!("different at Glacier: bytes {range:?}");
                range.clone()
            }
            PartDifference::NotLocal(range) => {
                return Err(format!(
                    "Glacier has bytes {range:?}, the file does not: another file?"
                )
                .into());
            }
            other => return Err(format!("{other:?}").into()),
        };
        // Straight from the file: the part's own checksums, no seek and take.
        let checksums = ChecksumHasher::new()
            .update_file(&file, range.clone())?
            .finalize();
        let header = ContentRange::new(range).ok_or("an empty part")?;
        println!("  UploadMultipartPart Content-Range: {header}");
        println!("  x-amz-sha256-tree-hash: {}", checksums.tree_hash);
        println!("  x-amz-content-sha256: {}", checksums.sha256);
    }
    if differences.is_empty() {
        println!("Glacier has every part, as the file has them.");
    }
    println!("Then CompleteMultipartUpload:");
    println!("  x-amz-archive-size: {}", summary.archive_size);
    println!("  x-amz-sha256-tree-hash: {}", summary.tree_hash);
    Ok(())
}

/// A 10 MiB + 5 byte archive in 4 MiB parts, and a ListParts response in which the last part is
/// missing and the first was corrupted on the way.
fn made_up_upload() -> Result<(std::path::PathBuf, String), Box<dyn Error>> {
    let path = std::env::temp_dir().join("glacier-tree-hash-resume-example.bin");
    let data: Vec<u8> = (0..(10 << 20) + 5).map(|i: u32| (i % 251) as u8).collect();
    std::fs::write(&path, &data)?;
    let part_size = PartSize::new(4 << 20)?;
    let mut parts = Vec::new();
    for part in part_size.parts(data.len() as u64).take(2) {
        let range = part.range();
        let mut bytes = data[range.start as usize..range.end as usize].to_vec();
        if part.index() == 0 {
            bytes[12345] ^= 1; // what Glacier got is not what the file holds
        }
        let hash = glacier_tree_hash::tree_hash(&bytes);
        let listed = format!("{}-{}", range.start, range.end - 1);
        parts.push(
            serde_json::json!({ "RangeInBytes": listed, "SHA256TreeHash": hash.to_string() }),
        );
    }
    let response = serde_json::json!({
        "MultipartUploadId": "EXAMPLE",
        "PartSizeInBytes": part_size.bytes(),
        "Parts": parts,
    });
    Ok((path, response.to_string()))
}
