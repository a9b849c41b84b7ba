//! Upload a file to a Glacier vault, resume an upload, or download a retrieval job's output,
//! verified with glacier-tree-hash.
//!
//! ```text
//! glacier-transfer upload FILE --vault NAME [--part-size SIZE] [--resume UPLOAD_ID]
//! glacier-transfer download --vault NAME --job JOB_ID OUT [--range-size SIZE] [--force]
//! ```
//!
//! The client retries and times out as [`NetworkPolicy::default`] says. An interrupted download
//! (an error, a kill) resumes when run again with the same OUT; an interrupted upload resumes
//! with `--resume UPLOAD_ID`, sending only the parts Glacier does not hold.
//!
//! Credentials and region come from the SDK's usual chain (environment, profile, SSO, instance
//! role); `--endpoint URL` points the client elsewhere, such as a local test endpoint.

use aws_config::BehaviorVersion;
use clap::{Parser, Subcommand};
use glacier_tree_hash::PartSize;
use glacier_tree_hash_aws::{
    download_archive, resume_upload, upload_file, DownloadOptions, NetworkPolicy, Problem,
    UploadOptions,
};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    version,
    about = "Glacier uploads and verified downloads with glacier-tree-hash"
)]
struct Cli {
    /// Send requests to this URL instead of the region's Glacier endpoint.
    #[arg(long, global = true, value_name = "URL")]
    endpoint: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Upload FILE as one archive; prints the archive id and tree hash.
    Upload {
        /// The file to upload.
        file: PathBuf,
        /// The vault.
        #[arg(long)]
        vault: String,
        /// The part size of a multipart upload: 1MiB, 2MiB, ... 4GiB (or bytes).
        #[arg(long, value_name = "SIZE")]
        part_size: Option<PartSize>,
        /// Finish this multipart upload of FILE instead of starting a new one.
        #[arg(long, value_name = "UPLOAD_ID")]
        resume: Option<String>,
        /// The archive description.
        #[arg(long)]
        description: Option<String>,
    },
    /// Download the output of a completed archive-retrieval job to OUT, verified.
    Download {
        /// The vault.
        #[arg(long)]
        vault: String,
        /// The archive-retrieval job.
        #[arg(long, value_name = "JOB_ID")]
        job: String,
        /// The file to write (resumed if an earlier download of the same archive was interrupted).
        out: PathBuf,
        /// The size of each GetJobOutput range: 1MiB, 2MiB, ... 4GiB (default 16MiB).
        #[arg(long, value_name = "SIZE")]
        range_size: Option<PartSize>,
        /// Replace OUT if it exists (only once the new output is verified).
        #[arg(long)]
        force: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let mut builder =
        NetworkPolicy::default().apply(aws_sdk_glacier::config::Builder::from(&config));
    if let Some(url) = &cli.endpoint {
        builder = builder.endpoint_url(url);
    }
    let client = aws_sdk_glacier::Client::from_conf(builder.build());

    match cli.command {
        Command::Upload {
            file,
            vault,
            part_size,
            resume,
            description,
        } => {
            let mut options = UploadOptions::default();
            if let Some(size) = part_size {
                options = options.part_size(size);
            }
            if let Some(text) = description {
                options = options.description(text);
            }
            let result = match &resume {
                Some(id) => resume_upload(&client, &vault, id, &file, &options).await,
                None => upload_file(&client, &vault, &file, &options).await,
            };
            match result {
                Ok(uploaded) => {
                    println!("archive id:  {}", uploaded.archive_id);
                    println!("tree hash:   {}", uploaded.tree_hash);
                    println!("size:        {}", uploaded.size);
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("glacier-transfer: {error}");
                    let start_again = matches!(
                        error.problem(),
                        Problem::NotFound { .. } | Problem::FileChanged { .. }
                    );
                    if let Some(id) = error.upload_id().filter(|_| !start_again) {
                        eprintln!(
                            "resume with: glacier-transfer upload {} --vault {vault} --resume {id}",
                            file.display()
                        );
                    }
                    ExitCode::FAILURE
                }
            }
        }
        Command::Download {
            vault,
            job,
            out,
            range_size,
            force,
        } => {
            let mut options = DownloadOptions::default().overwrite(force);
            if let Some(size) = range_size {
                options = options.range_size(size);
            }
            match download_archive(&client, &vault, &job, &out, &options).await {
                Ok(done) => {
                    println!("{}  {}", done.tree_hash, out.display());
                    eprintln!(
                        "ranges: {} downloaded, {} resumed",
                        done.ranges_downloaded, done.ranges_resumed
                    );
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("glacier-transfer: {error}");
                    match error.problem() {
                        Problem::Io { source, .. }
                            if source.kind() == std::io::ErrorKind::AlreadyExists =>
                        {
                            eprintln!("add --force to replace it")
                        }
                        Problem::StateFile { .. } | Problem::NotFound { .. } => {}
                        _ => eprintln!("run the same command again to resume"),
                    }
                    ExitCode::FAILURE
                }
            }
        }
    }
}
