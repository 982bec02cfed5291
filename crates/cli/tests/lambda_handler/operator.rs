//! Operator invocations: status, dry run, failover and failback; and without a state table only
//! the reads run.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_actions_status_dry_run_failover_failback() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "operator", "eu-west-1", &[]).await;
    let start = sb.routes();

    let o = f.invoke(json!({"action": "status"})).await.expect("status");
    assert!(o.dry_run || o.planned() == 0);
    assert_eq!(o.groups().count(), 3);
    assert_eq!(sb.writes(), 0);

    let o = f
        .invoke(json!({"action": "failover", "group": "paris", "dryRun": true}))
        .await
        .expect("dry run");
    assert!(o.dry_run);
    assert_eq!((o.planned(), o.moved()), (PARIS_MOVES, 0));
    assert_eq!(sb.routes(), start);

    let o = f
        .invoke(json!({"action": "failover", "group": "paris"}))
        .await
        .expect("failover");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_paris_on_lyon(&start, &sb.routes());

    let o = f
        .invoke(json!({"action": "failback", "group": "paris"}))
        .await
        .expect("failback");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_eq!(sb.routes(), start);

    let e = error_of(
        f.invoke(json!({"action": "failover", "group": "rome"}))
            .await,
    );
    assert_eq!(e.error_type(), "NotRetryable.UnknownGroup");
    assert!(
        e.message().contains("rome") && e.message().contains("paris"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_table_only_reads_run() {
    let sb = Sandbox::start(world()).await;
    let config = Config::from_lookup(&|_| None).expect("config");
    let backend = tgw_ha::lambda::AwsBackend::new(moto::sdk_config_in("eu-west-1").await, &config)
        .with_ec2_endpoint(Some(sb.url.clone()));
    let handler = Handler::new(config, Arc::new(backend)).with_emf(EmfSink::Off);

    let o = invoke(&handler, json!({"action": "status"}), "r1")
        .await
        .expect("status reads");
    assert_eq!(o.groups().count(), 3);
    let e = error_of(
        invoke(
            &handler,
            fixture_at("reference-transformer.json", now()),
            "r2",
        )
        .await,
    );
    assert_eq!(e.error_type(), "NotRetryable.Config");
    assert!(e.message().contains("TGW_HA_TABLE"), "{e}");
    assert_eq!(sb.writes(), 0);
}
