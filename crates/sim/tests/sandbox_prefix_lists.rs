//! Managed prefix lists and prefix-list references in the sandbox, over plain HTTP: the list's
//! life (create, describe, entries, modify with versions, delete), references (create, delete),
//! what searches show of them (propagated routes), route resolution (longest prefix, then static
//! over reference), the quotas (entries per list, routes per TGW) and EC2's mutating bucket.

mod sandbox_common;

use sandbox_common::{Reply, ec2, items, start, start_with};
use std::net::SocketAddr;
use tgw_ha_core::ids::{AttachmentId, RouteTableId};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::prefix_lists::ResolvedKind;
use tgw_ha_sim::sandbox::{Limits, SandboxConfig};
use tgw_ha_sim::world::lock;

async fn create_list(a: SocketAddr, name: &str, max: &str, cidrs: &[&str]) -> Reply {
    let keys: Vec<(String, String)> = cidrs
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            [
                (format!("Entry.{}.Cidr", i + 1), (*c).to_owned()),
                (
                    format!("Entry.{}.Description", i + 1),
                    format!("office {i}"),
                ),
            ]
        })
        .collect();
    let mut params: Vec<(&str, &str)> = vec![
        ("PrefixListName", name),
        ("MaxEntries", max),
        ("AddressFamily", "IPv4"),
        ("TagSpecification.1.ResourceType", "prefix-list"),
        ("TagSpecification.1.Tag.1.Key", "tgw-ha:group"),
        ("TagSpecification.1.Tag.1.Value", "paris"),
    ];
    params.extend(keys.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    ec2(a, "CreateManagedPrefixList", &params).await
}

async fn modify(a: SocketAddr, pl: &str, version: &str, add: &[&str], remove: &[&str]) -> Reply {
    let keys: Vec<(String, String)> = add
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("AddEntry.{}.Cidr", i + 1), (*c).to_owned()))
        .chain(
            remove
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("RemoveEntry.{}.Cidr", i + 1), (*c).to_owned())),
        )
        .collect();
    let mut params: Vec<(&str, &str)> = vec![("PrefixListId", pl), ("CurrentVersion", version)];
    params.extend(keys.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    ec2(a, "ModifyManagedPrefixList", &params).await
}

/// `CreateTransitGatewayPrefixListReference`: `pl` in `table`, to attachment `to`.
async fn create_reference(a: SocketAddr, table: &str, pl: &str, to: &str) -> Reply {
    let params = [
        ("TransitGatewayRouteTableId", table),
        ("PrefixListId", pl),
        ("TransitGatewayAttachmentId", to),
    ];
    ec2(a, "CreateTransitGatewayPrefixListReference", &params).await
}

/// `DeleteTransitGatewayPrefixListReference`: `pl` in `table`.
async fn delete_reference(a: SocketAddr, table: &str, pl: &str) -> Reply {
    let params = [("TransitGatewayRouteTableId", table), ("PrefixListId", pl)];
    ec2(a, "DeleteTransitGatewayPrefixListReference", &params).await
}

