//! EC2's request throttling: one token bucket per API action, shaped by the action's category
//! (AWS-FACTS.md): mutating 50 burst, 5 per second; non-mutating 100 burst, 20 per second.
//! A request that finds its bucket empty is answered `RequestLimitExceeded` (HTTP 503) and
//! spends nothing. Buckets start full and refill on the real (monotonic) clock.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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

/// The shape of one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub burst: f64,
    pub per_second: f64,
}

pub const MUTATING: Shape = Shape {
    burst: 50.0,
    per_second: 5.0,
};
pub const NON_MUTATING: Shape = Shape {
    burst: 100.0,
    per_second: 20.0,
};

#[derive(Debug)]
struct Bucket {
    shape: Shape,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(shape: Shape, now: Instant) -> Self {
        Bucket {
            shape,
            tokens: shape.burst,
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + dt * self.shape.per_second).min(self.shape.burst);
        self.at = now;
    }
}

/// Every action's bucket. Cheap to reset (switching limits on starts every bucket full).
#[derive(Debug, Default)]
pub struct Limiter {
    buckets: BTreeMap<String, Bucket>,
}

impl Limiter {
    /// Take one token from `action`'s bucket; `false`: throttled.
    pub fn admit(&mut self, action: &str, mutating: bool, now: Instant) -> bool {
        let shape = if mutating { MUTATING } else { NON_MUTATING };
        let b = self
            .buckets
            .entry(action.to_owned())
            .or_insert_with(|| Bucket::full(shape, now));
        b.refill(now);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Tokens left in `action`'s bucket (full if it was never used), for the admin view.
    pub fn tokens(&mut self, action: &str, now: Instant) -> Option<f64> {
        let b = self.buckets.get_mut(action)?;
        b.refill(now);
        Some(b.tokens)
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
