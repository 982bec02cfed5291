//! Level-triggered: a plan applied to the world and planned again is empty, from each of a set
//! of starting points (failover, failback, pin, …).

use super::*;

#[test]
fn applying_a_plan_then_planning_again_is_a_noop() {
    type Setup = fn() -> (World, Option<Directive>);
    let cases: Vec<(&str, Setup)> = vec![
        ("failover", || (pair(dead(), up(t(-10))), None)),
        ("failover to backup2", || {
            // R1 at home, R2 already on the (now dead) backup.
            let mut w = group_world(
                vec![dead(), dead(), long_up()],
                vec![route(RTB, R1, Some(AA)), route(RTB, R2, Some(AB))],
            );
            w.state.ledger = vec![ledger(key(RTB, R2), SITE, AA, AB, t(-1000))];
            (w, None)
        }),
        ("failback", || {
            let mut w = pair_on_backup(long_up(), long_up());
            failback_on(&mut w);
            (w, None)
        }),
        ("pin", || {
            (
                pair(long_up(), long_up()),
                Some(Directive::Pin {
                    group: gname(SITE),
                    vpn: vid(B),
                    force: false,
                    until: None,
                }),
            )
        }),
        ("operator failover", || {
            (
                pair(long_up(), long_up()),
                Some(Directive::Failover {
                    group: gname(SITE),
                    to: None,
                }),
            )
        }),
        ("mixed ownership with prefix list and blackhole", || {
            let mut w = pair(dead(), long_up());
            w.obs.routes.extend([
                pl_route(RTB, "pl-0123", AA),
                propagated(RTB, "10.9.0.0/16", AA),
                route(RTB, "10.7.0.0/16", None),
                route(RTB, "10.6.0.0/16", Some(AB)),
                route(RTB, "10.5.0.0/16", None),
            ]);
            w.state.ledger = vec![
                ledger(key(RTB, "10.5.0.0/16"), SITE, AA, AB, t(-1000)),
                ledger(key(RTB, "10.4.0.0/16"), SITE, AA, AB, t(-1000)),
            ];
            (w, None)
        }),
        ("down", || (pair(dead(), dead()), None)),
    ];
    for (name, setup) in cases {
        let (mut w, d) = setup();
        let now = t(0);
        let first = w.try_plan(now, d.as_ref(), None).expect(name);
        assert!(
            !first.is_noop(),
            "{name}: the first plan should change something"
        );
        w.apply(&first);
        let second = w.plan(now);
        assert!(second.moves.is_empty(), "{name}: {:?}", second.moves);
        assert!(second.is_noop(), "{name}: {second:?}");
        // Ledger holds exactly the routes away from home.
        for e in &w.state.ledger {
            assert_ne!(w.target_of(&e.key), Some(e.home.clone()), "{name}: {e:?}");
        }
    }
}
