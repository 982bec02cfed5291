//! Scope: a group outside the trigger's scope is observed and reported, never moved.

use super::*;

#[test]
fn group_out_of_scope_gets_no_moves() {
    let mut w = pair(dead(), long_up());
    w.obs
        .vpns
        .push(vpn(C, TGW, &[("siteC", "primary")], dead()));
    w.obs
        .vpns
        .push(vpn(D, TGW, &[("siteC", "backup")], long_up()));
    w.obs.attachments.push(att(AC, TGW, C));
    w.obs.attachments.push(att(AD, TGW, D));
    w.obs.routes.push(route(RTB, "10.3.0.0/16", Some(AC)));

    let scope: BTreeSet<GroupName> = BTreeSet::from([gname("siteC")]);
    let p = w.try_plan(t(0), None, Some(&scope)).expect("plan");
    assert_eq!(moved_keys(&p), keys(&["10.3.0.0/16"]));
    assert!(p.moves.iter().all(|m| m.group == gname("siteC")));
    let r = report(&p, SITE);
    assert!(!r.in_scope);
    assert_eq!(r.moves, 0);
    assert!(r.notes.iter().any(|n| n.contains("scope")), "{:?}", r.notes);
    assert!(p.events.iter().all(|e| e.group == gname("siteC")));
    assert!(report(&p, "siteC").in_scope);

    // No scope: both move.
    assert_eq!(w.plan(t(0)).moves.len(), 3);
}
