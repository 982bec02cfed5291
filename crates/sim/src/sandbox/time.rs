//! The sandbox's time: the real clock.
//!
//! Its clients (the AWS SDK, boto3, tgw-ha's engine on `SystemClock`) read the real clock, and
//! nothing the sandbox does can move it. So:
//!
//! - A world with a virtual `now` is *rebased* when the sandbox starts: every timestamp moves
//!   by (real now − world `now`), and `now` is dropped. A tunnel UP for two weeks at the world's
//!   `now` has been UP for two weeks when the sandbox starts; a lease with 10 minutes left still
//!   has 10 minutes.
//! - "Advancing the clock" (`POST /_sandbox/clock`) *ages* the world instead: every timestamp
//!   moves N seconds into the past — tunnels' `LastStatusChange`, tgw-ha's ledger, pins,
//!   damping times and signals, lease expiries. To every client that reads the real clock,
//!   N seconds have passed (a hold-down is over, a lease expired), and nothing else changed.

use crate::world::World;
use tgw_ha_core::Timestamp;
use tgw_ha_engine::ports::{Clock, SystemClock};

/// The real time (through the engine's `SystemClock`, the one place allowed to read it).
pub fn real_now() -> Timestamp {
    SystemClock.now()
}

fn shift(t: &mut Timestamp, by: chrono::Duration) {
    if let Some(s) = t.checked_sub_signed(by) {
        *t = s;
    }
}

/// Move every timestamp of the world `by` into the past (negative: into the future). The
/// world's own `now`, if any, is left alone: it is the reference the others are aged against.
pub fn age_world(world: &mut World, by: chrono::Duration) {
    for v in &mut world.vpn_connections {
        for t in &mut v.tunnels {
            shift(&mut t.last_status_change, by);
        }
    }
    for state in world.state.values_mut() {
        for e in &mut state.ledger {
            shift(&mut e.moved_at, by);
        }
        for g in state.groups.values_mut() {
            if let Some(p) = &mut g.pin {
                shift(&mut p.at, by);
            }
            if let Some(t) = &mut g.last_switch {
                shift(t, by);
            }
        }
        for s in &mut state.signals {
            shift(&mut s.at, by);
        }
    }
    for l in world.leases.values_mut() {
        shift(&mut l.expires, by);
    }
}

/// Put a world with a virtual `now` on the real clock at `real` (see the module docs). A world
/// without `now` is already on it and is left alone.
pub fn rebase(world: &mut World, real: Timestamp) {
    if let Some(now) = world.now() {
        // Whole seconds, so that ages stay whole as EC2 shows them.
        let shift = chrono::Duration::seconds((now - real).num_seconds());
        age_world(world, shift);
        world.now = Default::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_world::{self, demo_world};

    #[test]
    fn rebase_keeps_ages_and_drops_now() {
        let mut w = demo_world();
        let age = demo_world::start() - demo_world::up_since();
        let real: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        rebase(&mut w, real);
        assert_eq!(w.now(), None);
        let t = &w.vpn_connections[0].tunnels[0];
        assert_eq!(real - t.last_status_change, age);
        age_world(&mut w, chrono::Duration::seconds(300));
        let t = &w.vpn_connections[0].tunnels[0];
        assert_eq!(
            real - t.last_status_change,
            age + chrono::Duration::seconds(300)
        );
    }
}
