//! What failing a group over costs at EC2's write rate: one call per static route, one per
//! prefix-list reference, at a burst of 50 then 5 per second. `status` uses it to suggest a
//! conversion, and every conversion plan shows it before and after.

use super::{ROUND_TRIP_SECONDS, SUGGEST_ABOVE_SECONDS, WRITE_BURST, WRITES_PER_SECOND};
use crate::ids::GroupName;
use crate::model::{Destination, RouteKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What failing a group over costs at EC2's write rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailoverEstimate {
    /// Static CIDR routes: one ReplaceTransitGatewayRoute each.
    pub cidr_routes: usize,
    /// Prefix-list references: one ModifyTransitGatewayPrefixListReference each (per table).
    pub references: usize,
    pub tables: usize,
    /// Write calls one failover makes.
    pub calls: usize,
    /// `max(0, calls − 50) / 5` s (EC2's mutating bucket) plus one round trip.
    pub seconds: f64,
    /// Above [`SUGGEST_ABOVE_SECONDS`] with static routes to convert.
    pub suggest_conversion: bool,
}

impl FailoverEstimate {
    /// A note for people, e.g. in `status`.
    pub fn note(&self, group: &GroupName) -> String {
        let mut s = format!(
            "failover ≈ {} at EC2's write rate ({} routes, {} prefix lists)",
            seconds_text(self.seconds),
            self.cidr_routes,
            self.references
        );
        if self.suggest_conversion {
            s.push_str(&format!(
                "; a prefix list would make it one call per table: tgw-ha prefix-lists plan --group {group}"
            ));
        }
        s
    }
}

fn seconds_text(s: f64) -> String {
    if s >= 120.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.1} s")
    }
}

/// The failover time of a group whose routes are `keys` (CIDR routes and prefix-list
/// references, as the ledger and census name them).
pub fn estimate<'a>(keys: impl IntoIterator<Item = &'a RouteKey>) -> FailoverEstimate {
    let mut cidr_routes: usize = 0;
    let mut references: usize = 0;
    let mut tables = BTreeSet::new();
    for k in keys {
        tables.insert(&k.table);
        match k.destination {
            Destination::Cidr(_) => cidr_routes += 1,
            Destination::PrefixList(_) => references += 1,
        }
    }
    let calls = cidr_routes + references;
    let seconds = if calls == 0 {
        0.0
    } else {
        calls.saturating_sub(WRITE_BURST) as f64 / WRITES_PER_SECOND + ROUND_TRIP_SECONDS
    };
    FailoverEstimate {
        cidr_routes,
        references,
        tables: tables.len(),
        calls,
        seconds,
        suggest_conversion: seconds > SUGGEST_ABOVE_SECONDS && cidr_routes > 0,
    }
}
