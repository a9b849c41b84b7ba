//! Regular files hashed in place from read-only memory maps, window by window, with a guard
//! that turns a file truncated under a map into an error instead of a `SIGBUS` death: the
//! tool's one module with `unsafe` code. It also holds the one other thing the tool needs from
//! the operating system that safe Rust cannot ask for: which standard descriptors were closed
//! before `main` ([`descriptors`]).
//!
//! Reading a page-cached file copies every byte out of the page cache, which on some machines
//! costs more than hashing it; a map hashes the page cache where it lies. The file is mapped
//! [`WINDOW`] bytes at a time, each window hashed on all threads of the current rayon pool
//! and unmapped before the next, so resident memory stays bounded whatever the file's size.
//!
//! The guard: touching a mapped page past the end of a file that was truncated meanwhile
//! raises `SIGBUS`. A process-wide `SA_SIGINFO` handler, installed once, looks the fault
//! address up in a fixed table of live windows (atomics only). If a window holds it, the
//! handler maps anonymous zero pages (`MAP_FIXED`, read-only) from the faulting page to the
//! window's end, marks the window truncated and returns: the faulting load runs again and reads
//! zeros, as every other thread faulting in the window does. After each window the flag and
//! the file's size are checked; a file cut short is an `UnexpectedEof` error and its hash is
//! never used. A `SIGBUS` anywhere else goes to the handler that was there before (Rust's own,
//! which only knows stack guard pages) or takes the default action: the process dies as it
//! would have.
//!
//! Only Linux maps; elsewhere [`hash_in_place`] hashes nothing and the caller reads the file.
//!
//! Why the binary and not the library: a signal handler belongs to the whole process. A library
//! that installed one would take `SIGBUS` from its host (a JVM, a Python interpreter, a program
//! with its own handler for its own maps) and could only chain to what was there when it was
//! installed, not to what the host installs later. The tool owns its process, so it can.

#![allow(unsafe_code)]

use glacier_tree_hash::Hasher;
use std::fs::File;
use std::io;

/// The bytes mapped, hashed and unmapped at a time: at most this much of the file is resident
/// for the tool at once. On a 2-core AMD EPYC, windows of 16 to 128 MiB hash a cached 1 GiB
/// file in the same CPU time, 4 MiB in half as much again (README: the tool's measurements);
/// 64 MiB still gives each of 16 threads a full batch of the leaf engine.
pub const WINDOW: usize = 64 << 20;

/// Adds bytes `start..len` of the regular file `file` (which reported `len` bytes) to
/// `hasher` from read-only maps of [`WINDOW`] bytes, calling `progress` with the bytes hashed
/// so far before each window. Returns the offset hashed up to: `len`, or less where a window
/// could not be mapped (not Linux, a file system that does not map, no address space), from
/// which the caller reads the rest, bytes past `len` included.
///
/// # Errors
/// `UnexpectedEof` if the file shrank while it was hashed; an error if a page could not be read
/// (the hasher then holds bytes that are not the file's: drop it); the error of `fstat`.
pub fn hash_in_place<H: Hasher>(
    hasher: &mut H,
    file: &File,
    start: u64,
    len: u64,
    progress: impl FnMut(u64),
) -> io::Result<u64> {
    hash_windows(hasher, file, start, len, WINDOW, progress)
}

#[cfg(not(target_os = "linux"))]
fn hash_windows<H: Hasher>(
    _hasher: &mut H,
    _file: &File,
    start: u64,
    _len: u64,
    _window: usize,
    _progress: impl FnMut(u64),
) -> io::Result<u64> {
    Ok(start)
}

/// [`hash_in_place`] in windows of `window` bytes; `before_window` is called with the bytes
/// hashed so far once each window is mapped, before it is hashed.
#[cfg(target_os = "linux")]
fn hash_windows<H: Hasher>(
    hasher: &mut H,
    file: &File,
    start: u64,
    len: u64,
    window: usize,
    mut before_window: impl FnMut(u64),
) -> io::Result<u64> {
    if !guard::install() {
        return Ok(start);
    }
    let mut at = start;
    while at < len {
        let size = usize::try_from(len - at).map_or(window, |rest| rest.min(window));
        let Some(mapped) = guard::Window::map(file, at, size) else {
            return Ok(at);
        };
        before_window(at - start);
        hasher.update_rayon(mapped.bytes());
        let truncated = mapped.truncated();
        drop(mapped);
        let now = file.metadata()?.len();
        if truncated || now < len {
            return Err(shrank(len, now));
        }
        at += size as u64;
    }
    Ok(at)
}

