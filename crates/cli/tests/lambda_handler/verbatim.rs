//! Every fixture verbatim on the sim's virtual clock (the demo world's 2026-03-14 09:00), with
//! the ledger and lease in moto's DynamoDB and notifications in moto's SNS: what each fixture
//! does (the table of `docs/lambda.md`), the default five-minute hold-down to the second, and
//! the alarm sync of the scheduled sweep.

use super::*;

/// The sim's network and clock, with the ledger and lease in moto's DynamoDB and notifications
/// in moto's SNS; records the Region each invocation asked EC2 for.
struct SimBackend {
    sim: Sim,
    store: Arc<DynamoStore>,
    notifier: Arc<SnsNotifier>,
    regions: Mutex<Vec<Option<String>>>,
}

impl Backend for SimBackend {
    fn ports(&self, region: Option<&str>) -> Result<Ports, tgw_ha_engine::ServiceError> {
        self.regions.lock().unwrap().push(region.map(str::to_owned));
        let mut p = self.sim.ports();
        p.store = self.store.clone();
        p.lease = self.store.clone();
        p.notifier = self.notifier.clone();
        Ok(p)
    }
    fn has_ledger(&self) -> bool {
        true
    }
    fn clock(&self) -> Arc<dyn Clock> {
        self.sim.clock.clone()
    }
}

