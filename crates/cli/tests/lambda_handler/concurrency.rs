//! Concurrency: ten DOWNs at once on one TGW; one invocation applies, the others leave it their
//! signal.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_downs_on_one_tgw_one_applies_the_others_leave_it_their_signal() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "concurrent", "eu-west-1", &[]).await;
    let gate = Gate::closed();
    // EC2 writes wait at a gate: the first handler to hold the lease stays in its moves until
    // the test opens it, so that every other one meets the lease.
    let backend = Gated::new(f.handler.config(), &sb.url, &gate).await;
    let handler = Arc::new(
        Handler::new(f.handler.config().clone(), Arc::new(backend)).with_emf(EmfSink::Off),
    );
    let start = sb.routes();
    let event = fixture_at("reference-transformer.json", now());

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..10 {
        let handler = handler.clone();
        let event = event.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let r = invoke(&handler, event, &format!("request-{i}")).await;
            let _ = tx.send(r);
        });
    }
    drop(tx);
    // Nine meet the holder's lease: a DOWN is not lost to it (stored for the holder, or known
    // already), and no invocation fails: nothing for Lambda to retry.
    let mut results = Vec::new();
    let collect = async {
        while let Some(r) = rx.recv().await {
            let o = r
                .unwrap_or_else(|e| panic!("no handler error: {} {}", e.error_type(), e.message()));
            results.push(o);
            if results.len() == 9 {
                // Everyone but the holder has met the lease: let the holder move.
                gate.open();
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(120), collect)
        .await
        .is_err()
    {
        gate.open();
        panic!("handlers did not finish: {} answered", results.len());
    }

    assert_eq!(results.len(), 10);
    let (applied, met_lease): (Vec<_>, Vec<_>) = results.iter().partition(|o| o.moved() > 0);
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].moved(), PARIS_MOVES);
    assert_eq!(met_lease.len(), 9);
    for o in &met_lease {
        let notes = o.notes.join("; ");
        assert!(
            notes.contains(&format!("another run holds the lease on {TGW}")),
            "{notes}"
        );
        assert!(
            notes.contains("signal stored") || notes.contains("already known"),
            "{notes}"
        );
    }
    assert_paris_on_lyon(&start, &sb.routes());
    let (_, state) = f.stored().await;
    assert_eq!(state.ledger.len(), PARIS_MOVES);
    assert_eq!(f.subjects().len(), 1);

    // The lease was released: the same event again runs (and has nothing left to do).
    let o = invoke(&handler, event, "again").await.expect("again");
    assert_eq!(o.moved(), 0);
}
