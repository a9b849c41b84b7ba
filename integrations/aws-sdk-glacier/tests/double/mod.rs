//! A Glacier test double on 127.0.0.1: the REST API of the operations this crate uses, checking
//! each request the way Glacier documents, with the library's own functions. The tests also
//! check it against known vectors, so the crate is not only tested against itself.

use aws_sdk_glacier::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_glacier::Client;
use bytes::Bytes;
use glacier_tree_hash::{
    is_tree_hash_aligned, tree_hash, ArchiveAssembler, Checksums, ContentRange, PartSize,
    Sha256Hash, TreeHash,
};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::TcpListener;
use tokio::sync::Notify;

type Reply = Response<Full<Bytes>>;

/// An archive stored by UploadArchive or CompleteMultipartUpload.
#[derive(Clone, Debug)]
pub struct Archive {
    pub data: Bytes,
    pub tree_hash: TreeHash,
}

#[derive(Debug)]
struct Upload {
    part_size: PartSize,
    /// Part start → (end, tree hash, bytes).
    parts: BTreeMap<u64, (u64, TreeHash, Bytes)>,
    /// The archive id once completed (Complete is idempotent).
    completed: Option<String>,
}

#[derive(Debug)]
struct Job {
    data: Bytes,
    /// What DescribeJob reports as `SHA256TreeHash`.
    tree_hash: TreeHash,
}

/// Everything the double holds, and the knobs tests turn.
#[derive(Debug)]
pub struct State {
    pub archives: HashMap<String, Archive>,
    uploads: HashMap<String, Upload>,
    jobs: HashMap<String, Job>,
    /// Every request's operation name, in arrival order.
    pub requests: Vec<&'static str>,
    /// Every `x-amz-sha256-tree-hash` an upload body arrived with.
    pub received_tree_hashes: Vec<String>,
    /// Every `x-amz-part-size` InitiateMultipartUpload received.
    pub received_part_sizes: Vec<String>,
    /// Once: the part starting here is acknowledged but not stored (lost).
    pub lose_part_at: Option<u64>,
    /// Once: the GetJobOutput range starting here has a byte flipped on the way (the tree hash
    /// header stays that of the right bytes).
    pub corrupt_range_at: Option<u64>,
    /// Once: the GetJobOutput range starting here signals the first `Notify` when it arrives,
    /// then waits for the second before answering.
    pub pause_range_at: Option<(u64, Arc<Notify>, Arc<Notify>)>,
    /// ListParts answers with an unreadable `RangeInBytes`.
    pub garble_list_parts: bool,
    /// GetJobOutput leaves out the tree hash even for aligned ranges.
    pub omit_range_tree_hash: bool,
    /// The most parts ListParts returns per page.
    pub page_size: usize,
    /// UploadMultipartPart requests being handled now, and the most at once.
    parts_in_flight: usize,
    pub max_parts_in_flight: usize,
    next_id: u64,
}

impl State {
    /// How many requests of `operation` arrived.
    pub fn count(&self, operation: &str) -> usize {
        self.requests.iter().filter(|r| **r == operation).count()
    }

    fn id(&mut self, kind: &str) -> String {
        self.next_id += 1;
        format!("{kind}-{}", self.next_id)
    }
}

