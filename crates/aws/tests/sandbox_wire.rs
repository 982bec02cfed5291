//! Wire tests: the real engine with the real AWS SDK (`Ec2Network`) against the sandbox on
//! 127.0.0.1 (EC2's Query API over a sim world), on the real clock, with the sim's in-memory
//! state store, lease and notifier keeping their data in the sandbox's world (so ageing the
//! sandbox's clock ages the ledger too). Each scenario runs step by step on a twin: the same
//! world in the plain sim (virtual clock, `SimNetwork`), and the two must end in the same
//! routes, prefix-list references and ledger.
//!
//! Never AWS: explicit endpoint, static test credentials.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_ec2::config::Credentials;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tgw_ha_aws::{AwsOptions, Ec2Network, ec2_client, load_sdk_config_with};
use tgw_ha_core::ids::{AttachmentId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{RouteType, Tunnel, TunnelStatus, VpnConnection, VpnState};
use tgw_ha_core::policy::Policy;
use tgw_ha_core::trigger::Trigger;
use tgw_ha_engine::executor::{Bucket, ExecutorConfig};
use tgw_ha_engine::ports::{NetError, Network, Ports, SystemClock};
use tgw_ha_engine::{Engine, EngineConfig, Outcome};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::sandbox::{self, Limits, RunningSandbox, SandboxConfig, SearchPages, SubnetMatch};
use tgw_ha_sim::world::lock;
use tgw_ha_sim::{
    MemoryLease, MemoryStore, RecordingNotifier, ResourceType, Sim, SimAttachment, SimRoute,
    SimRouteTable, World,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---- plumbing ---------------------------------------------------------------------------------

async fn ec2_network(url: &str) -> Ec2Network {
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        // The chain's standard retries for reads, with a short backoff for the tests.
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(20)),
        );
    let opts = AwsOptions {
        region: Some("eu-west-1".into()),
        endpoint_url: Some(url.to_owned()),
        ..AwsOptions::default()
    };
    Ec2Network::new(ec2_client(&load_sdk_config_with(loader, &opts).await))
}

/// One admin API call (JSON), over a raw connection.
async fn admin(
    sb: &RunningSandbox,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let mut s = tokio::net::TcpStream::connect(sb.local_addr())
        .await
        .expect("connect");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("an http answer");
    assert!(
        head.starts_with("HTTP/1.1 200"),
        "{method} {path}: {head}\n{body}"
    );
    serde_json::from_str(body).expect("json")
}

/// The engine over the sandbox, and its twin over the sim.
struct Twins {
    sandbox: RunningSandbox,
    net: Arc<Ec2Network>,
    wire: Engine,
    notifier: RecordingNotifier,
    sim: Sim,
    sim_engine: Engine,
}

fn engine_config(policy: &Policy, executor: &ExecutorConfig) -> EngineConfig {
    EngineConfig {
        policy: policy.clone(),
        executor: executor.clone(),
        owner: "wire-test".into(),
        ..EngineConfig::default()
    }
}

