//! Shared by the Lambda tests: the event fixtures (with their times moved to when a test needs
//! them), the test world, the EC2 sandbox behind a layer that records the Region each request
//! was signed for, moto's DynamoDB table and SNS topic, and handlers over all of that.
#![allow(dead_code, reason = "each test binary uses part of it")]

// The one moto helper, shared with the aws crate's tests.
#[path = "../../../aws/tests/common/moto.rs"]
pub mod moto;

use axum::extract::Request;
use axum::middleware::Next;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tgw_ha::config::Config;
use tgw_ha::lambda::{AwsBackend, Backend, EmfSink, Handler, HandlerError, Invocation};
use tgw_ha_aws::DynamoStore;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{Tunnel, TunnelStatus, VpnConnection, VpnState};
use tgw_ha_core::state::TgwState;
use tgw_ha_engine::Outcome;
use tgw_ha_engine::ServiceError;
use tgw_ha_engine::executor::{Bucket, ExecutorConfig};
use tgw_ha_engine::ports::{Clock, Ports, StateStore, SystemClock};
pub use tgw_ha_engine::testing::SkipClock;
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::sandbox::{self, Limits, SandboxConfig, SandboxState};
use tgw_ha_sim::world::lock;
use tgw_ha_sim::{Gate, ResourceType, SimAttachment, SimRoute, SimRouteTable, World};

// ---------------------------------------------------------------------------------------------
// Fixtures

/// The event fixtures (`crates/core/tests/fixtures/events`, copies of `fixtures/events/`).
pub const FIXTURES: &[&str] = &[
    "alarm-state-alarm.json",
    "alarm-state-insufficient-data.json",
    "alarm-state-metric-math.json",
    "alarm-state-ok.json",
    "alarm-state-other-namespace.json",
    "health-single-tunnel.json",
    "netmgr-ipsec-down.json",
    "netmgr-ipsec-up-legacy.json",
    "netmgr-route-uninstalled.json",
    "reference-transformer.json",
    "scheduled.json",
];

pub fn fixture_path(name: &str) -> PathBuf {
    // The manifest dir at run time (cargo sets it for tests), not the one compiled in.
    let dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    PathBuf::from(dir)
        .join("../core/tests/fixtures/events")
        .join(name)
}

