//! Event parsing against the documented payload shapes (`tests/fixtures/events/`, a copy of
//! `shared/fixtures/events/`) and against inputs that must be refused with a useful message.
//!
//! One module per kind of input: `samples` (each documented payload as is), `variants` (the
//! same payloads with a field changed, and operator invocations), `refused` (inputs refused
//! with a message that names them), `evidence` (what an alarm's evidence says about the time
//! and the trust of its signal, DESIGN.md "healthy"). This file holds the shared helpers.

use chrono::{TimeZone, Utc};
use tgw_ha_core::Timestamp;
use tgw_ha_core::events::{EventError, parse_event, parse_event_value};
use tgw_ha_core::ids::{GroupName, TgwId, VpnId};
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::state::SignalSource;
use tgw_ha_core::trigger::{OperatorAction, SignalEvent, Trigger};

const VPN1: &str = "vpn-0a1b2c3d4e5f60001";

// From the crate root: `include_str!` resolves a relative path against a source file, and the
// tests using this macro sit in `tests/events/`, one folder below the fixtures' parent.
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/events/",
            $name
        ))
    };
}

mod evidence;
mod refused;
mod samples;
mod variants;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Timestamp {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid date")
        + chrono::Duration::milliseconds(i64::from(ms))
}

fn vpn_trigger(
    vpn: &str,
    tunnel: Option<&str>,
    status: Option<TunnelStatus>,
    at: Timestamp,
    source: SignalSource,
    region: Option<&str>,
) -> Trigger {
    Trigger::Vpn {
        signal: SignalEvent {
            vpn: VpnId::new(vpn),
            tunnel: tunnel.map(str::to_owned),
            status,
            at,
            source,
        },
        region: region.map(str::to_owned),
    }
}

/// Parse, expect an error, and check that its message names the input.
fn err_containing(json: &str, needles: &[&str]) -> EventError {
    let err = match parse_event(json) {
        Ok(t) => panic!("{json} parsed as {t:?}, expected an error"),
        Err(e) => e,
    };
    let msg = err.to_string();
    for needle in needles {
        assert!(
            msg.contains(needle),
            "message {msg:?} does not contain {needle:?}"
        );
    }
    let first = msg.chars().next().expect("non-empty message");
    assert!(
        !first.is_uppercase(),
        "message {msg:?} should start lower-case"
    );
    err
}

fn fixture_value(json: &str) -> serde_json::Value {
    serde_json::from_str(json).expect("fixture is json")
}
