//! Where hashing runs: the calling thread, or a rayon pool of this process.
//!
//! Every `*_rayon` method of the library runs on the current rayon pool, and a rayon pool does
//! not survive `fork()`: the child has the pool's bookkeeping but none of its threads, so a job
//! sent to it would never run. So the pool is keyed by the process id: a child (such as a
//! worker of multiprocessing's `fork` start method) builds its own on first use, and the
//! parent's copy, whose threads do not exist in the child, is leaked rather than dropped (its
//! drop would signal threads that are not there). Every call installs the pool around itself,
//! so rayon's global pool is never used.

use rayon::{ThreadPool, ThreadPoolBuilder};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Where one call hashes.
pub enum Threads {
    /// The calling thread only (`max_threads=1`, or one core).
    Calling,
    /// A pool of this process with more than one thread.
    Pool(Arc<ThreadPool>),
}

/// The module-wide cap on threads; 0 means "every core".
static MAX_THREADS: AtomicUsize = AtomicUsize::new(0);

/// The pool of this process: its process id, its thread count, the pool.
static POOL: Mutex<Option<(u32, usize, Arc<ThreadPool>)>> = Mutex::new(None);

/// Sets the module-wide cap (`None`: every core).
pub fn set_max_threads(threads: Option<NonZeroUsize>) {
    MAX_THREADS.store(threads.map_or(0, NonZeroUsize::get), Ordering::Relaxed);
}

/// The module-wide cap, if one is set.
pub fn max_threads() -> Option<NonZeroUsize> {
    NonZeroUsize::new(MAX_THREADS.load(Ordering::Relaxed))
}

/// The number of cores this process may use.
pub fn available() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Where a call with `per_call` (or else the module-wide cap) hashes; an error message if a
/// pool cannot be built (the operating system refused a thread).
pub fn threads(per_call: Option<NonZeroUsize>) -> Result<Threads, String> {
    let wanted = per_call
        .or_else(max_threads)
        .map_or_else(available, NonZeroUsize::get);
    if wanted <= 1 {
        return Ok(Threads::Calling);
    }
    let pid = std::process::id();
    // A poisoned lock only means a thread panicked while holding it; the slot is still valid.
    let mut slot = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, count, pool)) = slot.as_ref()
        && *owner == pid
        && *count == wanted
    {
        return Ok(Threads::Pool(Arc::clone(pool)));
    }
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(wanted)
            .thread_name(|index| format!("glacier-tree-hash-{index}"))
            .build()
            .map_err(|error| format!("could not start {wanted} hashing threads: {error}"))?,
    );
    if let Some((owner, _, stale)) = slot.replace((pid, wanted, Arc::clone(&pool)))
        && owner != pid
    {
        // The parent's pool: its threads are not in this process.
        std::mem::forget(stale);
    }
    Ok(Threads::Pool(pool))
}