/// The error for a file of `len` bytes that has `now` bytes after a window was cut short: a
/// shrink, worded as the library words it for reads; or, if the file is as long as ever, a page
/// that could not be read (an I/O error under the map is `SIGBUS` too, or the file grew back).
#[cfg(target_os = "linux")]
fn shrank(len: u64, now: u64) -> io::Error {
    if now < len {
        let message = format!("the file shrank from {len} to {now} bytes while it was hashed");
        return io::Error::new(io::ErrorKind::UnexpectedEof, message);
    }
    io::Error::other(
        "a page of the file could not be read while it was hashed (an I/O error, or the file \
         was cut short and grew back)",
    )
}

/// The `SIGBUS` handler and the table of live windows it answers for.
#[cfg(target_os = "linux")]
mod guard {
    use std::fs::File;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

    /// Live windows at most: one per file hashed at a time (the tool hashes one; tests more).
    const SLOTS: usize = 64;

    /// A live window: the page-aligned address range of its map, and whether a fault in it was
    /// answered with zero pages. `start == 0`: free. `len` is published after `start` and
    /// cleared before it, so a handler that sees a `start` never pairs it with another
    /// window's `len`.
    struct Slot {
        start: AtomicUsize,
        len: AtomicUsize,
        truncated: AtomicBool,
    }

    #[allow(clippy::declare_interior_mutable_const)]
    const FREE: Slot = Slot {
        start: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        truncated: AtomicBool::new(false),
    };

    static TABLE: [Slot; SLOTS] = [FREE; SLOTS];

    /// The page size, read once at installation (`sysconf` is not async-signal-safe).
    static PAGE: AtomicUsize = AtomicUsize::new(0);

    /// The `SIGBUS` action before ours, to hand other faults to; `None` if none could be
    /// installed (then nothing is mapped).
    static PREVIOUS: OnceLock<Option<libc::sigaction>> = OnceLock::new();

    /// Installs the handler (once per process); false if it could not be installed.
    pub fn install() -> bool {
        PREVIOUS.get_or_init(install_handler).is_some()
    }

    fn install_handler() -> Option<libc::sigaction> {
        // SAFETY: `sysconf` has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page = usize::try_from(page)
            .ok()
            .filter(|page| page.is_power_of_two())?;
        PAGE.store(page, SeqCst);
        // SAFETY: both structs are plain data that the kernel fills or reads; an all-zero
        // `sigaction` is a valid value (no handler, no flags, empty mask).
        let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
        let mut ours: libc::sigaction = unsafe { std::mem::zeroed() };
        ours.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
        // SA_ONSTACK: a thread with an alternate signal stack (Rust gives every thread one)
        // runs the handler there, as the previous handler expects for stack overflows.
        ours.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        // SAFETY: `sa_mask` is a valid `sigset_t` to empty; `ours` is a valid action whose
        // handler has the `SA_SIGINFO` signature; `previous` is written by the kernel. The
        // handler reads `PREVIOUS` only through `OnceLock::get`, which is a load: before this
        // `OnceLock` is set it finds nothing and takes the default action, which cannot happen
        // for our windows, since none is mapped before `install` returns.
        let installed = unsafe {
            libc::sigemptyset(&mut ours.sa_mask) == 0
                && libc::sigaction(libc::SIGBUS, &ours, &mut previous) == 0
        };
        installed.then_some(previous)
    }

    /// The `SIGBUS` handler. Async-signal-safe: atomics, `mmap`, `sigaction` and `raise`
    /// only; no allocation, no locks, no panics.
    extern "C" fn on_sigbus(
        signal: libc::c_int,
        info: *mut libc::siginfo_t,
        context: *mut libc::c_void,
    ) {
        // SAFETY: the kernel passes a valid `siginfo_t` to an `SA_SIGINFO` handler. `si_addr`
        // is the fault address for a signal the kernel raised (`si_code > 0`); for one sent
        // by a process it is another union member, so it is not used then.
        let address = unsafe {
            match info.as_ref() {
                Some(info) if info.si_code > 0 => Some(info.si_addr() as usize),
                _ => None,
            }
        };
        if let Some(address) = address
            && answer(address)
        {
            return;
        }
        pass_on(signal, info, context);
    }

