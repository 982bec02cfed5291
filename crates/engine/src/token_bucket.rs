//! One token bucket, the shape of EC2's request throttling (AWS-FACTS.md: one bucket per account,
//! Region and API action; mutating 50 burst / 5 per s, non-mutating 100 / 20 per s).
//!
//! Contract: pure. Every operation takes `now` from its caller and nothing reads a clock, so the
//! same type paces the engine's [`crate::executor`] (on the [`crate::ports::Clock`] port, virtual
//! in the sim) and models EC2's buckets in the sim's sandbox (on the monotonic clock). The bucket
//! starts full, refills continuously at `per_second` up to `burst`, and offers the two ways of
//! spending a token that its two users need:
//!
//! - [`TokenBucket::try_take`], EC2's side: a request that finds no whole token is refused and
//!   spends nothing (`RequestLimitExceeded`).
//! - [`TokenBucket::reserve`], a client's side: the token is taken even when there is none, the
//!   bucket goes into debt, and the caller is told how long to wait for its token. Concurrent
//!   callers so queue fairly, each booking the next free slot, instead of all retrying at once.
//!   [`TokenBucket::give_back`] cancels a reservation the caller decided not to wait for.
//!
//! Time only moves forward for a bucket: a `now` earlier than the last one seen refills nothing.

use serde::{Deserialize, Serialize};
use std::time::Duration;
use tgw_ha_core::Timestamp;

/// The shape of a bucket: how many tokens it holds, and how fast it refills.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    pub burst: f64,
    pub per_second: f64,
}

impl Shape {
    /// EC2's bucket for a mutating action (e.g. `ReplaceTransitGatewayRoute`).
    pub const EC2_MUTATING: Shape = Shape {
        burst: 50.0,
        per_second: 5.0,
    };
    /// EC2's bucket for a non-mutating action (e.g. `SearchTransitGatewayRoutes`).
    pub const EC2_NON_MUTATING: Shape = Shape {
        burst: 100.0,
        per_second: 20.0,
    };

    /// EC2's bucket for an action of this kind.
    pub fn ec2(mutating: bool) -> Shape {
        if mutating {
            Self::EC2_MUTATING
        } else {
            Self::EC2_NON_MUTATING
        }
    }
}

/// A point in time a bucket can refill against: the engine's wall-clock [`Timestamp`] (the
/// `Clock` port) or a monotonic [`std::time::Instant`] (the sandbox).
pub trait Moment: Copy {
    /// Seconds from `earlier` to `self`; zero or less when `self` is not later.
    fn seconds_since(self, earlier: Self) -> f64;
}

impl Moment for Timestamp {
    fn seconds_since(self, earlier: Self) -> f64 {
        // Microseconds, as the executor always counted; overflow (centuries) saturates.
        (self - earlier).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6
    }
}

impl Moment for std::time::Instant {
    fn seconds_since(self, earlier: Self) -> f64 {
        self.saturating_duration_since(earlier).as_secs_f64()
    }
}

/// A token bucket of a given [`Shape`], refilled against a caller-supplied `now`.
#[derive(Debug, Clone)]
pub struct TokenBucket<T> {
    shape: Shape,
    /// May be negative: tokens reserved ahead of their refill ([`TokenBucket::reserve`]).
    tokens: f64,
    last: T,
}

impl<T: Moment> TokenBucket<T> {
    /// A full bucket at `now`.
    pub fn full(shape: Shape, now: T) -> Self {
        Self {
            shape,
            tokens: shape.burst,
            last: now,
        }
    }

    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Add what refilled since the last `now` seen, up to the burst.
    fn refill(&mut self, now: T) {
        let elapsed = now.seconds_since(self.last);
        if elapsed > 0.0 {
            self.tokens = (self.tokens + elapsed * self.shape.per_second).min(self.shape.burst);
            self.last = now;
        }
    }

    /// Tokens in the bucket at `now` (negative: in debt to reservations).
    pub fn tokens(&mut self, now: T) -> f64 {
        self.refill(now);
        self.tokens
    }

    /// Take a whole token if there is one; `false` (nothing spent) if not. EC2's admission.
    pub fn try_take(&mut self, now: T) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Take a token, into debt if need be, and say how long after `now` it is the caller's:
    /// zero when one was there. Truncated to whole microseconds.
    pub fn reserve(&mut self, now: T) -> Duration {
        self.refill(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            let wait = -self.tokens / self.shape.per_second;
            Duration::from_micros((wait * 1e6) as u64)
        }
    }

