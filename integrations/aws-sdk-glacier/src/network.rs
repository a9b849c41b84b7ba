//! Retries and timeouts: the SDK's, set deliberately with [`NetworkPolicy`], and this crate's own
//! retries where the SDK has none (a download body cut short or stalled, a range whose tree hash
//! fails, ListParts pages that do not fit together), which read the same settings from the client.

use crate::Problem;
use aws_sdk_glacier::config::retry::RetryConfig;
use aws_sdk_glacier::config::timeout::TimeoutConfig;
use aws_sdk_glacier::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_glacier::Client;
use std::ops::Range;
use std::time::Duration;

/// How a Glacier client retries and when it gives up on a request; apply it to the client's
/// config with [`apply`](NetworkPolicy::apply).
///
/// - Retries: the SDK's *standard* mode: a request that fails transiently (HTTP 500, 502, 503,
///   504, throttling such as `ThrottlingException`, `RequestTimeoutException`, a connection
///   closed or timed out) is sent again, up to [`max_attempts`](NetworkPolicy::max_attempts)
///   attempts in all, after an exponential backoff with jitter from
///   [`initial_backoff`](NetworkPolicy::initial_backoff) up to
///   [`max_backoff`](NetworkPolicy::max_backoff). The SDK also bounds retries with its retry
///   quota (a token bucket shared by the clients of one region: 500 tokens, 5 per retry, 10 per
///   timeout, returned when the retried request succeeds), left as the SDK sets it. Permanent
///   errors (an unknown vault, upload or job; a refused checksum) are not retried.
/// - This crate's own retries, where the SDK does not retry, use the same attempts and backoff
///   (without jitter): a GetJobOutput body cut short, stalled or longer than asked, a range
///   whose bytes do not have the tree hash Glacier sent, ListParts pages that repeat.
/// - Timeouts: [`connect_timeout`](NetworkPolicy::connect_timeout) for each connection;
///   [`read_timeout`](NetworkPolicy::read_timeout) from sending a request (its body included,
///   so allow for a part's upload time) to its response's headers, and between two pieces of
///   a download's body (this crate's); and an operation timeout over all attempts and backoffs,
///   `max_attempts × (connect_timeout + read_timeout + max_backoff)`, a backstop that never
///   cuts retries short.
///
/// ```
/// use std::time::Duration;
/// use glacier_tree_hash_aws::NetworkPolicy;
///
/// let policy = NetworkPolicy::default().max_attempts(3);
/// let config = policy.apply(aws_sdk_glacier::Config::builder()).build();
/// assert_eq!(config.retry_config().unwrap().max_attempts(), 3);
/// assert_eq!(config.timeout_config().unwrap().read_timeout(), Some(Duration::from_secs(120)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetworkPolicy {
    /// Attempts per request, the first included (default 5).
    pub max_attempts: u32,
    /// The backoff before the first retry (default 1 s); it doubles with each retry.
    pub initial_backoff: Duration,
    /// The longest backoff (default 20 s).
    pub max_backoff: Duration,
    /// How long a connection may take to open (default 10 s).
    pub connect_timeout: Duration,
    /// How long a request may wait for its response, and a download for the next piece of its
    /// body (default 120 s: a 64 MiB part at 1 MB/s takes about 67 s).
    pub read_timeout: Duration,
}

impl Default for NetworkPolicy {
    fn default() -> NetworkPolicy {
        NetworkPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(120),
        }
    }
}