    /// Maps zero pages over the rest of the live window holding `address`, if any, and marks
    /// it truncated: true if it was one of ours.
    fn answer(address: usize) -> bool {
        let page = PAGE.load(SeqCst);
        for slot in &TABLE {
            let start = slot.start.load(SeqCst);
            let len = slot.len.load(SeqCst);
            if start == 0 || address < start || address - start >= len {
                continue;
            }
            let from = address & !(page - 1);
            let end = start + len;
            // SAFETY: `from..end` lies in the live map of this window (registered before the
            // window is read, unregistered before it is unmapped), and nothing but the hasher
            // reads it. Replacing those pages with anonymous read-only zero pages changes what
            // the hasher reads from there on, which is why the window is marked truncated and
            // its hash discarded. The map is unmapped as a whole later, these pages included.
            // `mmap` is async-signal-safe in practice (a system call); several threads may
            // map the same pages at once, each atomically.
            let mapped = unsafe {
                libc::mmap(
                    from as *mut libc::c_void,
                    end - from,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if mapped == libc::MAP_FAILED {
                return false;
            }
            slot.truncated.store(true, SeqCst);
            return true;
        }
        false
    }

    /// A `SIGBUS` that is not ours: to the previous handler, or the default action.
    fn pass_on(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
        let previous = PREVIOUS.get().copied().flatten();
        let handler = previous.map_or(libc::SIG_DFL, |action| action.sa_sigaction);
        if handler != libc::SIG_DFL && handler != libc::SIG_IGN {
            let siginfo = previous.is_some_and(|action| action.sa_flags & libc::SA_SIGINFO != 0);
            // SAFETY: `handler` is the function the previous action installed, called with
            // the signature its `SA_SIGINFO` flag says it has, with our own arguments.
            unsafe {
                if siginfo {
                    let handler: extern "C" fn(
                        libc::c_int,
                        *mut libc::siginfo_t,
                        *mut libc::c_void,
                    ) = std::mem::transmute(handler);
                    handler(signal, info, context);
                } else {
                    let handler: extern "C" fn(libc::c_int) = std::mem::transmute(handler);
                    handler(signal);
                }
            }
            return;
        }
        // SAFETY: a zeroed `sigaction` with `SIG_DFL` (0) is the default action; `sigaction`
        // and `raise` are async-signal-safe. The default action for `SIGBUS` ends the process:
        // a fault raises it again when the handler returns, a sent signal is raised now.
        unsafe {
            let mut default: libc::sigaction = std::mem::zeroed();
            default.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(libc::SIGBUS, &default, std::ptr::null_mut());
            if info.as_ref().is_none_or(|info| info.si_code <= 0) {
                libc::raise(libc::SIGBUS);
            }
        }
    }

    /// A live window: a read-only map of part of a file, registered with the handler.
    pub struct Window {
        map: Option<memmap2::Mmap>,
        slot: &'static Slot,
    }

    impl Window {
        /// Maps and registers `len` bytes of `file` from `offset`; `None` if it cannot be
        /// mapped or the table is full.
        pub fn map(file: &File, offset: u64, len: usize) -> Option<Window> {
            // SAFETY: `memmap2` requires that the mapped bytes are neither changed nor cut
            // off while the map lives. Cut off is what the handler answers: a page past the
            // new end reads as zeros and the window is marked, so the hash is thrown away.
            // Changed (another process writing) gives a hash of a mix of old and new bytes,
            // as reading does; the bytes are only ever copied into SHA-256 state, never
            // trusted to stay equal. The map is read-only and private to this window.
            let map = unsafe {
                memmap2::MmapOptions::new()
                    .offset(offset)
                    .len(len)
                    .map(file)
            }
            .ok()?;
            let page = PAGE.load(SeqCst);
            let address = map.as_ptr() as usize;
            let start = address & !(page - 1);
            let end = (address + map.len()).next_multiple_of(page);
            let slot = TABLE.iter().find(|slot| {
                slot.start
                    .compare_exchange(0, start, SeqCst, SeqCst)
                    .is_ok()
            })?;
            slot.truncated.store(false, SeqCst);
            slot.len.store(end - start, SeqCst);
            Some(Window {
                map: Some(map),
                slot,
            })
        }

        /// The mapped bytes.
        pub fn bytes(&self) -> &[u8] {
            self.map.as_deref().unwrap_or_default()
        }

        /// Whether a fault past the file's end was answered with zero pages.
        pub fn truncated(&self) -> bool {
            self.slot.truncated.load(SeqCst)
        }
    }

    impl Drop for Window {
        fn drop(&mut self) {
            // Unregistered before unmapped: once the address range is free, another window
            // may be mapped there, and must not find this slot.
            self.slot.len.store(0, SeqCst);
            self.slot.start.store(0, SeqCst);
            self.map = None;
        }
    }
}

/// Which standard descriptors were closed when the process started, probed before `main`.
///
/// The Rust runtime opens `/dev/null` read-write in place of a closed descriptor 0, 1 or 2
/// before `main`, so from `main` on a closed standard input reads as empty and a closed
/// standard output swallows every line. A read-write `/dev/null` is no sign of it: Python's
/// `subprocess.DEVNULL` and `1<>/dev/null` give one too. So a function in `.init_array`, which
/// the C runtime calls before Rust's `main` (and so before the runtime's reopening), asks the
/// kernel about descriptors 0 and 1 and remembers which were closed. Linux only; elsewhere
/// nothing is known to be closed.
pub mod descriptors {
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Standard input (0) and standard output (1): closed at start.
    static CLOSED_AT_START: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];

    /// "Bad file descriptor" if descriptor `fd` (0 or 1) was closed when the process started
    /// (what the same program in C would have been told), else `Ok`.
    pub fn open_at_start(fd: usize) -> std::io::Result<()> {
        match CLOSED_AT_START.get(fd) {
            #[cfg(target_os = "linux")]
            Some(closed) if closed.load(Ordering::Relaxed) => {
                Err(std::io::Error::from_raw_os_error(libc::EBADF))
            }
            _ => Ok(()),
        }
    }

    #[cfg(target_os = "linux")]
    extern "C" fn probe() {
        for (fd, closed) in (0..).zip(&CLOSED_AT_START) {
            // SAFETY: `F_GETFD` reads the close-on-exec flag of descriptor `fd` and touches no
            // memory of ours; for a descriptor that is not open it fails with `EBADF`. Nothing
            // here needs the Rust runtime, which is not set up yet: a libc call, reading errno,
            // and an atomic store.
            let answer = unsafe { libc::fcntl(fd, libc::F_GETFD) };
            let bad =
                answer == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF);
            closed.store(bad, Ordering::Relaxed);
        }
    }

