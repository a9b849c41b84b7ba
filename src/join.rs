//! One recursion, two schedules: [`SerialJoin`] runs both halves on the calling thread,
//! [`RayonJoin`] offers the second half to rayon's pool. The hashing code is generic over
//! [`Join`], so the serial and parallel paths cannot drift apart. The public policy follows from
//! it: a method whose name ends in `_rayon` hashes with `RayonJoin`; every other function and
//! method uses `SerialJoin` and never leaves the calling thread (the tokio functions, whose work
//! is not on the calling thread by design, hash on one blocking thread).
//!
//! `pub` only so that the sealed hooks of [`crate::Hasher`] can name it: the module is private,
//! so nothing here is reachable from outside the crate.

/// Runs two closures and returns both results.
pub trait Join {
    /// Whether the second closure may run on another thread.
    const PARALLEL: bool;

    /// How many threads the two sides may run on: tasks are sized to give each one work.
    fn threads() -> usize;

    fn join<A: FnOnce() -> RA + Send, B: FnOnce() -> RB + Send, RA: Send, RB: Send>(
        left: A,
        right: B,
    ) -> (RA, RB);
}

/// Left, then right, on the calling thread.
pub enum SerialJoin {}

impl Join for SerialJoin {
    const PARALLEL: bool = false;
    fn threads() -> usize {
        1
    }

    #[inline]
    fn join<A: FnOnce() -> RA + Send, B: FnOnce() -> RB + Send, RA: Send, RB: Send>(
        left: A,
        right: B,
    ) -> (RA, RB) {
        (left(), right())
    }
}

/// `rayon::join`: the right half may run on another thread of the current pool.
#[cfg(feature = "rayon")]
pub enum RayonJoin {}

#[cfg(feature = "rayon")]
impl Join for RayonJoin {
    const PARALLEL: bool = true;
    fn threads() -> usize {
        rayon::current_num_threads()
    }

    #[inline]
    fn join<A: FnOnce() -> RA + Send, B: FnOnce() -> RB + Send, RA: Send, RB: Send>(
        left: A,
        right: B,
    ) -> (RA, RB) {
        rayon::join(left, right)
    }
}