/// The running double.
pub struct Glacier {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Glacier {
    /// Starts the double on a free loopback port, on the current Tokio runtime.
    pub async fn start() -> Glacier {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            archives: HashMap::new(),
            uploads: HashMap::new(),
            jobs: HashMap::new(),
            requests: Vec::new(),
            received_tree_hashes: Vec::new(),
            received_part_sizes: Vec::new(),
            lose_part_at: None,
            corrupt_range_at: None,
            pause_range_at: None,
            garble_list_parts: false,
            omit_range_tree_hash: false,
            page_size: 50,
            parts_in_flight: 0,
            max_parts_in_flight: 0,
            next_id: 0,
        }));
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(handle(&state, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Glacier { addr, state }
    }

    /// The double's base URL, for `endpoint_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The real SDK client, pointed at the double with static test credentials.
    pub fn client(&self) -> Client {
        let config = aws_sdk_glacier::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(Credentials::new(
                "AKIDTEST",
                "test-secret",
                None,
                None,
                "test",
            ))
            .endpoint_url(self.url())
            .build();
        Client::from_conf(config)
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// A completed archive-retrieval job for `data`, whose DescribeJob reports `tree_hash`.
    pub fn add_job(&self, data: Vec<u8>, tree_hash: TreeHash) -> String {
        let mut state = self.state();
        let id = state.id("job");
        state.jobs.insert(
            id.clone(),
            Job {
                data: Bytes::from(data),
                tree_hash,
            },
        );
        id
    }
}

fn reply(status: StatusCode, headers: &[(&str, String)], body: Bytes) -> Reply {
    let mut response = Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(*name, value);
    }
    response.body(Full::new(body)).unwrap()
}

/// A Glacier (restJson1) error.
fn refuse(status: StatusCode, code: &str, message: &str) -> Reply {
    let body = format!(
        r#"{{"code":"{code}","message":"{}","type":"Client"}}"#,
        message.replace('"', "'")
    );
    reply(
        status,
        &[
            ("x-amzn-ErrorType", code.to_owned()),
            ("Content-Type", "application/json".to_owned()),
        ],
        Bytes::from(body),
    )
}

fn invalid(message: &str) -> Reply {
    refuse(
        StatusCode::BAD_REQUEST,
        "InvalidParameterValueException",
        message,
    )
}

fn not_found(message: &str) -> Reply {
    refuse(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
}

fn header<'a>(request: &'a hyper::http::request::Parts, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

async fn handle(state: &Mutex<State>, request: Request<Incoming>) -> Reply {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return invalid("unreadable body"),
    };
    if header(&parts, "x-amz-glacier-version") != Some("2012-06-01") {
        return refuse(
            StatusCode::BAD_REQUEST,
            "MissingParameterValueException",
            "x-amz-glacier-version 2012-06-01 is required",
        );
    }
    if header(&parts, "authorization").is_none() {
        return refuse(StatusCode::FORBIDDEN, "AccessDeniedException", "unsigned");
    }
    let path = parts.uri.path().to_owned();
    let segments: Vec<&str> = path.split('/').collect();
    // ["", account, "vaults", vault, ...]
    if segments.len() < 5 || segments[2] != "vaults" || segments[1] != "-" {
        return not_found("no such resource");
    }
    let vault = segments[3].to_owned();
    let method = parts.method.as_str();
    match (method, &segments[4..]) {
        ("POST", ["archives"]) => upload_archive(state, &parts, body),
        ("POST", ["multipart-uploads"]) => initiate(state, &parts, &vault),
        ("PUT", ["multipart-uploads", id]) => {
            {
                let mut s = state.lock().unwrap();
                s.parts_in_flight += 1;
                s.max_parts_in_flight = s.max_parts_in_flight.max(s.parts_in_flight);
            }
            // Hold the request a moment, so parts sent at once overlap here.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let response = upload_part(state, &parts, id, body);
            state.lock().unwrap().parts_in_flight -= 1;
            response
        }
        ("POST", ["multipart-uploads", id]) => complete(state, &parts, &vault, id),
        ("GET", ["multipart-uploads", id]) => list_parts(state, &parts, &vault, id),
        ("GET", ["jobs", id]) => describe_job(state, &vault, id),
        ("GET", ["jobs", id, "output"]) => {
            let pause = state.lock().unwrap().pause_range_at.clone();
            if let Some((start, reached, resume)) = pause {
                let prefix = format!("bytes={start}-");
                if header(&parts, "range").is_some_and(|range| range.starts_with(&prefix)) {
                    state.lock().unwrap().pause_range_at = None;
                    reached.notify_one();
                    resume.notified().await;
                }
            }
            job_output(state, &parts, id)
        }
        _ => not_found("no such operation"),
    }
}

