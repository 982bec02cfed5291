//! The fixtures that reconcile rather than signal: a routing update reconciles its TGW, the
//! scheduled sweep every group, and an AWS Health notice never forces a failover.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_update_reconciles_its_tgw() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(
        &sb,
        "routing-update",
        "us-west-2",
        &[("TGW_HA_REGIONS", "us-west-2,eu-west-1")],
    )
    .await;
    // paris died and its alarm never came: the routes uninstalled under us say "look".
    sb.tunnel(VPN_PARIS, None, TunnelStatus::Down);
    let before = sb.routes();
    let o = f
        .invoke(fixture_at("netmgr-route-uninstalled.json", now()))
        .await
        .expect("reconcile");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_eq!(o.tgws.len(), 1);
    assert_eq!(o.tgws[0].tgw.as_str(), TGW);
    assert_paris_on_lyon(&before, &sb.routes());
    assert_eq!(sb.take_regions(), ["eu-west-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_sweep_reconciles_every_group() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "scheduled", "eu-west-1", &[]).await;
    // Two sites lost with no event at all.
    sb.tunnel(VPN_BERLIN_PRIMARY, None, TunnelStatus::Down);
    sb.tunnel(VPN_LYON, None, TunnelStatus::Down);
    let before = sb.routes();
    let o = f
        .invoke(fixture_at("scheduled.json", now()))
        .await
        .expect("sweep");
    assert_eq!(o.moved(), BERLIN_MOVES + LYON_MOVES, "{o:#?}");
    assert_eq!(group(&o, "berlin").status, GroupStatus::FailingOver);
    assert_eq!(group(&o, "lyon").status, GroupStatus::FailingOver);
    // paris's backup is dead, paris is not: nothing to do for it.
    assert_eq!(group(&o, "paris").status, GroupStatus::Home);
    let changes = changed(&before, &sb.routes());
    assert_eq!(changes.len(), BERLIN_MOVES + LYON_MOVES);
    for (_, dest, from, to) in &changes {
        let ok = (from == ATT_BERLIN_PRIMARY && to == ATT_BERLIN_BACKUP)
            || (from == ATT_LYON && to == ATT_PARIS);
        assert!(ok, "{dest}: {from} → {to}");
    }
    // The backup's own networks stayed with it; the VPN on the other TGW was not touched.
    sb.world(|w| assert_eq!(cidrs_on(w, ATT_BERLIN_BACKUP), 36 + 3));
    let emf = f.last_emf();
    assert_eq!(emf["GroupsDegraded"], 2);
    assert_eq!(emf["RoutesMoved"], BERLIN_MOVES + LYON_MOVES);
    let _ = VPN_BERLIN_BACKUP;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_notice_never_forces_a_failover() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "health", "eu-west-1", &[]).await;
    // What the notice is about: one tunnel of paris is down.
    sb.tunnel(VPN_PARIS, Some(PARIS_TUNNEL), TunnelStatus::Down);
    let before = sb.routes();
    let o = f
        .invoke(fixture_at("health-single-tunnel.json", now()))
        .await
        .expect("notice");
    assert_eq!(o.moved(), 0);
    let paris = group(&o, "paris");
    assert_eq!(paris.status, GroupStatus::Home);
    assert_eq!(paris.members[0].health.tunnels_up, 1);
    assert_eq!(sb.routes(), before);
    let (_, state) = f.stored().await;
    assert!(
        state.signals.is_empty(),
        "a notice is not a signal: {:?}",
        state.signals
    );
    assert!(state.ledger.is_empty());
    assert!(f.subjects().is_empty());
}
