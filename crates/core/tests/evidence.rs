//! The evidence rules (DESIGN.md "healthy") and what people are told once per transition: a
//! late alarm against a tunnel that came back, a metric gap, a DOWN that telemetry contradicts
//! (said out loud, settled by an operator's failback), a group left unprotected by its tags.

mod common;

use common::*;
use tgw_ha_core::events::parse_event;
use tgw_ha_core::health::{CONTRADICTION_AFTER_SECS, assess};
use tgw_ha_core::model::TunnelStatus::{Down, Up};
use tgw_ha_core::model::{Tunnel, TunnelStatus};
use tgw_ha_core::planner::{Directive, EventKind, GroupStatus, Plan};
use tgw_ha_core::policy::Policy;
use tgw_ha_core::state::{Signal, SignalSource};
use tgw_ha_core::trigger::Trigger;

const A: &str = "vpn-a";
const B: &str = "vpn-b";
const AA: &str = "tgw-attach-a";
const AB: &str = "tgw-attach-b";
const R1: &str = "10.1.0.0/16";
const R2: &str = "10.2.0.0/16";

fn site(a: Vec<Tunnel>, b: Vec<Tunnel>, b_role: &str) -> World {
    World::new(
        vec![
            vpn(A, TGW, &[("siteA", "primary")], a),
            vpn(B, TGW, &[("siteA", b_role)], b),
        ],
        vec![att(AA, TGW, A), att(AB, TGW, B)],
        vec![route(RTB, R1, Some(AA)), route(RTB, R2, Some(AA))],
    )
}

fn events(plan: &Plan, kind: EventKind) -> usize {
    plan.events.iter().filter(|e| e.kind == kind).count()
}

/// Plan at `now`, apply (as the engine would), return the plan.
fn pass(w: &mut World, now: i64) -> Plan {
    let p = w.plan(t(now));
    w.apply(&p);
    p
}

fn signal_of(trigger: Trigger) -> Option<Signal> {
    match trigger {
        Trigger::Vpn { signal, .. } => signal.status.map(|status| Signal {
            vpn: signal.vpn,
            tunnel: signal.tunnel,
            status,
            at: signal.at,
            source: signal.source,
        }),
        other => panic!("{other:?}"),
    }
}

#[test]
fn late_alarm_does_not_take_down_a_tunnel_that_came_back_after_its_evidence() {
    // The alarm judged the datapoint 09:25:00–09:26:00 (DOWN) and was delivered at 09:26:53;
    // telemetry says both tunnels came back UP at 09:26:30: the tunnels win.
    let fixture = include_str!("fixtures/events/alarm-state-alarm.json")
        .replace("vpn-0a1b2c3d4e5f60001", "vpn-0a");
    let signal = signal_of(parse_event(&fixture).unwrap()).expect("a DOWN signal");
    let came_back: chrono::DateTime<chrono::Utc> = "2026-03-14T09:26:30Z".parse().unwrap();
    let delivered: chrono::DateTime<chrono::Utc> = "2026-03-14T09:26:53Z".parse().unwrap();
    let v = vpn("vpn-0a", TGW, &[("g", "primary")], up(came_back));
    let h = assess(
        &v,
        std::slice::from_ref(&signal),
        &Policy::default(),
        delivered,
    );
    assert!(h.healthy, "{h:?}");
    // Had it been stamped with its delivery (the old rule), it would have taken them down.
    let stamped_late = Signal {
        at: delivered,
        ..signal
    };
    assert!(!assess(&v, &[stamped_late], &Policy::default(), delivered).healthy);
}

#[test]
fn missing_data_alarm_never_moves_a_healthy_vpns_routes() {
    let fixture = include_str!("fixtures/events/alarm-state-alarm-missing-data.json");
    assert_eq!(
        signal_of(parse_event(fixture).unwrap()),
        None,
        "no signal is stored"
    );
    let mut w = site(up(t(-3600)), up(t(-3600)), "backup");
    let p = pass(&mut w, 0);
    assert!(p.moves.is_empty(), "{:?}", p.moves);
    assert_eq!(p.groups[0].status, GroupStatus::Home);
}