/// Recomputes both checksums of `body` and compares them with its headers, as Glacier does.
fn check_body(
    state: &mut State,
    request: &hyper::http::request::Parts,
    body: &[u8],
) -> Result<Checksums, String> {
    let computed = Checksums::of(body);
    let tree = header(request, "x-amz-sha256-tree-hash")
        .ok_or_else(|| "x-amz-sha256-tree-hash is required".to_owned())?;
    state.received_tree_hashes.push(tree.to_owned());
    if TreeHash::from_hex(tree) != Ok(computed.tree_hash) {
        return Err(format!(
            "Checksum mismatch: the body's tree hash is {}, the request says {tree}",
            computed.tree_hash
        ));
    }
    let linear = header(request, "x-amz-content-sha256")
        .ok_or_else(|| "x-amz-content-sha256 is required".to_owned())?;
    if Sha256Hash::from_hex(linear) != Ok(computed.sha256) {
        return Err(format!(
            "Content SHA-256 mismatch: the body's is {}, the request says {linear}",
            computed.sha256
        ));
    }
    Ok(computed)
}

fn upload_archive(
    state: &Mutex<State>,
    request: &hyper::http::request::Parts,
    body: Bytes,
) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("UploadArchive");
    let checksums = match check_body(&mut state, request, &body) {
        Ok(checksums) => checksums,
        Err(problem) => return invalid(&problem),
    };
    let id = state.id("archive");
    state.archives.insert(
        id.clone(),
        Archive {
            data: body,
            tree_hash: checksums.tree_hash,
        },
    );
    reply(
        StatusCode::CREATED,
        &[
            ("x-amz-archive-id", id.clone()),
            ("x-amz-sha256-tree-hash", checksums.tree_hash.to_string()),
            ("Location", format!("/-/vaults/v/archives/{id}")),
        ],
        Bytes::new(),
    )
}

fn initiate(state: &Mutex<State>, request: &hyper::http::request::Parts, vault: &str) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("InitiateMultipartUpload");
    let text = header(request, "x-amz-part-size").unwrap_or_default();
    state.received_part_sizes.push(text.to_owned());
    // Glacier takes the size in bytes: 1 MiB × 2^k up to 4 GiB.
    let part_size = match text.bytes().all(|b| b.is_ascii_digit()) {
        true => text.parse::<u64>().ok().and_then(|b| PartSize::new(b).ok()),
        false => None,
    };
    let Some(part_size) = part_size else {
        return invalid(&format!("Invalid part size: {text}"));
    };
    let id = state.id("upload");
    state.uploads.insert(
        id.clone(),
        Upload {
            part_size,
            parts: BTreeMap::new(),
            completed: None,
        },
    );
    reply(
        StatusCode::CREATED,
        &[
            ("x-amz-multipart-upload-id", id.clone()),
            (
                "Location",
                format!("/-/vaults/{vault}/multipart-uploads/{id}"),
            ),
        ],
        Bytes::new(),
    )
}

fn upload_part(
    state: &Mutex<State>,
    request: &hyper::http::request::Parts,
    id: &str,
    body: Bytes,
) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("UploadMultipartPart");
    let checksums = match check_body(&mut state, request, &body) {
        Ok(checksums) => checksums,
        Err(problem) => return invalid(&problem),
    };
    let lose = state.lose_part_at;
    let Some(upload) = state.uploads.get_mut(id) else {
        return not_found("no such upload");
    };
    if upload.completed.is_some() {
        return not_found("the upload is completed");
    }
    let text = header(request, "content-range").unwrap_or_default();
    let range = match text.parse::<ContentRange>() {
        Ok(content_range) if text.starts_with("bytes ") => content_range.range(),
        _ => return invalid(&format!("Invalid Content-Range: {text:?}")),
    };
    let size = upload.part_size.bytes();
    if range.start % size != 0 || range.end - range.start > size {
        return invalid(&format!(
            "Content-Range {text} does not fit the part size {size}"
        ));
    }
    if range.end - range.start != body.len() as u64 {
        return invalid(&format!(
            "Content-Range {text} but {} bytes of body",
            body.len()
        ));
    }
    if lose == Some(range.start) {
        state.lose_part_at = None;
    } else {
        upload
            .parts
            .insert(range.start, (range.end, checksums.tree_hash, body));
    }
    reply(
        StatusCode::NO_CONTENT,
        &[("x-amz-sha256-tree-hash", checksums.tree_hash.to_string())],
        Bytes::new(),
    )
}

