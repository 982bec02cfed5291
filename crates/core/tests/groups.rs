//! Group discovery from tags (DESIGN.md "Words": group, member, priority): the role table, valid
//! groups, and every reason a group is refused — without a refused group hurting a valid one.

mod common;

use common::*;
use tgw_ha_core::groups::{Discovery, discover, is_tagged_member, parse_role};
use tgw_ha_core::model::{Attachment, VpnConnection, VpnState};
use tgw_ha_core::policy::Policy;

fn disc(vpns: &[VpnConnection], atts: &[Attachment]) -> Discovery {
    discover(vpns, atts, &Policy::default())
}

/// A VPN with both tunnels up on `TGW`.
fn v(id: &str, tags: &[(&str, &str)]) -> VpnConnection {
    vpn(id, TGW, tags, up(t(-3600)))
}

fn a(vpn: &str) -> Attachment {
    att(&format!("tgw-attach-{vpn}"), TGW, vpn)
}

fn invalid_reason<'a>(d: &'a Discovery, group: &str) -> &'a str {
    &d.invalid
        .iter()
        .find(|g| g.name == gname(group))
        .unwrap_or_else(|| panic!("{group} should be invalid: {d:?}"))
        .reason
}

#[test]
fn parse_role_table() {
    let cases: &[(&str, Option<u32>)] = &[
        ("primary", Some(0)),
        ("PRIMARY", Some(0)),
        ("Primary", Some(0)),
        (" primary ", Some(0)),
        ("backup", Some(1)),
        ("Backup", Some(1)),
        ("BACKUP", Some(1)),
        ("backup1", Some(1)),
        ("backup2", Some(2)),
        ("Backup3", Some(3)),
        ("backup10", Some(10)),
        ("backup0", None),
        ("backup01", None),
        ("backupx", None),
        ("backup-2", None),
        ("backup 2", None),
        ("secondary", None),
        ("primary1", None),
        ("", None),
    ];
    for (value, want) in cases {
        assert_eq!(parse_role(value), *want, "parse_role({value:?})");
    }
}

#[test]
fn valid_pair_primary_is_home() {
    let vpns = [
        v("vpn-b", &[("siteA", "backup")]),
        v("vpn-a", &[("siteA", "primary")]),
    ];
    let d = disc(&vpns, &[a("vpn-a"), a("vpn-b")]);
    assert!(d.invalid.is_empty(), "{:?}", d.invalid);
    assert_eq!(d.groups.len(), 1);
    let g = &d.groups[0];
    assert_eq!(g.name, gname("siteA"));
    assert_eq!(g.tgw.as_str(), TGW);
    assert_eq!(g.home().vpn, vid("vpn-a"));
    assert_eq!(g.home().attachment, aid("tgw-attach-vpn-a"));
    let prios: Vec<(&str, u32)> = g
        .members
        .iter()
        .map(|m| (m.vpn.as_str(), m.priority))
        .collect();
    assert_eq!(prios, [("vpn-a", 0), ("vpn-b", 1)]);
}

#[test]
fn three_members_sorted_by_priority() {
    // Listed out of order, and vpn ids sort opposite to priority.
    let vpns = [
        v("vpn-1", &[("site", "backup2")]),
        v("vpn-2", &[("site", "primary")]),
        v("vpn-3", &[("site", "backup")]),
    ];
    let d = disc(&vpns, &[a("vpn-1"), a("vpn-2"), a("vpn-3")]);
    assert!(d.invalid.is_empty(), "{:?}", d.invalid);
    let g = d.group(&gname("site")).expect("group");
    let order: Vec<(&str, u32)> = g
        .members
        .iter()
        .map(|m| (m.vpn.as_str(), m.priority))
        .collect();
    assert_eq!(order, [("vpn-2", 0), ("vpn-3", 1), ("vpn-1", 2)]);
}

#[test]
fn role_values_are_case_insensitive_and_kept_as_written() {
    let vpns = [
        v("vpn-a", &[("siteA", "PRIMARY")]),
        v("vpn-b", &[("siteA", "Backup")]),
        v("vpn-c", &[("siteA", "BACKUP2")]),
    ];
    let d = disc(&vpns, &[a("vpn-a"), a("vpn-b"), a("vpn-c")]);
    assert!(d.invalid.is_empty(), "{:?}", d.invalid);
    let g = d.group(&gname("siteA")).expect("group");
    let roles: Vec<(&str, u32)> = g
        .members
        .iter()
        .map(|m| (m.role.as_str(), m.priority))
        .collect();
    assert_eq!(roles, [("PRIMARY", 0), ("Backup", 1), ("BACKUP2", 2)]);
}

