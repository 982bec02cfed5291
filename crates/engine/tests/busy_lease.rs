//! A busy TGW is not an error for a look, and a DOWN is never lost to a busy lease: runs that
//! meet another run's lease succeed with a note when they only ask for a look, store their
//! signal when they carry one, and the run holding the lease acts on a DOWN stored meanwhile.

mod common;

use common::*;
use tgw_ha_core::model::TunnelStatus::{Down, Up};
use tgw_ha_core::planner::GroupStatus;
use tgw_ha_core::policy::Policy;
use tgw_ha_core::state::{Signal, SignalSource, TgwState};
use tgw_ha_core::trigger::{SignalEvent, Trigger};
use tgw_ha_engine::reconcile::merge_stored_signals;
use tgw_ha_engine::{Engine, EngineConfig, Outcome};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::{Gate, LeaseRecord, Sim};

fn busy_note(o: &Outcome) -> bool {
    let want = format!("another run holds the lease on {}", demo::TGW);
    o.notes.iter().any(|n| n.contains(&want))
}

fn signal_trigger(
    vpn_id: &str,
    status: Option<tgw_ha_core::model::TunnelStatus>,
    sim: &Sim,
) -> Trigger {
    Trigger::Vpn {
        signal: SignalEvent {
            vpn: vpn(vpn_id),
            tunnel: None,
            status,
            at: sim.now(),
            source: SignalSource::Reference,
        },
        region: None,
    }
}

fn routing_update() -> Trigger {
    Trigger::Tgw {
        tgw: demo_tgw(),
        region: None,
        reason: "TGW-ROUTE-UNINSTALLED".into(),
    }
}

fn hold_lease(sim: &Sim) {
    let expires = sim.now() + secs(600);
    sim.world().leases.insert(
        demo_tgw(),
        LeaseRecord {
            owner: "another-run".into(),
            expires,
        },
    );
}

#[tokio::test]
async fn a_look_meeting_a_busy_lease_succeeds_with_a_note_and_changes_nothing() {
    let sim = Sim::new(demo_world());
    hold_lease(&sim);
    // The primary is dead: a run that could act would move routes; these must not.
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    let before = sim.snapshot();
    let looks = [
        ("sweep", sweep()),
        ("routing update", routing_update()),
        (
            "notice",
            Trigger::Notice {
                vpn: vpn(demo::VPN_PARIS),
                reason: "tunnel endpoint replacement".into(),
            },
        ),
        (
            "insufficient data",
            signal_trigger(demo::VPN_PARIS, None, &sim),
        ),
    ];
    for (what, t) in looks {
        let out = engine(&sim, Policy::default())
            .handle(&t)
            .await
            .unwrap_or_else(|e| panic!("{what} meeting a busy lease: {e}"));
        assert!(busy_note(&out), "{what}: {:?}", out.notes);
        assert!(
            out.notes.iter().any(|n| n.contains("sees the same world")),
            "{what}"
        );
        assert_eq!(out.planned(), 0, "{what}");
        assert_eq!(sim.snapshot(), before, "{what} changed nothing");
    }
}

#[tokio::test]
async fn a_down_or_up_meeting_a_busy_lease_is_stored_without_the_lease() {
    let sim = Sim::new(demo_world());
    hold_lease(&sim);
    let routes = placement(&sim.snapshot());
    let out = engine(&sim, Policy::default())
        .handle(&signal_trigger(demo::VPN_BERLIN_PRIMARY, Some(Down), &sim))
        .await
        .expect("a DOWN meeting a busy lease is no error");
    assert!(
        out.notes.iter().any(|n| n.contains("signal stored")),
        "{:?}",
        out.notes
    );
    let st = state(&sim, &demo_tgw());
    assert_eq!(st.signals.len(), 1);
    assert_eq!(
        (st.signals[0].vpn.as_str(), st.signals[0].status),
        (demo::VPN_BERLIN_PRIMARY, Down)
    );
    assert_eq!(
        placement(&sim.snapshot()),
        routes,
        "nothing moved without the lease"
    );

    // An older UP changes nothing (the newest signal per VPN is kept); a newer one replaces it.
    advance(&sim, 5);
    let mut older = signal_trigger(demo::VPN_BERLIN_PRIMARY, Some(Up), &sim);
    if let Trigger::Vpn { signal, .. } = &mut older {
        signal.at = sim.now() - secs(60);
    }
    let out = engine(&sim, Policy::default())
        .handle(&older)
        .await
        .expect("older up");
    assert!(
        out.notes.iter().any(|n| n.contains("already known")),
        "{:?}",
        out.notes
    );
    assert_eq!(state(&sim, &demo_tgw()).signals[0].status, Down);
    engine(&sim, Policy::default())
        .handle(&signal_trigger(demo::VPN_BERLIN_PRIMARY, Some(Up), &sim))
        .await
        .expect("newer up");
    assert_eq!(state(&sim, &demo_tgw()).signals[0].status, Up);
}

