//! Test helpers shared by the crates' tests (the `testing` feature): a clock that tests move
//! forward instead of sleeping.

use crate::ports::{Clock, SystemClock};
use async_trait::async_trait;
use std::sync::Mutex;
use tgw_ha_core::Timestamp;

/// The real clock, moved forward on demand: tests skip a hold-down or a lease's lifetime
/// instead of sleeping through it. Time still runs (servers on 127.0.0.1 see real requests).
#[derive(Default)]
pub struct SkipClock {
    ahead: Mutex<chrono::Duration>,
}

impl SkipClock {
    fn ahead(&self) -> chrono::Duration {
        *self.ahead.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Move this clock just past `t` (no-op if it is already past).
    pub fn skip_past(&self, t: Timestamp) {
        let gap = t - self.now();
        if gap >= chrono::Duration::zero() {
            *self.ahead.lock().unwrap_or_else(|e| e.into_inner()) +=
                gap + chrono::Duration::milliseconds(1);
        }
    }
}

#[async_trait]
impl Clock for SkipClock {
    fn now(&self) -> Timestamp {
        SystemClock.now() + self.ahead()
    }

    async fn sleep_until(&self, t: Timestamp) {
        SystemClock.sleep_until(t - self.ahead()).await;
    }
}
