//! The TGW rules the world enforces, and `validate()` on malformed scenarios.

use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, VpnId};
use tgw_ha_core::model::{RouteState, TunnelStatus};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::{SimRoute, World, WorldError};

fn rtb(s: &str) -> RouteTableId {
    RouteTableId::new(s)
}
fn att(s: &str) -> AttachmentId {
    AttachmentId::new(s)
}

#[test]
fn demo_world_is_valid_and_shaped_as_documented() {
    let w = demo_world();
    w.validate().expect("demo world is valid");
    let statics = w.routes.iter().filter(|r| r.is_static()).count();
    assert!((95..=110).contains(&statics), "{statics} static routes");
    assert_eq!(w.route_tables.len(), 4);
    assert_eq!(w.vpn_connections.len(), 6);
    assert!(w.routes.iter().any(|r| !r.is_static()), "propagated routes");
    let bh = w
        .route(&rtb(demo::RTB_INSPECTION), demo::BLACKHOLE_CIDR)
        .unwrap();
    assert_eq!(
        (bh.attachment.as_ref(), bh.state),
        (None, RouteState::Blackhole)
    );
    assert_eq!(w.now(), Some(demo::start()));
    assert_eq!(
        w.routes_to(&att(demo::ATT_PARIS)).count(),
        usize::from(demo::PARIS_ROUTES)
    );
}

#[test]
fn duplicate_static_route_is_rejected() {
    let mut w = demo_world();
    let before = w.clone();
    let err = w
        .create_route(
            &rtb(demo::RTB_PROD),
            "10.10.0.0/24",
            Some(&att(demo::ATT_LYON)),
        )
        .unwrap_err();
    assert!(
        matches!(err, WorldError::RouteAlreadyExists { .. }),
        "{err}"
    );
    assert_eq!(err.code(), "RouteAlreadyExists");
    assert!(err.to_string().contains(demo::RTB_PROD));
    assert_eq!(w, before, "a failed create changes nothing");

    // A new prefix is fine, and a blackhole needs no attachment.
    w.create_route(
        &rtb(demo::RTB_PROD),
        "10.200.0.0/16",
        Some(&att(demo::ATT_LYON)),
    )
    .unwrap();
    w.create_route(&rtb(demo::RTB_PROD), "10.201.0.0/16", None)
        .unwrap();
    assert_eq!(
        w.route(&rtb(demo::RTB_PROD), "10.201.0.0/16")
            .unwrap()
            .state,
        RouteState::Blackhole
    );
    assert!(matches!(
        w.create_route(&rtb(demo::RTB_PROD), "10.300.0.0/16", None),
        Err(WorldError::InvalidCidr(_))
    ));
}

#[test]
fn a_static_route_may_shadow_a_propagated_one() {
    let mut w = demo_world();
    // 172.31.0.0/16 is propagated from the VPC in every table: a static route may still exist.
    w.create_route(
        &rtb(demo::RTB_PROD),
        "172.31.0.0/16",
        Some(&att(demo::ATT_PARIS)),
    )
    .unwrap();
    w.validate().unwrap();
}

#[test]
fn replace_of_missing_route_fails() {
    let mut w = demo_world();
    let before = w.clone();
    let err = w
        .replace_route(
            &rtb(demo::RTB_PROD),
            "10.250.0.0/24",
            Some(&att(demo::ATT_LYON)),
        )
        .unwrap_err();
    assert_eq!(
        err,
        WorldError::RouteNotFound {
            table: rtb(demo::RTB_PROD),
            destination: "10.250.0.0/24".into()
        }
    );
    // A propagated route is not a static route to replace.
    assert!(matches!(
        w.replace_route(
            &rtb(demo::RTB_PROD),
            "172.31.0.0/16",
            Some(&att(demo::ATT_LYON))
        ),
        Err(WorldError::RouteNotFound { .. })
    ));
    assert!(matches!(
        w.delete_route(&rtb(demo::RTB_PROD), "10.250.0.0/24"),
        Err(WorldError::RouteNotFound { .. })
    ));
    assert!(matches!(
        w.replace_route(&rtb("tgw-rtb-0000000000000dead"), "10.10.0.0/24", None),
        Err(WorldError::RouteTableNotFound(_))
    ));
    assert_eq!(w, before);
}

