//! One recursion, two schedules: [`SerialJoin`] runs both halves on the calling thread,
//! [`RayonJoin`] offers the second half to rayon's pool. The hashing code is generic over
//! [`Join`], so the serial and parallel paths cannot drift apart. The public policy follows from
//! it: a method whose name ends in `_rayon` hashes with `RayonJoin`; every other function and
//! method uses `SerialJoin` and never leaves the calling thread (the tokio functions, whose work
//! is not on the calling thread by design, hash on one blocking thread).

/// Runs two closures and returns both results.
pub(crate) trait Join {
    /// Whether the second closure may run on another thread.
    const PARALLEL: bool;

    /// How many threads the two sides may run on: tasks are sized to give each one work.
    fn threads() -> usize;

    fn join<A, B, RA, RB>(left: A, right: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send;
}

/// Left, then right, on the calling thread.
pub(crate) enum SerialJoin {}

impl Join for SerialJoin {
    const PARALLEL: bool = false;
    fn threads() -> usize {
        1
    }

    #[inline]
    fn join<A, B, RA, RB>(left: A, right: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send,
    {
        (left(), right())
    }
}

/// `rayon::join`: the right half may run on another thread of the current pool.
#[cfg(feature = "rayon")]
pub(crate) enum RayonJoin {}

#[cfg(feature = "rayon")]
impl Join for RayonJoin {
    const PARALLEL: bool = true;
    fn threads() -> usize {
        rayon::current_num_threads()
    }

    #[inline]
    fn join<A, B, RA, RB>(left: A, right: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send,
    {
        rayon::join(left, right)
    }
}

/// A hasher fed input in order, each block hashed under the schedule `J`: the one trait the
/// read loops, the file paths and the async readers are written against, so that `update` and
/// `update_rayon` of every hasher are the same code with a different `J`.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
pub(crate) trait Update: Send {
    /// Adds `data` after the bytes so far.
    fn update_with<J: Join>(&mut self, data: &[u8]);

    /// The number of bytes added so far.
    fn count(&self) -> u64;

    /// Why no more input is worth reading: a multipart upload past 10,000 parts. The read
    /// loops stop there and return it as an error.
    fn too_many_parts(&self) -> Option<crate::TooManyParts> {
        None
    }
}
