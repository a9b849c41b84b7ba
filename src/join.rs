//! One recursion, two schedules: [`SerialJoin`] runs both halves on the calling thread,
//! [`RayonJoin`] offers the second half to rayon's pool. The hashing code is generic over
//! [`Join`], so the serial and parallel paths cannot drift apart.

/// Runs two closures and returns both results.
pub(crate) trait Join {
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
