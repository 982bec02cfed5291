//! One batch under the lease: re-read what the plan relies on, plan again, check the target's
//! health, record the ledger intents, write, forget the deleted routes, re-read what changed.
//! Also how the plan's steps are grouped into batches ([`take_batch`]) and the per-step
//! ledger bookkeeping.

use super::observe::Observed;
use super::writes::Failure;
use super::{ConvertError, Converter};
use crate::executor::Executor;
use crate::layer::Ec2Action;
use crate::ports::{StoreError, Versioned};
use std::collections::BTreeSet;
use tgw_ha_core::conversion::{
    self as core, ConversionError, ConversionInput, ConversionPlan, Direction, PrefixListReference,
    Step,
};
use tgw_ha_core::health::assess;
use tgw_ha_core::ids::RouteTableId;
use tgw_ha_core::model::{Route, RouteKey};
use tgw_ha_core::state::LedgerEntry;

pub(super) enum Progress {
    Done,
    /// Steps done, and the first of them.
    Did(usize, Step),
    Wait {
        table: RouteTableId,
        reason: String,
    },
    /// What was read of the list is stale: read it again and plan again.
    Stale,
}

impl Converter {
    /// One batch under the lease: re-read, plan, record, write, forget, re-read what changed.
    pub(super) async fn batch(
        &self,
        exec: &Executor,
        obs: &mut Observed,
        direction: Direction,
        done: &mut usize,
    ) -> Result<Progress, ConvertError> {
        let net = &self.ports.network;
        let (vpns, _) = exec
            .call(Ec2Action::DescribeVpnConnections, || net.vpn_connections())
            .await;
        obs.vpns = vpns?;
        obs.state = self.ports.store.load(&obs.group.tgw).await?;
        let tentative = self.plan_of(obs, direction, false)?;
        let Some(first) = tentative.steps.first() else {
            return Ok(Progress::Done);
        };
        if let Some(t) = first.table().cloned() {
            self.refresh_table(exec, obs, &t).await?;
        }
        let plan = self.plan_of(obs, direction, false)?;
        if plan.steps.is_empty() {
            return Ok(Progress::Done);
        }
        self.check_health(obs, &plan, *done)?;
        let budget = self
            .config
            .max_steps
            .map_or(usize::MAX, |m| m.saturating_sub(*done));
        let batch = take_batch(&plan.steps, self.config.batch.min(budget).max(1));
        if let [Step::Wait { table, reason }] = batch {
            return Ok(Progress::Wait {
                table: table.clone(),
                reason: reason.clone(),
            });
        }

        let records: Vec<LedgerEntry> = batch.iter().filter_map(record_of).cloned().collect();
        if !records.is_empty() {
            self.update_ledger(obs, &records, &[]).await?;
        }
        let outcome = self.execute(exec, obs, &plan, batch, done).await;
        let forgets: Vec<RouteKey> = match &outcome {
            Ok(ok) => ok
                .iter()
                .filter_map(|i| forget_of(&batch[*i]).cloned())
                .collect(),
            Err((ok, _)) => ok
                .iter()
                .filter_map(|i| forget_of(&batch[*i]).cloned())
                .collect(),
        };
        if !forgets.is_empty() {
            self.update_ledger(obs, &[], &forgets).await?;
        }
        let touched: BTreeSet<RouteTableId> =
            batch.iter().filter_map(|s| s.table()).cloned().collect();
        for t in &touched {
            self.refresh_table(exec, obs, t).await?;
        }
        match outcome {
            Ok(ok) => {
                if batch.iter().any(is_list_step) {
                    self.refresh_list(exec, obs).await?;
                }
                Ok(Progress::Did(ok.len(), batch[0].clone()))
            }
            Err((_, Failure::Stale)) => Ok(Progress::Stale),
            Err((_, Failure::Error(e))) => Err(e),
        }
    }