impl NetworkPolicy {
    /// Sets [`max_attempts`](NetworkPolicy::max_attempts); 0 counts as 1 (no retries).
    ///
    /// ```
    /// let policy = glacier_tree_hash_aws::NetworkPolicy::default().max_attempts(0);
    /// assert_eq!(policy.max_attempts, 1);
    /// ```
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> NetworkPolicy {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets [`initial_backoff`](NetworkPolicy::initial_backoff) and
    /// [`max_backoff`](NetworkPolicy::max_backoff) (at least `initial`).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = glacier_tree_hash_aws::NetworkPolicy::default()
    ///     .backoff(Duration::from_millis(1), Duration::from_millis(8));
    /// assert_eq!(policy.max_backoff, Duration::from_millis(8));
    /// ```
    #[must_use]
    pub fn backoff(mut self, initial: Duration, max: Duration) -> NetworkPolicy {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Sets [`connect_timeout`](NetworkPolicy::connect_timeout) and
    /// [`read_timeout`](NetworkPolicy::read_timeout).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = glacier_tree_hash_aws::NetworkPolicy::default()
    ///     .timeouts(Duration::from_secs(1), Duration::from_secs(30));
    /// assert_eq!(policy.read_timeout, Duration::from_secs(30));
    /// ```
    #[must_use]
    pub fn timeouts(mut self, connect: Duration, read: Duration) -> NetworkPolicy {
        self.connect_timeout = connect;
        self.read_timeout = read;
        self
    }

    /// The operation timeout: `max_attempts × (connect_timeout + read_timeout + max_backoff)`.
    ///
    /// ```
    /// let policy = glacier_tree_hash_aws::NetworkPolicy::default();
    /// assert_eq!(policy.operation_timeout().as_secs(), 5 * (10 + 120 + 20));
    /// ```
    pub fn operation_timeout(&self) -> Duration {
        let attempt = self.connect_timeout + self.read_timeout + self.max_backoff;
        attempt.saturating_mul(self.max_attempts.max(1))
    }

    /// `builder` with this policy's retry and timeout configuration.
    ///
    /// ```
    /// let config = glacier_tree_hash_aws::NetworkPolicy::default()
    ///     .apply(aws_sdk_glacier::Config::builder())
    ///     .build();
    /// assert_eq!(config.retry_config().unwrap().max_attempts(), 5);
    /// ```
    pub fn apply(
        &self,
        builder: aws_sdk_glacier::config::Builder,
    ) -> aws_sdk_glacier::config::Builder {
        let retry = RetryConfig::standard()
            .with_max_attempts(self.max_attempts.max(1))
            .with_initial_backoff(self.initial_backoff)
            .with_max_backoff(self.max_backoff);
        let timeout = TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .operation_timeout(self.operation_timeout())
            .build();
        builder.retry_config(retry).timeout_config(timeout)
    }
}

/// This crate's own retries, with the client's attempts, backoff and read timeout (the
/// defaults of [`NetworkPolicy`] for what the client does not set).
#[derive(Clone, Copy, Debug)]
pub(crate) struct OwnRetries {
    pub(crate) max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    pub(crate) read_timeout: Duration,
}

impl OwnRetries {
    pub(crate) fn of(client: &Client) -> OwnRetries {
        let default = NetworkPolicy::default();
        let retry = client.config().retry_config();
        let timeout = client.config().timeout_config();
        OwnRetries {
            max_attempts: retry
                .map_or(default.max_attempts, RetryConfig::max_attempts)
                .max(1),
            initial_backoff: retry.map_or(default.initial_backoff, RetryConfig::initial_backoff),
            max_backoff: retry.map_or(default.max_backoff, RetryConfig::max_backoff),
            read_timeout: timeout
                .and_then(TimeoutConfig::read_timeout)
                .unwrap_or(default.read_timeout),
        }
    }

    /// Waits before attempt `attempt + 1`: `initial_backoff × 2^(attempt - 1)`, at most
    /// `max_backoff`.
    pub(crate) async fn wait(&self, attempt: u32) {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let backoff = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        tokio::time::sleep(backoff).await;
    }
}

/// The problem for a failed request: [`Problem::NotFound`] with what to do for an unknown
/// vault, upload or job; otherwise [`Problem::Service`] with the SDK's error.
pub(crate) fn service<E, R>(
    operation: &'static str,
    range: Option<Range<u64>>,
    error: SdkError<E, R>,
) -> Problem
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if error.code() != Some("ResourceNotFoundException") {
        let source = Box::new(error);
        return Problem::Service {
            operation,
            range,
            source,
        };
    }
    let advice = match operation {
        "InitiateMultipartUpload" | "UploadArchive" => {
            "no such vault in this account and region: check the vault name, account and region"
        }
        "DescribeJob" | "GetJobOutput" => {
            "no such job in this vault, or its output expired (24 hours after the job completed): start a new archive-retrieval job and download its output to the same file; the ranges verified so far are kept"
        }
        _ => "no such multipart upload: it was completed, aborted, or expired (24 hours after its last request); start a new upload",
    };
    Problem::NotFound { operation, advice }
}
