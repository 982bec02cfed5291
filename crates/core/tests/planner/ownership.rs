//! Ownership: which routes are the group's (its primary's static routes, the ledger's, its
//! prefix-list references), which are never touched, and how the ledger follows routes that
//! vanish, are re-pointed elsewhere or leave home.

use super::*;

#[test]
fn routes_that_are_not_the_groups_are_never_moved() {
    let foreign = vec![
        propagated(RTB, "10.9.0.0/16", AA),
        route(RTB, "10.8.0.0/16", Some("tgw-attach-vpc")),
        route(RTB, "10.7.0.0/16", None),
        route(RTB, "10.6.0.0/16", Some(AB)),
    ];

    // Failover: only the group route leaves the primary.
    let mut w = pair(dead(), long_up());
    w.obs.routes.extend(foreign.clone());
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert_eq!(report(&p, SITE).routes, 2);

    // Failback: only the ledger's routes come home; the backup's own route stays.
    let mut w = pair_on_backup(long_up(), long_up());
    failback_on(&mut w);
    w.obs.routes.extend(foreign);
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert!(p.moves.iter().all(|m| m.to == aid(AA)));
    assert!(p.ledger_drops.is_empty(), "{:?}", p.ledger_drops);
}

#[test]
fn ledger_route_that_is_a_blackhole_is_moved() {
    // Ours (in the ledger) though it lists no attachment: it goes to the desired member.
    let mut w = pair(long_up(), long_up());
    w.obs.routes = vec![route(RTB, R1, None)];
    w.state.ledger = vec![ledger(key(RTB, R1), SITE, AA, AB, t(-1000))];
    let p = w.plan(t(0));
    assert_eq!(p.moves.len(), 1);
    assert_eq!(p.moves[0].key, key(RTB, R1));
    assert_eq!(
        (p.moves[0].from.clone(), p.moves[0].to.clone()),
        (None, aid(AA))
    );

    // Primary down: the blackhole goes to the backup and its ledger entry is refreshed.
    let mut w = pair(dead(), long_up());
    w.obs.routes = vec![route(RTB, R1, None)];
    w.state.ledger = vec![ledger(key(RTB, R1), SITE, AA, AB, t(-1000))];
    let p = w.plan(t(0));
    assert_eq!(p.moves.len(), 1);
    assert_eq!(p.moves[0].to, aid(AB));
    assert_eq!(p.ledger_intents.len(), 1);
}

#[test]
fn ledger_entry_whose_route_vanished_is_dropped() {
    let mut w = pair_on_backup(long_up(), long_up());
    w.obs.routes.retain(|r| r.key() != key(RTB, R2));
    let p = w.plan(t(0));
    assert!(p.moves.is_empty());
    assert_eq!(p.ledger_drops.len(), 1);
    assert_eq!(p.ledger_drops[0].key, key(RTB, R2));
    assert_eq!(p.ledger_drops[0].group, gname(SITE));
    assert!(p.ledger_drops[0].reason.contains("no longer exists"));
}

#[test]
fn ledger_route_repointed_to_a_non_member_is_released_not_moved() {
    // Someone pointed R2 at a VPC by hand; with the primary back and failback on, R1 goes home
    // but R2 is released, not dragged back.
    let mut w = pair_on_backup(long_up(), long_up());
    failback_on(&mut w);
    w.obs.routes[1].attachment = Some(aid("tgw-attach-vpc"));
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), keys(&[R1]));
    assert_eq!(p.ledger_drops.len(), 1);
    assert_eq!(p.ledger_drops[0].key, key(RTB, R2));
    assert!(
        p.ledger_drops[0]
            .reason
            .contains("re-pointed to tgw-attach-vpc"),
        "{}",
        p.ledger_drops[0].reason
    );
}

#[test]
fn ledger_intents_for_routes_leaving_home_only() {
    // Leaving home: one intent per move, written with home, target and time.
    let w = pair(dead(), long_up());
    let p = w.plan(t(7));
    assert_eq!(p.moves.len(), 2);
    let intents: BTreeSet<RouteKey> = p.ledger_intents.iter().map(|e| e.key.clone()).collect();
    assert_eq!(intents, moved_keys(&p));
    for e in &p.ledger_intents {
        assert_eq!(e.group, gname(SITE));
        assert_eq!((e.home.clone(), e.current.clone()), (aid(AA), aid(AB)));
        assert_eq!(e.moved_at, t(7));
        assert_eq!(e.decision, "failover");
    }

    // Backup to backup (not home): the ledger entries are rewritten with the new target.
    let mut w = group_world(
        vec![dead(), dead(), long_up()],
        vec![route(RTB, R1, Some(AB))],
    );
    w.state.ledger = vec![ledger(key(RTB, R1), SITE, AA, AB, t(-1000))];
    let p = w.plan(t(0));
    assert_eq!(p.ledger_intents.len(), 1);
    assert_eq!(p.ledger_intents[0].current, aid(AC));
    assert_eq!(p.ledger_intents[0].home, aid(AA));

    // Going home: moves, no intents.
    let mut w = pair_on_backup(long_up(), long_up());
    failback_on(&mut w);
    let p = w.plan(t(0));
    assert_eq!(p.moves.len(), 2);
    assert!(p.ledger_intents.is_empty(), "{:?}", p.ledger_intents);
}

