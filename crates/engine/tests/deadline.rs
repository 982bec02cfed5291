//! Runs that end before their deadline: a failover too large for one run (a Lambda invocation
//! has at most 900 s) stops starting moves a margin before the deadline, settles its ledger,
//! releases its lease and returns `Incomplete`; the next run continues at once. On the sim's
//! virtual clock with EC2's pacing (50 burst, 5/s).

mod common;

use async_trait::async_trait;
use common::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::RouteTableId;
use tgw_ha_core::model::TunnelStatus::Down;
use tgw_ha_engine::layer::{Call, Layer, Layered, Write};
use tgw_ha_engine::ports::{Clock, NetError};
use tgw_ha_engine::{Deadline, Engine, EngineConfig, EngineError, Outcome, RunOptions};
use tgw_ha_sim::{RandomWorldParams, Sim, World, random_world};

/// Every ReplaceTransitGatewayRoute that reached the network, by (table, CIDR), with its time.
#[derive(Default)]
struct Replaces(Mutex<BTreeMap<(RouteTableId, String), Vec<Timestamp>>>);

/// Notes every ReplaceTransitGatewayRoute on its way to the network.
struct Counting {
    clock: Arc<dyn Clock>,
    replaces: Arc<Replaces>,
}

#[async_trait]
impl Layer for Counting {
    async fn before(&self, call: &Call<'_>) -> Result<(), NetError> {
        if let Call::Write(Write::ReplaceRoute { table, cidr, .. }) = *call {
            self.replaces
                .0
                .lock()
                .unwrap()
                .entry((table.clone(), cidr.to_owned()))
                .or_default()
                .push(self.clock.now());
        }
        Ok(())
    }
}

const ROUTES: usize = 2_000;
const TIMEOUT_S: i64 = 60;
const MARGIN_S: i64 = 10;

/// One group whose primary carries `routes` static routes over 20 tables, nothing else.
fn big_world(routes: usize) -> World {
    random_world(
        7,
        &RandomWorldParams {
            tables: 20,
            groups: 1,
            max_backups: 1,
            routes_per_group: routes,
            prefix_list_references: 0,
            native_backup_routes: 0,
            foreign_routes: 0,
            propagated_routes: 0,
            blackholes: 0,
            ..RandomWorldParams::default()
        },
    )
}

/// A run of a Lambda function with a `timeout_s` timeout, started now: its own engine (another
/// invocation, another lease owner), EC2's pacing, the default 10 s margin.
async fn invocation(
    sim: &Sim,
    replaces: &Arc<Replaces>,
    n: usize,
    timeout_s: i64,
) -> (Timestamp, Result<Outcome, EngineError>) {
    let mut ports = sim.ports();
    let counting = Counting {
        clock: sim.clock.clone(),
        replaces: replaces.clone(),
    };
    ports.network = Arc::new(Layered::new(ports.network, counting));
    let config = EngineConfig {
        owner: format!("invocation-{n}"),
        ..EngineConfig::default()
    };
    assert_eq!(config.deadline_margin, Duration::from_secs(MARGIN_S as u64));
    let engine = Engine::new(ports, config);
    let deadline = sim.now() + secs(timeout_s);
    let options = RunOptions {
        deadline: Some(Deadline::At(deadline)),
    };
    (deadline, engine.handle_with(&sweep(), &options).await)
}

