//! `convert`: every destination stays routed at every step, a run resumes from whatever was
//! done, routes leaving the primary are recorded in the ledger, other members' and foreign
//! routes are not the group's, a list too small is resized first, and deletes wait for a
//! reference that is not available yet.

use super::*;

#[test]
fn convert_keeps_every_destination_routed_at_every_step() {
    let obs = Obs::uniform(3, 250, PRIMARY);
    let p = obs.plan(Direction::Convert).expect("plan");
    assert_eq!(p.entries.len(), 250);
    assert_eq!(p.tables, vec![rtb(0), rtb(1), rtb(2)]);
    assert_eq!(p.target, Some(AttachmentId::new(PRIMARY)));
    let calls = p.calls();
    assert_eq!(calls["CreateManagedPrefixList"], 1);
    assert_eq!(calls["ModifyManagedPrefixList"], 2, "250 = 100 + 100 + 50");
    assert_eq!(calls["CreateTransitGatewayPrefixListReference"], 3);
    assert_eq!(calls["DeleteTransitGatewayRoute"], 750);
    let Step::CreateList { max_entries, .. } = &p.steps[0] else {
        panic!("the list first: {:?}", p.steps[0]);
    };
    assert_eq!(*max_entries, 250 + 63, "a quarter more room");
    // One table at a time: the TGW holds at most one table's worth more than before.
    assert_eq!(p.routes_peak, 750 + 250);
    assert_eq!(p.routes_after, 750);
    assert_eq!(p.failover_before.calls, 750);
    assert_eq!(p.failover_after.calls, 3);
    assert!(
        p.steps.iter().all(|s| match s {
            Step::CreateReference { record, .. } => record.is_none(),
            Step::DeleteRoute { forget, .. } => forget.is_none(),
            _ => true,
        }),
        "nothing for the ledger on the primary"
    );

    let end = carry_out(&obs, &p, &expected_of(&obs));
    assert!(end.statics.is_empty());
    assert_eq!(end.refs.len(), 3);
    assert_eq!(end.list.as_ref().map(BTreeSet::len), Some(250));
}

#[test]
fn convert_resumes_from_whatever_was_done() {
    // A run stopped in table 1, after its reference and 100 of its deletes; table 0 is done.
    let mut obs = Obs::uniform(3, 150, PRIMARY);
    let entries: Vec<String> = (0..150).map(cidr).collect();
    obs.lists = vec![our_list(entries.clone())];
    obs.statics.retain(|r| r.table != rtb(0));
    obs.statics.retain(|r| {
        !(r.table == rtb(1)
            && matches!(&r.destination, Destination::Cidr(c) if entries[..100].contains(c)))
    });
    obs.refs = vec![reference(0, PL, PRIMARY), reference(1, PL, PRIMARY)];
    let p = obs.plan(Direction::Convert).expect("plan");
    let calls = p.calls();
    assert_eq!(
        calls.get("CreateManagedPrefixList"),
        None,
        "the list is reused"
    );
    assert_eq!(calls.get("ModifyManagedPrefixList"), None);
    assert_eq!(calls["CreateTransitGatewayPrefixListReference"], 1);
    assert_eq!(calls["DeleteTransitGatewayRoute"], 50 + 150);
    // Table 1 (referenced already) is finished first.
    assert!(matches!(&p.steps[0], Step::DeleteRoute { table, .. } if *table == rtb(1)));
    let mut expected: BTreeMap<_, _> = BTreeMap::new();
    for t in 0..3 {
        for c in &entries {
            expected.insert((rtb(t), c.clone()), AttachmentId::new(PRIMARY));
        }
    }
    carry_out(&obs, &p, &expected);

    // And a finished conversion plans nothing.
    let mut done = obs.clone();
    done.statics.clear();
    done.refs.push(reference(2, PL, PRIMARY));
    let p = done.plan(Direction::Convert).unwrap();
    assert!(p.steps.is_empty(), "{:?}", p.steps);
}

#[test]
fn a_group_on_its_backup_records_the_references_in_the_ledger() {
    let mut obs = Obs::uniform(2, 10, BACKUP);
    for r in &obs.statics {
        obs.ledger.push(LedgerEntry {
            key: r.key(),
            group: GroupName::new("paris"),
            home: AttachmentId::new(PRIMARY),
            current: AttachmentId::new(BACKUP),
            moved_at: now(),
            decision: "failover".into(),
        });
    }
    let p = obs.plan(Direction::Convert).unwrap();
    assert_eq!(p.target, Some(AttachmentId::new(BACKUP)));
    let end = carry_out(&obs, &p, &expected_of(&obs));
    // The moved static routes left the ledger; the references (on the backup) entered it.
    assert_eq!(end.ledger.len(), 2);
    for e in end.ledger.values() {
        assert_eq!((e.home.as_str(), e.current.as_str()), (PRIMARY, BACKUP));
        assert!(matches!(e.key.destination, Destination::PrefixList(_)));
    }
}

#[test]
fn routes_native_to_a_backup_and_foreign_routes_are_not_the_group_s() {
    let mut obs = Obs::uniform(2, 10, PRIMARY);
    // The backup's own routes (never moved: no ledger entry) and another VPC's.
    obs.statics.push(route(0, "192.168.0.0/16", BACKUP));
    obs.statics.push(route(1, "172.16.0.0/12", FOREIGN));
    let p = obs.plan(Direction::Convert).unwrap();
    assert_eq!(p.entries.len(), 10);
    let end = carry_out(&obs, &p, &expected_of(&obs));
    assert_eq!(end.statics.len(), 2, "left alone");
}

#[test]
fn an_existing_list_too_small_is_resized_before_entries_are_added() {
    let mut o = Obs::uniform(1, 30, PRIMARY);
    let mut l = our_list((0..5).map(cidr));
    l.max_entries = 10;
    o.lists = vec![l];
    let p = o.plan(Direction::Convert).unwrap();
    assert_eq!(
        p.steps[0],
        Step::ResizeList {
            max_entries: max_entries_for(30, 1000)
        }
    );
    assert!(matches!(&p.steps[1], Step::AddEntries { entries } if entries.len() == 25));
    carry_out(&o, &p, &expected_of(&o));
}

#[test]
fn deletes_wait_for_a_reference_that_is_not_available_yet() {
    let mut o = Obs::uniform(2, 3, PRIMARY);
    o.lists = vec![our_list((0..3).map(cidr))];
    let mut r = reference(0, PL, PRIMARY);
    r.state = "pending".into();
    o.refs.push(r);
    let p = o.plan(Direction::Convert).unwrap();
    assert!(matches!(&p.steps[0], Step::Wait { table, .. } if *table == rtb(0)));
    assert!(
        !p.steps
            .iter()
            .any(|s| matches!(s, Step::DeleteRoute { table, .. } if *table == rtb(0))),
        "no delete in a table whose reference is pending"
    );
}