pub fn fixture(name: &str) -> Value {
    let path = fixture_path(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The time an event says it happened: the alarm's state change, the reference `downTS`, or
/// the envelope's `time`.
pub fn event_time(v: &Value) -> Timestamp {
    let s = v["detail"]["state"]["timestamp"]
        .as_str()
        .or_else(|| v["downTS"].as_str())
        .or_else(|| v["time"].as_str())
        .expect("an event with a time");
    parse_time(s).expect("a timestamp").0
}

fn parse_time(s: &str) -> Option<(Timestamp, &'static str)> {
    const FORMATS: &[&str] = &["%Y-%m-%dT%H:%M:%S%.3f%z", "%Y-%m-%dT%H:%M:%S%z"];
    if s.ends_with('Z')
        && let Ok(t) = DateTime::parse_from_rfc3339(s)
    {
        return Some((t.with_timezone(&Utc), "Z"));
    }
    FORMATS.iter().find_map(|f| {
        DateTime::parse_from_str(s, f)
            .ok()
            .map(|t| (t.with_timezone(&Utc), "+0000"))
    })
}

/// Every timestamp of `v` moved by `by`, in the format it was written in.
pub fn shift(v: &Value, by: chrono::Duration) -> Value {
    match v {
        Value::String(s) => match parse_time(s) {
            Some((t, "Z")) => Value::String((t + by).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
            Some((t, _)) => {
                Value::String((t + by).format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string())
            }
            // CloudWatch's `reasonData` is a JSON document inside a string: its `startDate` is
            // the alarm's evidence time and moves with the event.
            None => match serde_json::from_str::<Value>(s) {
                Ok(inner @ Value::Object(_)) => Value::String(shift(&inner, by).to_string()),
                _ => v.clone(),
            },
        },
        Value::Array(a) => Value::Array(a.iter().map(|x| shift(x, by)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (k.clone(), shift(x, by))).collect())
        }
        other => other.clone(),
    }
}

/// The fixture `name` with its times moved so that it happened at `t`.
pub fn fixture_at(name: &str, t: Timestamp) -> Value {
    let v = fixture(name);
    let by = t - event_time(&v);
    shift(&v, by)
}

pub fn now() -> Timestamp {
    SystemClock.now()
}

// ---------------------------------------------------------------------------------------------
// The world

pub const TGW: &str = demo::TGW;
pub const PARIS_TUNNEL: &str = "203.0.113.17";
pub const PARIS_OTHER_TUNNEL: &str = "198.51.100.11";

/// A second TGW (in no group) with one VPN: what "a VPN on another TGW" names.
pub const TGW_OTHER: &str = "tgw-0fedcba987654321f";
pub const VPN_OTHER: &str = "vpn-0fedcba9876540001";
pub const ATT_OTHER: &str = "tgw-attach-0fedcba9876540001";
pub const RTB_OTHER: &str = "tgw-rtb-0fedcba9876540001";

/// The demo world (paris, lyon, berlin on one TGW; see `tgw_ha_sim::demo_world`), with paris's
/// first tunnel at the outside IP the Network Manager fixtures name, and a second TGW whose VPN
/// is in no group.
pub fn world() -> World {
    let mut w = demo_world();
    let paris = w
        .vpn_connections
        .iter_mut()
        .find(|v| v.id.as_str() == demo::VPN_PARIS)
        .expect("paris");
    paris.tunnels[0].outside_ip = PARIS_TUNNEL.into();
    assert_eq!(paris.tunnels[1].outside_ip, PARIS_OTHER_TUNNEL);
    let since = paris.tunnels[0].last_status_change;

    let other = TgwId::new(TGW_OTHER);
    w.transit_gateways.push(other.clone());
    w.vpn_connections.push(VpnConnection {
        id: VpnId::new(VPN_OTHER),
        state: VpnState::Available,
        transit_gateway_id: Some(other.clone()),
        tags: [("Name".to_owned(), "other-tgw-branch".to_owned())].into(),
        tunnels: ["192.0.2.10", "192.0.2.11"]
            .map(|ip| Tunnel {
                outside_ip: ip.into(),
                status: TunnelStatus::Up,
                last_status_change: since,
            })
            .to_vec(),
    });
    w.attachments.push(SimAttachment {
        id: AttachmentId::new(ATT_OTHER),
        transit_gateway_id: other.clone(),
        resource_type: ResourceType::Vpn,
        resource_id: VPN_OTHER.into(),
        state: "available".into(),
    });
    w.route_tables.push(SimRouteTable {
        id: RouteTableId::new(RTB_OTHER),
        transit_gateway_id: other,
        name: Some("other".into()),
    });
    w.routes.push(SimRoute::to_attachment(
        &RouteTableId::new(RTB_OTHER),
        "10.200.0.0/24",
        &AttachmentId::new(ATT_OTHER),
    ));
    w.validate().expect("a valid test world");
    w
}

/// Where every static route and prefix-list reference of the world points: `(table,
/// destination) → attachment` (`-` for none).
pub fn route_map(w: &World) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = w
        .routes
        .iter()
        .filter(|r| r.is_static())
        .map(|r| {
            (
                r.table.to_string(),
                r.destination.clone(),
                r.attachment
                    .as_ref()
                    .map_or("-".into(), ToString::to_string),
            )
        })
        .chain(w.prefix_list_references.iter().map(|p| {
            (
                p.table.to_string(),
                p.prefix_list_id.to_string(),
                p.attachment
                    .as_ref()
                    .map_or("-".into(), ToString::to_string),
            )
        }))
        .collect();
    out.sort();
    out
}

/// The routes (CIDR and prefix lists) that changed between two route maps:
/// `(table, destination, before, after)`.
pub fn changed(
    before: &[(String, String, String)],
    after: &[(String, String, String)],
) -> Vec<(String, String, String, String)> {
    assert_eq!(before.len(), after.len(), "routes appeared or vanished");
    before
        .iter()
        .zip(after)
        .filter(|(b, a)| b.2 != a.2)
        .map(|(b, a)| {
            assert_eq!((&b.0, &b.1), (&a.0, &a.1));
            (b.0.clone(), b.1.clone(), b.2.clone(), a.2.clone())
        })
        .collect()
}

/// Static routes (CIDR) of the world pointing at `att`.
pub fn cidrs_on(w: &World, att: &str) -> usize {
    w.routes_to(&AttachmentId::new(att)).count()
}

/// The prefix-list reference of `table` for `pl`: where it points.
pub fn reference_target(w: &World, table: &str, pl: &str) -> Option<String> {
    w.prefix_list_reference(&RouteTableId::new(table), &PrefixListId::new(pl))
        .and_then(|p| p.attachment.as_ref().map(ToString::to_string))
}

// ---------------------------------------------------------------------------------------------
// The sandbox

/// The EC2 sandbox on 127.0.0.1, with the Region of each request's SigV4 credential scope
/// recorded (`Credential=AKID/20260314/eu-west-1/ec2/aws4_request`).
pub struct Sandbox {
    pub url: String,
    pub state: SandboxState,
    pub regions: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    pub async fn start(world: World) -> Sandbox {
        // No EC2 budget: the handlers' executors are unpaced (see `aws_handler`).
        let state =
            sandbox::state(SandboxConfig::new(world).limits(Limits::None)).expect("sandbox state");
        let regions = Arc::new(Mutex::new(Vec::new()));
        let seen = regions.clone();
        let app = sandbox::router(state.clone()).layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let seen = seen.clone();
                async move {
                    if let Some(region) = req
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .and_then(signed_region)
                    {
                        seen.lock().unwrap().push(region);
                    }
                    next.run(req).await
                }
            },
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Sandbox {
            url,
            state,
            regions,
            task,
        }
    }

    /// Read or change the world (never across an await).
    pub fn world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut lock(self.state.world()))
    }

    pub fn routes(&self) -> Vec<(String, String, String)> {
        self.world(|w| route_map(w))
    }

    /// Set a tunnel (or all of a VPN's) UP or DOWN now, as EC2's telemetry would show.
    pub fn tunnel(&self, vpn: &str, outside_ip: Option<&str>, status: TunnelStatus) {
        self.world(|w| {
            w.set_tunnel(&VpnId::new(vpn), outside_ip, status, now())
                .expect("tunnel")
        });
    }

    /// Regions the requests so far were signed for (deduplicated), and forget them.
    pub fn take_regions(&self) -> Vec<String> {
        let mut r = std::mem::take(&mut *self.regions.lock().unwrap());
        r.sort();
        r.dedup();
        r
    }

    /// Mutating EC2 calls received so far.
    pub fn writes(&self) -> u64 {
        let c = self.state.calls();
        c.calls_of("ReplaceTransitGatewayRoute")
            + c.calls_of("ModifyTransitGatewayPrefixListReference")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn signed_region(auth: &str) -> Option<String> {
    let scope = auth.split("Credential=").nth(1)?;
    scope.split('/').nth(2).map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// moto: the table and the topic

/// A fresh table (named after the test) in moto, in `region` (moto's tables are per Region).
pub async fn table(name: &str, region: &str) -> String {
    let table = format!("tgw-ha-lambda-{name}");
    let client = tgw_ha_aws::dynamodb_client(&moto::sdk_config_in(region).await);
    tgw_ha_aws::create_table(&client, &table)
        .await
        .expect("create table");
    table
}

/// A fresh SNS topic (named after the test) in moto, in `region`.
pub async fn topic(name: &str, region: &str) -> String {
    let client = tgw_ha_aws::sns_client(&moto::sdk_config_in(region).await);
    client
        .create_topic()
        .name(format!("tgw-ha-lambda-{name}"))
        .send()
        .await
        .expect("create topic")
        .topic_arn()
        .expect("arn")
        .to_owned()
}

/// The subjects of the notifications moto recorded for `topic`.
pub fn subjects(topic: &str) -> Vec<String> {
    let data: Value =
        serde_json::from_str(&moto::get("/moto-api/data.json")).expect("moto data json");
    let Some(topics) = data["sns"]["Topic"].as_array() else {
        return vec![];
    };
    topics
        .iter()
        .find(|t| t["arn"] == topic)
        .and_then(|t| t["sent_notifications"].as_array())
        .map(|sent| {
            sent.iter()
                .map(|n| n[2].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The state stored for the demo TGW in `table` (version 0: nothing was ever stored).
pub async fn stored(table: &str, region: &str) -> (u64, TgwState) {
    let store = DynamoStore::new(
        tgw_ha_aws::dynamodb_client(&moto::sdk_config_in(region).await),
        table,
    );
    let v = store.load(&TgwId::new(TGW)).await.expect("load state");
    (v.version, v.value)
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// A deployment that owns two Regions (`TGW_HA_REGIONS = home, other`), each with its own
/// sandbox holding the same world (even the TGW ids are equal, so only the Region in the
/// state's key keeps their ledgers apart), one table in `home`, and the handler over it all.
pub struct TwoRegions {
    pub home: Sandbox,
    pub other: Sandbox,
    pub handler: Handler,
    pub table: String,
}

pub async fn two_regions(name: &str, home_region: &str, other_region: &str) -> TwoRegions {
    let home = Sandbox::start(world()).await;
    let other = Sandbox::start(world()).await;
    let table = table(name, home_region).await;
    let vars = [
        ("TGW_HA_TABLE", table.clone()),
        ("TGW_HA_REGIONS", format!("{home_region}, {other_region}")),
    ];
    let config =
        Config::from_lookup(&|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            .expect("config");
    let backend = AwsBackend::new(moto::sdk_config_in(home_region).await, &config)
        .with_ec2_endpoint_for(home_region, home.url.clone())
        .with_ec2_endpoint_for(other_region, other.url.clone());
    let handler = Handler::new(config, Arc::new(backend))
        .with_emf(EmfSink::Memory(Arc::new(Mutex::new(Vec::new()))));
    TwoRegions {
        home,
        other,
        handler,
        table,
    }
}

/// A handler as the function builds it (`AwsBackend`): DynamoDB and SNS in moto, EC2 in the
/// sandbox, home Region `region`, configuration from `vars` (as environment variables).
///
/// Its executor is [`unpaced`]: paced to EC2's budget (a burst of 50, then 5 writes a second)
/// on its clock, a [`SkipClock`] whose sleeps are real, a test that writes more than 50 times
/// would wait 0.2 s of real time for each write past the burst (3 s for a sweep of berlin and
/// lyon). The pacing is tested elsewhere (engine `executor`, aws `sandbox_wire`).
pub struct Fixture {
    pub handler: Arc<Handler>,
    /// The handler's clock: skip it past a hold-down rather than wait for it.
    pub clock: Arc<SkipClock>,
    pub emf: Arc<Mutex<Vec<Value>>>,
    pub table: String,
    pub topic: String,
    pub region: String,
}

/// No pacing, for a sandbox without EC2's budget (`Limits::None`).
pub fn unpaced() -> ExecutorConfig {
    let fast = Bucket {
        burst: 1e6,
        per_second: 1e6,
    };
    ExecutorConfig {
        mutating: fast,
        reads: fast,
        ..ExecutorConfig::default()
    }
}

pub async fn aws_handler(sb: &Sandbox, name: &str, region: &str, vars: &[(&str, &str)]) -> Fixture {
    let table = table(name, region).await;
    let topic = topic(name, region).await;
    let mut all: Vec<(String, String)> = vec![
        ("TGW_HA_TABLE".into(), table.clone()),
        ("TGW_HA_TOPIC_ARN".into(), topic.clone()),
    ];
    all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let config = Config::from_lookup(&|k| {
        all.iter()
            .rev()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("config");
    let clock = Arc::new(SkipClock::default());
    let backend = AwsBackend::new(moto::sdk_config_in(region).await, &config)
        .with_ec2_endpoint(Some(sb.url.clone()))
        .with_clock(clock.clone());
    let emf = Arc::new(Mutex::new(Vec::new()));
    let handler = Handler::new(config, Arc::new(backend))
        .with_executor(unpaced())
        .with_emf(EmfSink::Memory(emf.clone()));
    Fixture {
        handler: Arc::new(handler),
        clock,
        emf,
        table,
        topic,
        region: region.to_owned(),
    }
}

impl Fixture {
    /// Handle `event` as invocation `request_id`; the outcome, decoded.
    pub async fn invoke(&self, event: Value) -> Result<Outcome, HandlerError> {
        invoke(&self.handler, event, "req").await
    }

    /// The state stored for the demo TGW.
    pub async fn stored(&self) -> (u64, TgwState) {
        stored(&self.table, &self.region).await
    }

    /// The state stored for the demo TGW of another Region the deployment owns (its key is
    /// `<region>/<tgw>`; the home Region's is the bare id).
    pub async fn stored_in(&self, tgw_region: &str) -> TgwState {
        let store = DynamoStore::new(
            tgw_ha_aws::dynamodb_client(&moto::sdk_config_in(&self.region).await),
            &self.table,
        );
        let key = tgw_ha_engine::scoped::scoped_key(tgw_region, &TgwId::new(TGW));
        store.load(&key).await.expect("load state").value
    }

    /// Subjects of the notifications sent to the topic.
    pub fn subjects(&self) -> Vec<String> {
        subjects(&self.topic)
    }

    pub fn last_emf(&self) -> Value {
        self.emf
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("an EMF line")
    }
}

pub async fn invoke(
    handler: &Handler,
    event: Value,
    request_id: &str,
) -> Result<Outcome, HandlerError> {
    let inv = Invocation {
        request_id: request_id.into(),
        function_name: "tgw-ha-test".into(),
        deadline: None,
    };
    handler
        .handle(event, &inv)
        .await
        .map(|v| serde_json::from_value(v).expect("the response is an Outcome"))
}

/// The group report of `name` in an outcome.
pub fn group<'a>(o: &'a Outcome, name: &str) -> &'a tgw_ha_core::planner::GroupReport {
    o.groups()
        .find(|g| g.name.as_str() == name)
        .unwrap_or_else(|| panic!("group {name} not in the outcome: {o:#?}"))
}

/// The function's backend (EC2 in the sandbox at `ec2`, the rest in moto's eu-west-1) with
/// every EC2 write behind `gate`: the run that takes the lease stays inside its moves until the
/// test opens it.
pub struct Gated {
    inner: AwsBackend,
    gate: Gate,
}

impl Gated {
    pub async fn new(config: &Config, ec2: &str, gate: &Gate) -> Self {
        Gated {
            inner: AwsBackend::new(moto::sdk_config_in("eu-west-1").await, config)
                .with_ec2_endpoint(Some(ec2.to_owned())),
            gate: gate.clone(),
        }
    }
}

impl Backend for Gated {
    fn ports(&self, region: Option<&str>) -> Result<Ports, ServiceError> {
        let mut p = self.inner.ports(region)?;
        p.network = self.gate.around(p.network);
        Ok(p)
    }
    fn has_ledger(&self) -> bool {
        self.inner.has_ledger()
    }
    fn clock(&self) -> Arc<dyn Clock> {
        self.inner.clock()
    }
}