#[test]
fn prefix_list_references_move_like_routes() {
    let pl = RouteKey {
        table: tgw_ha_core::ids::RouteTableId::new(RTB),
        destination: Destination::PrefixList(PrefixListId::new("pl-0123")),
    };
    let mut w = pair(dead(), long_up());
    w.obs.routes.push(pl_route(RTB, "pl-0123", AA));
    let p = w.plan(t(0));
    let m = p
        .moves
        .iter()
        .find(|m| m.key == pl)
        .expect("prefix list moved");
    assert_eq!((m.to.clone(), m.kind), (aid(AB), MoveKind::Failover));
    assert!(p.ledger_intents.iter().any(|e| e.key == pl));
    w.apply(&p);
    assert_eq!(w.target_of(&pl), Some(aid(AB)));

    // And back.
    failback_on(&mut w);
    w.set_tunnels(A, long_up());
    let p = w.plan(t(0));
    let m = p
        .moves
        .iter()
        .find(|m| m.key == pl)
        .expect("prefix list back");
    assert_eq!((m.to.clone(), m.kind), (aid(AA), MoveKind::Failback));
}

#[test]
fn mutual_backup_failover_and_failback_touch_only_the_failed_sites_routes() {
    let site_b = "siteB";
    let r_a = key(RTB, R1);
    let r_b = key(RTB, R2);
    let mut w = World::new(
        vec![
            vpn(A, TGW, &[(SITE, "primary"), (site_b, "backup")], dead()),
            vpn(B, TGW, &[(SITE, "backup"), (site_b, "primary")], long_up()),
        ],
        vec![att(AA, TGW, A), att(AB, TGW, B)],
        vec![route(RTB, R1, Some(AA)), route(RTB, R2, Some(AB))],
    );
    failback_on(&mut w);

    // A dies: siteA's route goes to B; siteB (home on B) has nothing to do.
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), BTreeSet::from([r_a.clone()]));
    assert_eq!(p.moves[0].group, gname(SITE));
    assert_eq!(report(&p, site_b).status, GroupStatus::Home);
    w.apply(&p);

    // Next pass: siteB sees only its own route on B; it does not take siteA's.
    let p = w.plan(t(10));
    assert!(p.moves.is_empty(), "{:?}", p.moves);
    assert_eq!(report(&p, site_b).routes, 1);
    assert_eq!(report(&p, SITE).routes, 1);
    assert_eq!(report(&p, SITE).active, Some(vid(B)));

    // A is back and stable: exactly siteA's route returns.
    w.set_tunnels(A, up(t(20)));
    let p = w.plan(t(320));
    assert_eq!(moved_keys(&p), BTreeSet::from([r_a.clone()]));
    assert_eq!(p.moves[0].to, aid(AA));
    assert_eq!(p.moves[0].kind, MoveKind::Failback);
    w.apply(&p);
    assert_eq!(w.target_of(&r_a), Some(aid(AA)));
    assert_eq!(w.target_of(&r_b), Some(aid(AB)));
    assert!(w.state.ledger.is_empty(), "{:?}", w.state.ledger);
    assert!(w.plan(t(330)).is_noop());
}

#[test]
fn invalid_group_on_the_same_tgw_is_left_alone() {
    let mut w = pair(dead(), long_up());
    // "bad" has two primaries; its route points at one of them.
    w.obs.vpns.push(vpn(C, TGW, &[("bad", "primary")], dead()));
    w.obs
        .vpns
        .push(vpn(D, TGW, &[("bad", "primary")], long_up()));
    w.obs.attachments.push(att(AC, TGW, C));
    w.obs.attachments.push(att(AD, TGW, D));
    w.obs.routes.push(route(RTB, "10.3.0.0/16", Some(AC)));
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert_eq!(p.invalid.len(), 1);
    assert_eq!(p.invalid[0].name, gname("bad"));
    assert!(p.groups.iter().all(|g| g.name != gname("bad")));
}