#[test]
fn mutual_backup_gives_two_valid_groups() {
    let vpns = [
        v("vpn-a", &[("siteA", "primary"), ("siteB", "backup")]),
        v("vpn-b", &[("siteA", "backup"), ("siteB", "primary")]),
    ];
    let d = disc(&vpns, &[a("vpn-a"), a("vpn-b")]);
    assert!(d.invalid.is_empty(), "{:?}", d.invalid);
    assert_eq!(d.groups.len(), 2);
    let site_a = d.group(&gname("siteA")).expect("siteA");
    let site_b = d.group(&gname("siteB")).expect("siteB");
    assert_eq!(site_a.home().vpn, vid("vpn-a"));
    assert_eq!(site_a.members[1].vpn, vid("vpn-b"));
    assert_eq!(site_b.home().vpn, vid("vpn-b"));
    assert_eq!(site_b.members[1].vpn, vid("vpn-a"));
    assert_eq!(d.groups_of(&vid("vpn-a")).count(), 2);
}

#[test]
fn invalid_groups_table() {
    struct Case {
        name: &'static str,
        vpns: Vec<VpnConnection>,
        atts: Vec<Attachment>,
        /// A fragment the reason must contain.
        reason: &'static str,
    }
    let mut deleted = v("vpn-b", &[("g", "backup")]);
    deleted.state = VpnState::Deleted;
    let mut deleting = v("vpn-b", &[("g", "backup")]);
    deleting.state = VpnState::Deleting;
    let mut on_vgw = v("vpn-b", &[("g", "backup")]);
    on_vgw.transit_gateway_id = None;
    let cases = vec![
        Case {
            name: "no primary",
            vpns: vec![
                v("vpn-a", &[("g", "backup")]),
                v("vpn-b", &[("g", "backup2")]),
            ],
            atts: vec![a("vpn-a"), a("vpn-b")],
            reason: "no member is tagged primary",
        },
        Case {
            name: "two primaries",
            vpns: vec![
                v("vpn-a", &[("g", "primary")]),
                v("vpn-b", &[("g", "Primary")]),
                v("vpn-c", &[("g", "backup")]),
            ],
            atts: vec![a("vpn-a"), a("vpn-b"), a("vpn-c")],
            reason: "two members are tagged primary",
        },
        Case {
            name: "same priority: backup and backup1",
            vpns: vec![
                v("vpn-a", &[("g", "primary")]),
                v("vpn-b", &[("g", "backup")]),
                v("vpn-c", &[("g", "backup1")]),
            ],
            atts: vec![a("vpn-a"), a("vpn-b"), a("vpn-c")],
            reason: "same priority",
        },
        Case {
            name: "members on different TGWs",
            vpns: vec![
                v("vpn-a", &[("g", "primary")]),
                vpn("vpn-b", "tgw-2", &[("g", "backup")], up(t(-3600))),
            ],
            atts: vec![a("vpn-a"), att("tgw-attach-vpn-b", "tgw-2", "vpn-b")],
            reason: "different transit gateways",
        },
        Case {
            name: "a member deleted",
            vpns: vec![v("vpn-a", &[("g", "primary")]), deleted],
            atts: vec![a("vpn-a"), a("vpn-b")],
            reason: "vpn-b is deleted",
        },
        Case {
            name: "a member deleting",
            vpns: vec![v("vpn-a", &[("g", "primary")]), deleting],
            atts: vec![a("vpn-a"), a("vpn-b")],
            reason: "vpn-b is deleting",
        },
        Case {
            name: "a member on a virtual private gateway",
            vpns: vec![v("vpn-a", &[("g", "primary")]), on_vgw],
            atts: vec![a("vpn-a")],
            reason: "vpn-b is not on a transit gateway",
        },
        Case {
            name: "a member without attachment",
            vpns: vec![
                v("vpn-a", &[("g", "primary")]),
                v("vpn-b", &[("g", "backup")]),
            ],
            atts: vec![a("vpn-a")],
            reason: "vpn-b has no transit gateway attachment",
        },
        Case {
            name: "a member whose attachment is deleted",
            vpns: vec![
                v("vpn-a", &[("g", "primary")]),
                v("vpn-b", &[("g", "backup")]),
            ],
            atts: vec![a("vpn-a"), {
                let mut x = a("vpn-b");
                x.state = "deleted".into();
                x
            }],
            reason: "vpn-b has no transit gateway attachment",
        },
        Case {
            name: "single member",
            vpns: vec![v("vpn-a", &[("g", "primary")])],
            atts: vec![a("vpn-a")],
            reason: "only one member",
        },
    ];
    for c in cases {
        let d = disc(&c.vpns, &c.atts);
        assert!(
            d.groups.is_empty(),
            "{}: expected no valid group, got {:?}",
            c.name,
            d.groups
        );
        assert_eq!(d.invalid.len(), 1, "{}: {:?}", c.name, d.invalid);
        let inv = &d.invalid[0];
        assert_eq!(inv.name, gname("g"), "{}", c.name);
        assert!(
            inv.reason.contains(c.reason),
            "{}: reason {:?} should contain {:?}",
            c.name,
            inv.reason,
            c.reason
        );
        let mut want: Vec<_> = c.vpns.iter().map(|v| v.id.clone()).collect();
        let mut got = inv.vpns.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{}: the invalid group names its members", c.name);
    }
}

