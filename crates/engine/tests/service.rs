//! The service's rules ([`tgw_ha_engine::service`]) on the sim: the path every front end takes
//! (the Lambda handler, the CLI on a world file or on AWS, the demo, the benchmark), so these
//! hold whichever way a trigger arrives.

mod common;

use async_trait::async_trait;
use common::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tgw_ha_core::events::parse_event;
use tgw_ha_core::model::TunnelStatus::Down;
use tgw_ha_core::policy::Policy;
use tgw_ha_core::trigger::{OperatorAction, Trigger};
use tgw_ha_engine::ports::{Clock, Lease, Network, Ports};
use tgw_ha_engine::service::{ALARM_SYNC_FAILED, AlarmSync, Backend};
use tgw_ha_engine::{Service, ServiceConfig, ServiceError, ServiceOptions};
use tgw_ha_sim::Sim;
use tgw_ha_sim::demo_world::{self as demo, demo_world};

const HOME: &str = "eu-west-1";
const OTHER: &str = "us-east-1";
const PARIS_ALL: usize = demo::PARIS_ROUTES as usize + 1;

/// One sim per Region; a Region with no sim cannot give its ports (an endpoint that does not
/// answer, a Region not enabled).
struct SimBackend {
    sims: BTreeMap<String, Sim>,
    home: Option<String>,
    ledger: bool,
    alarms: Option<Arc<dyn AlarmSync>>,
    asked: Mutex<Vec<Option<String>>>,
}

impl SimBackend {
    fn new(regions: &[&str]) -> Self {
        Self {
            sims: regions
                .iter()
                .map(|r| ((*r).to_owned(), Sim::new(demo_world())))
                .collect(),
            home: Some(HOME.to_owned()),
            ledger: true,
            alarms: None,
            asked: Mutex::default(),
        }
    }

    fn sim(&self, region: &str) -> &Sim {
        &self.sims[region]
    }

    fn home(&self) -> &Sim {
        self.sim(HOME)
    }
}

impl Backend for SimBackend {
    fn ports(&self, region: Option<&str>) -> Result<Ports, ServiceError> {
        self.asked.lock().unwrap().push(region.map(str::to_owned));
        let r = region.or(self.home.as_deref()).unwrap_or(HOME);
        self.sims
            .get(r)
            .map(Sim::ports)
            .ok_or_else(|| ServiceError::Config(format!("no EC2 endpoint answers in {r}")))
    }
    fn has_ledger(&self) -> bool {
        self.ledger
    }
    fn ledger_remedy(&self) -> String {
        "give the test a state store".into()
    }
    fn clock(&self) -> Arc<dyn Clock> {
        self.home().clock.clone()
    }
    fn home_region(&self) -> Option<String> {
        self.home.clone()
    }
    fn alarms(&self, _region: Option<&str>) -> Option<Arc<dyn AlarmSync>> {
        self.alarms.clone()
    }
}

fn service(backend: &Arc<SimBackend>, config: ServiceConfig) -> Service {
    Service::new(backend.clone(), config)
}

fn options() -> ServiceOptions {
    ServiceOptions::new("service-test")
}

fn alarm(sim: &Sim, vpn_id: &str) -> Trigger {
    parse_event(&alarm_json(vpn_id, "ALARM", sim.now())).expect("an alarm")
}

