//! The executor under the virtual clock: token-bucket pacing to EC2's budgets, capped jittered
//! backoff, and no retry of final errors. Nothing sleeps for real.

use futures::future::join_all;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_engine::executor::{Executor, ExecutorConfig};
use tgw_ha_engine::layer::Ec2Action;
use tgw_ha_engine::ports::NetError;
use tgw_ha_sim::VirtualClock;
use tgw_ha_sim::demo_world::start;

fn executor(config: ExecutorConfig) -> (Executor, VirtualClock) {
    let clock = VirtualClock::new(start());
    (Executor::new(Arc::new(clock.clone()), config), clock)
}

async fn ok() -> Result<(), NetError> {
    Ok(())
}

fn elapsed(clock: &VirtualClock) -> f64 {
    (clock.now() - start()).num_microseconds().unwrap() as f64 / 1e6
}

#[tokio::test]
async fn mutating_calls_run_at_50_burst_then_5_per_second() {
    let (ex, clock) = executor(ExecutorConfig::default());
    for _ in 0..200 {
        ex.call(Ec2Action::ReplaceTransitGatewayRoute, ok)
            .await
            .0
            .unwrap();
    }
    let t = elapsed(&clock);
    assert!((30.0..=31.0).contains(&t), "200 calls took {t} s");
}

#[tokio::test]
async fn concurrent_mutating_calls_share_the_bucket() {
    let (ex, clock) = executor(ExecutorConfig::default());
    let calls = (0..200).map(|_| ex.call(Ec2Action::ReplaceTransitGatewayRoute, ok));
    for (r, attempts) in join_all(calls).await {
        assert_eq!((r, attempts), (Ok(()), 1));
    }
    let t = elapsed(&clock);
    assert!(
        (30.0..=31.0).contains(&t),
        "200 concurrent calls took {t} s"
    );
}

#[tokio::test]
async fn reads_run_at_100_burst_then_20_per_second() {
    let (ex, clock) = executor(ExecutorConfig::default());
    for _ in 0..200 {
        ex.call(Ec2Action::SearchTransitGatewayRoutes, ok)
            .await
            .0
            .unwrap();
    }
    let t = elapsed(&clock);
    assert!((5.0..=5.5).contains(&t), "200 reads took {t} s");
}

#[tokio::test]
async fn each_action_has_its_own_bucket() {
    let (ex, clock) = executor(ExecutorConfig::default());
    for _ in 0..50 {
        ex.call(Ec2Action::ReplaceTransitGatewayRoute, ok)
            .await
            .0
            .unwrap();
        ex.call(Ec2Action::ModifyTransitGatewayPrefixListReference, ok)
            .await
            .0
            .unwrap();
    }
    assert_eq!(elapsed(&clock), 0.0, "two full bursts, no wait");
}

/// Calls `op` until the executor gives up, answering `error` every time; returns when each
/// attempt was made.
async fn attempt_times(ex: &Executor, clock: &VirtualClock, error: NetError) -> Vec<Timestamp> {
    let times = Mutex::new(Vec::new());
    let (r, attempts) = ex
        .call(Ec2Action::ReplaceTransitGatewayRoute, || {
            times.lock().unwrap().push(clock.now());
            let e = error.clone();
            async move { Err::<(), _>(e) }
        })
        .await;
    assert_eq!(r, Err(error));
    let times = times.into_inner().unwrap();
    assert_eq!(times.len() as u32, attempts);
    times
}

fn throttled() -> NetError {
    NetError::Throttled {
        op: "ReplaceTransitGatewayRoute".into(),
        message: "Request limit exceeded.".into(),
    }
}

#[tokio::test]
async fn backoff_grows_exponentially_with_jitter_and_is_capped() {
    let config = ExecutorConfig {
        max_attempts: 12,
        ..ExecutorConfig::default()
    };
    let (ex, clock) = executor(config.clone());
    let times = attempt_times(&ex, &clock, throttled()).await;
    assert_eq!(times.len(), 12);
    for (a, w) in times.windows(2).enumerate() {
        let gap = (w[1] - w[0]).to_std().unwrap();
        // "Equal jitter": between half and all of min(base * 2^a, max).
        let full = (config.base_backoff * (1 << a)).min(config.max_backoff);
        assert!(
            gap >= full / 2 && gap <= full,
            "retry {a}: waited {gap:?}, expected {:?}..={full:?}",
            full / 2
        );
    }
    let last = (times[11] - times[10]).to_std().unwrap();
    assert!(last <= Duration::from_secs(20), "capped at max_backoff");
    let stats = ex.stats()["ReplaceTransitGatewayRoute"];
    assert_eq!(
        (stats.calls, stats.throttled, stats.retried, stats.failed),
        (12, 12, 11, 1)
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_they_succeed() {
    let (ex, _) = executor(ExecutorConfig::default());
    let left = Mutex::new(2);
    let (r, attempts) = ex
        .call(Ec2Action::ReplaceTransitGatewayRoute, || {
            let mut n = left.lock().unwrap();
            let r = if *n > 0 {
                *n -= 1;
                Err(NetError::Unavailable {
                    op: "ReplaceTransitGatewayRoute".into(),
                    message: "503".into(),
                })
            } else {
                Ok(())
            };
            async move { r }
        })
        .await;
    assert_eq!((r, attempts), (Ok(()), 3));
}

#[tokio::test]
async fn final_errors_are_not_retried() {
    let op = || "ReplaceTransitGatewayRoute".to_string();
    let finals = [
        NetError::AccessDenied {
            op: op(),
            message: "not authorized".into(),
        },
        NetError::Rejected {
            op: op(),
            code: "InvalidParameterValue".into(),
            message: "bad".into(),
        },
        NetError::RouteNotFound {
            op: op(),
            table: "tgw-rtb-1".into(),
            destination: "10.0.0.0/24".into(),
        },
    ];
    for error in finals {
        let (ex, clock) = executor(ExecutorConfig::default());
        let times = attempt_times(&ex, &clock, error.clone()).await;
        assert_eq!(times.len(), 1, "{error} was retried");
        assert_eq!(elapsed(&clock), 0.0, "{error}: no backoff");
        let stats = ex.stats()["ReplaceTransitGatewayRoute"];
        assert_eq!((stats.retried, stats.failed), (0, 1));
    }
}
