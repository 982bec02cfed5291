//! Virtual time: deterministic, never sleeps for real.
//!
//! Design: the instant lives in a [`TimeCell`], a small shared cell. A [`World`](crate::World)
//! owns one as its `now` field (serialized as a plain optional timestamp), and the
//! [`VirtualClock`] the world hands out shares that very cell, so that
//!
//! - the world's `now`, the engine's `Clock::now()` and [`World::advance_clock`](crate::World::advance_clock)
//!   are always the same value, and saving the world saves the clock;
//! - reading the time never takes the world's lock (a test may hold the world locked and still
//!   call `clock.now()` without deadlocking).
//!
//! `sleep_until(t)` yields once, then moves time forward to `t` when `t` is later: concurrent
//! sleepers converge on the latest deadline instead of adding their waits up, which is what they
//! would observe on a real clock. Nothing ever waits for real.

use async_trait::async_trait;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::{Arc, Mutex, MutexGuard};
use tgw_ha_core::Timestamp;
use tgw_ha_engine::ports::Clock;

/// A shared, optional instant. `None`: the world runs on the real clock.
///
/// `Clone` copies the *value* into a new cell: a cloned world is a snapshot and must not move
/// with the original's clock. Sharing is explicit, through [`TimeCell::share`].
#[derive(Default)]
pub struct TimeCell(Arc<Mutex<Option<Timestamp>>>);

impl TimeCell {
    pub fn new(t: Option<Timestamp>) -> Self {
        TimeCell(Arc::new(Mutex::new(t)))
    }

    /// Another handle on the same cell.
    pub fn share(&self) -> Self {
        TimeCell(Arc::clone(&self.0))
    }

    fn lock(&self) -> MutexGuard<'_, Option<Timestamp>> {
        // A panic elsewhere (an injected crash) must not poison time for the rest of a test.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self) -> Option<Timestamp> {
        *self.lock()
    }

    pub fn set(&self, t: Timestamp) {
        *self.lock() = Some(t);
    }

    pub fn is_unset(&self) -> bool {
        self.get().is_none()
    }

    /// Move to `t` if it is later; returns the time after the move.
    fn advance_to(&self, t: Timestamp) -> Timestamp {
        let mut g = self.lock();
        let now = match *g {
            Some(now) if now >= t => now,
            _ => t,
        };
        *g = Some(now);
        now
    }
}

impl Clone for TimeCell {
    fn clone(&self) -> Self {
        TimeCell::new(self.get())
    }
}

impl PartialEq for TimeCell {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for TimeCell {}

impl std::fmt::Debug for TimeCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

impl Serialize for TimeCell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.get().serialize(s)
    }
}

impl<'de> Deserialize<'de> for TimeCell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<Timestamp>::deserialize(d).map(TimeCell::new)
    }
}

/// A [`Clock`] on virtual time. Cheap to clone; clones share the time.
pub struct VirtualClock {
    cell: TimeCell,
}

impl Clone for VirtualClock {
    // Not derived: a `TimeCell` clone copies the value, and clocks must share it.
    fn clone(&self) -> Self {
        VirtualClock {
            cell: self.cell.share(),
        }
    }
}

impl VirtualClock {
    /// A clock of its own, starting at `start`.
    pub fn new(start: Timestamp) -> Self {
        VirtualClock {
            cell: TimeCell::new(Some(start)),
        }
    }

    /// A clock on `cell`, which must hold a time (the world only hands out set cells).
    pub(crate) fn on_cell(cell: TimeCell) -> Self {
        VirtualClock { cell }
    }

    /// The cell this clock reads, to share with a world ([`World::use_clock`](crate::World::use_clock)).
    pub(crate) fn cell(&self) -> TimeCell {
        self.cell.share()
    }

    /// The current virtual time. A cell is never unset once a clock reads it; the epoch
    /// fallback only keeps this total.
    pub fn now(&self) -> Timestamp {
        self.cell.get().unwrap_or(chrono::DateTime::UNIX_EPOCH)
    }

    /// Move time forward (or back, for a test that wants it) by `d`.
    pub fn advance(&self, d: chrono::Duration) -> Timestamp {
        let t = self.now() + d;
        self.cell.set(t);
        t
    }

    /// Jump to `t`, earlier or later.
    pub fn set(&self, t: Timestamp) {
        self.cell.set(t);
    }
}

impl std::fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("VirtualClock").field(&self.now()).finish()
    }
}

#[async_trait]
impl Clock for VirtualClock {
    fn now(&self) -> Timestamp {
        VirtualClock::now(self)
    }

    async fn sleep_until(&self, t: Timestamp) {
        // Yield *before* moving time: every sleeper polled in the same round (a `join_all`, a
        // batch of spawned tasks) reads `now` and picks its deadline before any of them moves
        // it, so they converge on the latest deadline instead of adding their waits up.
        tokio::task::yield_now().await;
        self.cell.advance_to(t);
    }
}
