//! A watcher holding the watch lease ([`Watch`]): one poll renews the lease, reads every VPN,
//! compares each member's health with the last poll's, and starts one engine run per change
//! (a change covered by another's run rides on it); `finish` releases the lease.

use super::health::Seen;
use super::runs::look_at;
use super::{WatchEnd, WatchSummary, Watcher};
use crate::executor::Executor;
use crate::layer::Ec2Action;
use futures::future::join_all;
use std::collections::{BTreeMap, BTreeSet};
use tgw_ha_core::Timestamp;
use tgw_ha_core::groups::group_tags;
use tgw_ha_core::ids::{TgwId, VpnId};
use tgw_ha_core::model::VpnConnection;
use tgw_ha_core::state::Signal;
use tgw_ha_core::trigger::Trigger;

/// What [`Watch::poll`] says about the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    Continue,
    Stop,
}

/// A watcher holding the watch lease.
pub struct Watch<'w> {
    pub(super) w: &'w Watcher,
    pub(super) executor: Executor,
    pub(super) owner: String,
    /// The deadline, and when the last poll may start (the deadline less the engine's margin).
    pub(super) deadline: Option<(Timestamp, Timestamp)>,
    /// Each member VPN's health as last acted on; `None` until the first poll succeeded.
    pub(super) baseline: Option<BTreeMap<VpnId, Seen>>,
    /// The signals last read for each TGW: kept when a read of the store fails.
    pub(super) signals: BTreeMap<TgwId, Vec<Signal>>,
    pub(super) held: bool,
    pub(super) summary: WatchSummary,
}