    // SAFETY: an entry of `.init_array` is a pointer to a function the C runtime calls once,
    // with no arguments it must read, before `main`; `probe` is such a function, it cannot
    // panic (no indexing, no allocation), and it only writes atomics. `used` keeps it in the
    // binary though nothing names it.
    #[cfg(target_os = "linux")]
    #[used]
    #[unsafe(link_section = ".init_array")]
    static PROBE: extern "C" fn() = probe;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use glacier_tree_hash::{ChecksumHasher, MultipartHasher, PartSize, TreeHasher};
    use std::io::{Read, Write};
    use std::path::PathBuf;

    const MIB: usize = 1 << 20;

    /// A scratch directory, removed at the end.
    struct Dir(PathBuf);

    impl Dir {
        fn new(name: &str) -> Dir {
            let path = std::env::temp_dir().join(format!(
                "glacier-tree-hash-mapped-{name}-{}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }

        fn file(&self, name: &str, data: &[u8]) -> PathBuf {
            let path = self.0.join(name);
            std::fs::File::create(&path)
                .unwrap()
                .write_all(data)
                .unwrap();
            path
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn bytes(seed: u64, len: usize) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 56) as u8
            })
            .collect()
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    /// Hashes `path` from `start` in windows of `window`, then reads the rest as the tool
    /// does, with `hook` run before each window.
    fn hashed<H: Hasher>(
        mut hasher: H,
        path: &PathBuf,
        start: u64,
        window: usize,
        hook: impl FnMut(u64) + Send,
    ) -> io::Result<(H, u64)> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let end = pool(4).install(|| hash_windows(&mut hasher, &file, start, len, window, hook))?;
        Ok((hasher, end))
    }