async fn search(a: SocketAddr, table: &str, filters: &[(&str, &str)]) -> Reply {
    let keys: Vec<(String, String)> = filters
        .iter()
        .enumerate()
        .flat_map(|(i, (name, value))| {
            [
                (format!("Filter.{}.Name", i + 1), (*name).to_owned()),
                (format!("Filter.{}.Value.1", i + 1), (*value).to_owned()),
            ]
        })
        .collect();
    let mut params = vec![("TransitGatewayRouteTableId", table)];
    params.extend(keys.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    ec2(a, "SearchTransitGatewayRoutes", &params).await
}

#[tokio::test]
async fn a_list_is_created_described_modified_with_versions_and_deleted() {
    let sb = start(demo_world()).await;
    let a = sb.local_addr();
    let r = create_list(a, "tgw-ha-paris", "5", &["10.200.0.0/24", "10.200.1.0/24"]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pl = r.one("prefixListId").expect("an id");
    assert!(pl.starts_with("pl-"), "{pl}");
    assert_eq!(r.one("state").as_deref(), Some("create-in-progress"));
    assert_eq!(r.one("version").as_deref(), Some("1"));
    assert_eq!(r.one("maxEntries").as_deref(), Some("5"));
    assert!(
        r.body
            .contains("<key>tgw-ha:group</key><value>paris</value>"),
        "{}",
        r.body
    );

    let r = ec2(
        a,
        "DescribeManagedPrefixLists",
        &[
            ("Filter.1.Name", "prefix-list-name"),
            ("Filter.1.Value.1", "tgw-ha-paris"),
        ],
    )
    .await;
    assert_eq!(r.all("prefixListId"), vec![pl.clone()]);
    assert_eq!(r.one("state").as_deref(), Some("create-complete"));
    assert_eq!(r.one("ownerId").as_deref(), Some("111122223333"));
    let r = ec2(a, "GetManagedPrefixListEntries", &[("PrefixListId", &pl)]).await;
    assert_eq!(r.all("cidr"), vec!["10.200.0.0/24", "10.200.1.0/24"]);
    assert_eq!(r.all("description"), vec!["office 0", "office 1"]);

    // A stale version is refused; the right one moves the version on.
    let r = modify(a, &pl, "7", &["10.200.2.0/24"], &[]).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "PrefixListVersionMismatch"),
        "{}",
        r.body
    );
    let r = modify(a, &pl, "1", &["10.200.2.0/24"], &["10.200.0.0/24"]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.one("version").as_deref(), Some("2"));
    assert_eq!(r.one("state").as_deref(), Some("modify-in-progress"));
    let r = ec2(a, "GetManagedPrefixListEntries", &[("PrefixListId", &pl)]).await;
    assert_eq!(r.all("cidr"), vec!["10.200.1.0/24", "10.200.2.0/24"]);

    // Removing an absent entry, adding one twice, passing MaxEntries: refused, nothing changes.
    let before = lock(sb.world()).managed_prefix_lists.clone();
    let r = modify(a, &pl, "2", &[], &["10.9.9.0/24"]).await;
    assert_eq!(r.code(), "InvalidPrefixListModification");
    let r = modify(a, &pl, "2", &["10.200.1.0/24"], &[]).await;
    assert_eq!(r.code(), "InvalidPrefixListModification");
    let r = modify(
        a,
        &pl,
        "2",
        &[
            "10.201.0.0/24",
            "10.201.1.0/24",
            "10.201.2.0/24",
            "10.201.3.0/24",
        ],
        &[],
    )
    .await;
    assert_eq!(r.code(), "PrefixListMaxEntriesExceeded", "{}", r.body);
    let many: Vec<String> = (0..101).map(|i| format!("10.202.{i}.0/24")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let r = modify(a, &pl, "2", &many, &[]).await;
    assert_eq!(r.code(), "InvalidParameterValue");
    assert!(
        r.body.contains("100 entry additions or removals"),
        "{}",
        r.body
    );
    let r = modify(a, &pl, "2", &[], &[]).await;
    assert_eq!(r.status, 200, "a no-op modify is fine: {}", r.body);
    assert_eq!(lock(sb.world()).managed_prefix_lists, before);

    // MaxEntries alone (not with entries), and never below the entries held.
    let r = ec2(
        a,
        "ModifyManagedPrefixList",
        &[("PrefixListId", &pl), ("MaxEntries", "20")],
    )
    .await;
    assert_eq!(r.one("maxEntries").as_deref(), Some("20"), "{}", r.body);
    let r = ec2(
        a,
        "ModifyManagedPrefixList",
        &[("PrefixListId", &pl), ("MaxEntries", "1")],
    )
    .await;
    assert_eq!(r.code(), "InvalidParameterValue");

    // Referenced, it cannot be deleted; unreferenced, it can.
    let r = create_reference(a, demo::RTB_DEV, &pl, demo::ATT_PARIS).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.one("state").as_deref(), Some("pending"));
    let r = create_reference(a, demo::RTB_DEV, &pl, demo::ATT_PARIS).await;
    assert_eq!(r.code(), "PrefixListReferenceAlreadyExists");
    let r = ec2(a, "DeleteManagedPrefixList", &[("PrefixListId", &pl)]).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "DependencyViolation"),
        "{}",
        r.body
    );
    let r = delete_reference(a, demo::RTB_DEV, &pl).await;
    assert_eq!(
        (r.status, r.one("state").as_deref()),
        (200, Some("deleting")),
        "{}",
        r.body
    );
    let r = delete_reference(a, demo::RTB_DEV, &pl).await;
    assert_eq!(r.code(), "InvalidPrefixListReference.NotFound");
    let r = ec2(a, "DeleteManagedPrefixList", &[("PrefixListId", &pl)]).await;
    assert_eq!(
        r.one("state").as_deref(),
        Some("delete-in-progress"),
        "{}",
        r.body
    );
    let r = ec2(a, "DescribeManagedPrefixLists", &[("PrefixListId.1", &pl)]).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "InvalidPrefixListID.NotFound")
    );
    let r = create_reference(a, demo::RTB_DEV, &pl, demo::ATT_PARIS).await;
    assert_eq!(r.code(), "InvalidPrefixListID.NotFound");
}

