//! `tgw-ha demo`: a whole outage story on the built-in world, on a virtual clock, with no AWS.
//!
//! The same application service as everywhere else runs each step (`Service::run`); events go through the same parser as the
//! Lambda's (a CloudWatch alarm, the reference sample's `{vpnId, downTS}`, a schedule tick).
//! The verdict at the end is computed from the world, not written down: it compares the route
//! tables before and after and fails the command if a route was lost, a foreign route changed,
//! or a route was left on (or moved to) a dead VPN.

use crate::{Output, render};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::VpnId;
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::planner::{EventKind, GroupStatus};
use tgw_ha_core::policy::Policy;
use tgw_ha_core::trigger::{OperatorAction, Trigger};
use tgw_ha_engine::{Outcome, Service, ServiceConfig, ServiceOptions};
use tgw_ha_sim::demo_world as dw;
use tgw_ha_sim::{Sim, World};

#[derive(Serialize)]
struct Step {
    title: String,
    at: Timestamp,
    event: Option<serde_json::Value>,
    plan: Outcome,
    outcome: Outcome,
}

#[derive(Serialize)]
struct Verdict {
    ok: bool,
    failovers: usize,
    failbacks: usize,
    alerts: usize,
    route_moves: usize,
    routes_lost: usize,
    foreign_routes_changed: usize,
    routes_on_dead_vpns: usize,
    moved_on_metric_gap: usize,
    summary: String,
}

/// Every route and prefix-list reference of the world: key → target.
fn routes(w: &World) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for r in &w.routes {
        m.insert(
            format!("{} {} {:?}", r.table, r.destination, r.route_type),
            format!("{:?} {:?}", r.attachment, r.state),
        );
    }
    for p in &w.prefix_list_references {
        m.insert(
            format!("{} {}", p.table, p.prefix_list_id),
            format!("{:?} {}", p.attachment, p.blackhole),
        );
    }
    m
}

struct Story {
    sim: Sim,
    service: Service,
    output: Output,
    pause: f64,
    steps: Vec<Step>,
}

impl Story {
    fn now(&self) -> Timestamp {
        self.sim.now()
    }

    fn advance(&self, seconds: i64) {
        self.sim
            .world()
            .advance_clock(seconds)
            .expect("the demo world runs on virtual time");
    }

    fn tunnels(&self, vpn: &str, status: TunnelStatus) {
        let now = self.now();
        self.sim
            .world()
            .set_tunnel(&VpnId::new(vpn), None, status, now)
            .expect("demo vpn exists");
    }

    async fn step(&mut self, title: &str, event: Option<serde_json::Value>) -> anyhow::Result<()> {
        let options = ServiceOptions::new("tgw-ha-demo");
        let plan = Trigger::Operator {
            action: OperatorAction::Reconcile { group: None },
            dry_run: true,
        };
        let plan = self.service.run(plan, &options).await?;
        let trigger = match &event {
            Some(e) => tgw_ha_core::events::parse_event_value(e)?,
            None => Trigger::All { region: None },
        };
        let outcome = self.service.run(trigger, &options).await?;
        if self.output == Output::Table {
            println!("\n━━ {} — {} ━━", self.steps.len(), title);
            println!(
                "   time {}   trigger: {}",
                self.now().to_rfc3339(),
                outcome.trigger
            );
            print!("{}", render::groups_table(&plan));
            for tgw in &outcome.tgws {
                if !tgw.planned.is_empty() {
                    print!(
                        "{}",
                        render::moves_summary(&tgw.planned, Some(&tgw.results))
                    );
                }
            }
            print!("{}", render::events(&outcome));
            println!("   {}", render::summary(&outcome));
        }
        self.steps.push(Step {
            title: title.into(),
            at: self.now(),
            event,
            plan,
            outcome,
        });
        if self.pause > 0.0 {
            tokio::time::sleep(std::time::Duration::from_secs_f64(self.pause)).await;
        }
        Ok(())
    }
}

