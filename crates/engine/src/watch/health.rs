//! What a poll compares: each member VPN's health as the planner judges it (telemetry and the
//! signals stored for its TGW), reduced to what matters for a decision ([`Seen`]).

use super::Watch;
use futures::future::join_all;
use std::collections::{BTreeMap, BTreeSet};
use tgw_ha_core::groups::group_tags;
use tgw_ha_core::health::assess;
use tgw_ha_core::ids::{TgwId, VpnId};
use tgw_ha_core::model::VpnConnection;

/// The health that matters for a decision: healthy, and (only when failback is on) stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Seen {
    pub(super) healthy: bool,
    pub(super) stable: bool,
}

impl Watch<'_> {
    /// Each member VPN's health, with the signals stored for its TGW (read again each poll, so
    /// that a DOWN an alarm stored counts; on a failed read, the last ones read).
    pub(super) async fn assess(&mut self, vpns: &[VpnConnection]) -> BTreeMap<VpnId, Seen> {
        let w = self.w;
        let policy = &w.engine.config().policy;
        let members: Vec<&VpnConnection> = vpns
            .iter()
            .filter(|v| v.transit_gateway_id.is_some() && group_tags(v, policy).next().is_some())
            .collect();
        let tgws: BTreeSet<&TgwId> = members
            .iter()
            .filter_map(|v| v.transit_gateway_id.as_ref())
            .collect();
        let loads = join_all(tgws.iter().map(|t| async move {
            let r = w.ports.store.load(t).await;
            ((*t).clone(), r)
        }))
        .await;
        for (tgw, r) in loads {
            match r {
                Ok(v) => {
                    self.signals.insert(tgw, v.value.signals);
                }
                Err(e) => {
                    tracing::warn!(%tgw, error = %e, "stored signals not read; using the last ones read")
                }
            }
        }
        let now = w.ports.clock.now();
        let none = Vec::new();
        members
            .into_iter()
            .map(|v| {
                let tgw = v.transit_gateway_id.as_ref().expect("filtered on a TGW");
                let h = assess(v, self.signals.get(tgw).unwrap_or(&none), policy, now);
                let seen = Seen {
                    healthy: h.healthy,
                    // Stability only decides failback: without it, its clock is no change.
                    stable: policy.failback && h.stable,
                };
                (v.id.clone(), seen)
            })
            .collect()
    }
}