    #[test]
    fn windows_at_every_leaf_and_part_boundary_match_the_read_path() {
        let dir = Dir::new("bounds");
        let data = bytes(1, 9 * MIB + 5);
        let path = dir.file("data", &data);
        let page = 4096;
        for window in [page, MIB - page, MIB, MIB + page, 2 * MIB, 3 * MIB + page] {
            for start in [0, 1, MIB as u64 + 4097] {
                let rest = &data[start as usize..];
                let (tree, end) = hashed(TreeHasher::new(), &path, start, window, |_| {}).unwrap();
                assert_eq!(end, data.len() as u64);
                let mut read = TreeHasher::new();
                read.update_file(&File::open(&path).unwrap(), start..)
                    .unwrap();
                assert_eq!(tree.finalize(), read.finalize(), "{window} {start}");
                assert_eq!(
                    tree.finalize(),
                    glacier_tree_hash::tree_hash(rest),
                    "{window} {start}"
                );

                let (both, _) =
                    hashed(ChecksumHasher::new(), &path, start, window, |_| {}).unwrap();
                let mut read = ChecksumHasher::new();
                read.update(rest);
                assert_eq!(both.finalize(), read.finalize(), "{window} {start}");

                let (parts, _) = hashed(
                    MultipartHasher::new(PartSize::MIN),
                    &path,
                    start,
                    window,
                    |_| {},
                )
                .unwrap();
                let mut read = MultipartHasher::new(PartSize::MIN);
                read.update(rest);
                assert_eq!(
                    parts.finalize().unwrap(),
                    read.finalize().unwrap(),
                    "{window} {start}"
                );
            }
        }
    }

    #[test]
    fn the_hook_sees_each_window_before_it_is_hashed() {
        let dir = Dir::new("hook");
        let path = dir.file("data", &bytes(2, 5 * MIB + 1));
        let mut seen = Vec::new();
        let (_, end) = hashed(TreeHasher::new(), &path, 0, 2 * MIB, |at| seen.push(at)).unwrap();
        assert_eq!(seen, [0, 2 * MIB as u64, 4 * MIB as u64]);
        assert_eq!(end, 5 * MIB as u64 + 1);
    }

    /// Cuts the file at `path` to `len` bytes.
    fn cut(path: &PathBuf, len: u64) {
        File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_len(len)
            .unwrap();
    }

    fn assert_shrank(result: io::Result<impl Sized>, what: &str) {
        match result {
            Ok(_) => panic!("{what}: hashed a file cut short"),
            Err(error) => {
                assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{what}");
                assert!(error.to_string().contains("shrank"), "{what}: {error}");
            }
        }
    }

    #[test]
    fn a_file_cut_while_a_window_is_mapped_is_an_error_not_a_signal() {
        let dir = Dir::new("cut");
        let data = bytes(3, 24 * MIB + 7);
        let window = 8 * MIB;
        // To 0; to the middle of the second window; to the middle of a leaf of the first; to
        // one byte short.
        for (when, to) in [
            (0, 0),
            (window as u64, (window + 3 * MIB + 1234) as u64),
            (0, (5 * MIB / 2) as u64),
            (2 * window as u64, data.len() as u64 - 1),
        ] {
            let path = dir.file("data", &data);
            let cut_once = |at| {
                if at == when {
                    cut(&path, to);
                }
            };
            let result = hashed(TreeHasher::new(), &path, 0, window, cut_once);
            assert_shrank(result, &format!("cut to {to} at {when}"));
            // The file as it is now hashes as its bytes: nothing is left of the fault.
            let (both, _) = hashed(ChecksumHasher::new(), &path, 0, window, |_| {}).unwrap();
            let mut read = ChecksumHasher::new();
            read.update(&data[..to as usize]);
            assert_eq!(both.finalize(), read.finalize(), "cut to {to}");
            // The next file is hashed as ever.
            let next = dir.file("next", &data[..9 * MIB]);
            let (tree, _) = hashed(TreeHasher::new(), &next, 0, window, |_| {}).unwrap();
            assert_eq!(
                tree.finalize(),
                glacier_tree_hash::tree_hash(&data[..9 * MIB])
            );
        }
    }

