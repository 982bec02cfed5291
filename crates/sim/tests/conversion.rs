//! Prefix-list conversion on the sim: the runner (`tgw_ha_engine::conversion`) over the world,
//! step by step (every destination keeps a route to the same member after every step), then a
//! failover of the converted group (one call per table), revert, a crash mid-run that the next
//! run finishes, and the refusals.

use tgw_ha_core::conversion::{ConversionError, Direction, OWNER_TAG, Step, list_name};
use tgw_ha_core::ids::{AttachmentId, GroupName, PrefixListId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::state::SignalSource;
use tgw_ha_core::trigger::{SignalEvent, Trigger};
use tgw_ha_engine::conversion::{ConvertError, Converter, ConverterConfig};
use tgw_ha_engine::{Engine, EngineConfig};
use tgw_ha_sim::pair_world::{Pair, vpn_attachment, vpn_up};
use tgw_ha_sim::prefix_lists::ResolvedKind;
use tgw_ha_sim::{ResourceType, SimAttachment, SimRoute, World};

const TGW: &str = "tgw-0c000000000000001";
const PRIMARY: &str = "vpn-0c000000000000001";
const BACKUP: &str = "vpn-0c000000000000002";
const OTHER: &str = "vpn-0c000000000000003";
const ATT_PRIMARY: &str = "tgw-attach-0c00000000000001";
const ATT_BACKUP: &str = "tgw-attach-0c00000000000002";
const ATT_OTHER: &str = "tgw-attach-0c00000000000003";
const ATT_VPC: &str = "tgw-attach-0c0000000000000f";

fn rtb(i: usize) -> RouteTableId {
    RouteTableId::new(format!("tgw-rtb-0c0000000000{i:05}"))
}

fn cidr(i: usize) -> String {
    format!("10.{}.{}.0/24", 40 + i / 256, i % 256)
}

fn group() -> GroupName {
    GroupName::new("paris")
}

/// One TGW, `tables` route tables each routing the same `cidrs` CIDRs to the group's primary,
/// plus what conversion must leave alone: a propagated route for one of those CIDRs (hidden by
/// the static route), another site's static routes and a VPC's propagated route.
fn world(tables: usize, cidrs: usize) -> World {
    let mut w = Pair {
        tgw: TGW,
        group: "paris",
        primary: (PRIMARY, ATT_PRIMARY),
        backup: (BACKUP, ATT_BACKUP),
        tables: (0..tables).map(rtb).collect(),
    }
    .world();
    w.set_now("2026-03-01T12:00:00Z".parse().expect("a time"));
    w.vpn_connections
        .push(vpn_up(OTHER, TGW, &[("lyon", "primary")], "192.0.2"));
    w.attachments.push(vpn_attachment(ATT_OTHER, TGW, OTHER));
    w.attachments.push(SimAttachment {
        id: AttachmentId::new(ATT_VPC),
        transit_gateway_id: TgwId::new(TGW),
        resource_type: ResourceType::Vpc,
        resource_id: "vpc-0c01".into(),
        state: "available".into(),
    });
    for t in 0..tables {
        for i in 0..cidrs {
            w.routes.push(SimRoute::to_attachment(
                &rtb(t),
                &cidr(i),
                &AttachmentId::new(ATT_PRIMARY),
            ));
        }
        w.routes.push(SimRoute::propagated(
            &rtb(t),
            &cidr(0),
            &AttachmentId::new(ATT_VPC),
        ));
        w.routes.push(SimRoute::propagated(
            &rtb(t),
            "172.31.0.0/16",
            &AttachmentId::new(ATT_VPC),
        ));
        w.routes.push(SimRoute::to_attachment(
            &rtb(t),
            "10.99.0.0/16",
            &AttachmentId::new(ATT_OTHER),
        ));
    }
    w.validate().expect("valid world");
    w
}

fn converter(sim: &tgw_ha_sim::Sim, max_steps: Option<usize>) -> Converter {
    Converter::new(
        sim.conversion_ports(),
        ConverterConfig {
            owner: "test-convert".into(),
            max_steps,
            ..ConverterConfig::default()
        },
    )
}

/// Where each of the group's CIDRs goes in each table, and by which kind of route.
fn routing(
    w: &World,
    tables: usize,
    cidrs: usize,
) -> Vec<(String, Option<AttachmentId>, ResolvedKind)> {
    let mut out = vec![];
    for t in 0..tables {
        for i in 0..cidrs {
            let r = w
                .resolve(&rtb(t), &cidr(i))
                .unwrap_or_else(|| panic!("{} has no route for {}", rtb(t), cidr(i)));
            out.push((format!("{} {}", rtb(t), cidr(i)), r.attachment, r.kind));
        }
    }
    out
}

fn group_list(w: &World) -> Option<PrefixListId> {
    let name = list_name(&group());
    w.managed_prefix_lists
        .iter()
        .find(|l| l.name == name)
        .map(|l| l.id.clone())
}

/// The routes and references of a world: what two runs that reach the same end share.
type Routing = (
    Vec<SimRoute>,
    Vec<(RouteTableId, PrefixListId, Option<AttachmentId>)>,
);

/// The world minus what differs between two runs that reach the same end (time, leases).
fn routes_of(w: &World) -> Routing {
    let mut routes = w.routes.clone();
    routes.sort_by(|a, b| {
        (&a.table, &a.destination, a.is_static()).cmp(&(&b.table, &b.destination, b.is_static()))
    });
    let mut refs: Vec<_> = w
        .prefix_list_references
        .iter()
        .map(|p| {
            (
                p.table.clone(),
                p.prefix_list_id.clone(),
                p.attachment.clone(),
            )
        })
        .collect();
    refs.sort();
    (routes, refs)
}

#[tokio::test]
async fn convert_one_step_at_a_time_never_leaves_a_destination_without_its_route() {
    const TABLES: usize = 3;
    const CIDRS: usize = 130; // more than one CreateManagedPrefixList holds
    let sim = tgw_ha_sim::Sim::new(world(TABLES, CIDRS));
    let plan = converter(&sim, None)
        .plan(&group(), Direction::Convert)
        .await
        .expect("plan");
    assert_eq!(plan.entries.len(), CIDRS);
    assert_eq!(plan.tables.len(), TABLES);
    assert_eq!(plan.failover_before.calls, TABLES * CIDRS);
    assert_eq!(plan.failover_after.calls, TABLES);
    let calls = plan.calls();
    assert_eq!(calls["CreateManagedPrefixList"], 1);
    assert_eq!(calls["ModifyManagedPrefixList"], 1, "130 entries: 100 + 30");
    assert_eq!(calls["CreateTransitGatewayPrefixListReference"], TABLES);
    assert_eq!(calls["DeleteTransitGatewayRoute"], TABLES * CIDRS);
    // Nothing written by a plan.
    assert!(sim.world().managed_prefix_lists.is_empty());

    let primary = Some(AttachmentId::new(ATT_PRIMARY));
    let mut runs = 0;
    loop {
        let report = converter(&sim, Some(1))
            .run(&group(), Direction::Convert)
            .await
            .expect("one step");
        runs += 1;
        for (at, to, _) in routing(&sim.world(), TABLES, CIDRS) {
            assert_eq!(to, primary, "{at} after {runs} steps");
        }
        if report.remaining.is_empty() {
            break;
        }
        assert!(runs < 1000, "no progress: {:?}", report.remaining.first());
    }
    assert_eq!(runs, plan.steps.len(), "one step per run, as planned");

    let w = sim.world();
    let pl = group_list(&w).expect("the group's list");
    let l = w.managed_prefix_list(&pl).unwrap();
    assert_eq!(l.entries.len(), CIDRS);
    assert!(
        l.max_entries as usize >= CIDRS + 10,
        "headroom: {}",
        l.max_entries
    );
    assert_eq!(l.tags.get(OWNER_TAG).map(String::as_str), Some("paris"));
    for (at, _, kind) in routing(&w, TABLES, CIDRS) {
        assert_eq!(kind, ResolvedKind::PrefixList(pl.clone()), "{at}");
    }
    assert_eq!(w.routes_to(&AttachmentId::new(ATT_PRIMARY)).count(), 0);
    // Left alone: the other site's routes and the propagated ones.
    assert_eq!(w.routes_to(&AttachmentId::new(ATT_OTHER)).count(), TABLES);
    assert_eq!(
        w.routes.iter().filter(|r| !r.is_static()).count(),
        2 * TABLES
    );
    assert!(w.leases.is_empty() || w.leases.values().all(|l| l.owner == "test-convert"));
}

#[tokio::test]
async fn converted_group_fails_over_with_one_call_per_table_and_reverts() {
    const TABLES: usize = 4;
    const CIDRS: usize = 60;
    let sim = tgw_ha_sim::Sim::new(world(TABLES, CIDRS));
    let report = converter(&sim, None)
        .run(&group(), Direction::Convert)
        .await
        .expect("convert");
    assert!(report.remaining.is_empty());
    assert_eq!(report.steps_done, report.plan.steps.len());
    let pl = group_list(&sim.world()).unwrap();

    // Converting again finds nothing to do.
    let again = converter(&sim, None)
        .plan(&group(), Direction::Convert)
        .await
        .unwrap();
    assert!(again.steps.is_empty(), "{:?}", again.steps);

    // The primary dies: the engine moves one reference per table.
    let now = sim.now();
    sim.world()
        .set_tunnel(&VpnId::new(PRIMARY), None, TunnelStatus::Down, now)
        .unwrap();
    sim.network.reset_calls();
    let engine = Engine::new(sim.ports(), EngineConfig::default());
    let out = engine
        .handle(&Trigger::Vpn {
            signal: SignalEvent {
                vpn: VpnId::new(PRIMARY),
                tunnel: None,
                status: Some(TunnelStatus::Down),
                at: now,
                source: SignalSource::CloudWatchAlarm,
            },
            region: None,
        })
        .await
        .expect("failover");
    assert_eq!(out.moved(), TABLES);
    let calls = sim.network.calls();
    assert_eq!(
        calls.calls_of("ModifyTransitGatewayPrefixListReference"),
        TABLES as u64
    );
    assert_eq!(calls.calls_of("ReplaceTransitGatewayRoute"), 0);
    let backup = Some(AttachmentId::new(ATT_BACKUP));
    for (at, to, _) in routing(&sim.world(), TABLES, CIDRS) {
        assert_eq!(to, backup, "{at}");
    }

    // The group is on its backup (the ledger holds the references): revert creates static
    // routes there, recorded in the ledger so that failback finds them.
    let reverted = converter(&sim, None)
        .run(&group(), Direction::Revert)
        .await
        .expect("revert");
    assert!(reverted.remaining.is_empty());
    let w = sim.world().clone();
    assert!(
        w.managed_prefix_list(&pl).is_none(),
        "tgw-ha's list is deleted"
    );
    assert!(w.prefix_list_references.is_empty());
    for (at, to, kind) in routing(&w, TABLES, CIDRS) {
        assert_eq!((to, kind), (backup.clone(), ResolvedKind::Static), "{at}");
    }
    let ledger = &w.state[&TgwId::new(TGW)].ledger;
    assert_eq!(
        ledger.len(),
        TABLES * CIDRS,
        "every route created on the backup is recorded"
    );

    // The primary comes back: an operator failback brings every static route home.
    drop(w);
    let now = sim.now();
    sim.world()
        .set_tunnel(&VpnId::new(PRIMARY), None, TunnelStatus::Up, now)
        .unwrap();
    engine
        .handle(&Trigger::Operator {
            action: tgw_ha_core::trigger::OperatorAction::Failback { group: group() },
            dry_run: false,
        })
        .await
        .expect("failback");
    let w = sim.world();
    for (at, to, _) in routing(&w, TABLES, CIDRS) {
        assert_eq!(to, Some(AttachmentId::new(ATT_PRIMARY)), "{at}");
    }
    assert!(w.state[&TgwId::new(TGW)].ledger.is_empty());
}

#[tokio::test]
async fn a_crash_mid_convert_is_finished_by_the_next_run() {
    const TABLES: usize = 3;
    const CIDRS: usize = 40;
    let clean = tgw_ha_sim::Sim::new(world(TABLES, CIDRS));
    converter(&clean, None)
        .run(&group(), Direction::Convert)
        .await
        .expect("uninterrupted");
    let expected = routes_of(&clean.world());

    for k in [0u64, 1, 2, 7, 45, 90, 121] {
        let sim = tgw_ha_sim::Sim::new(world(TABLES, CIDRS));
        sim.prefix_lists.crash_after(k);
        let c = converter(&sim, None);
        let crashed = tokio::spawn(async move { c.run(&group(), Direction::Convert).await })
            .await
            .expect_err("the run crashes");
        assert!(crashed.is_panic(), "k={k}");
        // The same operator runs it again (the crashed run's lease is its own).
        let report = converter(&sim, None)
            .run(&group(), Direction::Convert)
            .await
            .unwrap_or_else(|e| panic!("k={k}: {e}"));
        assert!(report.remaining.is_empty(), "k={k}");
        assert_eq!(routes_of(&sim.world()), expected, "k={k}");
        assert_eq!(sim.world().managed_prefix_lists.len(), 1, "k={k}: one list");
    }
}

#[tokio::test]
async fn tables_that_route_different_cidrs_are_refused() {
    let mut w = world(3, 20);
    w.delete_route(&rtb(1), &cidr(7)).unwrap();
    let sim = tgw_ha_sim::Sim::new(w);
    let err = converter(&sim, None)
        .run(&group(), Direction::Convert)
        .await
        .unwrap_err();
    let ConvertError::Refused(ConversionError::Inconsistent { table, missing, .. }) = &err else {
        panic!("{err}");
    };
    assert_eq!((table, missing.as_slice()), (&rtb(1), [cidr(7)].as_slice()));
    assert!(
        err.to_string().contains("one prefix list cannot express"),
        "{err}"
    );
    assert!(
        sim.world().managed_prefix_lists.is_empty(),
        "nothing changed"
    );
}

#[tokio::test]
async fn a_conflicting_reference_and_the_routes_quota_are_refused() {
    // Another list, referenced in table 0, holds one of the group's CIDRs.
    let mut w = world(2, 10);
    let other = w
        .create_managed_prefix_list(
            "offices",
            10,
            "IPv4",
            vec![tgw_ha_sim::SimPrefixListEntry {
                cidr: cidr(3),
                description: None,
            }],
            Default::default(),
        )
        .unwrap();
    w.create_list_reference(&rtb(0), &other, Some(&AttachmentId::new(ATT_OTHER)))
        .unwrap();
    let sim = tgw_ha_sim::Sim::new(w);
    let err = converter(&sim, None)
        .plan(&group(), Direction::Convert)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConvertError::Refused(ConversionError::ConflictingReference { prefix_list, .. }) if *prefix_list == other),
        "{err}"
    );

    // A TGW near its routes quota: the peak (one table's reference beside its static routes)
    // would cross it.
    let mut w = world(2, 10);
    let routes = w.tgw_route_count(&TgwId::new(TGW));
    w.route_quota = Some(routes + 5);
    let sim = tgw_ha_sim::Sim::new(w);
    let mut config = ConverterConfig::default();
    config.limits.route_quota = routes + 5;
    let err = Converter::new(sim.conversion_ports(), config)
        .run(&group(), Direction::Convert)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConvertError::Refused(ConversionError::RouteQuota { peak, .. }) if *peak == routes + 10),
        "{err}"
    );
    assert!(sim.world().managed_prefix_lists.is_empty());

    // Told a larger quota than the TGW's, the run meets EC2's refusal instead, and stops.
    let err = converter(&sim, None)
        .run(&group(), Direction::Convert)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("RouteLimitExceeded"), "{err}");
    assert!(sim.world().prefix_list_references.is_empty());
}

