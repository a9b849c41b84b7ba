//! One recursion, two schedules: [`SerialJoin`] runs both halves on the calling thread,
//! [`RayonJoin`] offers the second half to rayon's pool. The hashing code is generic over
//! [`Join`], so the serial and parallel paths cannot drift apart.

/// Runs two closures and returns both results.
pub(crate) trait Join {
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