/// A CloudWatch alarm state change as EventBridge delivers it. The judged datapoint (the
/// evidence) is the minute before `at`; `value` is its TunnelState, `None` for a metric gap (no
/// datapoint: an ALARM only because missing data is treated as breaching).
fn alarm(vpn: &str, state: &str, at: Timestamp, value: Option<f64>) -> serde_json::Value {
    let ts = at.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string();
    let start = (at - chrono::Duration::seconds(60)).format("%Y-%m-%dT%H:%M:%S%.3f+0000");
    let (reason, points) = match value {
        Some(v) => (
            format!("Threshold Crossed: 1 out of the last 1 datapoints [{v}]"),
            format!("[{v}]"),
        ),
        None => (
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint \
             was treated as [Breaching]."
                .to_owned(),
            "[]".to_owned(),
        ),
    };
    let reason_data = format!(
        "{{\"version\":\"1.0\",\"startDate\":\"{start}\",\"statistic\":\"Maximum\",\"period\":60,\
         \"recentDatapoints\":{points},\"threshold\":1.0}}"
    );
    serde_json::json!({
        "version": "0", "id": "demo", "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch", "account": "111122223333", "time": at.to_rfc3339(),
        "region": "eu-west-1", "resources": [],
        "detail": {
            "alarmName": format!("tgw-ha-{vpn}"),
            "configuration": {"metrics": [{"id": "m1", "metricStat": {"metric": {
                "namespace": "AWS/VPN", "name": "TunnelState", "dimensions": {"VpnId": vpn}},
                "period": 60, "stat": "Maximum"}, "returnData": true}]},
            "state": {"value": state, "timestamp": ts, "reason": reason, "reasonData": reason_data},
            "previousState": {"value": if state == "OK" { "ALARM" } else { "OK" }, "timestamp": ts}
        }
    })
}

