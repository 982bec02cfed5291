//! Health and stability (DESIGN.md "Words": healthy, stable): telemetry, the signals kept from
//! events, and which one wins. Also `TgwState::record_signal`, which keeps those signals.

mod common;

use common::*;
use tgw_ha_core::health::{Health, assess};
use tgw_ha_core::model::TunnelStatus::{Down, Up};
use tgw_ha_core::model::{Tunnel, VpnConnection, VpnState};
use tgw_ha_core::policy::Policy;
use tgw_ha_core::state::{Signal, TgwState};

const T1: &str = "203.0.113.1";
const T2: &str = "203.0.113.2";

fn v(tunnels: Vec<Tunnel>) -> VpnConnection {
    vpn("vpn-a", TGW, &[("g", "primary")], tunnels)
}

fn check(vpn: &VpnConnection, signals: &[Signal], now_secs: i64) -> Health {
    assess(vpn, signals, &Policy::default(), t(now_secs))
}

fn status_of(h: &Health, ip: &str) -> tgw_ha_core::model::TunnelStatus {
    h.tunnels
        .iter()
        .find(|x| x.outside_ip == ip)
        .expect("tunnel")
        .status
}

#[test]
fn min_tunnels_up_table() {
    let one_up = v(vec![tunnel(T1, Up, t(-3600)), tunnel(T2, Down, t(-3600))]);
    let both_up = v(up(t(-3600)));
    let none_up = v(down(t(-3600)));
    // (vpn, min_tunnels_up, healthy)
    let cases = [
        (&one_up, 1, true),
        (&one_up, 2, false),
        (&both_up, 2, true),
        (&none_up, 1, false),
        // 0 is treated as 1: a VPN with no tunnel up is never healthy.
        (&none_up, 0, false),
    ];
    for (vpn, min, healthy) in cases {
        let policy = Policy {
            min_tunnels_up: min,
            ..Policy::default()
        };
        let h = assess(vpn, &[], &policy, t(0));
        assert_eq!(h.healthy, healthy, "min {min}, tunnels {:?}", vpn.tunnels);
        assert_eq!(h.reason.is_none(), healthy, "reason {:?}", h.reason);
    }
    let h = assess(
        &one_up,
        &[],
        &Policy {
            min_tunnels_up: 2,
            ..Policy::default()
        },
        t(0),
    );
    assert_eq!(h.tunnels_up, 1);
    assert!(h.reason.unwrap().contains("1 of 2 tunnels up, 2 needed"));
}

#[test]
fn vpn_state_not_available_is_unhealthy() {
    for state in [VpnState::Pending, VpnState::Deleting, VpnState::Deleted] {
        let mut vpn = v(up(t(-3600)));
        vpn.state = state;
        let h = check(&vpn, &[], 0);
        assert!(!h.healthy, "{state}");
        assert!(!h.stable, "{state}");
        assert_eq!(
            h.reason.as_deref(),
            Some(format!("vpn state is {state}").as_str())
        );
    }
}

#[test]
fn stability_with_hold_down() {
    // Default hold-down 300 s. Tunnel 1 up since -100, tunnel 2 since -3600: the newest counts.
    let vpn = v(vec![tunnel(T1, Up, t(-100)), tunnel(T2, Up, t(-3600))]);
    let h = check(&vpn, &[], 0);
    assert!(h.healthy);
    assert!(!h.stable);
    assert_eq!(h.stable_at, Some(t(200)));

    let h = check(&vpn, &[], 199);
    assert!(!h.stable);
    assert_eq!(h.stable_at, Some(t(200)));

    let h = check(&vpn, &[], 200);
    assert!(h.healthy && h.stable);
    assert_eq!(h.stable_at, None);

    // A DOWN tunnel does not hold back stability; only UP tunnels' changes count.
    let vpn = v(vec![tunnel(T1, Up, t(-3600)), tunnel(T2, Down, t(-10))]);
    let h = check(&vpn, &[], 0);
    assert!(h.healthy && h.stable, "{h:?}");

    // Down: neither stable nor a stable_at.
    let h = check(&v(down(t(-3600))), &[], 0);
    assert!(!h.healthy && !h.stable);
    assert_eq!(h.stable_at, None);
}

