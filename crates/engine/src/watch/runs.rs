//! The engine runs a poll starts: a status-less look at a VPN's groups ([`look_at`]), run
//! through the watcher's engine with the watch's deadline, counted in the summary and told to
//! the observer; a run that met another's lease on the TGW is retried at the next poll.

use super::Watch;
use crate::outcome::Outcome;
use crate::reconcile::{Deadline, RunOptions};
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::VpnId;
use tgw_ha_core::state::SignalSource;
use tgw_ha_core::trigger::{SignalEvent, Trigger};

impl Watch<'_> {
    /// Run the engine on `trigger`, count it, tell the observer. `true` when the run looked at
    /// what it was asked to (so the change it was started for is acted on).
    pub(super) async fn run_one(&mut self, trigger: &Trigger) -> bool {
        let (ok, stats) = self.run_shared(trigger).await;
        self.absorb(vec![stats]);
        ok
    }

    pub(super) fn absorb(&mut self, stats: impl IntoIterator<Item = RunStats>) {
        for s in stats {
            self.summary.runs += 1;
            self.summary.moves += s.moves;
            if let Some(e) = s.error {
                self.summary.run_errors += 1;
                self.summary.error(e);
            }
        }
    }

    /// The run itself, without touching the summary (runs on several TGWs go concurrently).
    pub(super) async fn run_shared(&self, trigger: &Trigger) -> (bool, RunStats) {
        let w = self.w;
        let options = RunOptions {
            deadline: self.deadline.map(|(at, _)| Deadline::At(at)),
        };
        let what = trigger.describe();
        tracing::info!(trigger = %what, "watch: reconciling");
        let result = w.engine.handle_with(trigger, &options).await;
        if let Some(observe) = &w.observer {
            observe(trigger, &result);
        }
        match &result {
            Ok(o) => {
                // A run that met another's lease on the TGW made no decision (an empty outcome
                // for it): the holder may have read the world before this change. Try again at
                // the next poll. (A TGW whose groups are all invalid reports them: not busy.)
                let busy = o.tgws.iter().any(|t| {
                    t.groups.is_empty()
                        && t.invalid.is_empty()
                        && t.planned.is_empty()
                        && t.error.is_none()
                });
                tracing::info!(
                    trigger = %what, moved = o.moved(), busy,
                    notes = %o.notes.join("; "), "watch: run done"
                );
                (
                    !busy,
                    RunStats {
                        moves: o.moved(),
                        error: None,
                    },
                )
            }
            Err(e) => {
                let retryable = e.is_retryable();
                tracing::warn!(trigger = %what, error = %e, retryable, "watch: run failed");
                (
                    // A final error (a group made invalid by its tags) is not retried every
                    // poll; the sweep and the notifications deal with it.
                    !retryable,
                    RunStats {
                        moves: e.outcome().map_or(0, Outcome::moved),
                        error: Some(format!("{what}: {e}")),
                    },
                )
            }
        }
    }
}

pub(super) struct RunStats {
    pub(super) moves: usize,
    pub(super) error: Option<String>,
}

/// "Look at this VPN's groups": a status-less signal, which the engine never stores.
pub(super) fn look_at(vpn: &VpnId, now: Timestamp) -> Trigger {
    Trigger::Vpn {
        signal: SignalEvent {
            vpn: vpn.clone(),
            tunnel: None,
            status: None,
            at: now,
            source: SignalSource::Watch,
        },
        region: None,
    }
}
