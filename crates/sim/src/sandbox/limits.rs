//! EC2's request throttling: one token bucket per API action, shaped by the action's category
//! (AWS-FACTS.md): mutating 50 burst, 5 per second; non-mutating 100 burst, 20 per second.
//! A request that finds its bucket empty is answered `RequestLimitExceeded` (HTTP 503) and
//! spends nothing. Buckets start full and refill on the real (monotonic) clock.
//!
//! The bucket is the engine's [`TokenBucket`], the one its executor paces itself with: the
//! sandbox takes tokens EC2's way ([`TokenBucket::try_take`], refuse and spend nothing) where the
//! executor books them ahead.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tgw_ha_engine::token_bucket::{Shape, TokenBucket};
use tokio::time::Instant;

/// Whether the sandbox throttles like EC2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Limits {
    /// EC2's buckets per action.
    Aws,
    /// Never throttle (injected throttling still applies).
    #[default]
    None,
}

impl std::str::FromStr for Limits {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "aws" => Ok(Limits::Aws),
            "none" => Ok(Limits::None),
            other => Err(format!("unknown limits '{other}': expected aws or none")),
        }
    }
}

impl std::fmt::Display for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limits::Aws => "aws",
            Limits::None => "none",
        })
    }
}

/// Every action's bucket. Cheap to reset (switching limits on starts every bucket full).
#[derive(Debug, Default)]
pub struct Limiter {
    /// On the monotonic clock (`tokio`'s, so that a test with paused time can move it).
    buckets: BTreeMap<String, TokenBucket<std::time::Instant>>,
}

impl Limiter {
    /// Take one token from `action`'s bucket; `false`: throttled.
    pub fn admit(&mut self, action: &str, mutating: bool, now: Instant) -> bool {
        let now = now.into_std();
        self.buckets
            .entry(action.to_owned())
            .or_insert_with(|| TokenBucket::full(Shape::ec2(mutating), now))
            .try_take(now)
    }

    /// Tokens left in `action`'s bucket (full if it was never used), for the admin view.
    pub fn tokens(&mut self, action: &str, now: Instant) -> Option<f64> {
        Some(self.buckets.get_mut(action)?.tokens(now.into_std()))
    }

    pub fn reset(&mut self) {
        self.buckets.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill() {
        let t0 = Instant::now();
        let mut l = Limiter::default();
        let admitted = (0..60)
            .filter(|_| l.admit("ReplaceTransitGatewayRoute", true, t0))
            .count();
        assert_eq!(admitted, 50);
        // Other actions have their own buckets.
        assert!(l.admit("CreateTransitGatewayRoute", true, t0));
        // 5 per second: one second later, five more.
        let t1 = t0 + Duration::from_secs(1);
        let admitted = (0..10)
            .filter(|_| l.admit("ReplaceTransitGatewayRoute", true, t1))
            .count();
        assert_eq!(admitted, 5);
        let reads = (0..150)
            .filter(|_| l.admit("SearchTransitGatewayRoutes", false, t0))
            .count();
        assert_eq!(reads, 100);
    }
}