#[test]
fn stale_telemetry_up_loses_to_newer_alarm() {
    let vpn = v(up(t(-3600)));
    let h = check(&vpn, &[alarm("vpn-a", Down, t(-60))], 0);
    assert!(!h.healthy, "{h:?}");
    assert_eq!(h.tunnels_up, 0);
    for tv in &h.tunnels {
        assert_eq!(tv.status, Down);
        assert_eq!(tv.since, t(-60));
    }
}

#[test]
fn newer_telemetry_up_beats_older_alarm() {
    let vpn = v(up(t(-30)));
    let h = check(&vpn, &[alarm("vpn-a", Down, t(-60))], 0);
    assert!(h.healthy, "{h:?}");
    assert_eq!(h.tunnels_up, 2);
    assert_eq!(
        h.stable_at,
        Some(t(270)),
        "clock runs from the telemetry change"
    );
}

#[test]
fn ok_after_alarm_is_up_and_restarts_stability_clock() {
    // Telemetry has not moved since long ago; the alarm fired at -600, cleared at -100.
    let vpn = v(up(t(-3600)));
    for signals in [
        vec![alarm("vpn-a", Down, t(-600)), alarm("vpn-a", Up, t(-100))],
        vec![alarm("vpn-a", Up, t(-100)), alarm("vpn-a", Down, t(-600))],
    ] {
        let h = check(&vpn, &signals, 0);
        assert!(h.healthy, "{h:?}");
        assert!(!h.stable, "stability restarts at the OK");
        assert_eq!(h.stable_at, Some(t(200)));
        assert!(h.tunnels.iter().all(|x| x.since == t(-100)));
        assert!(check(&vpn, &signals, 200).stable);
    }
}

#[test]
fn vpn_level_up_never_raises_a_tunnel_telemetry_says_down() {
    let vpn = v(vec![tunnel(T1, Down, t(-3600)), tunnel(T2, Up, t(-3600))]);
    let h = check(&vpn, &[alarm("vpn-a", Up, t(-10))], 0);
    assert_eq!(status_of(&h, T1), Down);
    assert_eq!(status_of(&h, T2), Up);
    assert_eq!(h.tunnels_up, 1);

    let all_down = v(down(t(-3600)));
    let h = check(&all_down, &[alarm("vpn-a", Up, t(-10))], 0);
    assert!(!h.healthy, "an OK alarm alone never makes a VPN healthy");
    assert_eq!(h.tunnels_up, 0);
}

#[test]
fn network_manager_signal_affects_only_its_tunnel() {
    let vpn = v(up(t(-3600)));
    let h = check(&vpn, &[nm("vpn-a", T1, Down, t(-10))], 0);
    assert_eq!(status_of(&h, T1), Down);
    assert_eq!(status_of(&h, T2), Up);
    assert_eq!(h.tunnels_up, 1);
    assert!(h.healthy, "one tunnel left, min 1");

    let strict = Policy {
        min_tunnels_up: 2,
        ..Policy::default()
    };
    assert!(!assess(&vpn, &[nm("vpn-a", T1, Down, t(-10))], &strict, t(0)).healthy);

    // A per-tunnel UP does raise its tunnel (it names it), and only it.
    let vpn = v(down(t(-3600)));
    let h = check(&vpn, &[nm("vpn-a", T2, Up, t(-10))], 0);
    assert_eq!(status_of(&h, T1), Down);
    assert_eq!(status_of(&h, T2), Up);
    assert!(h.healthy);

    // A signal for another VPN or for an unknown tunnel changes nothing.
    let vpn = v(up(t(-3600)));
    let h = check(
        &vpn,
        &[
            nm("vpn-other", T1, Down, t(-10)),
            alarm("vpn-other", Down, t(-10)),
            nm("vpn-a", "198.51.100.9", Down, t(-10)),
        ],
        0,
    );
    assert_eq!(h.tunnels_up, 2);
}