async fn sim_handler(name: &str, vars: &[(&str, &str)]) -> (Handler, Arc<SimBackend>, String) {
    let table = table(name, "eu-west-1").await;
    let topic = topic(name, "eu-west-1").await;
    let sdk = moto::sdk_config_in("eu-west-1").await;
    let backend = Arc::new(SimBackend {
        sim: Sim::new(world()),
        store: Arc::new(DynamoStore::new(tgw_ha_aws::dynamodb_client(&sdk), &table)),
        notifier: Arc::new(SnsNotifier::new(tgw_ha_aws::sns_client(&sdk), &topic)),
        regions: Mutex::default(),
    });
    let mut all = vec![("TGW_HA_TABLE".to_owned(), table)];
    all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let config = Config::from_lookup(&|k| {
        all.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("config");
    let handler = Handler::new(config, backend.clone()).with_emf(EmfSink::Off);
    (handler, backend, topic)
}

fn set_clock(b: &SimBackend, t: &str) {
    let t: Timestamp = t.parse().expect("time");
    b.sim.virtual_clock.as_ref().expect("virtual clock").set(t);
}

/// What each fixture does on a fresh world (every tunnel UP for two weeks), handled a few
/// seconds after it was sent: the table of `docs/lambda.md`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fixture_verbatim_on_a_healthy_world() {
    // (fixture, Ok(routes moved) or Err(errorType), EC2 Region asked for)
    let expected: &[(&str, Result<usize, &str>, Option<&str>)] = &[
        ("alarm-state-alarm.json", Ok(PARIS_MOVES), Some("eu-west-1")),
        (
            "alarm-state-insufficient-data.json",
            Ok(0),
            Some("eu-west-1"),
        ),
        (
            "alarm-state-metric-math.json",
            Ok(LYON_MOVES),
            Some("eu-west-1"),
        ),
        ("alarm-state-ok.json", Ok(0), Some("eu-west-1")),
        ("alarm-state-other-namespace.json", Ok(0), None),
        ("health-single-tunnel.json", Ok(0), None),
        ("netmgr-ipsec-down.json", Ok(0), Some("eu-west-1")),
        ("netmgr-ipsec-up-legacy.json", Ok(0), Some("eu-west-1")),
        ("netmgr-route-uninstalled.json", Ok(0), Some("eu-west-1")),
        ("reference-transformer.json", Ok(PARIS_MOVES), None),
        ("scheduled.json", Ok(0), Some("eu-west-1")),
    ];
    assert_eq!(
        expected.iter().map(|e| e.0).collect::<Vec<_>>(),
        FIXTURES,
        "every fixture has a row"
    );
    for (i, (name, want, region)) in expected.iter().enumerate() {
        let (handler, backend, _) = sim_handler(&format!("verbatim-{i}"), &[]).await;
        let event = fixture(name);
        let at = event_time(&event) + chrono::Duration::seconds(5);
        set_clock(&backend, &at.to_rfc3339());
        let got = invoke(&handler, event, name)
            .await
            .map(|o| o.moved())
            .map_err(|e| e.error_type());
        let want = want.map_err(str::to_owned);
        assert_eq!(got, want, "{name}");
        let asked: Vec<Option<String>> = backend.regions.lock().unwrap().clone();
        if name.contains("other-namespace") {
            // Ignored before any port is built.
            assert!(asked.iter().all(|r| r.is_none()), "{name}: {asked:?}");
        } else {
            assert_eq!(asked, [region.map(str::to_owned)], "{name}");
        }
    }
}

/// The fixtures' own timeline (ALARM at 09:26:53, OK at 09:41:02.377) with the default
/// five-minute hold-down: failback happens at 09:46:02.377 and not a second before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixtures_timeline_fails_back_at_the_end_of_the_default_hold_down() {
    let (handler, backend, topic) = sim_handler("timeline", &[("TGW_HA_FAILBACK", "true")]).await;
    let on_paris = || {
        backend
            .sim
            .world()
            .routes_to(&AttachmentId::new(ATT_PARIS))
            .count()
    };

    set_clock(&backend, "2026-03-14T09:26:55Z");
    let o = invoke(&handler, fixture("alarm-state-alarm.json"), "alarm")
        .await
        .expect("alarm");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_eq!(on_paris(), 0);

    set_clock(&backend, "2026-03-14T09:41:05Z");
    let o = invoke(&handler, fixture("alarm-state-ok.json"), "ok")
        .await
        .expect("ok");
    assert_eq!(o.moved(), 0);
    let primary = &group(&o, "paris").members[0];
    assert_eq!(
        primary.health.stable_at.map(|t| t.to_rfc3339()),
        Some("2026-03-14T09:46:02.377+00:00".to_owned())
    );

    set_clock(&backend, "2026-03-14T09:46:02Z");
    let o = invoke(&handler, fixture("scheduled.json"), "sweep-1")
        .await
        .expect("sweep");
    assert_eq!(o.moved(), 0, "0.377 s before the end of the hold-down");

    set_clock(&backend, "2026-03-14T09:46:03Z");
    let o = invoke(&handler, fixture("alarm-state-ok.json"), "ok-again")
        .await
        .expect("ok again");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_eq!(group(&o, "paris").status, GroupStatus::FailingBack);
    assert_eq!(on_paris(), 32);
    let sent = subjects(&topic);
    assert_eq!(sent.len(), 2, "{sent:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_sweep_syncs_one_alarm_per_member_vpn_when_enabled() {
    let sb = Sandbox::start(world()).await;
    let prefix = "tgw-ha-sweep-";
    let f = aws_handler(
        &sb,
        "alarmsync",
        "eu-west-1",
        &[
            ("TGW_HA_ALARM_SYNC", "true"),
            ("TGW_HA_ALARM_PREFIX", prefix),
        ],
    )
    .await;
    let o = f
        .invoke(fixture_at("scheduled.json", now()))
        .await
        .expect("sweep");
    assert!(
        o.notes.iter().any(|n| n.starts_with("alarm sync: ")),
        "{:?}",
        o.notes
    );
    let cw = tgw_ha_aws::cloudwatch_client(&common::moto::sdk_config_in("eu-west-1").await);
    let alarms = cw
        .describe_alarms()
        .alarm_name_prefix(prefix)
        .send()
        .await
        .expect("describe alarms");
    let mut names: Vec<String> = alarms
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(str::to_owned))
        .collect();
    names.sort();
    // Every member VPN of a valid group (paris, lyon, berlin's three), and not the partner VPN.
    let mut expected: Vec<String> = [
        VPN_PARIS,
        VPN_LYON,
        VPN_BERLIN_PRIMARY,
        VPN_BERLIN_BACKUP,
        tgw_ha_sim::demo_world::VPN_BERLIN_BACKUP2,
    ]
    .iter()
    .map(|v| format!("{prefix}{v}"))
    .collect();
    expected.sort();
    assert_eq!(names, expected);

    // Without the setting, a sweep leaves alarms alone.
    let g = aws_handler(&sb, "alarmsync-off", "eu-west-1", &[]).await;
    let o = g
        .invoke(fixture_at("scheduled.json", now()))
        .await
        .expect("sweep");
    assert!(
        !o.notes.iter().any(|n| n.contains("alarm sync")),
        "{:?}",
        o.notes
    );
}
