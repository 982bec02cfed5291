//! `revert`: every destination stays routed at every step and only the group's own list is
//! deleted; and a group with nothing to convert or revert gets an empty plan with a note.

use super::*;

#[test]
fn revert_keeps_every_destination_routed_and_deletes_only_its_own_list() {
    // A converted group on its backup (the references in the ledger).
    let entries: Vec<String> = (0..120).map(cidr).collect();
    let mut o = Obs {
        limits: Limits::default(),
        ..Obs::default()
    };
    o.lists = vec![our_list(entries.clone())];
    for t in 0..3 {
        o.refs.push(reference(t, PL, BACKUP));
        o.ledger.push(LedgerEntry {
            key: RouteKey {
                table: rtb(t),
                destination: Destination::PrefixList(PrefixListId::new(PL)),
            },
            group: GroupName::new("paris"),
            home: AttachmentId::new(PRIMARY),
            current: AttachmentId::new(BACKUP),
            moved_at: now(),
            decision: "failover".into(),
        });
    }
    o.routes_in_tgw = 360;
    let p = o.plan(Direction::Revert).unwrap();
    assert_eq!(p.calls()["CreateTransitGatewayRoute"], 360);
    assert_eq!(p.calls()["DeleteTransitGatewayPrefixListReference"], 3);
    assert_eq!(p.steps.last(), Some(&Step::DeleteList));
    assert_eq!(p.routes_peak, 360 + 120);
    assert_eq!((p.failover_before.calls, p.failover_after.calls), (3, 360));
    let mut expected = BTreeMap::new();
    for t in 0..3 {
        for c in &entries {
            expected.insert((rtb(t), c.clone()), AttachmentId::new(BACKUP));
        }
    }
    let end = carry_out(&o, &p, &expected);
    assert!(end.list.is_none() && end.refs.is_empty());
    // Every static route created on the backup is in the ledger; the references left it.
    assert_eq!(end.ledger.len(), 360);
    assert!(
        end.ledger
            .keys()
            .all(|k| matches!(k.destination, Destination::Cidr(_)))
    );

    // A list tgw-ha did not create is kept.
    let mut theirs = o.clone();
    theirs.lists[0].tags.clear();
    let p = theirs.plan(Direction::Revert).unwrap();
    assert!(!p.steps.contains(&Step::DeleteList));
    assert!(
        p.notes.iter().any(|n| n.contains("not created by tgw-ha")),
        "{:?}",
        p.notes
    );

    // The reference goes only once the static routes replacing it are active.
    let mut pending = o.clone();
    pending.statics = entries
        .iter()
        .map(|c| {
            let mut r = route(0, c, BACKUP);
            r.state = RouteState::Pending;
            r
        })
        .collect();
    // As revert recorded them before creating them.
    for r in pending.statics.clone() {
        pending.ledger.push(LedgerEntry {
            key: r.key(),
            group: GroupName::new("paris"),
            home: AttachmentId::new(PRIMARY),
            current: AttachmentId::new(BACKUP),
            moved_at: now(),
            decision: "prefix-list-conversion".into(),
        });
    }
    let p = pending.plan(Direction::Revert).unwrap();
    assert!(
        p.steps
            .iter()
            .any(|s| matches!(s, Step::Wait { table, .. } if *table == rtb(0)))
    );
    assert!(
        !p.steps
            .iter()
            .any(|s| matches!(s, Step::DeleteReference { table, .. } if *table == rtb(0)))
    );
}

#[test]
fn nothing_to_convert_or_revert_is_an_empty_plan_with_a_note() {
    let o = Obs::default();
    let p = o.plan(Direction::Convert).unwrap();
    assert!(p.steps.is_empty() && !p.notes.is_empty());
    let p = o.plan(Direction::Revert).unwrap();
    assert!(p.steps.is_empty());
    assert!(p.notes[0].contains("nothing to revert"), "{:?}", p.notes);
}
