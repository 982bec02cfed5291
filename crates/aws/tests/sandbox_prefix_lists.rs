//! Prefix-list conversion through the real AWS SDK (`Ec2PrefixLists`, `Ec2Network`) against the
//! sandbox on 127.0.0.1: the plan is the one the plain sim makes of the same world; convert
//! (pages of 40 everywhere, more entries than one call takes), a failover of the converted group
//! (one ModifyTransitGatewayPrefixListReference per table), then revert on the backup.
//!
//! Never AWS: explicit endpoint, static test credentials.

use aws_config::BehaviorVersion;
use aws_sdk_ec2::config::Credentials;
use std::sync::Arc;
use std::time::Duration;
use tgw_ha_aws::{AwsOptions, Ec2Network, Ec2PrefixLists, ec2_client, load_sdk_config_with};
use tgw_ha_core::conversion::{Direction, OWNER_TAG, list_name};
use tgw_ha_core::ids::{AttachmentId, GroupName, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::state::SignalSource;
use tgw_ha_core::trigger::{SignalEvent, Trigger};
use tgw_ha_engine::conversion::{ConversionPorts, Converter, ConverterConfig};
use tgw_ha_engine::executor::{Bucket, ExecutorConfig};
use tgw_ha_engine::ports::{Clock, NoNotifier, Ports, SystemClock};
use tgw_ha_engine::{Engine, EngineConfig};
use tgw_ha_sim::pair_world::Pair;
use tgw_ha_sim::prefix_lists::ResolvedKind;
use tgw_ha_sim::sandbox::{self, Limits, SandboxConfig};
use tgw_ha_sim::world::lock;
use tgw_ha_sim::{MemoryLease, MemoryStore, Sim, World};

const TGW: &str = "tgw-0e000000000000001";
const PRIMARY: &str = "vpn-0e000000000000001";
const BACKUP: &str = "vpn-0e000000000000002";
const ATT_PRIMARY: &str = "tgw-attach-0e00000000000001";
const ATT_BACKUP: &str = "tgw-attach-0e00000000000002";
const TABLES: usize = 3;
const CIDRS: usize = 120;

fn rtb(t: usize) -> RouteTableId {
    RouteTableId::new(format!("tgw-rtb-0e0000000000{t:05}"))
}

fn cidr(i: usize) -> String {
    format!("10.70.{i}.0/24")
}

fn world() -> World {
    let pair = Pair {
        tgw: TGW,
        group: "rome",
        primary: (PRIMARY, ATT_PRIMARY),
        backup: (BACKUP, ATT_BACKUP),
        tables: (0..TABLES).map(rtb).collect(),
    };
    let mut w = pair.world();
    w.set_now("2026-03-01T12:00:00Z".parse().expect("a time"));
    w.routes = pair.routes_to_primary(&(0..CIDRS).map(cidr).collect::<Vec<_>>());
    w.validate().expect("valid");
    w
}

/// EC2's budget would make this a minute-long test; pacing is tested elsewhere.
fn fast() -> ExecutorConfig {
    let unlimited = Bucket {
        burst: 1e6,
        per_second: 1e6,
    };
    ExecutorConfig {
        mutating: unlimited,
        reads: unlimited,
        ..ExecutorConfig::default()
    }
}

fn config() -> ConverterConfig {
    ConverterConfig {
        owner: "wire-convert".into(),
        executor: fast(),
        poll: Duration::from_millis(20),
        ..ConverterConfig::default()
    }
}

async fn client(url: &str) -> aws_sdk_ec2::Client {
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"));
    let opts = AwsOptions {
        region: Some("eu-west-1".into()),
        endpoint_url: Some(url.to_owned()),
        ..AwsOptions::default()
    };
    ec2_client(&load_sdk_config_with(loader, &opts).await)
}

#[tokio::test(flavor = "multi_thread")]
async fn convert_fail_over_and_revert_through_the_sdk() {
    let group = GroupName::new("rome");
    // The plain sim's plan of the same world: the SDK adapters must see the same things.
    let sim = Sim::new(world());
    let expected = Converter::new(sim.conversion_ports(), config())
        .plan(&group, Direction::Convert)
        .await
        .expect("sim plan");

    let sb = sandbox::bind(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig::new(world())
            .limits(Limits::None)
            .page_size(Some(40)),
    )
    .await
    .expect("bind")
    .spawn();
    let ec2 = client(&sb.url()).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let network = Arc::new(Ec2Network::new(ec2.clone()).with_clock(clock.clone()));
    let store = Arc::new(MemoryStore::new(sb.world().clone()));
    let lease = Arc::new(MemoryLease::new(sb.world().clone()));
    let converter = Converter::new(
        ConversionPorts {
            network: network.clone(),
            admin: Arc::new(Ec2PrefixLists::new(ec2.clone())),
            store: store.clone(),
            lease: lease.clone(),
            clock: clock.clone(),
        },
        config(),
    );
    let plan = converter
        .plan(&group, Direction::Convert)
        .await
        .expect("plan");
    assert_eq!(plan.steps, expected.steps, "the same plan through the SDK");
    assert_eq!(plan.routes_before, TABLES * CIDRS);
    assert_eq!(plan.failover_after.calls, TABLES);

    let report = converter
        .run(&group, Direction::Convert)
        .await
        .expect("convert");
    assert!(report.remaining.is_empty());
    assert_eq!(report.steps_done, plan.steps.len());
    let pl = {
        let w = lock(sb.world());
        let l = w
            .managed_prefix_lists
            .iter()
            .find(|l| l.name == list_name(&group))
            .expect("the group's list");
        assert_eq!(l.entries.len(), CIDRS);
        assert_eq!(l.tags.get(OWNER_TAG).map(String::as_str), Some("rome"));
        assert_eq!(w.routes.len(), 0, "every static route replaced");
        for t in 0..TABLES {
            for i in 0..CIDRS {
                let r = w.resolve(&rtb(t), &cidr(i)).expect("routed");
                assert_eq!(r.kind, ResolvedKind::PrefixList(l.id.clone()));
            }
        }
        l.id.clone()
    };
    // Nothing left to do, seen through the SDK.
    let again = converter.plan(&group, Direction::Convert).await.unwrap();
    assert!(again.steps.is_empty(), "{:?}", again.steps);
    assert_eq!(again.list, Some(pl.clone()));

    // The primary dies: the engine, through the SDK, moves one reference per table.
    {
        let now = clock.now();
        lock(sb.world())
            .set_tunnel(&VpnId::new(PRIMARY), None, TunnelStatus::Down, now)
            .unwrap();
    }
    let before = sb.state().calls();
    let engine = Engine::new(
        Ports {
            network: network.clone(),
            store: store.clone(),
            lease: lease.clone(),
            notifier: Arc::new(NoNotifier),
            clock: clock.clone(),
        },
        EngineConfig {
            executor: fast(),
            owner: "wire-engine".into(),
            ..EngineConfig::default()
        },
    );
    let out = engine
        .handle(&Trigger::Vpn {
            signal: SignalEvent {
                vpn: VpnId::new(PRIMARY),
                tunnel: None,
                status: Some(TunnelStatus::Down),
                at: clock.now(),
                source: SignalSource::CloudWatchAlarm,
            },
            region: None,
        })
        .await
        .expect("failover");
    assert_eq!(out.moved(), TABLES);
    let after = sb.state().calls();
    let writes = |op: &str| after.calls_of(op) - before.calls_of(op);
    assert_eq!(
        writes("ModifyTransitGatewayPrefixListReference"),
        TABLES as u64
    );
    assert_eq!(writes("ReplaceTransitGatewayRoute"), 0);

    // Revert on the backup: static routes there, recorded in the ledger; the list deleted.
    let report = converter
        .run(&group, Direction::Revert)
        .await
        .expect("revert");
    assert!(report.remaining.is_empty());
    let w = lock(sb.world());
    assert!(w.managed_prefix_list(&pl).is_none());
    assert!(w.prefix_list_references.is_empty());
    assert_eq!(
        w.routes_to(&AttachmentId::new(ATT_BACKUP)).count(),
        TABLES * CIDRS
    );
    let ledger = &w.state[&TgwId::new(TGW)].ledger;
    assert_eq!(ledger.len(), TABLES * CIDRS);
    assert!(ledger.iter().all(|e| e.home.as_str() == ATT_PRIMARY));
}