pub async fn run(output: Output, pause: f64) -> anyhow::Result<std::process::ExitCode> {
    let sim = Sim::new(dw::demo_world());
    let policy = Policy {
        failback: true,
        ..Policy::default()
    };
    let service = Service::new(
        Arc::new(sim.clone()),
        ServiceConfig {
            policy: policy.clone(),
            ..ServiceConfig::default()
        },
    );
    let mut s = Story {
        sim,
        service,
        output,
        pause,
        steps: vec![],
    };
    if output == Output::Table {
        let w = s.sim.snapshot();
        println!(
            "tgw-ha demo: one transit gateway ({}), sites paris ⇄ lyon (mutual backup) and berlin \
             (three members);\n{} static routes, {} prefix-list references, {} propagated routes; \
             failback on, hold-down {} s. Virtual time: the story takes ~20 minutes, the demo a second.",
            dw::TGW,
            w.routes.iter().filter(|r| r.is_static()).count(),
            w.prefix_list_references.len(),
            w.routes.iter().filter(|r| !r.is_static()).count(),
            policy.hold_down_secs
        );
    }
    let start = routes(&s.sim.world());
    let homes: BTreeSet<String> = [dw::ATT_PARIS, dw::ATT_LYON, dw::ATT_BERLIN_PRIMARY]
        .iter()
        .map(|a| format!("{:?}", Some(tgw_ha_core::ids::AttachmentId::new(*a))))
        .collect();
    let is_foreign = |target: &str| !homes.iter().any(|h| target.starts_with(h.as_str()));

    s.step("steady state: every site on its primary", None)
        .await?;

    s.advance(60);
    let ev = alarm(dw::VPN_LYON, "ALARM", s.now(), None);
    s.step(
        "a metric gap: lyon's alarm fires on missing data, its tunnels are UP: nothing moves",
        Some(ev),
    )
    .await?;
    let moved_on_metric_gap = s.steps.last().map_or(0, |st| st.outcome.moved());

    s.advance(60);
    s.tunnels(dw::VPN_PARIS, TunnelStatus::Down);
    s.advance(60);
    let ev = alarm(dw::VPN_PARIS, "ALARM", s.now(), Some(0.0));
    s.step(
        "paris primary loses both tunnels; its CloudWatch alarm fires",
        Some(ev),
    )
    .await?;

    s.advance(180);
    s.tunnels(dw::VPN_PARIS, TunnelStatus::Up);
    s.advance(60);
    let ev = alarm(dw::VPN_PARIS, "OK", s.now(), Some(1.0));
    s.step(
        "paris primary is back; hold-down keeps the routes on lyon",
        Some(ev),
    )
    .await?;

    s.advance(300);
    s.step(
        "paris primary stable for 5 minutes: the sweep fails back",
        None,
    )
    .await?;

    s.advance(120);
    s.tunnels(dw::VPN_BERLIN_PRIMARY, TunnelStatus::Down);
    s.tunnels(dw::VPN_BERLIN_BACKUP, TunnelStatus::Down);
    let ev = serde_json::json!({"vpnId": dw::VPN_BERLIN_PRIMARY, "downTS": s.now().to_rfc3339()});
    s.step(
        "berlin loses its primary and its first backup; the reference event arrives",
        Some(ev),
    )
    .await?;

    s.advance(120);
    let before_outage = routes(&s.sim.world());
    s.tunnels(dw::VPN_PARIS, TunnelStatus::Down);
    s.tunnels(dw::VPN_LYON, TunnelStatus::Down);
    s.advance(60);
    s.step(
        "paris and lyon both down (each is the other's backup): alert, nothing to move to",
        None,
    )
    .await?;

    // The verdict, from the world.
    let end = routes(&s.sim.world());
    let routes_lost = start.keys().filter(|k| !end.contains_key(*k)).count()
        + end.keys().filter(|k| !start.contains_key(*k)).count();
    let foreign_routes_changed = start
        .iter()
        .filter(|(_, t)| is_foreign(t))
        .filter(|(k, t)| end.get(*k) != Some(*t))
        .count();
    let moved_in_outage = before_outage
        .iter()
        .filter(|(k, t)| end.get(*k) != Some(*t))
        .count();
    let last = &s.steps.last().expect("steps ran").outcome;
    // Berlin's routes (those on its primary at the start) must all be on backup2, the one
    // member still healthy: none left on a dead member.
    let berlin_home = format!(
        "{:?}",
        Some(tgw_ha_core::ids::AttachmentId::new(dw::ATT_BERLIN_PRIMARY))
    );
    let berlin_backup2 = format!(
        "{:?}",
        Some(tgw_ha_core::ids::AttachmentId::new(dw::ATT_BERLIN_BACKUP2))
    );
    let routes_on_dead_vpns = start
        .iter()
        .filter(|(_, t)| t.starts_with(berlin_home.as_str()))
        .filter(|(k, _)| {
            !end.get(*k)
                .is_some_and(|t| t.starts_with(berlin_backup2.as_str()))
        })
        .count();
    let kinds: Vec<EventKind> = s
        .steps
        .iter()
        .flat_map(|st| {
            st.outcome
                .tgws
                .iter()
                .flat_map(|t| t.events.iter().map(|e| e.kind))
        })
        .collect();
    let count = |k: EventKind| kinds.iter().filter(|x| **x == k).count();
    let down_groups = last
        .groups()
        .filter(|g| g.status == GroupStatus::Down)
        .count();
    let route_moves: usize = s.steps.iter().map(|st| st.outcome.moved()).sum();
    let ok = routes_lost == 0
        && foreign_routes_changed == 0
        && moved_in_outage == 0
        && routes_on_dead_vpns == 0
        && moved_on_metric_gap == 0
        && down_groups == 2
        && count(EventKind::FailedOver) >= 2
        && count(EventKind::FailedBack) >= 1;
    let verdict = Verdict {
        ok,
        failovers: count(EventKind::FailedOver),
        failbacks: count(EventKind::FailedBack),
        alerts: count(EventKind::Down),
        route_moves,
        routes_lost,
        foreign_routes_changed,
        routes_on_dead_vpns,
        moved_on_metric_gap,
        summary: format!(
            "{}: {} failovers, {} failback, {} groups down alerted; {} route moves; {} routes lost, \
             {} foreign routes changed, {} routes left on a dead primary, {} moved on a metric gap, \
             {} moved during the total outage",
            if ok { "PASS" } else { "FAIL" },
            count(EventKind::FailedOver),
            count(EventKind::FailedBack),
            count(EventKind::Down),
            route_moves,
            routes_lost,
            foreign_routes_changed,
            routes_on_dead_vpns,
            moved_on_metric_gap,
            moved_in_outage,
        ),
    };
    match output {
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"steps": s.steps, "verdict": verdict})
            )?
        ),
        Output::Table => println!("\nverdict: {}", verdict.summary),
    }
    Ok(if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}