#[test]
fn contradicted_down_keeps_the_backup_is_announced_once_and_never_fails_back_by_itself() {
    let mut w = site(up(t(-3600)), up(t(-3600)), "backup");
    w.policy.failback = true;
    // An alarm says the primary is down; telemetry never agrees.
    w.state.signals.push(alarm(A, Down, t(0)));
    let p = pass(&mut w, 5);
    assert_eq!(p.moves.len(), 2, "a fresh DOWN fails over at once");
    assert!(p.groups[0].members[0].health.contradicted.is_none());
    assert_eq!(
        events(&p, EventKind::Contradicted),
        0,
        "too early to doubt it"
    );

    // Minutes later telemetry still shows the tunnels UP since before the evidence.
    let later = CONTRADICTION_AFTER_SECS + 10;
    let p = pass(&mut w, later);
    let primary = &p.groups[0].members[0];
    let c = primary.health.contradicted.as_ref().expect("contradicted");
    assert_eq!((c.source, c.at), (SignalSource::CloudWatchAlarm, t(0)));
    assert!(
        !primary.health.healthy,
        "stays down: the backup is the safe side"
    );
    assert!(p.moves.is_empty());
    assert_eq!(events(&p, EventKind::Contradicted), 1);
    assert!(
        p.groups[0]
            .notes
            .iter()
            .any(|n| n.contains("contradicted by telemetry")),
        "{:?}",
        p.groups[0].notes
    );

    // Every later sweep: no second notification, no automatic failback (failback is on and the
    // primary's tunnels are long stable).
    for now in [later + 60, later + 600, later + 3600] {
        let p = pass(&mut w, now);
        assert!(p.moves.is_empty(), "at {now}: {:?}", p.moves);
        assert_eq!(events(&p, EventKind::Contradicted), 0, "at {now}");
        assert_eq!(p.groups[0].status, GroupStatus::OnBackup);
    }

    // The operator's failback settles it: routes home, an operator UP recorded.
    let now = later + 4000;
    let p = w
        .try_plan(
            t(now),
            Some(&Directive::Failback {
                group: gname("siteA"),
            }),
            None,
        )
        .expect("failback settles a contradicted signal");
    assert_eq!(p.moves.len(), 2);
    assert!(p.moves.iter().all(|m| m.to == aid(AA)));
    assert!(
        p.signals
            .iter()
            .all(|s| s.status == Up && s.source == SignalSource::Operator)
    );
    w.apply(&p);
    let p = pass(&mut w, now + 1);
    assert!(p.moves.is_empty());
    assert_eq!(p.groups[0].status, GroupStatus::Home);
    assert!(p.groups[0].members[0].health.contradicted.is_none());
    assert!(
        w.state.contradicted.is_empty(),
        "announcement forgotten with its signal"
    );
}

#[test]
fn a_down_that_telemetry_confirms_is_not_contradicted() {
    // Telemetry caught up: the tunnels went DOWN after the alarm's evidence.
    let mut w = site(down(t(30)), up(t(-3600)), "backup");
    w.state.signals.push(alarm(A, Down, t(0)));
    let p = pass(&mut w, 3600);
    assert!(p.groups[0].members[0].health.contradicted.is_none());
    assert_eq!(events(&p, EventKind::Contradicted), 0);
    // Nor is a signal overridden by a later telemetry change (tunnel flapped back UP after it).
    let mut w = site(up(t(60)), up(t(-3600)), "backup");
    w.state.signals.push(alarm(A, Down, t(0)));
    let p = pass(&mut w, 3600);
    assert!(p.groups[0].members[0].health.healthy);
    assert!(p.groups[0].members[0].health.contradicted.is_none());
}

#[test]
fn failback_refused_when_the_primary_is_down_by_telemetry_too() {
    let mut w = site(down(t(-10)), up(t(-3600)), "backup");
    w.state.signals.push(alarm(A, Down, t(0)));
    pass(&mut w, 1);
    let err = w
        .try_plan(
            t(3600),
            Some(&Directive::Failback {
                group: gname("siteA"),
            }),
            None,
        )
        .unwrap_err();
    assert!(err.to_string().contains("not healthy"), "{err}");
}

#[test]
fn per_tunnel_down_contradicted_names_the_tunnel() {
    // min_tunnels_up 2: one tunnel's IPSEC-DOWN makes the member unhealthy.
    let mut w = site(up(t(-3600)), up(t(-3600)), "backup");
    w.policy.min_tunnels_up = 2;
    w.state
        .signals
        .push(nm(A, "203.0.113.1", TunnelStatus::Down, t(0)));
    pass(&mut w, 1);
    let p = pass(&mut w, CONTRADICTION_AFTER_SECS + 1);
    let c = p.groups[0].members[0]
        .health
        .contradicted
        .clone()
        .expect("contradicted");
    assert_eq!(c.tunnel.as_deref(), Some("203.0.113.1"));
    assert_eq!(events(&p, EventKind::Contradicted), 1);
}

#[test]
fn group_left_unprotected_by_a_tag_typo_is_announced_once_and_again_when_fixed() {
    let mut w = site(up(t(-3600)), up(t(-3600)), "bakup");
    let p = pass(&mut w, 0);
    assert_eq!(p.invalid.len(), 1, "{:?}", p.invalid);
    assert_eq!(events(&p, EventKind::Invalid), 1);
    let e = p
        .events
        .iter()
        .find(|e| e.kind == EventKind::Invalid)
        .unwrap();
    assert_eq!(e.group.as_str(), "siteA");
    assert!(e.detail.contains("not protected"), "{}", e.detail);
    for now in [60, 120, 3600] {
        let p = pass(&mut w, now);
        assert_eq!(events(&p, EventKind::Invalid), 0, "not repeated at {now}");
        assert!(p.is_noop(), "nothing to write at {now}");
    }
    // Fixed: one "valid again".
    w.vpn_mut(B).tags.insert("siteA".into(), "backup".into());
    let p = pass(&mut w, 3700);
    assert_eq!(events(&p, EventKind::Valid), 1);
    assert!(w.state.invalid.is_empty());
    let p = pass(&mut w, 3800);
    assert_eq!(events(&p, EventKind::Valid), 0);
}

