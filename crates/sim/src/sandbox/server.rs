//! The EC2 endpoint: `POST /` (and `GET /?…`) with a form-encoded Query request, answered in
//! EC2's XML. Per request, in order: the parameters, the action (unknown: `InvalidAction`),
//! `Version`, the added latency, the throttling buckets, the injected faults, `DryRun`, and only
//! then the world, under its lock (never held across an await). A refused request changes
//! nothing. Signatures are never checked: a SigV4-signed request and an unsigned one are
//! answered alike.

use crate::faults::Verdict;
use crate::sandbox::actions::{self, Ctx, dry_run};
use crate::sandbox::error::ApiError;
use crate::sandbox::limits::Limits;
use crate::sandbox::query::Params;
use crate::sandbox::state::SandboxState;
use crate::sandbox::xml::error_document;
use crate::world::lock;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use tgw_ha_engine::ports::NetError;

/// A request id in EC2's format (a UUID).
fn request_id() -> String {
    let mut rng = rand::thread_rng();
    let a: u32 = rng.r#gen();
    let b: u16 = rng.r#gen();
    let c: u16 = rng.r#gen::<u16>() & 0x0fff | 0x4000;
    let d: u16 = rng.r#gen::<u16>() & 0x3fff | 0x8000;
    let e: u64 = rng.r#gen::<u64>() & 0xffff_ffff_ffff;
    format!("{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:012x}")
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml;charset=UTF-8"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-RequestId", v);
    }
    h.insert(header::SERVER, HeaderValue::from_static("AmazonEC2"));
    r
}

pub(crate) async fn ec2(State(state): State<SandboxState>, uri: Uri, body: Bytes) -> Response {
    let id = request_id();
    let params = Params::parse(&[uri.query().unwrap_or("").as_bytes(), &body]);
    let action = params.get("Action").unwrap_or("").to_owned();
    let result = handle(&state, &params, &id).await;
    match result {
        Ok(xml) => {
            tracing::debug!(%action, request_id = %id, "ok");
            xml_response(StatusCode::OK, xml, &id)
        }
        Err(e) => {
            tracing::debug!(%action, request_id = %id, error = %e, "error");
            xml_response(e.status, error_document(&e.code, &e.message, &id), &id)
        }
    }
}

async fn handle(state: &SandboxState, params: &Params, id: &str) -> Result<String, ApiError> {
    let name = params.required("Action")?;
    let Some(action) = actions::find(name) else {
        return Err(ApiError::client(
            "InvalidAction",
            format!("The action {name} is not valid for this web service."),
        ));
    };
    let result = answer(state, action, params, id).await;
    let (throttled, failed) = match &result {
        Ok(_) => (false, false),
        Err(e) => (e.is_throttle(), !e.is_throttle()),
    };
    state.record_call(action.name, throttled, failed);
    result
}

async fn answer(
    state: &SandboxState,
    action: &'static actions::Action,
    params: &Params,
    id: &str,
) -> Result<String, ApiError> {
    params.required("Version")?;
    let knobs = state.knobs();
    if knobs.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(knobs.latency_ms)).await;
    }
    if knobs.limits == Limits::Aws
        && !state
            .limiter()
            .admit(action.name, action.mutating, tokio::time::Instant::now())
    {
        return Err(ApiError::throttled());
    }
    match state.sim_faults().decide(action.name) {
        Verdict::Fail(e) => return Err(injected(e)),
        // A crash is a fault of the engine's process, not of EC2: the sandbox answers.
        Verdict::Proceed | Verdict::Crash(_) => {}
    }
    if state.draw_error(knobs.error_rate) {
        return Err(ApiError::internal());
    }
    dry_run(params)?;
    let ctx = Ctx {
        action: action.name,
        params,
        knobs: &knobs,
        request_id: id,
    };
    let mut world = lock(state.world());
    (action.run)(&mut world, &ctx)
}

/// A scripted fault of the scenario, as EC2 would answer it.
fn injected(e: NetError) -> ApiError {
    match e {
        NetError::Throttled { .. } => ApiError::throttled(),
        NetError::Unavailable { .. } => ApiError::unavailable(),
        NetError::AccessDenied { op, .. } => ApiError::new(
            StatusCode::FORBIDDEN,
            "UnauthorizedOperation",
            format!(
                "You are not authorized to perform this operation: ec2:{op} (injected by the sandbox)"
            ),
        ),
        NetError::RouteNotFound {
            table, destination, ..
        } => ApiError::client(
            "InvalidRoute.NotFound",
            format!(
                "No route with destination-cidr-block {destination} in {table} (injected by the sandbox)"
            ),
        ),
        NetError::Rejected { code, message, .. } => ApiError::client(&code, message),
    }
}