#[tokio::test]
async fn a_down_arriving_while_another_run_moves_is_acted_on_by_that_run() {
    let initial = demo_world();
    let sim = Sim::new(initial.clone());
    // The holder's moves wait at a gate: it stays mid-failover while the test sends others.
    let gate = Gate::closed();
    let mut ports = sim.ports();
    ports.network = gate.around(ports.network);
    let holder = Engine::new(
        ports,
        EngineConfig {
            owner: "holder".into(),
            ..EngineConfig::default()
        },
    );

    // The holder fails paris over (its DOWN), and stops at its first move.
    let paris_down = signal_trigger(demo::VPN_PARIS, Some(Down), &sim);
    let run = tokio::spawn(async move { holder.handle(&paris_down).await });
    while gate.waiting() == 0 {
        tokio::task::yield_now().await;
    }
    assert_eq!(sim.lease.holder(&demo_tgw()).expect("held").owner, "holder");

    // Meanwhile: routing updates (the holder's own moves, reported) and a DOWN for berlin.
    for _ in 0..5 {
        let out = engine(&sim, Policy::default())
            .handle(&routing_update())
            .await
            .expect("a routing update meeting the holder");
        assert!(busy_note(&out), "{:?}", out.notes);
    }
    let out = engine(&sim, Policy::default())
        .handle(&signal_trigger(demo::VPN_BERLIN_PRIMARY, Some(Down), &sim))
        .await
        .expect("a DOWN meeting the holder");
    assert!(
        out.notes.iter().any(|n| n.contains("signal stored")),
        "{:?}",
        out.notes
    );

    gate.open();
    let out = run.await.expect("joins").expect("the holder's run");

    // The holder planned again and failed berlin over too, in the same run.
    let paris = usize::from(demo::PARIS_ROUTES) + 1;
    let berlin = usize::from(demo::BERLIN_ROUTES) + 2;
    assert_eq!(out.moved(), paris + berlin, "{:#?}", out.notes);
    let w = sim.snapshot();
    assert!(keys_on(&w, demo::ATT_PARIS).is_empty());
    assert!(keys_on(&w, demo::ATT_BERLIN_PRIMARY).is_empty());
    assert!(
        keys_on(&initial, demo::ATT_BERLIN_PRIMARY)
            .is_subset(&keys_on(&w, demo::ATT_BERLIN_BACKUP))
    );
    let berlin_report = out
        .groups()
        .find(|g| g.name.as_str() == "berlin")
        .expect("berlin reported");
    assert_eq!(berlin_report.status, GroupStatus::FailingOver);
    // The holder's saves survived the signal writer's: ledger and both signals are stored.
    assert_ledger_matches(&w, &group_routes(&initial));
    let st = state(&sim, &demo_tgw());
    assert_eq!(st.ledger.len(), paris + berlin);
    for v in [demo::VPN_PARIS, demo::VPN_BERLIN_PRIMARY] {
        assert!(
            st.signals
                .iter()
                .any(|s| s.vpn.as_str() == v && s.status == Down),
            "{v}: {:?}",
            st.signals
        );
    }
    assert!(sim.lease.holder(&demo_tgw()).is_none(), "released");
}

#[test]
fn a_conflicting_save_keeps_the_holders_fields_and_takes_only_the_writers_new_signals() {
    let t = demo::start();
    let sig = |v: &str, status, at| Signal {
        vpn: vpn(v),
        tunnel: None,
        status,
        at,
        source: SignalSource::CloudWatchAlarm,
    };
    // What the holder read, what it holds now (it replaced paris's signal), what is stored now
    // (a writer added berlin's DOWN and, from its stale read, still has paris's old signal).
    let base = vec![sig(demo::VPN_PARIS, Down, t)];
    let mut mine = TgwState {
        signals: vec![sig(demo::VPN_PARIS, Up, t + secs(30))],
        ..TgwState::default()
    };
    mine.home_routes
        .insert(tgw_ha_core::ids::GroupName::new("paris"), vec![]);
    let stored = vec![
        sig(demo::VPN_PARIS, Down, t),
        sig(demo::VPN_BERLIN_PRIMARY, Down, t + secs(10)),
    ];
    let taken = merge_stored_signals(&mut mine, &base, &stored);
    assert_eq!(taken, [sig(demo::VPN_BERLIN_PRIMARY, Down, t + secs(10))]);
    assert_eq!(
        mine.signals,
        [
            sig(demo::VPN_PARIS, Up, t + secs(30)),
            sig(demo::VPN_BERLIN_PRIMARY, Down, t + secs(10))
        ]
    );
    assert_eq!(
        mine.home_routes.len(),
        1,
        "the holder's other fields are its own"
    );
    // Nothing new stored: nothing taken.
    let again = mine.signals.clone();
    assert!(merge_stored_signals(&mut mine, &again, &again).is_empty());
}