#[tokio::test]
async fn a_2000_route_failover_under_a_60s_deadline_completes_over_several_runs() {
    let initial = big_world(ROUTES);
    let groups = group_routes(&initial);
    assert_eq!(groups.len(), 1);
    let g = &groups[0];
    assert_eq!(g.keys.len(), ROUTES);
    let (primary, backup) = (g.members[0].clone(), g.members[1].clone());
    let sim = Sim::new(initial.clone());
    set_tunnels(&sim, primary.0.as_str(), Down);
    let replaces = Arc::new(Replaces::default());

    let mut per_run = Vec::new();
    for n in 1.. {
        assert!(n <= 10, "converges in a few runs: {per_run:?}");
        let started = sim.now();
        let (deadline, r) = invocation(&sim, &replaces, n, TIMEOUT_S).await;
        // No run waits for a lease: the previous run released it, this one acquired it at once
        // (a run meeting a lease would end with a note and move nothing).
        assert!(
            sim.lease.holder(&g.tgw).is_none(),
            "run {n} released its lease"
        );
        let (outcome, done) = match r {
            Ok(o) => (o, true),
            Err(e @ EngineError::Incomplete { .. }) => {
                assert!(e.is_retryable(), "{e}");
                let msg = e.to_string();
                assert!(
                    msg.contains("deadline reached") && msg.contains("next run"),
                    "{msg}"
                );
                let o = e.outcome().expect("an outcome").clone();
                assert_eq!(
                    o.failed(),
                    o.deferred(),
                    "nothing failed, moves were deferred"
                );
                (o, false)
            }
            Err(e) => panic!("run {n}: {e}"),
        };
        assert!(
            !outcome
                .notes
                .iter()
                .any(|note| note.contains("holds the lease")),
            "run {n} met a lease: {:?}",
            outcome.notes
        );
        assert!(
            outcome.finished_at <= deadline,
            "run {n} ended before its deadline"
        );
        // EC2's bucket: at most 50 + 5 per second until the margin.
        let bound = 50 + 5 * (TIMEOUT_S - MARGIN_S) as usize;
        assert!(outcome.moved() <= bound, "run {n}: {}", outcome.moved());
        if !done {
            assert!(
                outcome.moved() >= bound - 10,
                "run {n}: {}",
                outcome.moved()
            );
        }
        let secs_used = (outcome.finished_at - started).num_milliseconds() as f64 / 1e3;
        per_run.push((outcome.moved(), secs_used));
        if done {
            break;
        }
    }
    eprintln!("routes moved per run (moved, virtual seconds): {per_run:?}");
    assert!(per_run.len() >= 2, "the failover needed several runs");

    // Nothing lost, nothing moved twice, no move started within the margin of a deadline.
    let w = sim.snapshot();
    assert_eq!(
        keys_on(&w, backup.1.as_str()),
        g.keys,
        "every route on the backup"
    );
    assert!(keys_on(&w, primary.1.as_str()).is_empty());
    assert_ledger_matches(&w, &groups);
    let replaces = replaces.0.lock().unwrap();
    assert_eq!(replaces.len(), ROUTES, "every route was replaced");
    let twice: Vec<_> = replaces.iter().filter(|(_, t)| t.len() != 1).collect();
    assert!(twice.is_empty(), "moved more than once: {twice:?}");
    assert_eq!(per_run.iter().map(|(m, _)| m).sum::<usize>(), ROUTES);
}

/// The figures of docs/lambda.md: routes one invocation moves for each Lambda timeout, with
/// EC2's round trip (100 ms a call) on the virtual clock. EC2's formula: 50 + 5·(T − margin −
/// reads), the reads taking well under a second here.
#[tokio::test]
async fn routes_per_invocation_match_the_documented_figures() {
    let mut figures = Vec::new();
    for (timeout_s, documented) in [(60, 297), (300, 1497), (900, 4497)] {
        let initial = big_world(5_000);
        let g = &group_routes(&initial)[0];
        let sim = Sim::new(initial.clone());
        sim.faults.set_latency(Duration::from_millis(100));
        set_tunnels(&sim, g.members[0].0.as_str(), Down);
        let replaces = Arc::new(Replaces::default());
        let (deadline, r) = invocation(&sim, &replaces, 1, timeout_s).await;
        let e = r.expect_err("5,000 routes take longer than any Lambda timeout");
        let o = e.outcome().expect("Incomplete");
        assert!(o.finished_at <= deadline);
        let formula = 50 + 5 * (timeout_s - MARGIN_S) as usize;
        assert!(
            o.moved().abs_diff(documented) <= 3 && o.moved() <= formula,
            "T = {timeout_s} s: moved {} (documented {documented}, formula bound {formula})",
            o.moved()
        );
        figures.push((timeout_s, o.moved()));
    }
    eprintln!("routes per invocation (timeout s, moved): {figures:?}");
}
