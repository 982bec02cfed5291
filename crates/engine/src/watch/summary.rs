//! What a watch reports when it ends ([`WatchSummary`], with why it ended: [`WatchEnd`]) and
//! why it could not start ([`WatchError`]).

use super::ERRORS_KEPT;
use crate::ports::StoreError;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::TgwId;

/// Why a watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchEnd {
    /// The deadline (less the engine's margin) or the end of `max_duration` came.
    Deadline,
    /// Another watcher took the watch lease (this one had stalled past its TTL).
    LeaseLost,
    /// Asked to stop (Ctrl-C, SIGTERM).
    Shutdown,
}

/// What a watch did, for its log line, the Lambda's response and the CLI's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchSummary {
    /// Who held the watch lease.
    pub owner: String,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub interval_ms: u64,
    /// Polls that read the VPNs (or tried to).
    pub polls: u64,
    /// Polls whose read failed (the loop went on).
    pub poll_errors: u64,
    /// Member VPNs whose health changed between two polls.
    pub changes: u64,
    /// Engine runs started (the first poll's sweep included).
    pub runs: u64,
    /// Routes moved by those runs.
    pub moves: usize,
    /// Runs that failed or could not finish (retried at the next poll when retryable).
    pub run_errors: u64,
    pub end: WatchEnd,
    /// The last few errors, newest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl WatchSummary {
    pub(super) fn error(&mut self, e: String) {
        if self.errors.len() == ERRORS_KEPT {
            self.errors.remove(0);
        }
        self.errors.push(e);
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        let secs = (self.finished_at - self.started_at).num_milliseconds() as f64 / 1000.0;
        format!(
            "watched {secs:.0}s every {:.1}s: {} polls ({} failed), {} health changes, {} runs \
             ({} failed), {} routes moved; ended: {}",
            self.interval_ms as f64 / 1000.0,
            self.polls,
            self.poll_errors,
            self.changes,
            self.runs,
            self.run_errors,
            self.moves,
            match self.end {
                WatchEnd::Deadline => "deadline",
                WatchEnd::LeaseLost => "watch lease taken over by another watcher",
                WatchEnd::Shutdown => "shutdown requested",
            }
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(
        "another watcher holds the watch lease ({key}) of this state table: one watcher per \
         table at a time, so this one exits. It can take over once that watcher stops (at once \
         when it ends cleanly, within {ttl_secs} s when it dies)"
    )]
    Busy { key: TgwId, ttl_secs: u64 },
    #[error("cannot take the watch lease ({key}): {source}")]
    Lease { key: TgwId, source: StoreError },
    #[error("watch interval {0:?} is too short: at least 1 s")]
    Interval(Duration),
}

impl WatchError {
    pub fn is_retryable(&self) -> bool {
        match self {
            WatchError::Busy { .. } => true,
            WatchError::Lease { source, .. } => source.is_retryable(),
            WatchError::Interval(_) => false,
        }
    }
}