#[tokio::test]
async fn a_dead_target_stops_the_run_so_that_failover_can_proceed() {
    let sim = tgw_ha_sim::Sim::new(world(2, 10));
    let now = sim.now();
    sim.world()
        .set_tunnel(&VpnId::new(PRIMARY), None, TunnelStatus::Down, now)
        .unwrap();
    let err = converter(&sim, None)
        .run(&group(), Direction::Convert)
        .await
        .unwrap_err();
    assert!(matches!(err, ConvertError::Unhealthy { .. }), "{err}");
    assert!(sim.world().managed_prefix_lists.is_empty());
}

#[tokio::test]
async fn a_wait_step_holds_the_deletes_until_the_reference_is_available() {
    // Steps of a plan never delete a table's static routes before its reference exists.
    let sim = tgw_ha_sim::Sim::new(world(2, 5));
    let plan = converter(&sim, None)
        .plan(&group(), Direction::Convert)
        .await
        .unwrap();
    for (i, s) in plan.steps.iter().enumerate() {
        if let Step::DeleteRoute { table, .. } = s {
            assert!(
                plan.steps[..i]
                    .iter()
                    .any(|p| matches!(p, Step::CreateReference { table: t, .. } if t == table)),
                "step {i} deletes in {table} before its reference"
            );
        }
    }
}