#[tokio::test]
async fn without_a_ledger_a_write_is_refused_before_anything_is_read() {
    let mut b = SimBackend::new(&[HOME]);
    b.ledger = false;
    let b = Arc::new(b);
    let s = service(&b, ServiceConfig::default());
    set_tunnels(b.home(), demo::VPN_PARIS, Down);
    let before = b.home().snapshot();

    let e = s
        .run(alarm(b.home(), demo::VPN_PARIS), &options())
        .await
        .expect_err("refused");
    assert!(matches!(e, ServiceError::NoLedger { .. }), "{e}");
    assert_eq!(e.kind(), "Config");
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("give the test a state store"), "{e}");
    assert_eq!(b.home().snapshot(), before, "nothing changed");
    assert!(
        b.asked.lock().unwrap().is_empty(),
        "no ports were even built"
    );

    // Reads and dry runs need no ledger.
    let status = Trigger::Operator {
        action: OperatorAction::Status { group: None },
        dry_run: false,
    };
    let o = s.run(status, &options()).await.expect("status reads");
    assert_eq!(o.groups().count(), 3);
    let dry = ServiceOptions {
        dry_run: true,
        ..options()
    };
    let o = s
        .run(alarm(b.home(), demo::VPN_PARIS), &dry)
        .await
        .expect("a dry run");
    assert_eq!(o.planned(), PARIS_ALL);
    assert_eq!(b.home().snapshot(), before);
}

#[tokio::test]
async fn an_alarm_for_a_vpn_in_no_group_is_an_error() {
    let b = Arc::new(SimBackend::new(&[HOME]));
    let s = service(&b, ServiceConfig::default());
    set_tunnels(b.home(), demo::VPN_PARTNER, Down);
    let before = b.home().snapshot();

    let e = s
        .run(alarm(b.home(), demo::VPN_PARTNER), &options())
        .await
        .expect_err("no group");
    assert!(
        matches!(&e, ServiceError::NoGroup { vpn, .. } if vpn.as_str() == demo::VPN_PARTNER),
        "{e}"
    );
    assert_eq!(e.kind(), "NoGroup");
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("belongs to no group"), "{e}");
    assert_eq!(b.home().snapshot().routes, before.routes);

    // The reference event is set up per VPN too; a Network Manager event is not: for a VPN
    // in no group it is simply not ours.
    let reference = parse_event(&reference_json(demo::VPN_PARTNER, b.home().now())).unwrap();
    let e = s.run(reference, &options()).await.expect_err("no group");
    assert_eq!(e.kind(), "NoGroup");
}

#[tokio::test]
async fn a_dry_run_leaves_the_world_and_the_store_untouched() {
    let b = Arc::new(SimBackend::new(&[HOME]));
    let s = service(&b, ServiceConfig::default());
    set_tunnels(b.home(), demo::VPN_PARIS, Down);
    let before = b.home().snapshot();
    let dry = ServiceOptions {
        dry_run: true,
        ..options()
    };

    // Any trigger: an alarm runs over ports that keep their writes.
    let o = s
        .run(alarm(b.home(), demo::VPN_PARIS), &dry)
        .await
        .expect("a dry run");
    assert!(o.dry_run);
    assert_eq!(o.planned(), PARIS_ALL);
    assert_eq!(o.moved(), 0);
    assert!(o.tgws.iter().all(|t| t.results.is_empty()));
    assert!(
        o.notes.iter().any(|n| n.contains("dry run")),
        "{:?}",
        o.notes
    );
    // An operator action runs as its own dry run.
    let failover = Trigger::Operator {
        action: OperatorAction::Failover {
            group: tgw_ha_core::ids::GroupName::new("berlin"),
            to: None,
        },
        dry_run: false,
    };
    let o = s.run(failover, &dry).await.expect("a dry failover");
    assert!(o.dry_run);
    assert!(o.planned() > 0);

    assert_eq!(
        b.home().snapshot(),
        before,
        "routes, state and leases untouched"
    );
    assert!(b.home().notifier.events().is_empty(), "nothing notified");

    // The same alarm for real moves the routes the dry run planned.
    let o = s
        .run(alarm(b.home(), demo::VPN_PARIS), &options())
        .await
        .expect("the failover");
    assert_eq!(o.moved(), PARIS_ALL);
}