fn complete(
    state: &Mutex<State>,
    request: &hyper::http::request::Parts,
    vault: &str,
    id: &str,
) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("CompleteMultipartUpload");
    let size_text = header(request, "x-amz-archive-size").unwrap_or_default();
    let Ok(archive_size) = size_text.parse::<u64>() else {
        return invalid(&format!("Invalid x-amz-archive-size: {size_text:?}"));
    };
    let hash_text = header(request, "x-amz-sha256-tree-hash").unwrap_or_default();
    let Ok(checksum) = TreeHash::from_hex(hash_text) else {
        return invalid(&format!("Invalid x-amz-sha256-tree-hash: {hash_text:?}"));
    };
    let Some(upload) = state.uploads.get(id) else {
        return not_found("no such upload");
    };
    let mut assembler = ArchiveAssembler::new(upload.part_size);
    for (&start, &(end, hash, _)) in &upload.parts {
        if assembler.add_part(start..end, hash).is_err() {
            return invalid("inconsistent parts");
        }
    }
    let assembled = match assembler.assemble(archive_size) {
        Ok(hash) => hash,
        // "If missing content ranges are found, Glacier returns an error."
        Err(problems) => return invalid(&problems.to_string()),
    };
    if assembled != checksum {
        return invalid(&format!(
            "Checksum mismatch: the parts make {assembled}, the request says {checksum}"
        ));
    }
    let archive_id = match &upload.completed {
        Some(archive_id) => archive_id.clone(),
        None => {
            let data: Vec<u8> = upload
                .parts
                .values()
                .flat_map(|(_, _, bytes)| bytes.iter().copied())
                .collect();
            let archive_id = state.id("archive");
            state.archives.insert(
                archive_id.clone(),
                Archive {
                    data: Bytes::from(data),
                    tree_hash: assembled,
                },
            );
            if let Some(upload) = state.uploads.get_mut(id) {
                upload.completed = Some(archive_id.clone());
            }
            archive_id
        }
    };
    reply(
        StatusCode::CREATED,
        &[
            ("x-amz-archive-id", archive_id.clone()),
            ("x-amz-sha256-tree-hash", assembled.to_string()),
            (
                "Location",
                format!("/-/vaults/{vault}/archives/{archive_id}"),
            ),
        ],
        Bytes::new(),
    )
}

fn query_value<'a>(request: &'a hyper::http::request::Parts, key: &str) -> Option<&'a str> {
    request.uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then_some(v)
    })
}

