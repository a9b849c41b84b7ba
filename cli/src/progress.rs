//! The progress bar: on standard error, only when it is a terminal, only for inputs over
//! 64 MiB, and free otherwise (no thread, no timer, no wrapper around a regular file).
//!
//! A regular file keeps the positional fast path: it is hashed in segments of 128 MiB (32 MiB per thread on many cores), each on
//! all threads of the pool, and the bar moves after each segment; the end of the file is then
//! confirmed by one more (unbounded) read, as for a file hashed in one call. A stream is
//! counted as it is read, and the bar appears once 64 MiB have gone by (its size is unknown:
//! bytes and rate, no ETA).

use crate::names::quote;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::ffi::OsStr;
use std::io::{self, IsTerminal, Read};
use std::ops::Bound;
use std::time::{Duration, Instant};

/// Inputs of more than this many bytes get a progress bar (when one may be drawn at all).
pub const THRESHOLD: u64 = 64 << 20;

/// The bytes of a regular file hashed between two moves of the bar, at least.
const SEGMENT: u64 = 128 << 20;

/// The bytes hashed between two moves of the bar on a pool of `threads`: 128 MiB, or 32 MiB
/// per thread on many cores, so that each segment keeps every thread busy.
pub fn segment_for(threads: usize) -> u64 {
    SEGMENT.max((threads as u64).saturating_mul(32 << 20))
}

/// Whether a bar may be drawn at all: standard error is a terminal and `--no-progress` is off.
pub fn enabled(no_progress: bool) -> bool {
    !no_progress && io::stderr().is_terminal()
}

/// Whether an input of `bytes` bytes (or a stream that has yielded that many) gets a bar.
pub fn draws(enabled: bool, bytes: u64) -> bool {
    enabled && bytes > THRESHOLD
}

/// A bar on standard error.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for input `name` of `total` bytes (`None`: a stream), drawn at once at
    /// `position` bytes, hashed in `elapsed` so far.
    pub fn new(name: &OsStr, total: Option<u64>, position: u64, elapsed: Duration) -> Progress {
        let template = match total {
            Some(_) => {
                "{msg} [{wide_bar}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}"
            }
            None => "{msg} {spinner} {binary_bytes} {binary_bytes_per_sec}",
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        // Hidden until the rate estimate starts from `position`, so that the bytes already
        // read do not count as read in no time.
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden())
            .with_style(style)
            .with_message(quote(name))
            .with_position(position)
            .with_elapsed(elapsed);
        bar.tick();
        bar.reset_eta();
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.tick();
        Progress { bar }
    }

    pub fn set(&self, bytes: u64) {
        self.bar.set_position(bytes);
    }

    /// Erases the bar.
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// Hashes a regular file of `len` reported bytes from `start` in segments, moving `bar` after
/// each, then the rest from the reported end (an unbounded range: bytes past the reported size
/// are hashed too, and the end of the file is confirmed). A file that shrinks makes a bounded
/// segment fail with `UnexpectedEof`.
pub fn by_segments(
    bar: &Progress,
    segment: u64,
    start: u64,
    len: u64,
    mut hash: impl FnMut((Bound<u64>, Bound<u64>)) -> io::Result<()>,
) -> io::Result<()> {
    let mut at = start;
    while at < len {
        let end = at.saturating_add(segment).min(len);
        hash((Bound::Included(at), Bound::Excluded(end)))?;
        at = end;
        bar.set(at - start);
    }
    hash((Bound::Included(at), Bound::Unbounded))
}

/// A stream that counts what it yields, and draws a bar once it has yielded over
/// [`THRESHOLD`] bytes (if `enabled`).
pub struct Counting<'a, R> {
    inner: R,
    count: u64,
    name: &'a OsStr,
    enabled: bool,
    bar: Option<Progress>,
    started: Instant,
}

impl<'a, R> Counting<'a, R> {
    pub fn new(inner: R, name: &'a OsStr, enabled: bool) -> Counting<'a, R> {
        Counting {
            inner,
            count: 0,
            name,
            enabled,
            bar: None,
            started: Instant::now(),
        }
    }

    /// Erases the bar, if one was drawn.
    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.clear();
        }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        match &self.bar {
            Some(bar) => bar.set(self.count),
            None if draws(self.enabled, self.count) => {
                let elapsed = self.started.elapsed();
                self.bar = Some(Progress::new(self.name, None, self.count, elapsed));
            }
            None => {}
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_only_when_enabled_and_past_64_mib() {
        assert!(!draws(false, u64::MAX));
        assert!(!draws(true, 0));
        assert!(!draws(true, 6));
        assert!(!draws(true, 64 << 20));
        assert!(draws(true, (64 << 20) + 1));
        assert!(!draws(false, (64 << 20) + 1));
    }

    #[test]
    fn segments_keep_every_thread_busy() {
        assert_eq!(segment_for(1), SEGMENT);
        assert_eq!(segment_for(4), SEGMENT);
        assert_eq!(segment_for(64), 64 * (32 << 20));
    }

    #[test]
    fn segments_cover_the_file_then_confirm_its_end() {
        let bar = Progress {
            bar: ProgressBar::hidden(),
        };
        let mut ranges = Vec::new();
        by_segments(&bar, SEGMENT, 5, 5 + 2 * SEGMENT + 3, |range| {
            ranges.push(range);
            Ok(())
        })
        .unwrap();
        use Bound::*;
        assert_eq!(
            ranges,
            [
                (Included(5), Excluded(5 + SEGMENT)),
                (Included(5 + SEGMENT), Excluded(5 + 2 * SEGMENT)),
                (Included(5 + 2 * SEGMENT), Excluded(5 + 2 * SEGMENT + 3)),
                (Included(5 + 2 * SEGMENT + 3), Unbounded),
            ]
        );
        assert_eq!(bar.bar.position(), 2 * SEGMENT + 3);
    }

    #[test]
    fn a_stream_counts_without_drawing_when_disabled() {
        let data = vec![0u8; 3 << 20];
        let mut counted = Counting::new(&data[..], OsStr::new("-"), false);
        io::copy(&mut counted, &mut io::sink()).unwrap();
        assert_eq!(counted.count, 3 << 20);
        assert!(counted.bar.is_none());
    }
}
