//! The refusals: each case of the library module doc's "Refused" list gets an error that
//! names what is wrong.

use super::*;

#[test]
fn refusals_name_what_is_wrong() {
    let g = GroupName::new("paris");

    // Split: one route already moved to the backup (ledger), the rest on the primary.
    let mut o = Obs::uniform(2, 5, PRIMARY);
    o.statics[0].attachment = Some(AttachmentId::new(BACKUP));
    o.ledger.push(LedgerEntry {
        key: o.statics[0].key(),
        group: g.clone(),
        home: AttachmentId::new(PRIMARY),
        current: AttachmentId::new(BACKUP),
        moved_at: now(),
        decision: "failover".into(),
    });
    let e = o.plan(Direction::Convert).unwrap_err();
    assert!(matches!(e, ConversionError::Split { .. }), "{e}");
    assert!(e.to_string().contains("reconcile"), "{e}");

    // Tables that route different CIDRs.
    let mut o = Obs::uniform(3, 5, PRIMARY);
    o.statics.push(route(2, "10.200.0.0/24", PRIMARY));
    let e = o.plan(Direction::Convert).unwrap_err();
    assert!(
        matches!(&e, ConversionError::Inconsistent { table, missing, routed: 5, total: 6, .. }
            if *table == rtb(0) && missing == &["10.200.0.0/24".to_owned()]),
        "{e}"
    );

    // Another list referenced in one of the tables holds one of the CIDRs.
    let mut o = Obs::uniform(2, 5, PRIMARY);
    o.refs.push(reference(1, "pl-offices", FOREIGN));
    o.others.insert(
        PrefixListId::new("pl-offices"),
        Some(vec![cidr(3), "192.0.2.0/24".into()]),
    );
    let e = o.plan(Direction::Convert).unwrap_err();
    assert!(
        matches!(&e, ConversionError::ConflictingReference { table, cidrs, .. } if *table == rtb(1) && cidrs == &[cidr(3)]),
        "{e}"
    );
    // … whose entries cannot be read.
    o.others.insert(PrefixListId::new("pl-offices"), None);
    assert!(matches!(
        o.plan(Direction::Convert).unwrap_err(),
        ConversionError::UnreadableReference { .. }
    ));
    // … and one that does not overlap is fine.
    o.others.insert(
        PrefixListId::new("pl-offices"),
        Some(vec!["192.0.2.0/24".into()]),
    );
    assert!(o.plan(Direction::Convert).is_ok());

    // More CIDRs than a list may hold.
    let o = Obs::uniform(1, 1001, PRIMARY);
    assert!(matches!(
        o.plan(Direction::Convert).unwrap_err(),
        ConversionError::TooManyEntries {
            entries: 1001,
            quota: 1000,
            ..
        }
    ));

    // The TGW's routes quota at the peak.
    let mut o = Obs::uniform(4, 100, PRIMARY);
    o.routes_in_tgw = 9950;
    let e = o.plan(Direction::Convert).unwrap_err();
    assert!(
        matches!(
            e,
            ConversionError::RouteQuota {
                peak: 10050,
                quota: 10_000,
                ..
            }
        ),
        "{e}"
    );
    o.routes_in_tgw = 9900;
    assert!(
        o.plan(Direction::Convert).is_ok(),
        "exactly at the quota is fine"
    );

    // IPv4 and IPv6 in one group.
    let mut o = Obs::uniform(1, 2, PRIMARY);
    o.statics.push(route(0, "2001:db8::/48", PRIMARY));
    assert!(matches!(
        o.plan(Direction::Convert).unwrap_err(),
        ConversionError::MixedFamilies { .. }
    ));

    // Two lists with the group's name.
    let mut o = Obs::uniform(1, 2, PRIMARY);
    let mut second = our_list([]);
    second.id = PrefixListId::new("pl-0other");
    o.lists = vec![our_list([]), second];
    assert!(matches!(
        o.plan(Direction::Convert).unwrap_err(),
        ConversionError::AmbiguousList { .. }
    ));

    // A blackhole the ledger says is the group's.
    let mut o = Obs::uniform(1, 2, PRIMARY);
    o.statics[0].attachment = None;
    o.statics[0].state = RouteState::Blackhole;
    o.ledger.push(LedgerEntry {
        key: o.statics[0].key(),
        group: g.clone(),
        home: AttachmentId::new(PRIMARY),
        current: AttachmentId::new(BACKUP),
        moved_at: now(),
        decision: "failover".into(),
    });
    assert!(matches!(
        o.plan(Direction::Convert).unwrap_err(),
        ConversionError::Blackhole { .. }
    ));

    // The group's list referenced to something that is not a member.
    let mut o = Obs::uniform(1, 2, PRIMARY);
    o.lists = vec![our_list([cidr(0), cidr(1)])];
    o.refs.push(reference(1, PL, FOREIGN));
    assert!(matches!(
        o.plan(Direction::Convert).unwrap_err(),
        ConversionError::ForeignTarget { .. }
    ));
}
