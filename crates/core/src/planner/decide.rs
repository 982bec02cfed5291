//! The decision for one group (rules 1 to 4 of the module doc): an operator's directive
//! first, then a pin (and its end or reminder), then failover off an unhealthy active member,
//! then failback to a stable higher-priority member unless damped. It only chooses; the
//! caller (`group.rs`) plans the moves.

use super::{Directive, EventKind, MoveKind, PlanError, PlanInput};
use crate::groups::Group;
use crate::health::Health;
use crate::ids::VpnId;
use crate::state::{GroupState, Pin};

pub(super) struct Decision {
    pub(super) desired: Option<usize>,
    pub(super) kind: MoveKind,
    pub(super) switch_off_healthy: bool,
    pub(super) pin: Option<Option<Pin>>,
    /// A notice about the pin itself (ended, or old with no end).
    pub(super) pin_event: Option<(EventKind, String)>,
    pub(super) notes: Vec<String>,
}

pub(super) fn decide(
    input: &PlanInput,
    group: &Group,
    health: &[Health],
    counts: &[usize],
    active: Option<usize>,
    gstate: &GroupState,
    directive: Option<&Directive>,
) -> Result<Decision, PlanError> {
    let now = input.now;
    let policy = input.policy;
    let member_idx = |vpn: &VpnId| -> Result<usize, PlanError> {
        group
            .members
            .iter()
            .position(|m| &m.vpn == vpn)
            .ok_or_else(|| PlanError::NotAMember {
                group: group.name.clone(),
                vpn: vpn.clone(),
            })
    };
    let unhealthy = |i: usize, hint: &str| PlanError::TargetUnhealthy {
        group: group.name.clone(),
        vpn: group.members[i].vpn.clone(),
        reason: health[i].reason.clone().unwrap_or_default(),
        hint: hint.into(),
    };
    let first_healthy = || (0..health.len()).find(|i| health[*i].healthy);
    let a = active.unwrap_or(0);
    let mut notes = Vec::new();
    let mut pin_change: Option<Option<Pin>> = None;
    let mut pin = gstate.pin.clone();
    let mut pin_event: Option<(EventKind, String)> = None;

    match directive {
        Some(Directive::Failover { to, .. }) => {
            let target = match to {
                Some(vpn) => {
                    let i = member_idx(vpn)?;
                    if !health[i].healthy {
                        return Err(unhealthy(i, ""));
                    }
                    i
                }
                None => (a + 1..health.len())
                    .chain(0..a)
                    .find(|i| health[*i].healthy)
                    .ok_or_else(|| PlanError::NoHealthyTarget {
                        group: group.name.clone(),
                    })?,
            };
            if pin.is_some() {
                notes.push("operator failover cleared the pin".into());
                pin_change = Some(None);
            }
            return Ok(Decision {
                desired: Some(target),
                kind: MoveKind::Operator,
                switch_off_healthy: true,
                pin: pin_change,
                pin_event: pin_event.clone(),
                notes,
            });
        }
        Some(Directive::Failback { .. }) => {
            if !health[0].healthy {
                return Err(unhealthy(0, ""));
            }
            // Like an operator failover, a failback clears the pin: otherwise the next pass
            // would see the pin and move the routes straight back to the pinned member.
            if pin.is_some() {
                notes.push("operator failback cleared the pin".into());
                pin_change = Some(None);
            }
            return Ok(Decision {
                desired: Some(0),
                kind: MoveKind::Operator,
                switch_off_healthy: true,
                pin: pin_change,
                pin_event: pin_event.clone(),
                notes,
            });
        }
        Some(Directive::Pin {
            vpn, force, until, ..
        }) => {
            let i = member_idx(vpn)?;
            if !health[i].healthy && !force {
                return Err(unhealthy(i, "; pin with --force to pin it anyway"));
            }
            let until = until.map(|u| u.resolve(now));
            if let Some(u) = until
                && u <= now
            {
                return Err(PlanError::PinEndsInThePast {
                    group: group.name.clone(),
                    until: u.to_rfc3339(),
                    now: now.to_rfc3339(),
                });
            }
            let p = Pin {
                vpn: vpn.clone(),
                force: *force,
                at: now,
                until,
                warned: false,
            };
            pin = Some(p.clone());
            pin_change = Some(Some(p));
        }
        Some(Directive::Unpin { .. }) => {
            pin = None;
            pin_change = Some(None);
        }
        None => {}
    }

    if let Some(p) = pin.clone() {
        if let Some(until) = p.until
            && until <= now
        {
            // A pin with an end gives the group back to automation by itself: the decision
            // below applies from this pass on.
            notes.push(format!(
                "the pin to {} ended at {}",
                p.vpn,
                until.to_rfc3339()
            ));
            pin_event = Some((
                EventKind::PinEnded,
                format!(
                    "the pin to {} (set {}) ended at {}: the group is back under automation",
                    p.vpn,
                    p.at.to_rfc3339(),
                    until.to_rfc3339()
                ),
            ));
            pin = None;
            pin_change = Some(None);
        } else if p.until.is_none() && !p.warned && now - p.at >= policy.pin_warn() {
            let warned = Pin {
                warned: true,
                ..p.clone()
            };
            pin_event = Some((
                EventKind::PinReminder,
                format!(
                    "pinned to {} since {} with no end (over {} h); if the maintenance is over, \
                     `tgw-ha unpin --group {}` gives the group back to automation",
                    p.vpn,
                    p.at.to_rfc3339(),
                    policy.pin_warn_hours,
                    group.name
                ),
            ));
            pin = Some(warned.clone());
            pin_change = Some(Some(warned));
        }
    }

    if let Some(p) = &pin {
        match group.members.iter().position(|m| m.vpn == p.vpn) {
            Some(i) if health[i].healthy || p.force => {
                notes.push(format!("pinned to {}", p.vpn));
                return Ok(Decision {
                    desired: Some(i),
                    kind: MoveKind::Pin,
                    switch_off_healthy: false,
                    pin: pin_change,
                    pin_event: pin_event.clone(),
                    notes,
                });
            }
            Some(_) => notes.push(format!(
                "pinned to {}, which is not healthy: automatic failover applies",
                p.vpn
            )),
            None => notes.push(format!(
                "pinned to {}, which is no longer a member: pin ignored",
                p.vpn
            )),
        }
    }

    if !health[a].healthy {
        return Ok(match first_healthy() {
            Some(i) => Decision {
                desired: Some(i),
                kind: MoveKind::Failover,
                switch_off_healthy: false,
                pin: pin_change,
                pin_event: pin_event.clone(),
                notes,
            },
            None => {
                notes.push("no member is healthy: nothing moved".into());
                Decision {
                    desired: None,
                    kind: MoveKind::Failover,
                    switch_off_healthy: false,
                    pin: pin_change,
                    pin_event: pin_event.clone(),
                    notes,
                }
            }
        });
    }

    let mut desired = a;
    let mut kind = MoveKind::Failover;
    if let Some(i) = (0..a).find(|i| health[*i].stable) {
        // A failback already under way (its target holds some of the group's routes: the
        // last pass failed part of its moves) is finished, not damped. Damping it left the
        // group split, and the majority rule then moved the routes already back home off that
        // healthy primary again, as a "failover" (found by the engine's sim tests).
        let damped_until = gstate
            .last_switch
            .map(|t| t + policy.min_switch_interval())
            .filter(|until| *until > now && counts[i] == 0);
        if !policy.failback {
            notes.push(format!(
                "{} is stable; failback is off (run failback to move back)",
                group.members[i].vpn
            ));
        } else if let Some(until) = damped_until {
            notes.push(format!(
                "failback to {} damped until {}",
                group.members[i].vpn,
                until.to_rfc3339()
            ));
        } else {
            desired = i;
            kind = MoveKind::Failback;
        }
    } else if let Some(i) = (0..a).find(|i| health[*i].healthy)
        && let Some(at) = health[i].stable_at
    {
        notes.push(format!(
            "{} is up; stable (hold-down) at {}",
            group.members[i].vpn,
            at.to_rfc3339()
        ));
    }
    Ok(Decision {
        desired: Some(desired),
        kind,
        switch_off_healthy: kind == MoveKind::Failback,
        pin: pin_change,
        pin_event: pin_event.clone(),
        notes,
    })
}