#[test]
fn replace_moves_a_route_and_to_its_current_target_is_a_noop() {
    let mut w = demo_world();
    let t = rtb(demo::RTB_PROD);
    w.replace_route(&t, "10.10.0.0/24", Some(&att(demo::ATT_LYON)))
        .unwrap();
    assert_eq!(
        w.route(&t, "10.10.0.0/24").unwrap().attachment,
        Some(att(demo::ATT_LYON))
    );
    let after = w.clone();
    w.replace_route(&t, "10.10.0.0/24", Some(&att(demo::ATT_LYON)))
        .unwrap();
    assert_eq!(w, after);
    // The user's blackhole can be pointed somewhere, then blackholed again.
    let i = rtb(demo::RTB_INSPECTION);
    w.replace_route(&i, demo::BLACKHOLE_CIDR, Some(&att(demo::ATT_VPC)))
        .unwrap();
    assert_eq!(
        w.route(&i, demo::BLACKHOLE_CIDR).unwrap().state,
        RouteState::Active
    );
    w.replace_route(&i, demo::BLACKHOLE_CIDR, None).unwrap();
    let r = w.route(&i, demo::BLACKHOLE_CIDR).unwrap();
    assert_eq!(
        (r.attachment.as_ref(), r.state),
        (None, RouteState::Blackhole)
    );
}

#[test]
fn replace_to_an_attachment_of_another_tgw_is_rejected() {
    let mut w = demo_world();
    let other = tgw_ha_core::ids::TgwId::new("tgw-0ffffffffffffffff");
    w.transit_gateways.push(other.clone());
    w.attachments.push(tgw_ha_sim::SimAttachment {
        id: att("tgw-attach-0ffffffffffffff01"),
        transit_gateway_id: other,
        resource_type: tgw_ha_sim::ResourceType::Vpc,
        resource_id: "vpc-0ffffffffffffff01".into(),
        state: "available".into(),
    });
    w.validate().unwrap();
    let before = w.clone();
    for to in [
        "tgw-attach-0ffffffffffffff01",
        "tgw-attach-00000000000000000",
    ] {
        let err = w
            .replace_route(&rtb(demo::RTB_PROD), "10.10.0.0/24", Some(&att(to)))
            .unwrap_err();
        assert!(
            matches!(err, WorldError::AttachmentNotFound { .. }),
            "{err}"
        );
        assert_eq!(err.code(), "InvalidTransitGatewayAttachmentID.NotFound");
        assert!(err.to_string().contains(to), "{err}");
    }
    assert_eq!(w, before);
}

#[test]
fn prefix_list_reference_moves_as_one() {
    let mut w = demo_world();
    let t = rtb(demo::RTB_PROD);
    let pl = PrefixListId::new(demo::PL_PARIS_OFFICES);
    let before = w.prefix_list_reference(&t, &pl).unwrap().clone();
    assert_eq!(before.cidrs.len(), 3);
    w.modify_prefix_list_reference(&t, &pl, Some(&att(demo::ATT_LYON)))
        .unwrap();
    let after = w.prefix_list_reference(&t, &pl).unwrap();
    assert_eq!(after.attachment, Some(att(demo::ATT_LYON)));
    assert_eq!(
        after.cidrs, before.cidrs,
        "every entry follows the reference"
    );
    assert!(!after.blackhole);
    // Only that table's reference moved: berlin's list in two tables is two references.
    let berlin = PrefixListId::new(demo::PL_BERLIN_OFFICES);
    w.modify_prefix_list_reference(&t, &berlin, None).unwrap();
    assert!(w.prefix_list_reference(&t, &berlin).unwrap().blackhole);
    assert_eq!(
        w.prefix_list_reference(&rtb(demo::RTB_DEV), &berlin)
            .unwrap()
            .attachment,
        Some(att(demo::ATT_BERLIN_PRIMARY))
    );
    assert!(matches!(
        w.modify_prefix_list_reference(&rtb(demo::RTB_INSPECTION), &pl, None),
        Err(WorldError::PrefixListReferenceNotFound { .. })
    ));
}