#[test]
fn vpn_primary_of_two_groups_invalidates_both() {
    let vpns = [
        v("vpn-a", &[("siteA", "primary"), ("siteB", "primary")]),
        v("vpn-b", &[("siteA", "backup")]),
        v("vpn-c", &[("siteB", "backup")]),
    ];
    let d = disc(&vpns, &[a("vpn-a"), a("vpn-b"), a("vpn-c")]);
    assert!(d.groups.is_empty(), "{:?}", d.groups);
    assert_eq!(d.invalid.len(), 2);
    for (group, other) in [("siteA", "siteB"), ("siteB", "siteA")] {
        let reason = invalid_reason(&d, group);
        assert!(reason.contains("vpn-a is also primary of"), "{reason}");
        assert!(reason.contains(other), "{group}: {reason}");
    }
}

#[test]
fn invalid_group_does_not_affect_valid_group_on_same_tgw() {
    let vpns = [
        v("vpn-a", &[("good", "primary")]),
        v("vpn-b", &[("good", "backup"), ("bad", "primary")]),
        v("vpn-c", &[("bad", "primary")]),
    ];
    let d = disc(&vpns, &[a("vpn-a"), a("vpn-b"), a("vpn-c")]);
    let good = d.group(&gname("good")).expect("good stays valid");
    assert_eq!(good.home().vpn, vid("vpn-a"));
    assert_eq!(good.members.len(), 2);
    assert_eq!(d.groups.len(), 1);
    assert!(invalid_reason(&d, "bad").contains("two members are tagged primary"));
}

#[test]
fn group_tag_keys_allow_list() {
    let vpns = [
        v("vpn-a", &[("siteA", "primary"), ("siteB", "backup")]),
        v("vpn-b", &[("siteA", "backup"), ("siteB", "primary")]),
        // Would be an invalid group if its key were considered.
        v("vpn-c", &[("siteC", "primary")]),
    ];
    let atts = [a("vpn-a"), a("vpn-b"), a("vpn-c")];

    let all = discover(&vpns, &atts, &Policy::default());
    assert_eq!(all.groups.len(), 2);
    assert_eq!(all.invalid.len(), 1, "siteC is seen without an allow-list");

    let policy = Policy {
        group_tag_keys: Some(vec!["siteA".into()]),
        ..Policy::default()
    };
    let d = discover(&vpns, &atts, &policy);
    let names: Vec<&str> = d.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["siteA"]);
    assert!(d.invalid.is_empty(), "{:?}", d.invalid);
    assert!(!is_tagged_member(&vpns[2], &policy));
    assert!(is_tagged_member(&vpns[0], &policy));

    // Keys are matched as written (case-sensitive).
    let policy = Policy {
        group_tag_keys: Some(vec!["sitea".into()]),
        ..Policy::default()
    };
    assert!(discover(&vpns, &atts, &policy).groups.is_empty());
}

#[test]
fn name_and_aws_tags_never_name_groups() {
    let vpns = [
        v("vpn-a", &[("Name", "primary"), ("aws:site", "primary")]),
        v("vpn-b", &[("Name", "backup"), ("aws:site", "backup")]),
    ];
    let d = disc(&vpns, &[a("vpn-a"), a("vpn-b")]);
    assert!(d.groups.is_empty(), "{:?}", d.groups);
    assert!(d.invalid.is_empty(), "{:?}", d.invalid);
    assert!(!is_tagged_member(&vpns[0], &Policy::default()));
}

#[test]
fn untagged_values_are_not_members() {
    // `secondary` is not a role: the group has one member and is refused, not silently paired.
    let vpns = [
        v("vpn-a", &[("g", "primary")]),
        v("vpn-b", &[("g", "secondary")]),
    ];
    let d = disc(&vpns, &[a("vpn-a"), a("vpn-b")]);
    assert!(d.groups.is_empty());
    assert!(invalid_reason(&d, "g").contains("only one member"));
}
