//! The real `bootstrap` binary, driven through a local stand-in of the Lambda Runtime API
//! (`GET …/invocation/next`, `POST …/invocation/{id}/response`, `POST …/invocation/{id}/error`),
//! with its environment as Lambda sets it, EC2 in the sandbox and DynamoDB and SNS in moto,
//! through the SDK's standard endpoint variables (`AWS_ENDPOINT_URL_EC2`, `_DYNAMODB`, `_SNS`).
//! So the runtime loop, the configuration from the environment, the JSON logs and the EMF lines
//! are those of the deployed function.
//!
//! Never AWS: every endpoint is 127.0.0.1, the credentials are static test ones, and the
//! process starts from an empty environment (no profile, no instance metadata).
#![cfg(feature = "aws")]

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::*;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_sim::demo_world::{ATT_LYON, ATT_PARIS, VPN_PARIS};
use tokio::io::AsyncReadExt;
use tokio::sync::Notify;

const FUNCTION: &str = "tgw-ha";
const ARN: &str = "arn:aws:lambda:eu-west-1:111122223333:function:tgw-ha";

/// What the function answered for one invocation.
#[derive(Debug, Clone)]
enum Answer {
    Response(Value),
    Error {
        body: Value,
        error_type_header: Option<String>,
    },
}

#[derive(Default)]
struct Api {
    pending: Mutex<VecDeque<(String, Value)>>,
    answers: Mutex<Vec<(String, Answer)>>,
    changed: Notify,
}

type Shared = Arc<Api>;