async fn twins(config: SandboxConfig, policy: Policy, executor: ExecutorConfig) -> Twins {
    let sim = Sim::new(config.world.clone());
    let sim_engine = Engine::new(sim.ports(), engine_config(&policy, &executor));
    let sandbox = sandbox::bind("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("bind")
        .spawn();
    let net = Arc::new(ec2_network(&sandbox.url()).await);
    let world = sandbox.world().clone();
    let notifier = RecordingNotifier::new();
    let ports = Ports {
        network: net.clone(),
        store: Arc::new(MemoryStore::new(world.clone())),
        lease: Arc::new(MemoryLease::new(world)),
        notifier: Arc::new(notifier.clone()),
        clock: Arc::new(SystemClock),
    };
    Twins {
        wire: Engine::new(ports, engine_config(&policy, &executor)),
        sandbox,
        net,
        notifier,
        sim,
        sim_engine,
    }
}

async fn demo_twins(policy: Policy) -> Twins {
    twins(
        SandboxConfig::new(demo_world()).limits(Limits::None),
        policy,
        ExecutorConfig::default(),
    )
    .await
}

fn failback_on() -> Policy {
    Policy {
        failback: true,
        ..Policy::default()
    }
}

fn sweep() -> Trigger {
    Trigger::All { region: None }
}

impl Twins {
    /// Every tunnel of `vpn` goes `status`: through the admin API on the sandbox, through the
    /// world's mutator at virtual now in the sim.
    async fn tunnels(&self, vpn: &str, status: TunnelStatus) {
        admin(
            &self.sandbox,
            "POST",
            "/_sandbox/tunnels",
            serde_json::json!({"vpn_id": vpn, "status": status.to_string()}),
        )
        .await;
        let now = self.sim.now();
        self.sim
            .world()
            .set_tunnel(&VpnId::new(vpn), None, status, now)
            .expect("sim tunnel");
    }

    /// `secs` pass: the sandbox ages its world, the sim's virtual clock moves.
    async fn advance(&self, secs: i64) {
        let r = admin(
            &self.sandbox,
            "POST",
            "/_sandbox/clock",
            serde_json::json!({"advance_seconds": secs}),
        )
        .await;
        assert_eq!(r["aged_seconds"], secs);
        self.sim
            .virtual_clock
            .as_ref()
            .expect("the twin runs on virtual time")
            .advance(chrono::Duration::seconds(secs));
    }

    /// One sweep on both; returns the wire outcome after checking both agree.
    async fn reconcile(&self) -> Outcome {
        let wire = self.wire.handle(&sweep()).await.expect("wire reconcile");
        let sim = self
            .sim_engine
            .handle(&sweep())
            .await
            .expect("sim reconcile");
        assert_eq!(wire.moved(), sim.moved(), "same number of moves");
        self.assert_same_end_state();
        wire
    }

    fn sandbox_world(&self) -> World {
        lock(self.sandbox.world()).clone()
    }

    fn assert_same_end_state(&self) {
        let wire = self.sandbox_world();
        let sim = self.sim.snapshot();
        assert_eq!(routes(&wire), routes(&sim), "routes differ from the sim's");
        assert_eq!(
            references(&wire),
            references(&sim),
            "prefix-list references differ from the sim's"
        );
        assert_eq!(ledger(&wire), ledger(&sim), "ledgers differ");
    }
}

fn routes(w: &World) -> BTreeSet<String> {
    w.routes
        .iter()
        .map(|r| {
            format!(
                "{} {} {:?} {:?} {:?}",
                r.table, r.destination, r.attachment, r.route_type, r.state
            )
        })
        .collect()
}

fn references(w: &World) -> BTreeSet<String> {
    w.prefix_list_references
        .iter()
        .map(|p| {
            format!(
                "{} {} {:?} {}",
                p.table, p.prefix_list_id, p.attachment, p.blackhole
            )
        })
        .collect()
}

fn ledger(w: &World) -> BTreeSet<String> {
    w.state
        .values()
        .flat_map(|s| &s.ledger)
        .map(|e| format!("{:?} {} {} {}", e.key, e.group, e.home, e.current))
        .collect()
}

/// Static CIDR routes (and references) pointing at `att`.
fn count_on(w: &World, att: &str) -> (usize, usize) {
    let a = Some(AttachmentId::new(att));
    (
        w.routes
            .iter()
            .filter(|r| r.is_static() && r.attachment == a)
            .count(),
        w.prefix_list_references
            .iter()
            .filter(|p| p.attachment == a)
            .count(),
    )
}

// ---- scenarios -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn failover_moves_routes_and_prefix_lists_to_the_backup() {
    let t = demo_twins(Policy::default()).await;
    let first = t.reconcile().await;
    assert_eq!(first.moved(), 0, "steady state: nothing to do");

    t.tunnels(demo::VPN_PARIS, TunnelStatus::Down).await;
    let out = t.reconcile().await;
    let paris = usize::from(demo::PARIS_ROUTES);
    assert_eq!(
        out.moved(),
        paris + 1,
        "32 routes and the paris-offices reference"
    );
    let w = t.sandbox_world();
    assert_eq!(count_on(&w, demo::ATT_PARIS), (0, 0));
    assert_eq!(
        count_on(&w, demo::ATT_LYON),
        (paris + usize::from(demo::LYON_ROUTES), 2)
    );

    let calls = t.sandbox.state().calls();
    assert_eq!(calls.calls_of("ReplaceTransitGatewayRoute"), paris as u64);
    assert_eq!(calls.calls_of("ModifyTransitGatewayPrefixListReference"), 1);
    assert_eq!(calls.total_throttled + calls.total_failed, 0, "{calls:?}");
    assert!(!t.notifier.events().is_empty(), "the failover was notified");

    // Twice changes nothing.
    assert_eq!(t.reconcile().await.moved(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_when_dead_routes_list_no_attachment() {
    // The least helpful of EC2's undocumented behaviours: a route to the dead VPN shows as a
    // blackhole listing no attachment, so only the blackhole search and the census find it.
    let mut world = demo_world();
    world.dead_routes = tgw_ha_sim::DeadRoutes::BlackholeUnlisted;
    let t = twins(
        SandboxConfig::new(world).limits(Limits::None),
        Policy::default(),
        ExecutorConfig::default(),
    )
    .await;
    t.reconcile().await;
    t.tunnels(demo::VPN_PARIS, TunnelStatus::Down).await;
    let out = t.reconcile().await;
    assert_eq!(out.moved(), usize::from(demo::PARIS_ROUTES) + 1);
    assert_eq!(count_on(&t.sandbox_world(), demo::ATT_PARIS), (0, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn small_pages_are_all_followed() {
    let big = sandbox::bind(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig::new(demo_world()).limits(Limits::None),
    )
    .await
    .unwrap()
    .spawn();
    let small = sandbox::bind(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig::new(demo_world())
            .limits(Limits::None)
            .page_size(Some(1)),
    )
    .await
    .unwrap()
    .spawn();
    let (a, b) = (
        ec2_network(&big.url()).await,
        ec2_network(&small.url()).await,
    );
    let tgw = TgwId::new(demo::TGW);
    assert_eq!(
        a.vpn_attachments(&tgw).await.unwrap(),
        b.vpn_attachments(&tgw).await.unwrap()
    );
    assert_eq!(
        a.route_tables(&tgw).await.unwrap(),
        b.route_tables(&tgw).await.unwrap()
    );
    let members = [
        AttachmentId::new(demo::ATT_PARIS),
        AttachmentId::new(demo::ATT_LYON),
    ];
    for table in [demo::RTB_PROD, demo::RTB_INSPECTION] {
        let table = RouteTableId::new(table);
        let one = a.static_routes(&table, &members).await.unwrap();
        assert_eq!(one, b.static_routes(&table, &members).await.unwrap());
        assert!(!one.is_empty());
        assert_eq!(
            a.prefix_list_references(&table, &members).await.unwrap(),
            b.prefix_list_references(&table, &members).await.unwrap()
        );
    }
    let calls = small.state().calls();
    assert!(
        calls.calls_of("SearchTransitGatewayRoutes") > 15,
        "one route per page: {calls:?}"
    );
    assert_eq!(calls.calls_of("DescribeTransitGatewayRouteTables"), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn failback_waits_for_the_hold_down_then_moves_everything_home() {
    let t = demo_twins(failback_on()).await;
    t.tunnels(demo::VPN_PARIS, TunnelStatus::Down).await;
    t.advance(60).await;
    assert!(t.reconcile().await.moved() > 0);

    t.tunnels(demo::VPN_PARIS, TunnelStatus::Up).await;
    t.advance(60).await;
    assert_eq!(
        t.reconcile().await.moved(),
        0,
        "paris is up but not yet stable"
    );
    assert_eq!(count_on(&t.sandbox_world(), demo::ATT_PARIS), (0, 0));

    t.advance(250).await;
    let out = t.reconcile().await;
    assert_eq!(
        out.moved(),
        usize::from(demo::PARIS_ROUTES) + 1,
        "failback after hold-down"
    );
    let w = t.sandbox_world();
    assert_eq!(
        count_on(&w, demo::ATT_PARIS),
        (usize::from(demo::PARIS_ROUTES), 1)
    );
    assert!(
        ledger(&w).is_empty(),
        "every route home: the ledger is empty"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mutual_backup_and_a_three_member_group() {
    let t = demo_twins(Policy::default()).await;
    t.tunnels(demo::VPN_PARIS, TunnelStatus::Down).await;
    t.reconcile().await;
    let w = t.sandbox_world();
    let lyon_before = count_on(&demo_world(), demo::ATT_LYON);
    assert_eq!(
        count_on(&w, demo::ATT_LYON).0,
        lyon_before.0 + usize::from(demo::PARIS_ROUTES),
        "paris's routes joined lyon's, which stayed"
    );

    // Now lyon dies and paris is back: everything goes to paris, lyon's own routes included.
    t.tunnels(demo::VPN_PARIS, TunnelStatus::Up).await;
    t.tunnels(demo::VPN_LYON, TunnelStatus::Down).await;
    t.advance(30).await;
    t.reconcile().await;
    let w = t.sandbox_world();
    assert_eq!(count_on(&w, demo::ATT_LYON), (0, 0));
    assert_eq!(
        count_on(&w, demo::ATT_PARIS).0,
        usize::from(demo::PARIS_ROUTES) + usize::from(demo::LYON_ROUTES)
    );

    // berlin: primary and first backup die, backup2 takes over (prefix list in two tables).
    t.tunnels(demo::VPN_BERLIN_PRIMARY, TunnelStatus::Down)
        .await;
    t.tunnels(demo::VPN_BERLIN_BACKUP, TunnelStatus::Down).await;
    t.sandbox.state().reset_calls();
    t.reconcile().await;
    let w = t.sandbox_world();
    assert_eq!(count_on(&w, demo::ATT_BERLIN_PRIMARY), (0, 0));
    assert_eq!(
        count_on(&w, demo::ATT_BERLIN_BACKUP2),
        (usize::from(demo::BERLIN_ROUTES), 2)
    );
    assert_eq!(
        count_on(&w, demo::ATT_BERLIN_BACKUP).0,
        3,
        "berlin-ams's own routes stay"
    );
    let calls = t.sandbox.state().calls();
    assert_eq!(
        calls.calls_of("ModifyTransitGatewayPrefixListReference"),
        2,
        "one call per table moves the whole list"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_throttling_and_a_competing_burst_end_in_the_same_state() {
    let t = twins(
        SandboxConfig::new(demo_world()).limits(Limits::Aws),
        Policy::default(),
        ExecutorConfig::default(),
    )
    .await;
    // Someone else in the account spends most of the replace budget first: 48 no-op replaces.
    for _ in 0..48 {
        t.net
            .replace_route(
                &RouteTableId::new(demo::RTB_PROD),
                "10.10.0.0/24",
                &AttachmentId::new(demo::ATT_PARIS),
            )
            .await
            .expect("within the burst");
    }

    t.tunnels(demo::VPN_PARIS, TunnelStatus::Down).await;
    let started = tokio::time::Instant::now();
    let out = t.reconcile().await;
    assert_eq!(out.moved(), usize::from(demo::PARIS_ROUTES) + 1);
    assert_eq!(out.failed(), 0);
    let calls = t.sandbox.state().calls();
    assert!(
        calls.throttled_of("ReplaceTransitGatewayRoute") > 0,
        "the sandbox throttled the engine: {calls:?}"
    );
    eprintln!(
        "throttled run: {:?}, {} replaces, {} throttled",
        started.elapsed(),
        calls.calls_of("ReplaceTransitGatewayRoute"),
        calls.throttled_of("ReplaceTransitGatewayRoute")
    );
}

// ---- more than 1000 routes, older EC2 paging ---------------------------------------------------

const BIG_TGW: &str = "tgw-0000000000000b1g0";
const BIG_RTB: &str = "tgw-rtb-0000000000000b1g0";
const BIG_PRIMARY: &str = "vpn-0000000000000b1g1";
const BIG_BACKUP: &str = "vpn-0000000000000b1g2";
const BIG_ATT_PRIMARY: &str = "tgw-attach-000000000b1g1";
const BIG_ATT_BACKUP: &str = "tgw-attach-000000000b1g2";

/// One table, one group, `n` static routes on the primary (plus one on the table's own
/// boundaries, and a few to the backup): more than one page of any search.
fn big_world(n: usize) -> World {
    let tgw = TgwId::new(BIG_TGW);
    let vpn = |id: &str, tag: &str, ip: u8| VpnConnection {
        id: VpnId::new(id),
        state: VpnState::Available,
        transit_gateway_id: Some(tgw.clone()),
        tags: [("big".to_owned(), tag.to_owned())].into(),
        tunnels: vec![Tunnel {
            outside_ip: format!("203.0.113.{ip}"),
            status: TunnelStatus::Up,
            last_status_change: demo::up_since(),
        }],
    };
    let att = |id: &str, vpn: &str| SimAttachment {
        id: AttachmentId::new(id),
        transit_gateway_id: tgw.clone(),
        resource_type: ResourceType::Vpn,
        resource_id: vpn.to_owned(),
        state: "available".into(),
    };
    let table = RouteTableId::new(BIG_RTB);
    let primary = AttachmentId::new(BIG_ATT_PRIMARY);
    let mut routes: Vec<SimRoute> = (0..n)
        .map(|i| {
            SimRoute::to_attachment(
                &table,
                &format!("10.{}.{}.0/24", i / 256, i % 256),
                &primary,
            )
        })
        .collect();
    // Prefixes that are exactly a narrowing boundary (found only by exact-match when
    // subnet-of-match is strict), in v4 and v6.
    routes.push(SimRoute::to_attachment(&table, "10.0.0.0/9", &primary));
    routes.push(SimRoute::to_attachment(&table, "2001:db8::/32", &primary));
    routes.push(SimRoute::to_attachment(
        &table,
        "192.168.0.0/16",
        &AttachmentId::new(BIG_ATT_BACKUP),
    ));
    World {
        now: demo_world().now.clone(),
        transit_gateways: vec![tgw.clone()],
        vpn_connections: vec![vpn(BIG_PRIMARY, "primary", 1), vpn(BIG_BACKUP, "backup", 2)],
        attachments: vec![
            att(BIG_ATT_PRIMARY, BIG_PRIMARY),
            att(BIG_ATT_BACKUP, BIG_BACKUP),
        ],
        route_tables: vec![SimRouteTable {
            id: table,
            transit_gateway_id: tgw,
            name: Some("big".into()),
        }],
        routes,
        ..World::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_searches_without_a_token_are_narrowed_until_every_route_is_found() {
    const N: usize = 1500;
    let expected = N + 2;
    for subnet in [SubnetMatch::Inclusive, SubnetMatch::Strict] {
        let config = SandboxConfig::new(big_world(N))
            .limits(Limits::None)
            .search_pages(SearchPages::Truncate)
            .subnet_match(subnet);
        let sb = sandbox::bind("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap()
            .spawn();
        let net = ec2_network(&sb.url()).await;
        let found = net
            .static_routes(
                &RouteTableId::new(BIG_RTB),
                &[AttachmentId::new(BIG_ATT_PRIMARY)],
            )
            .await
            .expect("complete search");
        let unique: BTreeSet<String> = found.iter().map(|r| r.destination.to_string()).collect();
        assert_eq!(unique.len(), found.len(), "deduplicated");
        assert_eq!(
            found.len(),
            expected,
            "{subnet:?}: every route, none missing"
        );
        assert!(unique.contains("10.0.0.0/9") && unique.contains("2001:db8::/32"));
        assert!(found.iter().all(|r| r.route_type == RouteType::Static));
        let calls = sb.state().calls();
        eprintln!(
            "{subnet:?}: {} routes in {} searches",
            found.len(),
            calls.calls_of("SearchTransitGatewayRoutes")
        );
        assert!(
            calls.calls_of("SearchTransitGatewayRoutes") > 2,
            "it had to narrow"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_of_more_than_1000_routes_with_truncated_searches() {
    const N: usize = 1200;
    // EC2's budget would make this a 4-minute test; the pacing is tested elsewhere.
    let fast = ExecutorConfig {
        mutating: Bucket {
            burst: 1e6,
            per_second: 1e6,
        },
        ..ExecutorConfig::default()
    };
    let t = twins(
        SandboxConfig::new(big_world(N))
            .limits(Limits::None)
            .search_pages(SearchPages::Truncate),
        Policy::default(),
        fast,
    )
    .await;
    t.tunnels(BIG_PRIMARY, TunnelStatus::Down).await;
    let out = t.reconcile().await;
    assert_eq!(out.moved(), N + 2);
    let w = t.sandbox_world();
    assert_eq!(count_on(&w, BIG_ATT_PRIMARY), (0, 0));
    assert_eq!(count_on(&w, BIG_ATT_BACKUP).0, N + 3);
}

// ---- errors through the SDK ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_errors_map_to_the_ports_errors() {
    let sb = sandbox::bind(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig::new(demo_world()).limits(Limits::None),
    )
    .await
    .unwrap()
    .spawn();
    let net = ec2_network(&sb.url()).await;
    let prod = RouteTableId::new(demo::RTB_PROD);
    let lyon = AttachmentId::new(demo::ATT_LYON);

    let e = net
        .replace_route(&prod, "10.200.0.0/24", &lyon)
        .await
        .unwrap_err();
    assert!(matches!(e, NetError::RouteNotFound { .. }), "{e}");
    let e = net
        .replace_route(&prod, "10.10.0.0/24", &AttachmentId::new("tgw-attach-nope"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, NetError::Rejected { code, .. } if code == "InvalidTransitGatewayAttachmentID.NotFound"),
        "a missing target is not a vanished route: {e}"
    );
    let e = net
        .modify_prefix_list_reference(
            &prod,
            &tgw_ha_core::ids::PrefixListId::new("pl-nope"),
            &lyon,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, NetError::RouteNotFound { .. }),
        "a vanished reference: {e}"
    );
    let e = net
        .static_routes(
            &RouteTableId::new("tgw-rtb-nope"),
            std::slice::from_ref(&lyon),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, NetError::Rejected { code, .. } if code == "InvalidRouteTableID.NotFound"),
        "{e}"
    );

    admin(
        &sb,
        "POST",
        "/_sandbox/faults",
        serde_json::json!({"throttle_rate": 1.0, "throttle_ops": ["ReplaceTransitGatewayRoute"]}),
    )
    .await;
    let e = net
        .replace_route(&prod, "10.10.0.0/24", &lyon)
        .await
        .unwrap_err();
    assert!(matches!(e, NetError::Throttled { .. }), "{e}");
    admin(
        &sb,
        "POST",
        "/_sandbox/faults",
        serde_json::json!({"throttle_rate": 0.0, "error_rate": 1.0}),
    )
    .await;
    let e = net.vpn_connections().await.unwrap_err();
    assert!(matches!(e, NetError::Unavailable { .. }), "{e}");
    let calls = sb.state().calls();
    assert_eq!(
        calls.failed.get("DescribeVpnConnections"),
        Some(&3),
        "reads are retried by the SDK"
    );
    admin(
        &sb,
        "POST",
        "/_sandbox/faults",
        serde_json::json!({"error_rate": 0.0}),
    )
    .await;
    assert_eq!(net.vpn_connections().await.unwrap().len(), 6);
}