    #[test]
    fn a_fault_in_a_window_reads_zeros_from_its_page_on_and_marks_the_window() {
        let dir = Dir::new("zeros");
        let data = bytes(9, 3 * MIB);
        let path = dir.file("data", &data);
        assert!(guard::install());
        let file = File::open(&path).unwrap();
        let window = guard::Window::map(&file, 0, data.len()).unwrap();
        assert!(!window.truncated());
        let to = MIB + 5000;
        cut(&path, to as u64);
        let seen = window.bytes().to_vec();
        assert!(window.truncated());
        // The page holding the new end keeps its bytes up to the end (then zeros, as the kernel
        // fills it); the handler's zero pages start at the next page.
        assert_eq!(seen[..to], data[..to]);
        assert!(seen[to..].iter().all(|&byte| byte == 0));
        assert_eq!(seen.len(), data.len());
        drop(window);
        // A window mapped afterwards is not marked.
        let window = guard::Window::map(&file, 0, to).unwrap();
        assert_eq!(window.bytes(), &data[..to]);
        assert!(!window.truncated());
    }

    #[test]
    fn many_threads_faulting_at_once_all_read_zeros_and_the_window_is_marked() {
        let dir = Dir::new("threads");
        let data = bytes(4, 64 * MIB);
        let path = dir.file("data", &data);
        for threads in [2, 8, 16] {
            std::fs::write(&path, &data).unwrap();
            let file = File::open(&path).unwrap();
            let mut hasher = TreeHasher::new();
            let result = pool(threads).install(|| {
                hash_windows(&mut hasher, &file, 0, data.len() as u64, 64 * MIB, |_| {
                    cut(&path, 0)
                })
            });
            assert_shrank(result, &format!("{threads} threads"));
        }
    }

    #[test]
    fn a_racing_truncation_never_kills_and_never_gives_a_hash() {
        let dir = Dir::new("race");
        let data = bytes(5, 32 * MIB + 3);
        let path = dir.file("data", &data);
        let expected = glacier_tree_hash::tree_hash(&data);
        for round in 0..6u64 {
            std::fs::write(&path, &data).unwrap();
            let file = File::open(&path).unwrap();
            let cutter = {
                let path = path.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_micros(round * 700));
                    cut(&path, round * 3 * MIB as u64 + 777);
                })
            };
            let mut hasher = TreeHasher::new();
            let result = pool(4).install(|| {
                hash_windows(&mut hasher, &file, 0, data.len() as u64, 4 * MIB, |_| {})
            });
            cutter.join().unwrap();
            // Either all of it was hashed before the cut, or the cut is an error.
            match result {
                Ok(end) => {
                    assert_eq!(end, data.len() as u64);
                    assert_eq!(hasher.finalize(), expected);
                }
                Err(error) => assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof),
            }
        }
    }

    #[test]
    fn a_file_replaced_by_rename_is_hashed_as_opened() {
        let dir = Dir::new("rename");
        let data = bytes(6, 12 * MIB + 9);
        let path = dir.file("data", &data);
        let other = dir.file("other", &bytes(7, 3 * MIB));
        let file = File::open(&path).unwrap();
        let mut hasher = TreeHasher::new();
        let end = pool(2)
            .install(|| {
                hash_windows(&mut hasher, &file, 0, data.len() as u64, 4 * MIB, |at| {
                    if at == 4 * MIB as u64 {
                        std::fs::rename(&other, &path).unwrap();
                    }
                })
            })
            .unwrap();
        assert_eq!(end, data.len() as u64);
        assert_eq!(hasher.finalize(), glacier_tree_hash::tree_hash(&data));
        let mut now = Vec::new();
        File::open(&path).unwrap().read_to_end(&mut now).unwrap();
        assert_eq!(now.len(), 3 * MIB);
    }

    /// Set in the child process of the test below.
    const CHILD: &str = "GLACIER_TREE_HASH_MAPPED_TEST_CHILD";

    #[test]
    fn a_sigbus_outside_every_window_still_kills() {
        if let Some(path) = std::env::var_os(CHILD) {
            // The child: a map of its own, not a window, read past a truncation.
            assert!(guard::install());
            let file = File::open(&path).unwrap();
            // SAFETY (test): the map is read after a truncation on purpose, to die of it.
            let map = unsafe { memmap2::Mmap::map(&file).unwrap() };
            cut(&PathBuf::from(&path), 0);
            let sum: u64 = map.iter().map(|&byte| u64::from(byte)).sum();
            println!("survived with {sum}");
            return;
        }
        let dir = Dir::new("elsewhere");
        let path = dir.file("data", &bytes(8, 2 * MIB));
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "mapped::tests::a_sigbus_outside_every_window_still_kills",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGBUS), "{status:?}");
    }
}
