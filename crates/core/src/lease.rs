//! The writer lease of one TGW as plain data: who holds it and until when, and the one rule for
//! taking, extending and giving it back. Every `Lease` adapter applies this rule — the memory
//! store of the sim and the CLI's state file call these functions, and DynamoDB's conditional
//! expressions implement the same rule at one-second granularity — so the engine's tests run on
//! exactly the lease production has.
//!
//! The rule, at `now`:
//! - a lease is *live* while `now < expires` (a lease taken at `t` for `ttl` covers `[t, t+ttl)`);
//! - **acquire** succeeds when no lease is live, or when the live one is the caller's own (a
//!   retried acquire extends it);
//! - **renew** succeeds only on the caller's own *live* lease: one that expired is refused even
//!   if nobody took it, because its holder cannot know that nobody acted in between (acquire it
//!   again instead);
//! - **release** removes the caller's own lease, expired or not; another owner's is left alone.

use crate::Timestamp;
use crate::ids::TgwId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Who holds the writer lease of one TGW, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRecord {
    pub owner: String,
    pub expires: Timestamp,
}

impl LeaseRecord {
    /// A lease of `owner` taken at `now` for `ttl`. A `ttl` too large to represent lasts forever
    /// rather than wrapping around.
    pub fn new(owner: &str, ttl: Duration, now: Timestamp) -> Self {
        LeaseRecord {
            owner: owner.to_owned(),
            expires: expiry(now, ttl),
        }
    }

    /// Whether the lease still holds at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        now < self.expires
    }
}

/// When a lease taken at `now` for `ttl` ends (saturating).
pub fn expiry(now: Timestamp, ttl: Duration) -> Timestamp {
    chrono::Duration::from_std(ttl)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// The record to store if `owner` may take the lease over `current`; `None`: busy.
pub fn acquire(
    current: Option<&LeaseRecord>,
    owner: &str,
    ttl: Duration,
    now: Timestamp,
) -> Option<LeaseRecord> {
    match current {
        Some(l) if l.owner != owner && l.is_live(now) => None,
        _ => Some(LeaseRecord::new(owner, ttl, now)),
    }
}

/// The record to store if `owner` may extend `current`; `None`: not held (never taken, taken by
/// another owner, or expired).
pub fn renew(
    current: Option<&LeaseRecord>,
    owner: &str,
    ttl: Duration,
    now: Timestamp,
) -> Option<LeaseRecord> {
    match current {
        Some(l) if l.owner == owner && l.is_live(now) => Some(LeaseRecord::new(owner, ttl, now)),
        _ => None,
    }
}

/// Whether `owner` releasing removes `current` (only its own lease, live or expired).
pub fn release(current: Option<&LeaseRecord>, owner: &str) -> bool {
    current.is_some_and(|l| l.owner == owner)
}

/// The rule applied to a map of leases by TGW, as the memory store and the state file keep them.
pub trait LeaseBook {
    /// [`acquire`] on the lease of `tgw`; `true`: taken (and stored).
    fn acquire_lease(&mut self, tgw: &TgwId, owner: &str, ttl: Duration, now: Timestamp) -> bool;
    /// [`renew`] on the lease of `tgw`; `true`: extended.
    fn renew_lease(&mut self, tgw: &TgwId, owner: &str, ttl: Duration, now: Timestamp) -> bool;
    /// [`release`] on the lease of `tgw`; `true`: removed.
    fn release_lease(&mut self, tgw: &TgwId, owner: &str) -> bool;
}

impl LeaseBook for BTreeMap<TgwId, LeaseRecord> {
    fn acquire_lease(&mut self, tgw: &TgwId, owner: &str, ttl: Duration, now: Timestamp) -> bool {
        store(self, tgw, acquire(self.get(tgw), owner, ttl, now))
    }

    fn renew_lease(&mut self, tgw: &TgwId, owner: &str, ttl: Duration, now: Timestamp) -> bool {
        store(self, tgw, renew(self.get(tgw), owner, ttl, now))
    }

    fn release_lease(&mut self, tgw: &TgwId, owner: &str) -> bool {
        let removes = release(self.get(tgw), owner);
        if removes {
            self.remove(tgw);
        }
        removes
    }
}

fn store(
    book: &mut BTreeMap<TgwId, LeaseRecord>,
    tgw: &TgwId,
    granted: Option<LeaseRecord>,
) -> bool {
    match granted {
        Some(record) => {
            book.insert(tgw.clone(), record);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> Timestamp {
        chrono::Utc.timestamp_opt(1_000 + secs, 0).unwrap()
    }
    const TTL: Duration = Duration::from_secs(30);

    #[test]
    fn the_rule() {
        let a = LeaseRecord::new("a", TTL, t(0));
        assert_eq!(a.expires, t(30));
        // acquire: free, own (extends), busy, expired (exactly at `expires` too).
        assert_eq!(acquire(None, "a", TTL, t(0)), Some(a.clone()));
        assert_eq!(acquire(Some(&a), "a", TTL, t(10)).unwrap().expires, t(40));
        assert_eq!(acquire(Some(&a), "b", TTL, t(29)), None);
        assert_eq!(acquire(Some(&a), "b", TTL, t(30)).unwrap().owner, "b");
        // renew: own live, own expired (refused even though nobody took it), other's, none.
        assert_eq!(renew(Some(&a), "a", TTL, t(29)).unwrap().expires, t(59));
        assert_eq!(renew(Some(&a), "a", TTL, t(30)), None);
        assert_eq!(renew(Some(&a), "b", TTL, t(10)), None);
        assert_eq!(renew(None, "a", TTL, t(10)), None);
        // release: own (even expired), other's, none.
        assert!(release(Some(&a), "a"));
        assert!(!release(Some(&a), "b"));
        assert!(!release(None, "a"));
    }

    #[test]
    fn huge_ttl_saturates() {
        let l = LeaseRecord::new("a", Duration::MAX, t(0));
        assert_eq!(l.expires, chrono::DateTime::<chrono::Utc>::MAX_UTC);
        assert!(l.is_live(t(1_000_000)));
    }

    #[test]
    fn book() {
        let tgw = TgwId::new("tgw-1");
        let mut book = BTreeMap::new();
        assert!(book.acquire_lease(&tgw, "a", TTL, t(0)));
        assert!(!book.acquire_lease(&tgw, "b", TTL, t(1)));
        assert!(book.renew_lease(&tgw, "a", TTL, t(20)));
        assert_eq!(book[&tgw].expires, t(50));
        assert!(!book.release_lease(&tgw, "b"));
        assert!(book.release_lease(&tgw, "a"));
        assert!(book.is_empty());
    }
}
