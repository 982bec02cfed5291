//! The admin API under `/_sandbox/`, in JSON, for tests, scripts and the benchmark to build,
//! break and inspect the world while clients talk EC2 to it. Paths and bodies are a contract
//! (other tools rely on them):
//!
//! | request | body | answer |
//! |---|---|---|
//! | `GET /_sandbox/world` | | the world as a scenario file (JSON), faults in force included |
//! | `PUT /_sandbox/world` | a scenario (JSON) | replaces the world (validated, rebased to the real clock) |
//! | `POST /_sandbox/tunnels` | `{"vpn_id", "status": "UP"\|"DOWN", "outside_ip"?}` | the VPN; `LastStatusChange` = now for tunnels that change |
//! | `POST /_sandbox/clock` | `{"advance_seconds": N}` | ages every timestamp of the world by N s (see [`super::time`]) |
//! | `GET /_sandbox/faults` | | the faults and knobs in force |
//! | `POST /_sandbox/faults` | a [`FaultsPatch`] | the faults now in force |
//! | `GET /_sandbox/calls` | | [`SandboxCalls`](super::state::SandboxCalls): calls, throttled and failed, per action |
//! | `DELETE /_sandbox/calls` | | resets the counters |
//!
//! Errors: HTTP 400 (bad body) or 404 (unknown VPN or tunnel) with `{"error": "…"}`.

use crate::sandbox::state::{FaultsPatch, SandboxState};
use crate::sandbox::time::{age_world, real_now, rebase};
use crate::world::{World, lock};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tgw_ha_core::ids::VpnId;
use tgw_ha_core::model::TunnelStatus;

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            format!("invalid request body: {e}"),
        ))
    })
}

fn json_text(status: StatusCode, text: String) -> Response {
    let mut r = (status, text).into_response();
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    r
}

pub(crate) async fn get_world(State(s): State<SandboxState>) -> Response {
    json_text(StatusCode::OK, s.world_snapshot().to_json_pretty() + "\n")
}

pub(crate) async fn put_world(State(s): State<SandboxState>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    let mut world = match World::from_json_str(&text) {
        Ok(w) => w,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    rebase(&mut world, real_now());
    // The new world's faults replace the old ones only if it names some.
    if let Some(f) = world.faults.clone() {
        let patch = FaultsPatch {
            latency_ms: Some(f.latency_ms),
            throttle_rate: Some(f.throttle_rate),
            throttle_ops: Some(f.throttle_ops),
            seed: Some(f.seed),
            fail: Some(f.fail),
            ..FaultsPatch::default()
        };
        if let Err(e) = s.patch_faults(patch) {
            return error(StatusCode::BAD_REQUEST, e);
        }
    }
    *lock(s.world()) = world;
    get_world(State(s)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TunnelChange {
    vpn_id: VpnId,
    status: TunnelStatus,
    #[serde(default)]
    outside_ip: Option<String>,
}

pub(crate) async fn post_tunnels(State(s): State<SandboxState>, body: Bytes) -> Response {
    let change: TunnelChange = match parse(&body) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let mut w = lock(s.world());
    let now = real_now();
    match w.set_tunnel(
        &change.vpn_id,
        change.outside_ip.as_deref(),
        change.status,
        now,
    ) {
        Ok(()) => Json(w.vpn(&change.vpn_id).cloned()).into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, e.to_string()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    advance_seconds: i64,
}

pub(crate) async fn post_clock(State(s): State<SandboxState>, body: Bytes) -> Response {
    let change: ClockChange = match parse(&body) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let Some(by) = chrono::Duration::try_seconds(change.advance_seconds) else {
        return error(StatusCode::BAD_REQUEST, "advance_seconds is out of range");
    };
    age_world(&mut lock(s.world()), by);
    Json(serde_json::json!({
        "aged_seconds": change.advance_seconds,
        "now": real_now(),
    }))
    .into_response()
}

pub(crate) async fn get_faults(State(s): State<SandboxState>) -> Response {
    Json(s.faults()).into_response()
}

pub(crate) async fn post_faults(State(s): State<SandboxState>, body: Bytes) -> Response {
    let patch: FaultsPatch = match parse(&body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    match s.patch_faults(patch) {
        Ok(view) => Json(view).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

pub(crate) async fn get_calls(State(s): State<SandboxState>) -> Response {
    Json(s.calls()).into_response()
}

pub(crate) async fn delete_calls(State(s): State<SandboxState>) -> Response {
    s.reset_calls();
    Json(s.calls()).into_response()
}

pub(crate) async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not an endpoint of the sandbox: EC2 is at POST /, the admin API under /_sandbox/",
    )
}