#[tokio::test]
async fn a_sweep_over_two_regions_reconciles_one_when_the_other_fails() {
    let b = Arc::new(SimBackend::new(&[HOME]));
    let s = service(
        &b,
        ServiceConfig {
            regions: vec![OTHER.into(), HOME.into()],
            ..ServiceConfig::default()
        },
    );
    set_tunnels(b.home(), demo::VPN_PARIS, Down);
    let before = b.home().snapshot();

    let e = s
        .run(Trigger::All { region: None }, &options())
        .await
        .expect_err("one region failed");
    let ServiceError::Regions {
        failures,
        retryable,
        outcome,
    } = &e
    else {
        panic!("expected Regions, got {e}");
    };
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].starts_with(OTHER), "{failures:?}");
    assert!(!retryable);
    assert_eq!(e.kind(), "Regions");
    // The failing Region came first; the other was reconciled all the same.
    assert_eq!(outcome.moved(), PARIS_ALL);
    assert!(
        outcome
            .notes
            .iter()
            .any(|n| n == &format!("swept regions {OTHER}, {HOME}")),
        "{:?}",
        outcome.notes
    );
    let after = b.home().snapshot();
    assert_ne!(after.routes, before.routes);
    assert_eq!(
        keys_on(&after, demo::ATT_PARIS).len(),
        0,
        "every paris route left the dead VPN"
    );
    assert_eq!(
        *b.asked.lock().unwrap(),
        [Some(OTHER.to_owned()), Some(HOME.to_owned())]
    );
}

#[tokio::test]
async fn the_other_region_keeps_its_state_under_scoped_keys() {
    let b = Arc::new(SimBackend::new(&[HOME, OTHER]));
    let s = service(
        &b,
        ServiceConfig {
            regions: vec![HOME.into(), OTHER.into()],
            ..ServiceConfig::default()
        },
    );
    set_tunnels(b.sim(OTHER), demo::VPN_PARIS, Down);
    let o = s
        .run(Trigger::All { region: None }, &options())
        .await
        .expect("both regions swept");
    assert_eq!(o.moved(), PARIS_ALL);
    // The home Region's keys stay the bare TGW id; the other's are `<region>/<tgw>`.
    let other = b.sim(OTHER).snapshot();
    assert!(
        other
            .state
            .keys()
            .all(|k| k.as_str().starts_with(&format!("{OTHER}/"))),
        "{:?}",
        other.state.keys().collect::<Vec<_>>()
    );
    assert!(!other.state.is_empty());
    assert!(
        b.home()
            .snapshot()
            .state
            .keys()
            .all(|k| k.as_str().starts_with("tgw-"))
    );
}

#[tokio::test]
async fn a_region_not_owned_is_declined_for_an_event_and_refused_for_an_operator() {
    let b = Arc::new(SimBackend::new(&[HOME]));
    let s = service(&b, ServiceConfig::default());
    let before = b.home().snapshot();

    let nm = Trigger::Tgw {
        tgw: demo_tgw(),
        region: Some(OTHER.into()),
        reason: "routing update".into(),
    };
    let o = s.run(nm, &options()).await.expect("declined, not an error");
    assert!(
        o.notes
            .iter()
            .any(|n| n.starts_with("declined") && n.contains(OTHER)),
        "{:?}",
        o.notes
    );
    assert!(b.asked.lock().unwrap().is_empty(), "nothing read");

    let at_other = ServiceOptions {
        region: Some(OTHER.into()),
        ..options()
    };
    let reconcile = Trigger::Operator {
        action: OperatorAction::Reconcile { group: None },
        dry_run: false,
    };
    let e = s.run(reconcile, &at_other).await.expect_err("not owned");
    assert!(matches!(e, ServiceError::RegionNotOwned { .. }), "{e}");
    assert_eq!(e.kind(), "Config");
    assert!(e.to_string().contains(OTHER), "{e}");
    assert_eq!(b.home().snapshot(), before);
}

/// Records each sync; fails when told to.
struct Alarms {
    fail: bool,
    calls: Mutex<Vec<String>>,
}

