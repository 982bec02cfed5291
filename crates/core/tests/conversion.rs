//! Table tests of the prefix-list conversion plan (`tgw_ha_core::conversion`): every plan is
//! carried out on a small model of the route tables, and after every step each of the group's
//! destinations must still have a route to the same member (static wins over a reference at an
//! equal prefix); then the refusals, resumption, the ledger, revert and the estimate.

use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use tgw_ha_core::conversion::{
    ConversionError, ConversionInput, ConversionPlan, Direction, Limits, ManagedPrefixList,
    OWNER_TAG, PrefixListReference, Step, estimate, list_name, max_entries_for, plan,
};
use tgw_ha_core::groups::{Group, Member};
use tgw_ha_core::ids::{AttachmentId, GroupName, PrefixListId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{Destination, Route, RouteKey, RouteState, RouteType};
use tgw_ha_core::state::LedgerEntry;

const PRIMARY: &str = "tgw-attach-primary";
const BACKUP: &str = "tgw-attach-backup";
const FOREIGN: &str = "tgw-attach-foreign";
const PL: &str = "pl-0group";

fn now() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn group() -> Group {
    Group {
        name: GroupName::new("paris"),
        tgw: TgwId::new("tgw-1"),
        members: vec![
            Member {
                vpn: VpnId::new("vpn-primary"),
                attachment: AttachmentId::new(PRIMARY),
                priority: 0,
                role: "primary".into(),
            },
            Member {
                vpn: VpnId::new("vpn-backup"),
                attachment: AttachmentId::new(BACKUP),
                priority: 1,
                role: "backup".into(),
            },
        ],
    }
}

fn rtb(t: usize) -> RouteTableId {
    RouteTableId::new(format!("tgw-rtb-{t}"))
}

fn cidr(i: usize) -> String {
    format!("10.{}.{}.0/24", i / 256, i % 256)
}

fn route(t: usize, c: &str, to: &str) -> Route {
    Route {
        table: rtb(t),
        destination: Destination::Cidr(c.to_owned()),
        attachment: Some(AttachmentId::new(to)),
        route_type: RouteType::Static,
        state: RouteState::Active,
    }
}

fn reference(t: usize, pl: &str, to: &str) -> PrefixListReference {
    PrefixListReference {
        table: rtb(t),
        prefix_list: PrefixListId::new(pl),
        attachment: Some(AttachmentId::new(to)),
        state: "available".into(),
    }
}

fn our_list(entries: impl IntoIterator<Item = String>) -> ManagedPrefixList {
    ManagedPrefixList {
        id: PrefixListId::new(PL),
        name: list_name(&GroupName::new("paris")),
        max_entries: 1000,
        version: 3,
        address_family: "IPv4".into(),
        state: "modify-complete".into(),
        entries: entries.into_iter().collect(),
        tags: [(OWNER_TAG.to_owned(), "paris".to_owned())].into(),
    }
}

/// The observed world a plan is made from, as plain data that the tests shape.
#[derive(Clone, Default)]
struct Obs {
    statics: Vec<Route>,
    refs: Vec<PrefixListReference>,
    lists: Vec<ManagedPrefixList>,
    others: BTreeMap<PrefixListId, Option<Vec<String>>>,
    ledger: Vec<LedgerEntry>,
    routes_in_tgw: usize,
    limits: Limits,
}

impl Obs {
    /// `tables` tables, each routing CIDRs `0..cidrs` statically to `to`.
    fn uniform(tables: usize, cidrs: usize, to: &str) -> Obs {
        let mut o = Obs {
            limits: Limits::default(),
            ..Obs::default()
        };
        for t in 0..tables {
            for i in 0..cidrs {
                o.statics.push(route(t, &cidr(i), to));
            }
        }
        o.routes_in_tgw = tables * cidrs;
        o
    }

    fn plan(&self, direction: Direction) -> Result<ConversionPlan, ConversionError> {
        let g = group();
        let tables: Vec<RouteTableId> = (0..8).map(rtb).collect();
        plan(
            &ConversionInput {
                group: &g,
                tables: &tables,
                statics: &self.statics,
                references: &self.refs,
                lists: &self.lists,
                other_entries: &self.others,
                ledger: &self.ledger,
                routes_in_tgw: self.routes_in_tgw,
                limits: self.limits,
                now: now(),
            },
            direction,
        )
    }
}

/// The model: per table, static routes and the group list's reference; the list's entries.
#[derive(Clone, Debug)]
struct Model {
    statics: BTreeMap<(RouteTableId, String), AttachmentId>,
    refs: BTreeMap<RouteTableId, AttachmentId>,
    list: Option<BTreeSet<String>>,
    ledger: BTreeMap<RouteKey, LedgerEntry>,
}

impl Model {
    fn of(o: &Obs) -> Model {
        Model {
            statics: o
                .statics
                .iter()
                .filter_map(|r| match (&r.destination, &r.attachment) {
                    (Destination::Cidr(c), Some(a)) => {
                        Some(((r.table.clone(), c.clone()), a.clone()))
                    }
                    _ => None,
                })
                .collect(),
            refs: o
                .refs
                .iter()
                .filter(|p| p.prefix_list.as_str() == PL)
                .filter_map(|p| Some((p.table.clone(), p.attachment.clone()?)))
                .collect(),
            list: o.lists.first().map(|l| l.entries.iter().cloned().collect()),
            ledger: o
                .ledger
                .iter()
                .map(|e| (e.key.clone(), e.clone()))
                .collect(),
        }
    }

    /// Where `table` sends `cidr`: a static route wins over the reference.
    fn route(&self, table: &RouteTableId, cidr: &str) -> Option<&AttachmentId> {
        if let Some(a) = self.statics.get(&(table.clone(), cidr.to_owned())) {
            return Some(a);
        }
        let listed = self.list.as_ref().is_some_and(|l| l.contains(cidr));
        self.refs.get(table).filter(|_| listed)
    }

    fn apply(&mut self, s: &Step) {
        match s {
            Step::CreateList { entries, .. } => {
                assert!(self.list.is_none(), "a second list");
                assert!(entries.len() <= 100, "at most 100 entries per call");
                self.list = Some(entries.iter().cloned().collect());
            }
            Step::AddEntries { entries } => {
                assert!(entries.len() <= 100, "at most 100 entries per call");
                let l = self.list.as_mut().expect("a list to add to");
                for e in entries {
                    assert!(l.insert(e.clone()), "{e} added twice");
                }
            }
            Step::ResizeList { .. } | Step::Wait { .. } => {}
            Step::CreateReference { table, to, record } => {
                assert!(self.list.is_some(), "a reference before its list");
                assert!(self.refs.insert(table.clone(), to.clone()).is_none());
                if let Some(e) = record {
                    self.ledger.insert(e.key.clone(), e.clone());
                }
            }
            Step::DeleteRoute {
                table,
                cidr,
                forget,
            } => {
                assert!(
                    self.statics
                        .remove(&(table.clone(), cidr.clone()))
                        .is_some()
                );
                if let Some(k) = forget {
                    self.ledger.remove(k);
                }
            }
            Step::CreateRoute {
                table,
                cidr,
                to,
                record,
            } => {
                assert!(
                    self.statics
                        .insert((table.clone(), cidr.clone()), to.clone())
                        .is_none()
                );
                if let Some(e) = record {
                    self.ledger.insert(e.key.clone(), e.clone());
                }
            }
            Step::DeleteReference { table, forget } => {
                assert!(self.refs.remove(table).is_some());
                if let Some(k) = forget {
                    self.ledger.remove(k);
                }
            }
            Step::DeleteList => {
                assert!(self.refs.is_empty(), "a list deleted while referenced");
                self.list = None;
            }
        }
    }
}

/// Carry `plan` out on the model of `obs`; after every step each destination of `expected`
/// must route to its member. Returns the model at the end.
fn carry_out(
    obs: &Obs,
    plan: &ConversionPlan,
    expected: &BTreeMap<(RouteTableId, String), AttachmentId>,
) -> Model {
    let mut m = Model::of(obs);
    let check = |m: &Model, after: &str| {
        for ((t, c), to) in expected {
            assert_eq!(m.route(t, c), Some(to), "{t} {c} after {after}");
        }
    };
    check(&m, "nothing");
    for (i, s) in plan.steps.iter().enumerate() {
        m.apply(s);
        check(&m, &format!("step {i}: {}", s.describe(PL)));
    }
    m
}

fn expected_of(o: &Obs) -> BTreeMap<(RouteTableId, String), AttachmentId> {
    Model::of(o)
        .statics
        .into_iter()
        .filter(|(_, a)| a.as_str() != FOREIGN)
        .collect()
}

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

#[test]
fn failover_estimate_at_ec2_s_write_rate() {
    let keys = |cidrs: usize, lists: usize| -> Vec<RouteKey> {
        let mut k: Vec<RouteKey> = (0..cidrs)
            .map(|i| RouteKey {
                table: rtb(i % 20),
                destination: Destination::Cidr(cidr(i)),
            })
            .collect();
        k.extend((0..lists).map(|t| RouteKey {
            table: rtb(t),
            destination: Destination::PrefixList(PrefixListId::new(PL)),
        }));
        k
    };
    let cases = [
        // (static routes, references, seconds, suggest)
        (0, 0, 0.0, false),
        (50, 0, 0.1, false),
        (200, 0, 30.1, true),
        (199, 0, 29.9, false),
        (500, 0, 90.1, true),
        (5000, 0, 990.1, true),
        (0, 20, 0.1, false),
    ];
    for (cidrs, lists, seconds, suggest) in cases {
        let e = estimate(&keys(cidrs, lists));
        assert_eq!((e.cidr_routes, e.references), (cidrs, lists));
        assert!(
            (e.seconds - seconds).abs() < 1e-9,
            "{cidrs}+{lists}: {}",
            e.seconds
        );
        assert_eq!(e.suggest_conversion, suggest, "{cidrs}+{lists}");
    }
    let e = estimate(&keys(5000, 0));
    assert_eq!(e.tables, 20);
    let note = e.note(&GroupName::new("paris"));
    assert!(
        note.contains("16.5 min") && note.contains("prefix-lists plan --group paris"),
        "{note}"
    );
}
