//! A partly failed run: failed moves are a retryable "incomplete" error that carries the run's
//! outcome, the ledger owns exactly the routes that moved, and Lambda's retry finishes the job.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_moves_are_a_retryable_incomplete_error_with_a_summary() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "incomplete", "eu-west-1", &[]).await;
    let start = sb.routes();
    // EC2 refuses two route replacements for good (no retry helps within the run).
    sb.state
        .patch_faults(tgw_ha_sim::sandbox::FaultsPatch {
            fail: Some(vec![tgw_ha_sim::FailRule::new(
                "ReplaceTransitGatewayRoute",
                2,
                tgw_ha_sim::FailKind::AccessDenied,
            )]),
            ..Default::default()
        })
        .expect("faults");

    let event = fixture_at("reference-transformer.json", now());
    let e = error_of(f.invoke(event.clone()).await);
    assert_eq!(e.error_type(), "Retryable.Incomplete", "{e}");
    assert!(e.is_retryable());
    let m = e.message();
    assert!(m.starts_with("2 of 33 moves failed"), "{m}");
    assert!(m.contains("moved 31 of 33; failed:"), "{m}");
    assert!(m.contains("access denied") && m.contains(ATT_LYON), "{m}");
    let outcome = e.outcome().expect("the outcome of the partial run");
    assert_eq!((outcome.moved(), outcome.failed()), (31, 2));
    let emf = f.last_emf();
    assert_eq!(
        (emf["RoutesMoved"].clone(), emf["MoveFailures"].clone()),
        (json!(31), json!(2))
    );
    assert_eq!(changed(&start, &sb.routes()).len(), 31);
    // The ledger owns exactly the routes that moved.
    let (_, state) = f.stored().await;
    assert_eq!(state.ledger.len(), 31);

    // Lambda's retry (the fault spent) finishes the job.
    let o = f.invoke(event).await.expect("retry");
    assert_eq!(o.moved(), 2);
    assert_paris_on_lyon(&start, &sb.routes());
    assert_eq!(f.stored().await.1.ledger.len(), PARIS_MOVES);
}
