//! The state around the moves: storing a signal without the lease, saving the held state over a
//! concurrent signal writer, settling the ledger once moves are done, and folding passes into
//! one outcome.
//!
//! Contract: a save that meets a conflict reloads, takes the signals others stored
//! ([`merge_stored_signals`]) and keeps this run's value of every other field.

use super::*;

impl Engine {
    /// Store `signal` without the lease: compare-and-set on the state, again on a conflict.
    /// `Ok(false)`: a newer signal of the same VPN (or tunnel) is stored already.
    pub(super) async fn store_signal(
        &self,
        tgw: &TgwId,
        signal: Signal,
    ) -> Result<bool, StoreError> {
        let store = &self.ports.store;
        let mut last = None;
        for _ in 0..SIGNAL_WRITE_ATTEMPTS {
            let loaded = store.load(tgw).await?;
            let mut state = loaded.value;
            if !state.record_signal(signal.clone()) {
                return Ok(false);
            }
            match store.save(tgw, loaded.version, &state).await {
                Ok(_) => return Ok(true),
                Err(e @ StoreError::Conflict { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.expect("attempts were made"))
    }

    /// Save the lease holder's `state`. A conflict means a run that met the lease stored a
    /// signal: reload, take its signals, keep this run's value of everything else, save again.
    /// Returns the signals so taken that changed `state` (the plan may need another pass).
    pub(super) async fn save_held(
        &self,
        tgw: &TgwId,
        held: &mut Held,
        state: &mut TgwState,
    ) -> Result<Vec<Signal>, StoreError> {
        let store = &self.ports.store;
        let mut taken = Vec::new();
        let (mut conflicts, mut unavailable) = (0, 0);
        loop {
            match store.save(tgw, held.version, state).await {
                Ok(v) => {
                    held.version = v;
                    held.signals = state.signals.clone();
                    return Ok(taken);
                }
                Err(StoreError::Conflict { .. }) if conflicts < CONFLICT_RETRIES => {
                    conflicts += 1;
                    taken.extend(self.reread_signals(tgw, held, state).await?);
                }
                // Once routes have moved, the settle write must not be lost to a blip.
                Err(StoreError::Unavailable(_)) if unavailable < 2 => unavailable += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Read the stored state again and take into `state` the signals others stored since
    /// `held`. Returns those that changed `state`.
    pub(super) async fn reread_signals(
        &self,
        tgw: &TgwId,
        held: &mut Held,
        state: &mut TgwState,
    ) -> Result<Vec<Signal>, StoreError> {
        let loaded = self.ports.store.load(tgw).await?;
        let taken = merge_stored_signals(state, &held.signals, &loaded.value.signals);
        held.version = loaded.version;
        held.signals = loaded.value.signals;
        Ok(taken)
    }
}

/// Ledger changes once moves are done: a route that reached home leaves the ledger; a route
/// that vanished leaves it; a move that failed leaves the route where it was, so its entry is
/// put back to match (removed if that is home).
pub(super) fn settle(
    state: &TgwState,
    results: &[MoveResult],
) -> (
    Vec<tgw_ha_core::state::LedgerEntry>,
    Vec<tgw_ha_core::model::RouteKey>,
) {
    let ledger = state.ledger_map();
    let mut upserts = Vec::new();
    let mut removals = Vec::new();
    for r in results {
        let m: &Move = &r.planned;
        let stays_at = match &r.status {
            MoveStatus::Done => Some(&m.to),
            MoveStatus::Vanished => None,
            MoveStatus::Failed { .. } | MoveStatus::Abandoned { .. } => m.from.as_ref(),
        };
        match stays_at {
            Some(at) if at == &m.home => removals.push(m.key.clone()),
            Some(at) => {
                if let Some(e) = ledger.get(&m.key)
                    && &e.current != at
                {
                    let mut e = (*e).clone();
                    e.current = at.clone();
                    upserts.push(e);
                }
            }
            // A vanished route, or a failed move of a blackhole route (no attachment): a
            // vanished one leaves, a blackhole one stays owned so the next run finds it.
            None => {
                if r.status == MoveStatus::Vanished {
                    removals.push(m.key.clone());
                }
            }
        }
    }
    (upserts, removals)
}

/// Take into `mine` the signals that others stored since `base` (what this run last read or
/// wrote): those in `stored` but not in `base`, each kept only if newer than what `mine` has
/// (`record_signal`). Every other field of `mine`, and the signals this run itself changed or
/// pruned, stay as this run has them. Returns the signals that changed `mine`.
pub fn merge_stored_signals(
    mine: &mut TgwState,
    base: &[Signal],
    stored: &[Signal],
) -> Vec<Signal> {
    stored
        .iter()
        .filter(|s| !base.contains(s))
        .filter(|s| mine.record_signal((*s).clone()))
        .cloned()
        .collect()
}

/// Fold a later pass into the run's outcome for the TGW: its moves, drops and events are
/// added; a group's report is the later one when that pass moved it or first looked at it.
pub(super) fn absorb(out: &mut TgwOutcome, later: TgwOutcome) {
    for g in later.groups {
        match out.groups.iter_mut().find(|e| e.name == g.name) {
            Some(e) if g.moves > 0 || (g.in_scope && !e.in_scope) => *e = g,
            Some(_) => {}
            None => out.groups.push(g),
        }
    }
    out.invalid = later.invalid;
    out.planned.extend(later.planned);
    out.results.extend(later.results);
    out.dropped.extend(later.dropped);
    out.events.extend(later.events);
    out.notify_errors.extend(later.notify_errors);
}