fn list_parts(
    state: &Mutex<State>,
    request: &hyper::http::request::Parts,
    vault: &str,
    id: &str,
) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("ListParts");
    let page_size = state.page_size;
    let garble = state.garble_list_parts;
    let Some(upload) = state.uploads.get(id) else {
        return not_found("no such upload");
    };
    let limit = match query_value(request, "limit") {
        Some(text) => match text.parse::<usize>() {
            Ok(limit) if (1..=50).contains(&limit) => limit,
            _ => return invalid("Invalid limit"),
        },
        None => 50,
    }
    .min(page_size);
    // The marker is the start offset of the next part to list.
    let from = match query_value(request, "marker") {
        Some(text) => match text.parse::<u64>() {
            Ok(from) => from,
            Err(_) => return invalid("Invalid marker"),
        },
        None => 0,
    };
    let mut listed = upload.parts.range(from..);
    let page: Vec<String> = listed
        .by_ref()
        .take(limit)
        .map(|(start, (end, hash, _))| match garble {
            true => format!(r#"{{"RangeInBytes":"{start}..{end}","SHA256TreeHash":"{hash}"}}"#),
            false => format!(
                r#"{{"RangeInBytes":"{start}-{}","SHA256TreeHash":"{hash}"}}"#,
                end - 1
            ),
        })
        .collect();
    let marker = match listed.next() {
        Some((next, _)) => format!(r#""{next}""#),
        None => "null".to_owned(),
    };
    let body = format!(
        r#"{{"ArchiveDescription":null,"CreationDate":"2026-11-30T00:00:00.000Z","Marker":{marker},"MultipartUploadId":"{id}","PartSizeInBytes":{},"Parts":[{}],"VaultARN":"arn:aws:glacier:eu-west-1:000000000000:vaults/{vault}"}}"#,
        upload.part_size.bytes(),
        page.join(",")
    );
    reply(
        StatusCode::OK,
        &[("Content-Type", "application/json".to_owned())],
        Bytes::from(body),
    )
}

fn describe_job(state: &Mutex<State>, vault: &str, id: &str) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("DescribeJob");
    let Some(job) = state.jobs.get(id) else {
        return not_found("no such job");
    };
    let size = job.data.len() as u64;
    let range = match size {
        0 => "null".to_owned(),
        _ => format!(r#""0-{}""#, size - 1),
    };
    let body = format!(
        r#"{{"JobId":"{id}","Action":"ArchiveRetrieval","ArchiveId":"archive-of-{id}","VaultARN":"arn:aws:glacier:eu-west-1:000000000000:vaults/{vault}","CreationDate":"2026-11-30T00:00:00.000Z","Completed":true,"StatusCode":"Succeeded","StatusMessage":"Succeeded","ArchiveSizeInBytes":{size},"CompletionDate":"2026-11-30T04:00:00.000Z","SHA256TreeHash":"{hash}","ArchiveSHA256TreeHash":"{hash}","RetrievalByteRange":{range},"Tier":"Standard"}}"#,
        hash = job.tree_hash
    );
    reply(
        StatusCode::OK,
        &[("Content-Type", "application/json".to_owned())],
        Bytes::from(body),
    )
}

fn job_output(state: &Mutex<State>, request: &hyper::http::request::Parts, id: &str) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("GetJobOutput");
    let corrupt = state.corrupt_range_at;
    let omit_hash = state.omit_range_tree_hash;
    let Some(job) = state.jobs.get(id) else {
        return not_found("no such job");
    };
    let size = job.data.len() as u64;
    let wanted = match header(request, "range") {
        None => 0..size,
        Some(text) => {
            let parsed = text
                .strip_prefix("bytes=")
                .and_then(|pair| pair.split_once('-'))
                .and_then(|(first, last)| {
                    Some((first.parse::<u64>().ok()?, last.parse::<u64>().ok()?))
                });
            match parsed {
                Some((first, last)) if first <= last && last < size => first..last + 1,
                _ => return invalid(&format!("Invalid range: {text}")),
            }
        }
    };
    let bytes = job.data.slice(wanted.start as usize..wanted.end as usize);
    let mut headers = vec![
        ("Accept-Ranges", "bytes".to_owned()),
        ("Content-Type", "application/octet-stream".to_owned()),
    ];
    // Glacier sends a tree hash only for tree-hash-aligned ranges.
    if (is_tree_hash_aligned(wanted.clone(), size) || size == 0) && !omit_hash {
        headers.push(("x-amz-sha256-tree-hash", tree_hash(&bytes).to_string()));
    }
    let status = if header(request, "range").is_some() {
        headers.push((
            "Content-Range",
            format!("bytes {}-{}/{size}", wanted.start, wanted.end - 1),
        ));
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let bytes = if corrupt == Some(wanted.start) && !bytes.is_empty() {
        state.corrupt_range_at = None;
        let mut damaged = bytes.to_vec();
        let middle = damaged.len() / 2;
        damaged[middle] ^= 0x01;
        Bytes::from(damaged)
    } else {
        bytes
    };
    reply(status, &headers, bytes)
}
