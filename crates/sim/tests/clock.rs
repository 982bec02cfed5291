//! The virtual clock: deterministic, shared with its world, never sleeps for real.

use chrono::Duration;
use tgw_ha_engine::ports::Clock;
use tgw_ha_sim::VirtualClock;
use tgw_ha_sim::demo_world::{demo_world, start};

#[tokio::test]
async fn sleep_until_moves_time_forward_only() {
    let c = VirtualClock::new(start());
    c.sleep_until(start() + Duration::seconds(30)).await;
    assert_eq!(c.now(), start() + Duration::seconds(30));
    // A deadline in the past returns at once and does not move time back.
    c.sleep_until(start()).await;
    assert_eq!(c.now(), start() + Duration::seconds(30));
    c.set(start());
    assert_eq!(c.now(), start());
    assert_eq!(
        c.advance(Duration::minutes(5)),
        start() + Duration::minutes(5)
    );
}

#[tokio::test]
async fn concurrent_sleepers_converge_on_the_latest_deadline() {
    let c = VirtualClock::new(start());
    let sleeps = [10, 40, 25].map(|s| {
        let c = c.clone();
        async move {
            let t = c.now() + Duration::seconds(s);
            c.sleep_until(t).await;
            assert!(c.now() >= t);
        }
    });
    futures::future::join_all(sleeps).await;
    assert_eq!(c.now(), start() + Duration::seconds(40));
}

#[test]
fn a_world_and_its_clock_share_one_time() {
    let mut w = demo_world();
    let c = w.virtual_clock().unwrap();
    c.advance(Duration::seconds(5));
    assert_eq!(w.now(), Some(start() + Duration::seconds(5)));
    w.advance_clock(5).unwrap();
    assert_eq!(c.now(), start() + Duration::seconds(10));

    // A clone of the world is a snapshot: it no longer follows the clock.
    let snap = w.clone();
    c.advance(Duration::seconds(5));
    assert_eq!(snap.now(), Some(start() + Duration::seconds(10)));
    assert_eq!(w.now(), Some(start() + Duration::seconds(15)));

    // A world can adopt an existing clock.
    let other = VirtualClock::new(start() - Duration::days(1));
    w.use_clock(&other);
    assert_eq!(w.now(), Some(other.now()));
    other.advance(Duration::seconds(1));
    assert_eq!(w.now(), Some(other.now()));
}
