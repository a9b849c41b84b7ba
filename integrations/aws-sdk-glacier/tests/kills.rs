//! The `glacier-transfer` example as a separate process against the Glacier double, killed
//! with SIGKILL in the middle of uploads and downloads, then run again: the result must be the
//! right archive or a byte-identical file, with only the missing parts or ranges sent again.
//!
//! `cargo test` builds the example beside the test binaries; with a test filter such as
//! `--test kills`, build it first (`cargo build --example glacier-transfer`).

mod double;

use double::{data, example_command, splitmix, Glacier, TempDir};
use glacier_tree_hash::tree_hash;
use glacier_tree_hash_aws::{partial_file_path, state_file_path};
use std::process::{Child, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

const MIB: u64 = 1 << 20;
const VAULT: &str = "test-vault";

/// The example pointed at the double, its output piped.
fn command(glacier: &Glacier, args: &[&str]) -> std::process::Command {
    let mut command = example_command(&glacier.url(), args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// Runs the example to its end (off the runtime's threads, which serve the double).
async fn run(glacier: &Glacier, args: &[&str]) -> Output {
    let mut command = command(glacier, args);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// Starts the example, waits until the double holds the request `operation` with `key`, and
/// kills the example with SIGKILL while that request (and any others in flight) is open.
async fn kill_at(glacier: &Glacier, args: &[&str], operation: &'static str, key: u64) {
    let (reached, resume) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    glacier.state().pause = Some((operation, key, Arc::clone(&reached), Arc::clone(&resume)));
    let mut child: Child = command(glacier, args).spawn().unwrap();
    tokio::time::timeout(Duration::from_secs(60), reached.notified())
        .await
        .expect("the request to kill at never arrived");
    child.kill().unwrap(); // SIGKILL
    tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    // The held request is never answered: its client is gone.
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Kills: an upload of 24 parts of 1 MiB (4 in flight), SIGKILLed while part k is in flight,
/// for three seeded k; then `--resume` with the upload id. Outcome: each resume sends only the
/// parts Glacier lacks (none twice), and completes with the file's tree hash and bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_killed_then_resumed() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("kills-upload");
    let bytes = data(23 * MIB + 4321, 131);
    let path = dir.file("archive", &bytes);
    let file = path.to_str().unwrap();
    for seed in 1..=3u64 {
        let k = 4 + splitmix(seed) % 19;
        let args = ["upload", file, "--vault", VAULT, "--part-size", "1MiB"];
        kill_at(&glacier, &args, "UploadMultipartPart", k * MIB).await;
        let upload_id = glacier.state().upload_ids().pop().unwrap();
        let stored = glacier.state().stored_parts(&upload_id);
        assert!(stored.len() < 24, "killed before the end");
        glacier.state().requests.clear();

        let resumed = run(
            &glacier,
            &["upload", file, "--vault", VAULT, "--resume", &upload_id],
        )
        .await;
        assert!(resumed.status.success(), "{}", text(&resumed.stderr));
        let stdout = text(&resumed.stdout);
        assert!(
            stdout.contains(&format!("tree hash:   {}", tree_hash(&bytes))),
            "{stdout}"
        );
        let state = glacier.state();
        assert_eq!(
            state.count("UploadMultipartPart"),
            24 - stored.len(),
            "only the missing parts (seed {seed}, killed at part {k})"
        );
        assert_eq!(state.count("CompleteMultipartUpload"), 1);
        let archive_id = stdout
            .lines()
            .find_map(|line| line.strip_prefix("archive id:"))
            .unwrap()
            .trim();
        assert!(state.archives[archive_id].data == bytes, "seed {seed}");
    }
}

/// Kills: a download of 24 ranges of 1 MiB (4 in flight), SIGKILLed while range k is in
/// flight, twice in a row, then run again to its end, for two seeds. Outcome: nothing at the
/// output path until it is verified; each run resumes from the state file (fetching fewer
/// ranges); the final file is byte-identical; a further run without `--force` refuses to
/// overwrite it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_killed_then_run_again() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("kills-download");
    let bytes = data(23 * MIB + 999, 137);
    for seed in 1..=2u64 {
        let job = glacier.add_job(bytes.clone(), tree_hash(&bytes));
        let out = dir.0.join(format!("restored-{seed}"));
        let out_text = out.to_str().unwrap();
        let args = [
            "download",
            "--vault",
            VAULT,
            "--job",
            &job,
            "--range-size",
            "1MiB",
            out_text,
        ];
        let first = 4 + splitmix(seed) % 8;
        let second = first + 4 + splitmix(seed + 100) % 8;
        for k in [first, second] {
            kill_at(&glacier, &args, "GetJobOutput", k * MIB).await;
            assert!(!out.exists(), "a partial download at the final name");
            assert!(partial_file_path(&out).exists() && state_file_path(&out).exists());
        }
        let done = run(&glacier, &args).await;
        let stderr = text(&done.stderr);
        assert!(done.status.success(), "{stderr}");
        let counts: Vec<u64> = stderr
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        let [downloaded, resumed] = counts[..] else {
            panic!("{stderr}")
        };
        // When range `second` was requested, at least `second - 3` ranges were recorded.
        assert_eq!(downloaded + resumed, 24, "{stderr}");
        assert!(resumed >= second - 3, "{stderr}");
        assert!(std::fs::read(&out).unwrap() == bytes, "seed {seed}");
        assert!(!partial_file_path(&out).exists() && !state_file_path(&out).exists());

        let again = run(&glacier, &args).await;
        assert!(!again.status.success());
        let refused = text(&again.stderr);
        assert!(refused.contains("already at the output path"), "{refused}");
        assert!(refused.contains("--force"), "{refused}");
        assert!(std::fs::read(&out).unwrap() == bytes);
    }
}

/// Kills: downloads of 13 ranges SIGKILLed at seeded moments: once the double has seen a
/// seeded number of GetJobOutput requests (1-12), after a seeded 0-9 ms more (so during a
/// request, a write, a state file rename or the final check), five times, each followed by a
/// run to the end. Outcome: every run that ends reports success; the file is byte-identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_killed_at_seeded_moments() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("kills-timed");
    let bytes = data(12 * MIB + 77, 139);
    let mut killed = 0;
    for seed in 1..=5u64 {
        let job = glacier.add_job(bytes.clone(), tree_hash(&bytes));
        let out = dir.0.join(format!("restored-{seed}"));
        let out_text = out.to_str().unwrap();
        let args = [
            "download",
            "--vault",
            VAULT,
            "--job",
            &job,
            "--range-size",
            "1MiB",
            out_text,
        ];
        let before = glacier.state().count("GetJobOutput");
        let requests = 1 + splitmix(seed) as usize % 12;
        let mut child = command(&glacier, &args).spawn().unwrap();
        while glacier.state().count("GetJobOutput") < before + requests
            && child.try_wait().unwrap().is_none()
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(splitmix(seed + 50) % 10)).await;
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap();
        tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        if !finished {
            killed += 1;
            let done = run(&glacier, &args).await;
            assert!(done.status.success(), "{}", text(&done.stderr));
        }
        assert!(std::fs::read(&out).unwrap() == bytes, "seed {seed}");
    }
    eprintln!("{killed} of 5 downloads killed before they ended");
}