// --- pins with an end, and forgotten pins (issue 9 §3) ----------------------------------------

#[test]
fn pin_until_ends_by_itself_and_the_group_goes_back_to_automation() {
    use tgw_ha_core::trigger::PinUntil;
    let mut w = site(up(t(-3600)), up(t(-3600)), "backup");
    w.policy.failback = true;
    let pin = Directive::Pin {
        group: gname("siteA"),
        vpn: vid(B),
        force: false,
        until: Some(PinUntil::parse("2h").unwrap()),
    };
    let p = w.try_plan(t(0), Some(&pin), None).expect("pin");
    assert_eq!(p.moves.len(), 2, "pinned to the backup");
    w.apply(&p);
    let until = w.state.groups[&gname("siteA")]
        .pin
        .as_ref()
        .and_then(|p| p.until)
        .expect("an end");
    assert_eq!(until, t(7200));
    // Before the end: pinned, nothing moves back (failback is on, the primary is stable).
    let p = pass(&mut w, 7199);
    assert!(p.moves.is_empty());
    assert_eq!(events(&p, EventKind::PinEnded), 0);
    // The sweep after the end releases it: one notice, and the policy applies again.
    let p = pass(&mut w, 7200);
    assert_eq!(events(&p, EventKind::PinEnded), 1);
    assert_eq!(p.moves.len(), 2, "failback to the stable primary");
    assert!(w.state.groups[&gname("siteA")].pin.is_none());
    let p = pass(&mut w, 7300);
    assert_eq!(events(&p, EventKind::PinEnded), 0);
}

#[test]
fn pin_until_in_the_past_or_unparsable_is_refused() {
    use tgw_ha_core::trigger::PinUntil;
    let w = site(up(t(-3600)), up(t(-3600)), "backup");
    let pin = Directive::Pin {
        group: gname("siteA"),
        vpn: vid(B),
        force: false,
        until: Some(PinUntil::At(t(-1))),
    };
    let err = w.try_plan(t(0), Some(&pin), None).unwrap_err();
    assert!(err.to_string().contains("not after now"), "{err}");
    for bad in ["", "soon", "2x", "-5m", "0s", "99999999d"] {
        assert!(PinUntil::parse(bad).is_err(), "{bad:?}");
    }
    for (good, secs) in [("45", 45), ("90m", 5400), ("1h30m", 5400), ("2d", 172_800)] {
        assert_eq!(
            PinUntil::parse(good).unwrap(),
            PinUntil::After(chrono::Duration::seconds(secs)),
            "{good}"
        );
    }
    // Through the operator event, as the Lambda receives it.
    let t = parse_event(
        r#"{"action": "pin", "group": "siteA", "vpn": "vpn-0b", "until": "2026-12-03T08:00:00Z"}"#,
    )
    .unwrap();
    match t {
        Trigger::Operator { action, .. } => assert!(matches!(
            action,
            tgw_ha_core::trigger::OperatorAction::Pin {
                until: Some(PinUntil::At(_)),
                ..
            }
        )),
        other => panic!("{other:?}"),
    }
    assert!(
        parse_event(r#"{"action": "pin", "group": "g", "vpn": "vpn-0b", "until": "later"}"#)
            .is_err()
    );
}

#[test]
fn a_pin_with_no_end_is_announced_once_after_pin_warn_hours() {
    let mut w = site(up(t(-3600)), up(t(-3600)), "backup");
    let pin = Directive::Pin {
        group: gname("siteA"),
        vpn: vid(B),
        force: false,
        until: None,
    };
    let p = w.try_plan(t(0), Some(&pin), None).expect("pin");
    w.apply(&p);
    let p = pass(&mut w, 24 * 3600 - 1);
    assert_eq!(events(&p, EventKind::PinReminder), 0);
    let p = pass(&mut w, 24 * 3600);
    assert_eq!(events(&p, EventKind::PinReminder), 1);
    let e = p
        .events
        .iter()
        .find(|e| e.kind == EventKind::PinReminder)
        .unwrap();
    assert!(
        e.detail.contains("tgw-ha unpin --group siteA"),
        "{}",
        e.detail
    );
    for now in [24 * 3600 + 60, 48 * 3600, 96 * 3600] {
        let p = pass(&mut w, now);
        assert_eq!(events(&p, EventKind::PinReminder), 0, "once only, at {now}");
        assert!(p.moves.is_empty(), "still pinned");
    }
}