    /// Give back a token taken by [`TokenBucket::reserve`] and not used.
    pub fn give_back(&mut self) {
        self.tokens += 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: f64) -> Timestamp {
        let t0: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        t0 + chrono::Duration::microseconds((s * 1e6) as i64)
    }

    #[test]
    fn burst_then_refused() {
        let mut b = TokenBucket::full(Shape::EC2_MUTATING, t(0.0));
        assert_eq!((0..60).filter(|_| b.try_take(t(0.0))).count(), 50);
        assert_eq!(b.tokens(t(0.0)), 0.0);
        // A refused request spends nothing.
        assert!(!b.try_take(t(0.0)));
        assert_eq!(b.tokens(t(0.0)), 0.0);
    }

    #[test]
    fn refill_at_the_rate_up_to_the_burst() {
        let mut b = TokenBucket::full(Shape::EC2_MUTATING, t(0.0));
        (0..50).for_each(|_| assert!(b.try_take(t(0.0))));
        // 5 per second: one second later, five more, and not a sixth.
        assert_eq!((0..10).filter(|_| b.try_take(t(1.0))).count(), 5);
        // 0.3 s refills 1.5 tokens: one whole token.
        assert_eq!((0..10).filter(|_| b.try_take(t(1.3))).count(), 1);
        // An hour idle refills the burst, never more.
        assert_eq!(b.tokens(t(3600.0)), 50.0);
        let mut reads = TokenBucket::full(Shape::EC2_NON_MUTATING, t(0.0));
        assert_eq!((0..150).filter(|_| reads.try_take(t(0.0))).count(), 100);
        assert_eq!((0..150).filter(|_| reads.try_take(t(1.0))).count(), 20);
    }

    #[test]
    fn time_going_back_refills_nothing() {
        let mut b = TokenBucket::full(Shape::EC2_MUTATING, t(10.0));
        (0..50).for_each(|_| assert!(b.try_take(t(10.0))));
        assert!(!b.try_take(t(5.0)));
        // The refill is measured from the latest `now`, not the earlier one.
        assert_eq!((0..10).filter(|_| b.try_take(t(11.0))).count(), 5);
    }

    #[test]
    fn reservations_go_into_debt_and_queue() {
        let mut b = TokenBucket::full(Shape::EC2_MUTATING, t(0.0));
        for _ in 0..50 {
            assert_eq!(b.reserve(t(0.0)), Duration::ZERO);
        }
        // Past the burst, each caller books the next slot, 1/5 s apart.
        assert_eq!(b.reserve(t(0.0)), Duration::from_millis(200));
        assert_eq!(b.reserve(t(0.0)), Duration::from_millis(400));
        assert_eq!(b.tokens(t(0.0)), -2.0);
        // Debt is paid back by the refill: 0.5 s later the next slot is 0.1 s away.
        assert_eq!(b.reserve(t(0.5)), Duration::from_millis(100));
        // A bucket in debt refuses EC2-style takes until it is whole again.
        assert!(!b.try_take(t(0.5)));
        assert!(b.try_take(t(1.0)));
    }

    #[test]
    fn give_back_cancels_a_reservation() {
        let mut b = TokenBucket::full(Shape::EC2_MUTATING, t(0.0));
        (0..50).for_each(|_| {
            b.reserve(t(0.0));
        });
        assert_eq!(b.reserve(t(0.0)), Duration::from_millis(200));
        b.give_back();
        assert_eq!(b.tokens(t(0.0)), 0.0);
        assert_eq!(b.reserve(t(0.0)), Duration::from_millis(200));
    }

    #[test]
    #[expect(
        clippy::disallowed_methods,
        reason = "one real instant to start from; the test never waits"
    )]
    fn monotonic_instants_refill_too() {
        let t0 = std::time::Instant::now();
        let mut b = TokenBucket::full(Shape::EC2_NON_MUTATING, t0);
        assert_eq!((0..150).filter(|_| b.try_take(t0)).count(), 100);
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!((0..150).filter(|_| b.try_take(t1)).count(), 10);
        assert_eq!(b.shape(), Shape::ec2(false));
    }
}