#[async_trait]
impl AlarmSync for Alarms {
    async fn sync(
        &self,
        network: &dyn Network,
        _policy: &Policy,
        prefix: &str,
    ) -> Result<String, String> {
        let vpns = network.vpn_connections().await.map_err(|e| e.to_string())?;
        self.calls.lock().unwrap().push(prefix.to_owned());
        if self.fail {
            Err("AccessDenied".into())
        } else {
            Ok(format!("{} vpns seen", vpns.len()))
        }
    }
}

#[tokio::test]
async fn alarms_follow_a_sweep_and_their_failure_is_a_note() {
    for fail in [false, true] {
        let alarms = Arc::new(Alarms {
            fail,
            calls: Mutex::default(),
        });
        let mut b = SimBackend::new(&[HOME]);
        b.alarms = Some(alarms.clone());
        let b = Arc::new(b);
        let s = service(
            &b,
            ServiceConfig {
                alarm_sync: true,
                alarm_prefix: "ha-".into(),
                ..ServiceConfig::default()
            },
        );
        let o = s
            .run(Trigger::All { region: None }, &options())
            .await
            .expect("the sweep succeeds, whatever the alarms");
        assert_eq!(*alarms.calls.lock().unwrap(), ["ha-"]);
        let failed = o.notes.iter().any(|n| n.starts_with(ALARM_SYNC_FAILED));
        assert_eq!(failed, fail, "{:?}", o.notes);

        // Only a sweep, and never a dry one.
        let dry = ServiceOptions {
            dry_run: true,
            ..options()
        };
        s.run(Trigger::All { region: None }, &dry).await.unwrap();
        let status = Trigger::Operator {
            action: OperatorAction::Status { group: None },
            dry_run: false,
        };
        s.run(status, &options()).await.unwrap();
        assert_eq!(alarms.calls.lock().unwrap().len(), 1);
    }
}

/// The dry ports themselves, over the sim: reads go through, every write stays in them.
#[tokio::test]
async fn dry_ports_keep_every_write() {
    use tgw_ha_core::ids::{AttachmentId, RouteTableId};
    use tgw_ha_engine::dry_run::dry_ports;
    let sim = Sim::new(demo_world());
    let tgw = demo_tgw();
    let ttl = std::time::Duration::from_secs(60);
    assert!(
        sim.lease
            .acquire(&tgw, "another run", ttl, sim.now())
            .await
            .unwrap()
    );
    let before = sim.snapshot();
    let ports = dry_ports(sim.ports());

    assert_eq!(
        ports.network.vpn_connections().await.unwrap().len(),
        before.vpn_connections.len()
    );
    let table = RouteTableId::new(demo::RTB_PROD);
    let to = AttachmentId::new(demo::ATT_LYON);
    ports
        .network
        .replace_route(&table, "10.10.0.0/24", &to)
        .await
        .unwrap();
    // State: saved over what was read, read back from the dry ports only.
    let v = ports.store.load(&tgw).await.unwrap().version;
    let state = tgw_ha_core::state::TgwState::default();
    assert_eq!(ports.store.save(&tgw, v, &state).await.unwrap(), v + 1);
    assert_eq!(ports.store.load(&tgw).await.unwrap().version, v + 1);
    // The lease is free whoever holds it; releasing it releases nothing.
    assert!(
        ports
            .lease
            .acquire(&tgw, "dry", ttl, sim.now())
            .await
            .unwrap()
    );
    ports.lease.release(&tgw, "another run").await.unwrap();

    assert_eq!(
        sim.snapshot(),
        before,
        "routes, state and the other run's lease untouched"
    );
}

