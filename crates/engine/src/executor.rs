//! Paced, retrying calls to the network port.
//!
//! EC2 throttles per account, Region and API action with token buckets (mutating 50 burst /
//! 5 per s; non-mutating 100 / 20 per s, AWS-FACTS.md). The executor keeps one bucket per action
//! with the same shape (the [`TokenBucket`] the sim's sandbox also models EC2 with), so that a
//! large failover runs at EC2's pace instead of bouncing off `RequestLimitExceeded`; what
//! throttling still happens (other clients share the account's budget) is retried with
//! jittered exponential backoff. Other errors are never retried.
//! Waiting goes through the [`Clock`] port, so under the sim's virtual clock nothing sleeps.

use crate::layer::Ec2Action;
use crate::ports::{Clock, NetError};
use crate::token_bucket::TokenBucket;
use rand::{Rng, SeedableRng, rngs::SmallRng};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgw_ha_core::Timestamp;

/// The shape of a pacing bucket: the one [`crate::token_bucket::Shape`], under the name the
/// executor's config has always used.
pub use crate::token_bucket::Shape as Bucket;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutorConfig {
    pub mutating: Bucket,
    pub reads: Bucket,
    /// Moves in flight at once: EC2's burst, so that a failover of up to 50 routes costs one
    /// round trip. EC2's bucket, not this, is the limit after that.
    pub concurrency: usize,
    pub max_attempts: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Seed of the jitter, so that runs under the virtual clock are reproducible.
    pub seed: u64,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            mutating: Bucket::EC2_MUTATING,
            reads: Bucket::EC2_NON_MUTATING,
            concurrency: 50,
            max_attempts: 8,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
            seed: 0x7467_772d_6861,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallStats {
    pub calls: u64,
    pub throttled: u64,
    pub retried: u64,
    pub failed: u64,
}

impl CallStats {
    /// Add another run's counts (a sweep over several Regions reports one total).
    pub fn add(&mut self, other: &CallStats) {
        self.calls += other.calls;
        self.throttled += other.throttled;
        self.retried += other.retried;
        self.failed += other.failed;
    }
}

pub struct Executor {
    clock: Arc<dyn Clock>,
    config: ExecutorConfig,
    /// One per action; a reservation is a token taken into debt, so concurrent callers queue.
    buckets: Mutex<BTreeMap<Ec2Action, TokenBucket<Timestamp>>>,
    rng: Mutex<SmallRng>,
    stats: Mutex<BTreeMap<Ec2Action, CallStats>>,
}

impl Executor {
    pub fn new(clock: Arc<dyn Clock>, config: ExecutorConfig) -> Self {
        Self {
            rng: Mutex::new(SmallRng::seed_from_u64(config.seed)),
            clock,
            config,
            buckets: Mutex::new(BTreeMap::new()),
            stats: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn config(&self) -> &ExecutorConfig {
        &self.config
    }

    pub fn stats(&self) -> BTreeMap<String, CallStats> {
        self.stats
            .lock()
            .expect("stats lock")
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect()
    }

    /// Wait for a token of `op`'s bucket (EC2's mutating or non-mutating shape, by
    /// [`Ec2Action::is_write`]). `false`, at once and with the token given back, when the token
    /// would only come at or after `stop`: a call that cannot start before the run must stop is
    /// not waited for.
    async fn pace(&self, op: Ec2Action, stop: Option<Timestamp>) -> bool {
        let now = self.clock.now();
        if stop.is_some_and(|s| now >= s) {
            return false;
        }
        let wake = {
            let mut buckets = self.buckets.lock().expect("bucket lock");
            let shape = if op.is_write() {
                self.config.mutating
            } else {
                self.config.reads
            };
            let bucket = buckets
                .entry(op)
                .or_insert_with(|| TokenBucket::full(shape, now));
            let wait = bucket.reserve(now);
            let wake = (!wait.is_zero()).then(|| {
                chrono::Duration::from_std(wait)
                    .ok()
                    .and_then(|d| now.checked_add_signed(d))
                    .unwrap_or(Timestamp::MAX_UTC)
            });
            if let (Some(w), Some(s)) = (wake, stop)
                && w >= s
            {
                bucket.give_back();
                return false;
            }
            wake
        };
        if let Some(t) = wake {
            self.clock.sleep_until(t).await;
        }
        true
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .config
            .base_backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.config.max_backoff);
        // "Equal jitter": half fixed, half random, so retries spread out but still back off.
        let half = exp / 2;
        let jitter = self
            .rng
            .lock()
            .expect("rng lock")
            .gen_range(0..=half.as_micros() as u64);
        half + Duration::from_micros(jitter)
    }

    fn count(&self, op: Ec2Action, f: impl FnOnce(&mut CallStats)) {
        f(self
            .stats
            .lock()
            .expect("stats lock")
            .entry(op)
            .or_default());
    }

    /// Run `f` paced to `op`'s bucket, retrying throttling and server errors. Returns the result
    /// and the number of attempts made.
    pub async fn call<T, F, Fut>(&self, op: Ec2Action, f: F) -> (Result<T, NetError>, u32)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, NetError>>,
    {
        self.call_before(op, None, f)
            .await
            .expect("a call without a stop time always starts")
    }

    /// [`Executor::call`] that does not start after `stop`: `None` when the first attempt could
    /// not start before it (nothing was sent). A retry that could not start before `stop` is
    /// not made: the last error is returned (a throttled or failed call changed nothing, or
    /// the next run reads what it did).
    pub async fn call_before<T, F, Fut>(
        &self,
        op: Ec2Action,
        stop: Option<Timestamp>,
        f: F,
    ) -> Option<(Result<T, NetError>, u32)>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, NetError>>,
    {
        let mut attempt = 0;
        let mut last: Option<NetError> = None;
        loop {
            if !self.pace(op, stop).await {
                return last.map(|e| {
                    self.count(op, |s| s.failed += 1);
                    (Err(e), attempt)
                });
            }
            attempt += 1;
            self.count(op, |s| s.calls += 1);
            match f().await {
                Ok(v) => return Some((Ok(v), attempt)),
                Err(e) => {
                    if e.is_throttle() {
                        self.count(op, |s| s.throttled += 1);
                    }
                    if e.is_retryable() && attempt < self.config.max_attempts {
                        let d = self.backoff(attempt - 1);
                        let until = self.clock.now()
                            + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero());
                        if stop.is_none_or(|s| until < s) {
                            self.count(op, |s| s.retried += 1);
                            tracing::debug!(op = op.as_str(), attempt, error = %e, backoff_ms = d.as_millis() as u64, "retrying");
                            self.clock.sleep_until(until).await;
                            last = Some(e);
                            continue;
                        }
                    }
                    self.count(op, |s| s.failed += 1);
                    return Some((Err(e), attempt));
                }
            }
        }
    }
}