async fn next(State(api): State<Shared>) -> Response {
    loop {
        let item = api.pending.lock().unwrap().pop_front();
        if let Some((id, event)) = item {
            let deadline = now().timestamp_millis() + 60_000;
            let mut r = (StatusCode::OK, event.to_string()).into_response();
            let h = r.headers_mut();
            h.insert(
                "Lambda-Runtime-Aws-Request-Id",
                HeaderValue::from_str(&id).unwrap(),
            );
            h.insert(
                "Lambda-Runtime-Deadline-Ms",
                HeaderValue::from_str(&deadline.to_string()).unwrap(),
            );
            h.insert(
                "Lambda-Runtime-Invoked-Function-Arn",
                HeaderValue::from_static(ARN),
            );
            h.insert(
                "Lambda-Runtime-Trace-Id",
                HeaderValue::from_static("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"),
            );
            h.insert("content-type", HeaderValue::from_static("application/json"));
            return r;
        }
        // Long poll, as Lambda does: the function waits here between invocations.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn response(State(api): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let v = serde_json::from_slice(&body).unwrap_or_else(|_| json!(String::from_utf8_lossy(&body)));
    api.answers.lock().unwrap().push((id, Answer::Response(v)));
    api.changed.notify_waiters();
    StatusCode::ACCEPTED
}

async fn error(
    State(api): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let v = serde_json::from_slice(&body).unwrap_or_else(|_| json!(String::from_utf8_lossy(&body)));
    let error_type_header = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    api.answers.lock().unwrap().push((
        id,
        Answer::Error {
            body: v,
            error_type_header,
        },
    ));
    api.changed.notify_waiters();
    StatusCode::ACCEPTED
}

async fn start_api(api: Shared) -> String {
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr.to_string()
}

#[test]
fn bootstrap_prints_its_version() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .arg("--version")
        .env_clear()
        .output()
        .expect("run bootstrap");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.trim(),
        format!("bootstrap (tgw-ha) {}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_serves_invocations_through_the_runtime_api() {
    let region = "eu-west-1";
    let sb = Sandbox::start(world()).await;
    let table = table("runtime", region).await;
    let topic = topic("runtime", region).await;
    let api: Shared = Arc::default();
    let runtime_api = start_api(api.clone()).await;

    // paris is down (telemetry): the schedule's tick fails it over.
    sb.tunnel(VPN_PARIS, None, TunnelStatus::Down);
    let events = [
        ("tick-1", fixture_at("scheduled.json", now())),
        ("bad-2", json!({"hello": "world"})),
        ("status-3", json!({"action": "status", "dryRun": false})),
    ];
    api.pending
        .lock()
        .unwrap()
        .extend(events.iter().map(|(id, e)| ((*id).to_owned(), e.clone())));

    let moto_url = moto::moto().url.clone();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", FUNCTION)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/tgw-ha")
        .env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/03/14/[$LATEST]0123456789abcdef",
        )
        .env("AWS_REGION", region)
        .env("AWS_DEFAULT_REGION", region)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_SESSION_TOKEN", "test")
        .env("AWS_CONFIG_FILE", "/nonexistent/tgw-ha-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/tgw-ha-test/credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL_EC2", &sb.url)
        .env("AWS_ENDPOINT_URL_DYNAMODB", &moto_url)
        .env("AWS_ENDPOINT_URL_SNS", &moto_url)
        .env("TGW_HA_TABLE", &table)
        .env("TGW_HA_TOPIC_ARN", &topic)
        .env("TGW_HA_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start bootstrap");

    let wait = async {
        loop {
            let notified = api.changed.notified();
            if api.answers.lock().unwrap().len() >= events.len() {
                break;
            }
            // Woken by each answer; the timeout only re-checks, should one land between the
            // check and the wait.
            let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
        }
    };
    let finished = tokio::time::timeout(Duration::from_secs(90), wait).await;
    child.start_kill().expect("kill bootstrap");
    let _ = child.wait().await;
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut s) = child.stdout.take() {
        s.read_to_string(&mut stdout).await.expect("stdout");
    }
    if let Some(mut s) = child.stderr.take() {
        s.read_to_string(&mut stderr).await.expect("stderr");
    }
    assert!(
        finished.is_ok(),
        "bootstrap answered {:?}\nstderr:\n{stderr}",
        api.answers.lock().unwrap()
    );

    let answers = api.answers.lock().unwrap().clone();
    let answer = |id: &str| {
        answers
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| panic!("no answer for {id}: {answers:?}"))
    };

    // 1. The tick: a response, the outcome of a failover of paris.
    let Answer::Response(tick) = answer("tick-1") else {
        panic!("tick: {:?}\nstderr:\n{stderr}", answer("tick-1"));
    };
    let tick: tgw_ha_engine::Outcome = serde_json::from_value(tick).expect("an outcome");
    assert_eq!(tick.moved(), 33, "{tick:#?}");
    sb.world(|w| {
        assert_eq!(cidrs_on(w, ATT_PARIS), 0);
        assert_eq!(cidrs_on(w, ATT_LYON), 32 + 28);
    });
    assert_eq!(subjects(&topic).len(), 1);
    let (_, state) = stored(&table, region).await;
    assert_eq!(state.ledger.len(), 33);

    // 2. Not ours: a function error typed for the on-failure destination.
    let Answer::Error {
        body,
        error_type_header,
    } = answer("bad-2")
    else {
        panic!("bad event: {:?}", answer("bad-2"));
    };
    assert_eq!(body["errorType"], "NotRetryable.InvalidEvent", "{body}");
    let message = body["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("hello"), "{message}");
    assert!(error_type_header.is_some());

    // 3. The operator's status: a response listing the groups.
    let Answer::Response(status) = answer("status-3") else {
        panic!("status: {:?}", answer("status-3"));
    };
    let status: tgw_ha_engine::Outcome = serde_json::from_value(status).expect("an outcome");
    assert_eq!(status.groups().count(), 3);
    assert_eq!(status.moved(), 0);

    // One EMF line per invocation on stdout.
    let emf: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect();
    assert_eq!(emf.len(), 3, "stdout:\n{stdout}");
    assert_eq!(emf[0]["Function"], FUNCTION);
    assert_eq!(emf[0]["RoutesMoved"], 33);
    assert_eq!(
        emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "tgw-ha"
    );
    assert_eq!(emf[1]["ErrorType"], "NotRetryable.InvalidEvent");
    assert_eq!(emf[2]["RoutesMoved"], 0);

    // JSON logs on stderr: the decisions and moves of the engine, each with its request id.
    let logs: Vec<Value> = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    assert!(!logs.is_empty(), "stderr:\n{stderr}");
    let with = |message: &str| {
        logs.iter()
            .filter(|l| l["message"] == message)
            .cloned()
            .collect::<Vec<_>>()
    };
    let decisions = with("decision");
    assert!(
        decisions
            .iter()
            .any(|d| d["group"] == "paris" && d["span"]["request_id"] == "tick-1"),
        "{decisions:#?}"
    );
    assert_eq!(with("move").len(), 33);
    let outcomes = with("outcome");
    assert!(outcomes.iter().any(|o| o["moved"] == 33), "{outcomes:#?}");
    assert!(
        with("invocation failed")
            .iter()
            .any(|l| l["error_type"] == "NotRetryable.InvalidEvent")
    );
}