/// Only the events someone set up for one VPN (an alarm, the reference sample) make a VPN in no
/// group an error; Network Manager and AWS Health speak of every VPN of the account, so for
/// one in no group they are simply not ours: a success that moves nothing.
#[tokio::test]
async fn an_account_wide_event_for_a_vpn_in_no_group_is_not_an_error() {
    use tgw_ha_core::state::SignalSource;
    use tgw_ha_core::trigger::SignalEvent;
    let b = Arc::new(SimBackend::new(&[HOME]));
    let s = service(&b, ServiceConfig::default());
    set_tunnels(b.home(), demo::VPN_PARTNER, Down);
    let before = b.home().snapshot();

    let network_manager = Trigger::Vpn {
        signal: SignalEvent {
            vpn: vpn(demo::VPN_PARTNER),
            tunnel: None,
            status: Some(Down),
            at: b.home().now(),
            source: SignalSource::NetworkManager,
        },
        region: Some(HOME.into()),
    };
    let health = Trigger::Notice {
        vpn: vpn(demo::VPN_PARTNER),
        reason: "tunnel endpoint replacement".into(),
    };
    for t in [network_manager, health] {
        let what = t.describe();
        let o = s
            .run(t, &options())
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(o.tgws.is_empty(), "{what}: {:?}", o.tgws);
        assert_eq!(o.moved(), 0, "{what}");
    }
    assert_eq!(b.home().snapshot().routes, before.routes);
}

/// What a front end gives a run reaches the engine: its lease owner (the Lambda's request id,
/// the CLI's user@pid), its deadline (the invocation's, `--max-duration`) and the pacing of EC2
/// calls the service was set up with.
#[tokio::test]
async fn a_run_holds_the_lease_as_its_owner_and_keeps_its_deadline_and_pacing() {
    use tgw_ha_engine::Deadline;
    use tgw_ha_engine::executor::{Bucket, ExecutorConfig};
    use tgw_ha_sim::LeaseRecord;
    let failover = || Trigger::Operator {
        action: OperatorAction::Failover {
            group: tgw_ha_core::ids::GroupName::new("paris"),
            to: None,
        },
        dry_run: false,
    };

    // Owner: a lease this owner already holds is its own; another owner's is not.
    let b = Arc::new(SimBackend::new(&[HOME]));
    let s = service(&b, ServiceConfig::default());
    let expires = b.home().now() + secs(600);
    b.home().world().leases.insert(
        demo_tgw(),
        LeaseRecord {
            owner: options().owner,
            expires,
        },
    );
    let e = s
        .run(failover(), &ServiceOptions::new("someone else"))
        .await
        .expect_err("busy");
    assert_eq!(e.kind(), "Busy", "{e}");
    let o = s.run(failover(), &options()).await.expect("its own lease");
    assert_eq!(o.moved(), PARIS_ALL);

    // Deadline: one already within the engine's margin starts no move.
    let b = Arc::new(SimBackend::new(&[HOME]));
    let s = service(&b, ServiceConfig::default());
    let before = b.home().snapshot();
    let late = ServiceOptions {
        deadline: Some(Deadline::At(b.home().now())),
        ..options()
    };
    let e = s.run(failover(), &late).await.expect_err("deadline");
    assert_eq!(e.kind(), "Incomplete", "{e}");
    assert!(e.to_string().contains("deadline"), "{e}");
    assert_eq!(e.outcome().map(|o| o.moved()), Some(0));
    assert_eq!(b.home().snapshot().routes, before.routes);

    // Pacing: one write a second makes the failover take about a virtual second a move.
    let b = Arc::new(SimBackend::new(&[HOME]));
    let slow = Bucket {
        burst: 1.0,
        per_second: 1.0,
    };
    let s = service(
        &b,
        ServiceConfig {
            executor: ExecutorConfig {
                mutating: slow,
                ..ExecutorConfig::default()
            },
            ..ServiceConfig::default()
        },
    );
    let start = b.home().now();
    let o = s.run(failover(), &options()).await.expect("paced failover");
    assert_eq!(o.moved(), PARIS_ALL);
    let took = (b.home().now() - start).num_seconds();
    assert!(
        took >= PARIS_ALL as i64 - 2,
        "took {took} s of virtual time"
    );
}