#[tokio::test]
async fn reference_entries_show_as_propagated_routes_and_static_wins_at_an_equal_prefix() {
    let sb = start(demo_world()).await;
    let a = sb.local_addr();
    // 10.10.0.0/24 is a static route of paris in prod; 10.10.0.0/16 is shorter.
    let r = create_list(
        a,
        "offices",
        "10",
        &["10.10.0.0/24", "10.10.0.0/16", "10.240.0.0/24"],
    )
    .await;
    let pl = r.one("prefixListId").unwrap();
    create_reference(a, demo::RTB_PROD, &pl, demo::ATT_LYON).await;

    let r = search(a, demo::RTB_PROD, &[("prefix-list-id", &pl)]).await;
    let routes = items(&r.body, "routeSet");
    assert_eq!(routes.len(), 3, "one route per entry: {}", r.body);
    for route in &routes {
        assert!(route.contains("<type>propagated</type>"), "{route}");
        assert!(
            route.contains(&format!("<prefixListId>{pl}</prefixListId>")),
            "{route}"
        );
        assert!(route.contains(demo::ATT_LYON), "{route}");
    }
    let r = search(a, demo::RTB_PROD, &[("type", "static")]).await;
    assert!(
        !r.body.contains(&pl),
        "a type=static search never finds them"
    );

    let prod = RouteTableId::new(demo::RTB_PROD);
    {
        let w = lock(sb.world());
        // Equal prefix: the static route (to paris) wins over the reference (to lyon).
        let got = w.resolve(&prod, "10.10.0.0/24").unwrap();
        assert_eq!(
            (got.kind, got.attachment.as_ref().map(AttachmentId::as_str)),
            (ResolvedKind::Static, Some(demo::ATT_PARIS))
        );
        // Longest prefix first: a /24 entry beats a /16 static route, whatever the kinds.
        let got = w.resolve(&prod, "10.240.0.0/24").unwrap();
        assert!(matches!(got.kind, ResolvedKind::PrefixList(_)), "{got:?}");
    }
    // The reference beats a propagated route at an equal prefix.
    let r = create_list(a, "vpc-shadow", "5", &["172.31.0.0/16"]).await;
    let shadow = r.one("prefixListId").unwrap();
    create_reference(a, demo::RTB_PROD, &shadow, demo::ATT_LYON).await;
    {
        let w = lock(sb.world());
        let got = w.resolve(&prod, "172.31.0.0/16").unwrap();
        assert_eq!(got.kind, ResolvedKind::PrefixList(shadow.as_str().into()));
        let got = w.resolve(&prod, "172.31.5.0/24").unwrap();
        assert_eq!(got.prefix, "172.31.0.0/16");
        assert_eq!(w.resolve(&prod, "198.18.0.0/24"), None);
    }

    // Delete the static route: the reference carries 10.10.0.0/24 at once.
    let r = ec2(
        a,
        "DeleteTransitGatewayRoute",
        &[
            ("TransitGatewayRouteTableId", demo::RTB_PROD),
            ("DestinationCidrBlock", "10.10.0.0/24"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = lock(sb.world()).resolve(&prod, "10.10.0.0/24").unwrap();
    assert_eq!(
        got.attachment.as_ref().map(AttachmentId::as_str),
        Some(demo::ATT_LYON)
    );
}

#[tokio::test]
async fn the_tgw_routes_quota_counts_list_entries_and_refuses_what_would_cross_it() {
    let mut world = demo_world();
    let tgw = world.transit_gateways[0].clone();
    let used = world.tgw_route_count(&tgw);
    world.route_quota = Some(used + 3);
    let sb = start(world).await;
    let a = sb.local_addr();
    let r = create_list(
        a,
        "four",
        "10",
        &[
            "10.210.0.0/24",
            "10.210.1.0/24",
            "10.210.2.0/24",
            "10.210.3.0/24",
        ],
    )
    .await;
    let four = r.one("prefixListId").unwrap();
    let r = create_list(a, "two", "10", &["10.211.0.0/24", "10.211.1.0/24"]).await;
    let two = r.one("prefixListId").unwrap();
    let before = lock(sb.world()).clone();
    let r = create_reference(a, demo::RTB_DEV, &four, demo::ATT_PARIS).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "RouteLimitExceeded"),
        "{}",
        r.body
    );
    assert!(r.body.contains(tgw.as_str()), "names the TGW: {}", r.body);
    assert_eq!(*lock(sb.world()), before, "a refused call changes nothing");

    // Two fit; adding two entries to the referenced list would put two more in the table.
    let r = create_reference(a, demo::RTB_DEV, &two, demo::ATT_PARIS).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = modify(a, &two, "1", &["10.211.2.0/24", "10.211.3.0/24"], &[]).await;
    assert_eq!(r.code(), "RouteLimitExceeded", "{}", r.body);
    let r = modify(a, &two, "1", &["10.211.2.0/24"], &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Full: a static route is refused too.
    let r = ec2(
        a,
        "CreateTransitGatewayRoute",
        &[
            ("TransitGatewayRouteTableId", demo::RTB_DEV),
            ("DestinationCidrBlock", "10.212.0.0/24"),
            ("TransitGatewayAttachmentId", demo::ATT_PARIS),
        ],
    )
    .await;
    assert_eq!(r.code(), "RouteLimitExceeded", "{}", r.body);
    assert_eq!(lock(sb.world()).tgw_route_count(&tgw), used + 3);
}

#[tokio::test]
async fn the_new_writes_spend_ec2_s_mutating_bucket() {
    let sb = start_with(SandboxConfig::new(demo_world()).limits(Limits::Aws)).await;
    let a = sb.local_addr();
    let mut throttled = 0;
    for i in 0..60 {
        let r = create_list(a, &format!("l{i}"), "5", &[]).await;
        match r.status {
            200 => {}
            503 => {
                assert_eq!(r.code(), "RequestLimitExceeded");
                throttled += 1;
            }
            s => panic!("{s}: {}", r.body),
        }
    }
    assert!(throttled >= 1, "50 burst, 5 per second: {throttled}");
    // Reads have their own, larger bucket.
    let r = ec2(a, "DescribeManagedPrefixLists", &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(sb.state().calls().calls_of("CreateManagedPrefixList"), 60);
}