impl Watch<'_> {
    pub(super) fn stop(&self) -> Option<Timestamp> {
        self.deadline.map(|(_, stop)| stop)
    }

    pub fn summary(&self) -> &WatchSummary {
        &self.summary
    }

    /// Renew the watch lease; `false` when another watcher has it.
    async fn renew(&mut self) -> bool {
        let w = self.w;
        let now = w.ports.clock.now();
        let key = Watcher::key();
        match w
            .ports
            .lease
            .renew(&key, &self.owner, w.config.lease_ttl(), now)
            .await
        {
            Ok(true) => true,
            Ok(false) => {
                tracing::error!(key = %key, "watch lease taken over by another watcher: this one stops");
                self.held = false;
                self.summary.end = WatchEnd::LeaseLost;
                self.summary
                    .error("watch lease taken over by another watcher".into());
                false
            }
            // The store may be back at the next poll, well within the lease's TTL.
            Err(e) => {
                tracing::warn!(key = %key, error = %e, "watch lease not renewed; going on");
                true
            }
        }
    }

    /// One poll: renew the lease, read every VPN, run the engine for what changed. Errors are
    /// logged and counted, never returned: the loop goes on.
    pub async fn poll(&mut self) -> Poll {
        if self.summary.polls > 0 && !self.renew().await {
            return Poll::Stop;
        }
        let w = self.w;
        let now = w.ports.clock.now();
        if self.stop().is_some_and(|s| now >= s) {
            self.summary.end = WatchEnd::Deadline;
            return Poll::Stop;
        }
        self.summary.polls += 1;
        let read = self
            .executor
            .call_before(Ec2Action::DescribeVpnConnections, self.stop(), || {
                w.ports.network.vpn_connections()
            })
            .await;
        let vpns = match read {
            None => {
                self.summary.end = WatchEnd::Deadline;
                return Poll::Stop;
            }
            Some((Ok(v), _)) => v,
            Some((Err(e), attempts)) => {
                self.summary.poll_errors += 1;
                tracing::warn!(error = %e, attempts, "watch poll failed; the next poll tries again");
                self.summary
                    .error(format!("poll at {}: {e}", now.to_rfc3339()));
                return Poll::Continue;
            }
        };
        let health = self.assess(&vpns).await;

        let Some(baseline) = &self.baseline else {
            if !w.config.sweep_first {
                self.baseline = Some(health);
                return Poll::Continue;
            }
            // The first poll sweeps: a change from before the watcher started is not missed.
            let trigger = Trigger::All { region: None };
            if self.run_one(&trigger).await {
                self.baseline = Some(health);
            }
            return Poll::Continue;
        };

        let changed: Vec<&VpnConnection> = vpns
            .iter()
            .filter(|v| {
                health
                    .get(&v.id)
                    .is_some_and(|now| baseline.get(&v.id) != Some(now))
            })
            .collect();
        // Members no longer seen (untagged, gone) leave the baseline; the rest stay as acted on.
        let mut next: BTreeMap<VpnId, Seen> = baseline
            .iter()
            .filter(|(id, _)| health.contains_key(*id))
            .map(|(id, s)| (id.clone(), *s))
            .collect();
        if changed.is_empty() {
            self.baseline = Some(next);
            return Poll::Continue;
        }
        self.summary.changes += changed.len() as u64;
        for v in &changed {
            let (was, is) = (baseline.get(&v.id), health[&v.id]);
            tracing::info!(
                vpn = %v.id, name = v.name().unwrap_or(""),
                healthy_before = ?was.map(|s| s.healthy), healthy = is.healthy,
                stable_before = ?was.map(|s| s.stable), stable = is.stable,
                "member health changed"
            );
        }

        // One run per changed VPN whose groups are not all covered by earlier runs; a VPN whose
        // groups are covered rides on the runs that cover them (mutual backups: one run).
        let policy = &w.engine.config().policy;
        let mut runs: Vec<PlannedRun> = Vec::new();
        let mut riders: Vec<(VpnId, Vec<usize>)> = Vec::new();
        for v in &changed {
            let Some(tgw) = &v.transit_gateway_id else {
                continue;
            };
            let groups: BTreeSet<String> = group_tags(v, policy)
                .map(|(k, _, _)| k.to_owned())
                .collect();
            let covering: Vec<usize> = runs
                .iter()
                .enumerate()
                .filter(|(_, r)| &r.tgw == tgw && !r.groups.is_disjoint(&groups))
                .map(|(i, _)| i)
                .collect();
            let covered: BTreeSet<&String> = covering
                .iter()
                .flat_map(|i| runs[*i].groups.iter())
                .collect();
            if groups.iter().all(|g| covered.contains(g)) {
                riders.push((v.id.clone(), covering));
            } else {
                riders.push((v.id.clone(), vec![runs.len()]));
                runs.push(PlannedRun {
                    tgw: tgw.clone(),
                    vpn: v.id.clone(),
                    groups,
                });
            }
        }

        // TGWs are independent: their runs go at once; on one TGW they take turns (its lease).
        let mut by_tgw: BTreeMap<&TgwId, Vec<usize>> = BTreeMap::new();
        for (i, r) in runs.iter().enumerate() {
            by_tgw.entry(&r.tgw).or_default().push(i);
        }
        let this = &*self;
        let results = join_all(by_tgw.into_values().map(|list| {
            let runs = &runs;
            async move {
                let mut out = Vec::new();
                for i in list {
                    out.push((i, this.run_shared(&look_at(&runs[i].vpn, now)).await));
                }
                out
            }
        }))
        .await;
        let mut ok = vec![false; runs.len()];
        let mut stats = Vec::new();
        for (i, (done, s)) in results.into_iter().flatten() {
            ok[i] = done;
            stats.push(s);
        }
        self.absorb(stats);
        for (vpn, covering) in riders {
            if covering.iter().all(|i| ok[*i]) {
                next.insert(vpn.clone(), health[&vpn]);
            } else {
                // Left as it was: the next poll sees the change again and retries.
                tracing::info!(%vpn, "not acted on yet; the next poll tries again");
            }
        }
        self.baseline = Some(next);
        Poll::Continue
    }

    /// Release the watch lease (unless another watcher has it) and return the summary.
    pub async fn finish(mut self) -> WatchSummary {
        let w = self.w;
        if self.held
            && let Err(e) = w.ports.lease.release(&Watcher::key(), &self.owner).await
        {
            // It expires on its own; the next watcher waits at most its TTL.
            tracing::warn!(error = %e, "watch lease not released");
        }
        self.summary.finished_at = w.ports.clock.now();
        tracing::info!(summary = %self.summary.describe(), "watch ended");
        self.summary
    }
}

/// A run a poll decided on: a look at `vpn`'s groups on `tgw`.
struct PlannedRun {
    tgw: TgwId,
    vpn: VpnId,
    groups: BTreeSet<String>,
}
