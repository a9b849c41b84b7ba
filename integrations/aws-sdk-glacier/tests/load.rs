//! Load: 8 uploads and 8 downloads at once, each a `glacier-transfer` process against its own
//! Glacier double with its own seeded faults; every archive and file checked byte for byte, and
//! each process's peak resident memory compared with the transfer's `memory_bound()`.
//!
//! `cargo test` builds the example; with `--test load`, build it first
//! (`cargo build --example glacier-transfer`).

mod double;

use double::{data, example_command, Fault, Glacier, Plan, Rule, Target, TempDir};
use glacier_tree_hash::{tree_hash, PartSize};
use glacier_tree_hash_aws::{DownloadOptions, UploadOptions};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

const MIB: u64 = 1 << 20;
const VAULT: &str = "test-vault";
/// Each archive: 16 MiB and a bit, so a transfer that held it whole would exceed its bound.
const SIZE: u64 = 16 * MIB + 333;
/// What the memory check allows above the baseline process besides `memory_bound()`: the
/// SDK's and hyper's per-request buffers and the allocator's slack.
const ALLOWANCE: u64 = 8 * MIB;

/// The peak resident set (`VmHWM`) of process `pid` in bytes, while it runs.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs the example against `glacier` with `args`; holds its request `hold` (operation, key)
/// until its peak memory is read; returns whether it succeeded, its stderr, and the highest
/// `VmHWM` seen (read every 2 ms, and while `hold` is held).
async fn transfer(
    glacier: &Glacier,
    args: Vec<String>,
    hold: (&'static str, u64),
) -> (bool, String, u64) {
    let (reached, resume) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    glacier.state().pause = Some((hold.0, hold.1, Arc::clone(&reached), Arc::clone(&resume)));
    let mut child = tokio::process::Command::from(example_command(&glacier.url(), &args))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let mut peak = 0;
    let mut held = false;
    let status = loop {
        peak = peak.max(peak_rss(pid).unwrap_or(0));
        tokio::select! {
            status = child.wait() => break status.unwrap(),
            () = reached.notified(), if !held => {
                // Everything before the last request is done: its memory is in VmHWM.
                tokio::time::sleep(Duration::from_millis(20)).await;
                peak = peak.max(peak_rss(pid).unwrap_or(0));
                held = true;
                resume.notify_one();
            }
            () = tokio::time::sleep(Duration::from_millis(2)) => {}
        }
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use tokio::io::AsyncReadExt;
        pipe.read_to_string(&mut stderr).await.unwrap();
    }
    assert!(held, "the held request never came: {stderr}");
    (status.success(), stderr, peak)
}

/// Seeded faults of every kind the example's default policy retries without waiting on a
/// timeout: refusals on a fifth of the requests, cut bodies and corrupt ranges.
fn faults(seed: u64) -> Plan {
    let rule = |operation, fault| Rule {
        operation,
        target: Target::OneIn(5),
        fault,
        times: 1,
    };
    let mut rules = Vec::new();
    for fault in [Fault::InternalError, Fault::Throttling, Fault::CutRequest] {
        rules.push(rule("UploadMultipartPart", fault));
    }
    for fault in [Fault::Unavailable, Fault::CutResponse, Fault::CorruptRange] {
        rules.push(rule("GetJobOutput", fault));
    }
    let mut plan = Plan::new(seed, rules);
    plan.max_per_key = Some(2);
    plan
}

/// Load: 8 uploads and 8 downloads of 16 MiB at once, 1 MiB parts and ranges, 4 in flight
/// (memory bound 4 MiB each), each with its own seeded faults. Outcome: every archive and file
/// byte-identical; each process's peak memory above an idle process's at most its
/// `memory_bound()` plus the allowance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_uploads_and_eight_downloads_at_once() {
    let dir = TempDir::new("load");
    let upload_bound = UploadOptions::default()
        .part_size(PartSize::MIN)
        .memory_bound()
        .unwrap();
    let download_bound = DownloadOptions::default()
        .range_size(PartSize::MIN)
        .memory_bound();

    // The baseline: the example downloading an empty archive, held at its one request.
    let idle = Glacier::start().await;
    let empty_job = idle.add_job(Vec::new(), tree_hash(b""));
    let empty_out = dir.0.join("empty").to_str().unwrap().to_owned();
    let args = [
        "download", "--vault", VAULT, "--job", &empty_job, &empty_out,
    ];
    let (ok, stderr, baseline) =
        transfer(&idle, args.map(str::to_owned).to_vec(), ("DescribeJob", 0)).await;
    assert!(ok && baseline > 0, "{stderr}");

    let mut runs = Vec::new();
    for index in 0..16u64 {
        let glacier = Glacier::start().await;
        glacier.plan(faults(1000 + index));
        let bytes = data(SIZE, 200 + index);
        let (args, hold) = if index < 8 {
            let path = dir.file(&format!("archive-{index}"), &bytes);
            let args = vec![
                "upload".to_owned(),
                path.to_str().unwrap().to_owned(),
                "--vault".to_owned(),
                VAULT.to_owned(),
                "--part-size".to_owned(),
                "1MiB".to_owned(),
            ];
            (args, ("CompleteMultipartUpload", 0))
        } else {
            let job = glacier.add_job(bytes.clone(), tree_hash(&bytes));
            let out = dir.0.join(format!("restored-{index}"));
            let args = vec![
                "download".to_owned(),
                "--vault".to_owned(),
                VAULT.to_owned(),
                "--job".to_owned(),
                job,
                "--range-size".to_owned(),
                "1MiB".to_owned(),
                out.to_str().unwrap().to_owned(),
            ];
            (args, ("GetJobOutput", SIZE / MIB * MIB))
        };
        runs.push(tokio::spawn(async move {
            let (ok, stderr, peak) = transfer(&glacier, args, hold).await;
            (index, glacier, bytes, ok, stderr, peak)
        }));
    }

    let mut faults_injected = 0;
    let mut report = Vec::new();
    for run in runs {
        let (index, glacier, bytes, ok, stderr, peak) = run.await.unwrap();
        assert!(ok, "transfer {index}: {stderr}");
        let state = glacier.state();
        faults_injected += state.faults.len();
        let (kind, bound) = if index < 8 {
            let archives: Vec<_> = state.archives.values().collect();
            assert_eq!(archives.len(), 1, "transfer {index}");
            assert!(
                archives[0].data == bytes,
                "transfer {index}: archive differs"
            );
            ("upload", upload_bound)
        } else {
            let out = dir.0.join(format!("restored-{index}"));
            assert!(
                std::fs::read(out).unwrap() == bytes,
                "transfer {index}: file differs"
            );
            ("download", download_bound)
        };
        let above = peak.saturating_sub(baseline);
        report.push(format!(
            "{kind} {index}: peak {} KiB, {} KiB above the idle process (bound {} KiB), {} faults",
            peak / 1024,
            above / 1024,
            bound / 1024,
            state.faults.len()
        ));
        assert!(
            above <= bound + ALLOWANCE,
            "transfer {index}: {above} bytes above baseline, bound {bound}"
        );
    }
    eprintln!("baseline (idle process) peak {} KiB", baseline / 1024);
    for line in &report {
        eprintln!("{line}");
    }
    eprintln!("{faults_injected} faults injected in all");
    assert!(faults_injected >= 16, "{faults_injected} faults");
}