#[test]
fn equal_timestamps_down_wins() {
    // Telemetry UP vs a VPN-level DOWN at the same instant.
    let vpn = v(up(t(-60)));
    let h = check(&vpn, &[alarm("vpn-a", Down, t(-60))], 0);
    assert!(!h.healthy, "{h:?}");

    // Telemetry UP vs a per-tunnel DOWN at the same instant.
    let h = check(&vpn, &[nm("vpn-a", T1, Down, t(-60))], 0);
    assert_eq!(status_of(&h, T1), Down);
    assert_eq!(status_of(&h, T2), Up);

    // Telemetry DOWN vs a per-tunnel UP at the same instant.
    let vpn = v(down(t(-60)));
    let h = check(&vpn, &[nm("vpn-a", T1, Up, t(-60))], 0);
    assert_eq!(status_of(&h, T1), Down);
    assert!(!h.healthy);

    // Two VPN-level signals at the same instant, in either order.
    let vpn = v(up(t(-3600)));
    for signals in [
        vec![alarm("vpn-a", Down, t(-60)), alarm("vpn-a", Up, t(-60))],
        vec![alarm("vpn-a", Up, t(-60)), alarm("vpn-a", Down, t(-60))],
    ] {
        assert!(!check(&vpn, &signals, 0).healthy, "{signals:?}");
    }
}

#[test]
fn record_signal_keeps_newest_per_vpn_and_tunnel() {
    let mut st = TgwState::default();
    assert!(st.record_signal(alarm("vpn-a", Down, t(10))));
    assert!(
        st.record_signal(nm("vpn-a", T1, Down, t(5))),
        "per-tunnel is its own slot"
    );
    assert!(
        st.record_signal(alarm("vpn-b", Down, t(1))),
        "other VPN is its own slot"
    );
    assert_eq!(st.signals.len(), 3);

    // Duplicate: no change.
    assert!(!st.record_signal(alarm("vpn-a", Down, t(10))));
    // Older, reordered: ignored.
    assert!(!st.record_signal(alarm("vpn-a", Up, t(9))));
    assert!(!st.record_signal(nm("vpn-a", T1, Up, t(4))));
    assert_eq!(st.signals.len(), 3);
    let vpn_a = st
        .signals
        .iter()
        .find(|s| s.vpn == vid("vpn-a") && s.tunnel.is_none())
        .unwrap();
    assert_eq!((vpn_a.status, vpn_a.at), (Down, t(10)));

    // Newer: replaces, in place.
    assert!(st.record_signal(alarm("vpn-a", Up, t(20))));
    assert_eq!(st.signals.len(), 3);
    let vpn_a = st
        .signals
        .iter()
        .find(|s| s.vpn == vid("vpn-a") && s.tunnel.is_none())
        .unwrap();
    assert_eq!((vpn_a.status, vpn_a.at), (Up, t(20)));
    let tun = st
        .signals
        .iter()
        .find(|s| s.tunnel.as_deref() == Some(T1))
        .unwrap();
    assert_eq!((tun.status, tun.at), (Down, t(5)));
}

#[test]
fn record_signal_equal_time_down_wins_in_either_order() {
    // ALARM then OK at the same instant: the OK must not replace the ALARM.
    let mut st = TgwState::default();
    st.record_signal(alarm("vpn-a", Down, t(10)));
    assert!(!st.record_signal(alarm("vpn-a", Up, t(10))));
    assert_eq!(st.signals[0].status, Down);

    // OK then ALARM at the same instant (reordered delivery): the ALARM replaces the OK.
    let mut st = TgwState::default();
    st.record_signal(alarm("vpn-a", Up, t(10)));
    assert!(st.record_signal(alarm("vpn-a", Down, t(10))));
    assert_eq!(st.signals.len(), 1);
    assert_eq!(st.signals[0].status, Down);
}

#[test]
fn recorded_signals_survive_a_telemetry_only_pass() {
    // The alarm is kept in state; a later pass with stale telemetry still sees the VPN down, and
    // a reordered older OK delivered afterwards does not undo it.
    let mut st = TgwState::default();
    st.record_signal(alarm("vpn-a", Down, t(-60)));
    st.record_signal(alarm("vpn-a", Up, t(-120)));
    let vpn = v(up(t(-3600)));
    assert!(!check(&vpn, &st.signals, 0).healthy);
}