    pub(super) async fn update_ledger(
        &self,
        obs: &mut Observed,
        upserts: &[LedgerEntry],
        removals: &[RouteKey],
    ) -> Result<(), ConvertError> {
        let store = &self.ports.store;
        let tgw = obs.group.tgw.clone();
        // The engine may write the state between our load and save: reload and retry.
        for _ in 0..5 {
            let mut state = obs.state.value.clone();
            state.apply_ledger(upserts, removals);
            match store.save(&tgw, obs.state.version, &state).await {
                Ok(version) => {
                    obs.state = Versioned {
                        value: state,
                        version,
                    };
                    return Ok(());
                }
                Err(StoreError::Conflict { .. }) => obs.state = store.load(&tgw).await?,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict {
            tgw,
            expected: obs.state.version,
        }
        .into())
    }

    pub(super) fn check_health(
        &self,
        obs: &Observed,
        plan: &ConversionPlan,
        done: usize,
    ) -> Result<(), ConvertError> {
        let Some(target) = &plan.target else {
            return Ok(());
        };
        let Some(member) = obs.group.member_by_attachment(target) else {
            return Ok(());
        };
        let now = self.ports.clock.now();
        let reason = match obs.vpns.iter().find(|v| v.id == member.vpn) {
            None => Some("not observed".to_owned()),
            Some(v) => {
                let h = assess(v, &obs.state.value.signals, &self.config.policy, now);
                (!h.healthy).then(|| h.reason.unwrap_or_else(|| "down".into()))
            }
        };
        match reason {
            None => Ok(()),
            Some(reason) => Err(ConvertError::Unhealthy {
                group: plan.group.clone(),
                vpn: member.vpn.to_string(),
                reason,
                direction: plan.direction.as_str(),
                done,
            }),
        }
    }

    pub(super) fn plan_of(
        &self,
        obs: &Observed,
        direction: Direction,
        first: bool,
    ) -> Result<ConversionPlan, ConversionError> {
        let statics: Vec<Route> = obs.statics.values().flatten().cloned().collect();
        let references: Vec<PrefixListReference> = obs.refs.values().flatten().cloned().collect();
        let mut limits = self.config.limits;
        if !first {
            // The quota was checked against the TGW's count before the first write; later
            // plans only continue it (EC2 still refuses a write that would cross it).
            limits.route_quota = usize::MAX;
        }
        core::plan(
            &ConversionInput {
                group: &obs.group,
                tables: &obs.tables,
                statics: &statics,
                references: &references,
                lists: &obs.lists,
                other_entries: &obs.other_entries,
                ledger: &obs.state.value.ledger,
                routes_in_tgw: obs.routes_in_tgw,
                limits,
                now: self.ports.clock.now(),
            },
            direction,
        )
    }
}

pub(super) fn record_of(s: &Step) -> Option<&LedgerEntry> {
    match s {
        Step::CreateReference { record, .. } | Step::CreateRoute { record, .. } => record.as_ref(),
        _ => None,
    }
}

fn forget_of(s: &Step) -> Option<&RouteKey> {
    match s {
        Step::DeleteRoute { forget, .. } | Step::DeleteReference { forget, .. } => forget.as_ref(),
        _ => None,
    }
}

fn is_list_step(s: &Step) -> bool {
    matches!(
        s,
        Step::CreateList { .. }
            | Step::ResizeList { .. }
            | Step::AddEntries { .. }
            | Step::DeleteList
    )
}

/// The next batch: the list's own steps together; a reference alone (what follows waits for
/// it); or up to `max` static-route writes of one table.
fn take_batch(steps: &[Step], max: usize) -> &[Step] {
    let Some(first) = steps.first() else {
        return steps;
    };
    let len = if is_list_step(first) {
        steps
            .iter()
            .take_while(|s| is_list_step(s))
            .take(max)
            .count()
    } else if first.is_route_write() {
        steps
            .iter()
            .take_while(|s| s.is_route_write() && s.table() == first.table())
            .take(max)
            .count()
    } else {
        1
    };
    &steps[..len.max(1)]
}