#[test]
fn tunnels_tags_state_and_clock() {
    let mut w = demo_world();
    let vpn = VpnId::new(demo::VPN_PARIS);
    let t0 = w.now().unwrap();
    let t1 = w.advance_clock(60).unwrap();
    assert_eq!(t1 - t0, chrono::Duration::seconds(60));

    w.set_tunnel(&vpn, Some("203.0.113.11"), TunnelStatus::Down, t1)
        .unwrap();
    let v = w.vpn(&vpn).unwrap();
    assert_eq!(v.tunnels[0].status, TunnelStatus::Down);
    assert_eq!(v.tunnels[0].last_status_change, t1);
    assert_eq!(v.tunnels[1].status, TunnelStatus::Up);
    assert_eq!(v.tunnels[1].last_status_change, demo::up_since());

    // All tunnels: only the one that changes gets a new time.
    let t2 = w.advance_clock(30).unwrap();
    w.set_tunnel(&vpn, None, TunnelStatus::Down, t2).unwrap();
    let v = w.vpn(&vpn).unwrap();
    assert_eq!(v.tunnels[0].last_status_change, t1);
    assert_eq!(v.tunnels[1].last_status_change, t2);
    assert!(!w.attachment_alive(&att(demo::ATT_PARIS)));

    assert!(matches!(
        w.set_tunnel(&vpn, Some("192.0.2.1"), TunnelStatus::Up, t2),
        Err(WorldError::TunnelNotFound { .. })
    ));
    assert!(matches!(
        w.set_tunnel(
            &VpnId::new("vpn-00000000000000000"),
            None,
            TunnelStatus::Up,
            t2
        ),
        Err(WorldError::VpnNotFound(_))
    ));

    w.set_tag(&vpn, "paris", "Backup").unwrap();
    assert_eq!(w.vpn(&vpn).unwrap().tags["paris"], "Backup");
    w.remove_tag(&vpn, "paris").unwrap();
    w.remove_tag(&vpn, "paris").unwrap();
    assert!(!w.vpn(&vpn).unwrap().tags.contains_key("paris"));
    w.set_vpn_state(&vpn, tgw_ha_core::model::VpnState::Deleting)
        .unwrap();

    let mut real = World::default();
    assert_eq!(real.advance_clock(1), Err(WorldError::NoVirtualTime));
    assert!(real.virtual_clock().is_none());
}

fn problems(w: &World) -> Vec<String> {
    w.validate()
        .unwrap_err()
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn validate_names_each_problem() {
    let mut w = demo_world();
    w.routes.push(SimRoute::to_attachment(
        &rtb("tgw-rtb-0000000000000beef"),
        "10.77.0.0/24",
        &att(demo::ATT_PARIS),
    ));
    w.routes.push(SimRoute::to_attachment(
        &rtb(demo::RTB_PROD),
        "10.10.0.0/24",
        &att(demo::ATT_LYON),
    ));
    w.attachments.push(tgw_ha_sim::SimAttachment {
        id: att("tgw-attach-0000000000000cafe"),
        transit_gateway_id: tgw_ha_core::ids::TgwId::new("tgw-0000000000000f00d"),
        resource_type: tgw_ha_sim::ResourceType::Vpc,
        resource_id: "vpc-01".into(),
        state: "available".into(),
    });
    let p = problems(&w);
    assert_eq!(p.len(), 3, "{p:#?}");
    assert!(
        p[0].contains("tgw-attach-0000000000000cafe") && p[0].contains("tgw-0000000000000f00d")
    );
    assert!(
        p[1].contains("10.77.0.0/24")
            && p[1].contains("unknown route table tgw-rtb-0000000000000beef")
    );
    assert!(p[2].contains("10.10.0.0/24") && p[2].contains("second static route"));
    let msg = w.validate().unwrap_err().to_string();
    assert!(msg.starts_with("invalid scenario: "), "{msg}");
}

#[test]
fn validate_catches_dangling_references() {
    let mut w = demo_world();
    w.routes.push(SimRoute::to_attachment(
        &rtb(demo::RTB_DEV),
        "10.78.0.0/24",
        &att("tgw-attach-00000000000000404"),
    ));
    w.routes.push(SimRoute {
        state: RouteState::Active,
        ..SimRoute::blackhole(&rtb(demo::RTB_DEV), "10.79.0.0/24")
    });
    w.routes
        .push(SimRoute::blackhole(&rtb(demo::RTB_DEV), "not-a-cidr"));
    w.attachments[0].resource_id = "vpn-00000000000000404".into();
    w.prefix_list_references[0].blackhole = true;
    let p = problems(&w).join("\n");
    for needle in [
        "attachment tgw-attach-0a1b2c3d4e5f70001: attaches unknown vpn connection vpn-00000000000000404",
        "route 10.78.0.0/24 in tgw-rtb-0a1b2c3d4e5f80002: points at unknown attachment tgw-attach-00000000000000404",
        "route 10.79.0.0/24 in tgw-rtb-0a1b2c3d4e5f80002: a route with no attachment must be state blackhole",
        "route not-a-cidr in tgw-rtb-0a1b2c3d4e5f80002: destination is not a cidr block",
        "prefix list reference pl-0a1b2c3d4e5f90001 in tgw-rtb-0a1b2c3d4e5f80001: both blackhole and an attachment",
    ] {
        assert!(p.contains(needle), "missing {needle:?} in\n{p}");
    }
}
