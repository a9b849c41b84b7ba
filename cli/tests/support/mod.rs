//! Running the real binary (and sha256sum) with a time limit, in a temporary directory.
// Each test file uses a part of it.
#![allow(dead_code, unused_imports)]

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use glacier_tree_hash_reference::{
    MIB, reference_tree_hash, sha256, splitmix64_bytes, vectors,
};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_glacier-tree-hash");

/// No run of the binary in these tests may take longer than this: a hang is a failure.
pub const LIMIT: Duration = Duration::from_secs(60);

/// A directory of its own under the system's temporary directory, removed on drop.
pub struct Dir {
    path: PathBuf,
}

impl Dir {
    pub fn new(tag: &str) -> Dir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "glacier-tree-hash-cli-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temporary directory");
        Dir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `data` to `name` in the directory and returns its path.
    pub fn file(&self, name: impl AsRef<OsStr>, data: &[u8]) -> PathBuf {
        let path = self.path.join(name.as_ref());
        std::fs::write(&path, data).expect("a temporary file");
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// What a finished run gave.
#[derive(Debug)]
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub took: Duration,
}

impl Ran {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Standard input of a run.
pub enum Input {
    /// A pipe that is fed these bytes, then closed.
    Bytes(Vec<u8>),
    /// This descriptor, as it is.
    File(File),
    /// `/dev/null`.
    Null,
}

/// Waits for `child` at most `limit`; kills it and panics if it takes longer.
pub fn wait(mut child: Child, input: Input, limit: Duration, what: &str) -> Ran {
    let start = Instant::now();
    let feeder = match input {
        Input::Bytes(bytes) => {
            let mut stdin = child.stdin.take().expect("piped stdin");
            // The binary may exit before reading everything: a closed pipe is fine here.
            Some(std::thread::spawn(move || {
                let _ = stdin.write_all(&bytes);
            }))
        }
        _ => None,
    };
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(stdout) = &mut stdout {
            let _ = stdout.read_to_end(&mut bytes);
        }
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(stderr) = &mut stderr {
            let _ = stderr.read_to_end(&mut bytes);
        }
        bytes
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the child") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = start.elapsed();
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    Ran {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        took,
    }
}

/// A command for `program` in `dir` with stdin set up for `input`.
pub fn command(program: &str, dir: &Path, input: &Input) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .env_remove("RAYON_NUM_THREADS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match input {
        Input::Bytes(_) => {
            command.stdin(Stdio::piped());
        }
        Input::File(file) => {
            command.stdin(Stdio::from(file.try_clone().expect("a descriptor")));
        }
        Input::Null => {
            command.stdin(Stdio::null());
        }
    }
    command
}

/// Runs `program` with `args` in `dir`, stdin from `input`, within [`LIMIT`].
pub fn run_program<I, S>(program: &str, dir: &Path, args: I, input: Input) -> Ran
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut command = command(program, dir, &input);
    command.args(&args);
    let child = command.spawn().expect("the program starts");
    wait(child, input, LIMIT, &format!("{program} {args:?}"))
}

/// Runs the binary under test.
pub fn run<I, S>(dir: &Path, args: I, input: Input) -> Ran
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_program(BIN, dir, args, input)
}

/// Runs sha256sum, to compare with.
pub fn sha256sum<I, S>(dir: &Path, args: I, input: Input) -> Ran
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_program("sha256sum", dir, args, input)
}

/// Lowercase hex of 32 bytes.
pub fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The reference tree hash of `data`, in hex.
pub fn tree(data: &[u8]) -> String {
    hex(&reference_tree_hash(data))
}

/// The SHA-256 of `data`, in hex.
pub fn sha(data: &[u8]) -> String {
    hex(&sha256(data))
}

/// sha256sum's messages in our words, so that the two can be compared.
pub fn as_ours(sha256sum_stderr: &[u8]) -> String {
    String::from_utf8_lossy(sha256sum_stderr)
        .replace("sha256sum:", "glacier-tree-hash:")
        .replace(
            "improperly formatted SHA256 checksum line",
            "improperly formatted tree hash line",
        )
}

/// A name's bytes (names in these tests are Unix names).
pub fn bytes_of(name: &OsStr) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    name.as_bytes()
}

/// A name from bytes.
pub fn os(bytes: &[u8]) -> &OsStr {
    use std::os::unix::ffi::OsStrExt;
    OsStr::from_bytes(bytes)
}

/// Whether process `pid` has `path` memory-mapped (Linux).
pub fn maps(pid: u32, path: &Path) -> bool {
    let path = path.to_string_lossy();
    std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .is_ok_and(|maps| maps.lines().any(|line| line.ends_with(&*path)))
}
