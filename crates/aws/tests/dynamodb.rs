//! `DynamoStore` against moto's DynamoDB: the table, the copy-on-write state with its
//! compare-and-set, and the lease, for real over HTTP. Each test uses its own table.

mod common;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::TimeZone;
use common::moto::sdk_config;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tgw_ha_aws::dynamodb::CHUNK_BYTES;
use tgw_ha_aws::{DynamoStore, TableCreation, create_table, dynamodb_client};
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{AttachmentId, GroupName, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{Destination, RouteKey, TunnelStatus};
use tgw_ha_core::state::{GroupState, LedgerEntry, Signal, SignalSource, TgwState};
use tgw_ha_engine::ports::{Lease, StateStore, StoreError};

async fn client() -> Client {
    dynamodb_client(&sdk_config().await)
}

/// A fresh table for one test.
async fn store(name: &str) -> (Client, DynamoStore) {
    let client = client().await;
    let table = format!("tgw-ha-test-{name}");
    create_table(&client, &table).await.expect("create table");
    (client.clone(), DynamoStore::new(client, table))
}

fn t(secs: i64) -> Timestamp {
    chrono::Utc
        .timestamp_opt(1_714_557_600 + secs, 0)
        .single()
        .expect("time")
}

fn entry(i: usize, decision: &str) -> LedgerEntry {
    LedgerEntry {
        key: RouteKey {
            table: RouteTableId::new(format!("tgw-rtb-{:017x}", i % 7)),
            destination: Destination::Cidr(format!("10.{}.{}.0/24", i / 256, i % 256)),
        },
        group: GroupName::new(format!("site-{}", i % 50)),
        home: AttachmentId::new("tgw-attach-0aaaaaaaaaaaaaaa1"),
        current: AttachmentId::new("tgw-attach-0bbbbbbbbbbbbbbb2"),
        moved_at: t(i as i64),
        decision: decision.to_owned(),
    }
}

fn state(entries: usize, decision: &str) -> TgwState {
    TgwState {
        ledger: (0..entries).map(|i| entry(i, decision)).collect(),
        groups: BTreeMap::from([(
            GroupName::new("paris"),
            GroupState {
                pin: None,
                last_switch: Some(t(5)),
                down: true,
            },
        )]),
        signals: vec![Signal {
            vpn: VpnId::new("vpn-0aaaaaaaaaaaaaaa1"),
            tunnel: Some("203.0.113.10".into()),
            status: TunnelStatus::Down,
            at: t(7),
            source: SignalSource::NetworkManager,
        }],
        ..TgwState::default()
    }
}

/// Every item of one TGW's partition: `sk` → attributes.
async fn items(
    client: &Client,
    table: &str,
    tgw: &str,
) -> BTreeMap<String, std::collections::HashMap<String, AttributeValue>> {
    let pages: Vec<_> = client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("tgw#{tgw}")))
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    pages
        .into_iter()
        .map(|item| {
            let item = item.expect("query");
            let sk = item["sk"].as_s().expect("sk").clone();
            (sk, item)
        })
        .collect()
}

fn chunk_keys(
    all: &BTreeMap<String, std::collections::HashMap<String, AttributeValue>>,
) -> Vec<&str> {
    all.keys()
        .filter(|k| k.starts_with("state#"))
        .map(String::as_str)
        .collect()
}

fn head_number(
    all: &BTreeMap<String, std::collections::HashMap<String, AttributeValue>>,
    name: &str,
) -> u64 {
    all["head"][name]
        .as_n()
        .expect("number")
        .parse()
        .expect("u64")
}

#[tokio::test]
async fn create_table_is_idempotent() {
    let client = client().await;
    let table = "tgw-ha-test-create";
    assert_eq!(
        create_table(&client, table).await.expect("first"),
        TableCreation::Created
    );
    assert_eq!(
        create_table(&client, table).await.expect("second"),
        TableCreation::Existed
    );
    let d = client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("describe");
    let d = d.table().expect("table");
    let keys: Vec<(&str, &str)> = d
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().as_str()))
        .collect();
    assert_eq!(keys, vec![("pk", "HASH"), ("sk", "RANGE")]);
    assert_eq!(
        d.billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|b| b.as_str()),
        Some("PAY_PER_REQUEST")
    );
    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .expect("ttl");
    let ttl = ttl.time_to_live_description().expect("ttl description");
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
    assert_eq!(
        ttl.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED")
    );
}

#[tokio::test]
async fn empty_tgw_loads_as_version_zero() {
    let (_, store) = store("empty").await;
    let got = store.load(&TgwId::new("tgw-0empty")).await.expect("load");
    assert_eq!(got.version, 0);
    assert_eq!(got.value, TgwState::default());
}

#[tokio::test]
async fn save_then_load_round_trips() {
    let (client, store) = store("roundtrip").await;
    let tgw = TgwId::new("tgw-0round");
    let s1 = state(3, "failover");
    assert_eq!(store.save(&tgw, 0, &s1).await.expect("save 1"), 1);
    let got = store.load(&tgw).await.expect("load");
    assert_eq!((got.version, &got.value), (1, &s1));

    let s2 = state(1, "operator");
    assert_eq!(store.save(&tgw, 1, &s2).await.expect("save 2"), 2);
    let got = store.load(&tgw).await.expect("load");
    assert_eq!((got.version, &got.value), (2, &s2));

    // Saving the empty state is a version like any other, not a deletion.
    assert_eq!(
        store
            .save(&tgw, 2, &TgwState::default())
            .await
            .expect("save 3"),
        3
    );
    let got = store.load(&tgw).await.expect("load");
    assert_eq!((got.version, got.value), (3, TgwState::default()));

    // Another TGW in the same table is untouched.
    let other = store.load(&TgwId::new("tgw-0other")).await.expect("load");
    assert_eq!(other.version, 0);
    let all = items(&client, store.table(), "tgw-0round").await;
    assert_eq!(head_number(&all, "version"), 3);
}

#[tokio::test]
async fn stale_version_is_a_conflict() {
    let (client, store) = store("conflict").await;
    let tgw = TgwId::new("tgw-0conflict");
    store.save(&tgw, 0, &state(2, "a")).await.expect("save 1");

    // A second first write: someone else created the state meanwhile.
    let err = store.save(&tgw, 0, &state(2, "b")).await.unwrap_err();
    assert_eq!(
        err,
        StoreError::Conflict {
            tgw: tgw.clone(),
            expected: 0
        }
    );
    assert!(err.is_retryable());

    store.save(&tgw, 1, &state(2, "c")).await.expect("save 2");
    let err = store.save(&tgw, 1, &state(2, "d")).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { expected: 1, .. }),
        "{err}"
    );
    // A version from the future is as stale as one from the past.
    let err = store.save(&tgw, 7, &state(2, "e")).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { expected: 7, .. }),
        "{err}"
    );

    let got = store.load(&tgw).await.expect("load");
    assert_eq!((got.version, got.value), (2, state(2, "c")));
    // The losers' chunks were removed: only the current version's remain.
    let all = items(&client, store.table(), tgw.as_str()).await;
    assert_eq!(chunk_keys(&all).len() as u64, head_number(&all, "chunks"));
}

#[tokio::test]
async fn ten_thousand_ledger_entries_round_trip_in_chunks() {
    let (client, store) = store("large").await;
    let tgw = TgwId::new("tgw-0large");
    let big = state(10_000, "failover");
    let json_len = serde_json::to_string(&big).expect("json").len();
    assert!(json_len > 3 * CHUNK_BYTES, "state is only {json_len} bytes");

    store.save(&tgw, 0, &big).await.expect("save");
    let got = store.load(&tgw).await.expect("load");
    assert_eq!(got.version, 1);
    assert_eq!(got.value.ledger.len(), 10_000);
    assert_eq!(got.value, big);

    let all = items(&client, store.table(), tgw.as_str()).await;
    let chunks = head_number(&all, "chunks");
    assert_eq!(chunks as usize, json_len.div_ceil(CHUNK_BYTES));
    assert_eq!(head_number(&all, "bytes") as usize, json_len);
    let keys = chunk_keys(&all);
    assert_eq!(keys.len() as u64, chunks);
    for (i, k) in keys.iter().enumerate() {
        assert!(k.starts_with("state#00000000000000000001#"), "{k}");
        assert!(k.ends_with(&format!("#{i:04}")), "{k}");
        let data = all[*k]["data"].as_s().expect("data");
        assert!(data.len() <= CHUNK_BYTES);
    }
}

#[tokio::test]
async fn save_after_save_deletes_the_old_chunks() {
    let (client, store) = store("cleanup").await;
    let tgw = TgwId::new("tgw-0cleanup");
    let mut version = 0;
    for (n, decision) in [(5_000, "a"), (2_000, "b"), (10, "c")] {
        version = store
            .save(&tgw, version, &state(n, decision))
            .await
            .expect("save");
        let all = items(&client, store.table(), tgw.as_str()).await;
        let keys = chunk_keys(&all);
        assert_eq!(keys.len() as u64, head_number(&all, "chunks"), "{keys:?}");
        let current = format!("state#{version:020}#");
        assert!(keys.iter().all(|k| k.starts_with(&current)), "{keys:?}");
    }
    let got = store.load(&tgw).await.expect("load");
    assert_eq!((got.version, got.value), (3, state(10, "c")));
}

#[tokio::test]
async fn leftover_chunks_are_swept_by_the_next_save() {
    let (client, store) = store("sweep").await;
    let tgw = TgwId::new("tgw-0sweep");
    store.save(&tgw, 0, &state(1, "a")).await.expect("save 1");
    // What a writer that crashed between its chunks and its head leaves behind.
    client
        .put_item()
        .table_name(store.table())
        .item("pk", AttributeValue::S("tgw#tgw-0sweep".into()))
        .item(
            "sk",
            AttributeValue::S("state#00000000000000000002#deadbeefdeadbeef#0000".into()),
        )
        .item("data", AttributeValue::S("{\"ledger\":[".into()))
        .send()
        .await
        .expect("put orphan");
    store.save(&tgw, 1, &state(1, "b")).await.expect("save 2");
    // The orphan has the version just written: kept until a newer version exists.
    assert_eq!(
        chunk_keys(&items(&client, store.table(), tgw.as_str()).await).len(),
        2
    );
    store.save(&tgw, 2, &state(1, "c")).await.expect("save 3");
    let all = items(&client, store.table(), tgw.as_str()).await;
    let keys = chunk_keys(&all);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        keys[0].starts_with("state#00000000000000000003#"),
        "{keys:?}"
    );
}

#[tokio::test]
async fn concurrent_saves_of_one_version_have_one_winner() {
    let (client, store) = store("racing-saves").await;
    let store = Arc::new(store);
    let tgw = TgwId::new("tgw-0race");
    store.save(&tgw, 0, &state(10, "seed")).await.expect("seed");
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            let tgw = tgw.clone();
            tokio::spawn(async move {
                let s = state(3_000, &format!("writer-{i}"));
                (i, store.save(&tgw, 1, &s).await)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.expect("join") {
            (i, Ok(v)) => winners.push((i, v)),
            (_, Err(StoreError::Conflict { expected: 1, .. })) => {}
            (i, Err(e)) => panic!("writer {i}: {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let (winner, version) = winners[0];
    assert_eq!(version, 2);
    let got = store.load(&tgw).await.expect("load");
    assert_eq!(
        (got.version, got.value),
        (2, state(3_000, &format!("writer-{winner}")))
    );
    let all = items(&client, store.table(), tgw.as_str()).await;
    assert_eq!(chunk_keys(&all).len() as u64, head_number(&all, "chunks"));
}

#[tokio::test]
async fn missing_table_says_how_to_create_it() {
    let store = DynamoStore::new(client().await, "tgw-ha-test-never-created");
    let err = store.load(&TgwId::new("tgw-0x")).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(
        text.contains("table tgw-ha-test-never-created does not exist"),
        "{text}"
    );
    assert!(
        text.contains("`tgw-ha table create` or deploy the template"),
        "{text}"
    );
    let err = store
        .acquire(&TgwId::new("tgw-0x"), "me", Duration::from_secs(30), t(0))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[tokio::test]
async fn no_server_is_unavailable() {
    // A port nothing listens on: the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let conf = sdk_config()
        .await
        .into_builder()
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .build();
    let store = DynamoStore::new(dynamodb_client(&conf), "tgw-ha-test-nowhere");
    let err = store.load(&TgwId::new("tgw-0x")).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(err.is_retryable());
}

/// The one conformance suite of the persistence ports, as the memory store and the state file
/// run it.
#[tokio::test]
async fn dynamodb_conforms() {
    let (_, store) = store("conformance").await;
    let store = Arc::new(store);
    tgw_ha_engine::conformance::store_and_lease(store.clone(), store, "tgw-0conf").await;
}

#[tokio::test]
async fn lease_acquire_busy_renew_release() {
    let (client, store) = store("lease").await;
    let tgw = TgwId::new("tgw-0lease");
    let ttl = Duration::from_secs(30);

    assert!(store.acquire(&tgw, "a", ttl, t(0)).await.expect("a takes"));
    assert!(!store.acquire(&tgw, "b", ttl, t(10)).await.expect("b busy"));
    // The holder may take it again (a retried acquire): it extends.
    assert!(store.acquire(&tgw, "a", ttl, t(10)).await.expect("a again"));
    assert!(store.renew(&tgw, "a", ttl, t(20)).await.expect("a renews"));
    assert!(!store.renew(&tgw, "b", ttl, t(20)).await.expect("b cannot"));

    let all = items(&client, store.table(), tgw.as_str()).await;
    let lease = &all["lease"];
    assert_eq!(lease["owner"].as_s().expect("owner"), "a");
    let expires: i64 = lease["expires_at"].as_n().expect("n").parse().expect("i64");
    assert_eq!(expires, t(50).timestamp());

    // Renewed until t(50): still busy just before.
    assert!(!store.acquire(&tgw, "b", ttl, t(49)).await.expect("busy"));
    // Releasing what one does not hold changes nothing.
    store.release(&tgw, "b").await.expect("b releases nothing");
    assert!(!store.acquire(&tgw, "b", ttl, t(49)).await.expect("busy"));
    store.release(&tgw, "a").await.expect("a releases");
    assert!(
        !items(&client, store.table(), tgw.as_str())
            .await
            .contains_key("lease")
    );
    // Released twice: a no-op.
    store.release(&tgw, "a").await.expect("a again");
    assert!(store.acquire(&tgw, "b", ttl, t(21)).await.expect("b takes"));
    // The lease and the state share the partition without touching each other.
    assert_eq!(store.load(&tgw).await.expect("load").version, 0);
}

#[tokio::test]
async fn expired_lease_is_taken_over() {
    let (_, store) = store("expiry").await;
    let tgw = TgwId::new("tgw-0expiry");
    let ttl = Duration::from_secs(30);

    assert!(store.acquire(&tgw, "a", ttl, t(0)).await.expect("a takes"));
    // Expires at t(30): still held at t(29), free from t(30) on (core's lease rule).
    assert!(!store.acquire(&tgw, "b", ttl, t(29)).await.expect("busy"));
    assert!(
        store
            .acquire(&tgw, "b", ttl, t(30))
            .await
            .expect("takeover")
    );
    // The old holder has lost it: it can neither renew nor release it.
    assert!(!store.renew(&tgw, "a", ttl, t(32)).await.expect("lost"));
    store.release(&tgw, "a").await.expect("no-op");
    assert!(!store.acquire(&tgw, "c", ttl, t(33)).await.expect("b holds"));
    assert!(store.renew(&tgw, "b", ttl, t(33)).await.expect("b renews"));

    // A holder that let its lease expire cannot renew it, even if nobody took it.
    let tgw2 = TgwId::new("tgw-0expiry2");
    assert!(store.acquire(&tgw2, "a", ttl, t(0)).await.expect("take"));
    assert!(!store.renew(&tgw2, "a", ttl, t(31)).await.expect("expired"));
    // ... but may acquire it again.
    assert!(store.acquire(&tgw2, "a", ttl, t(31)).await.expect("again"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_acquirers_one_wins() {
    let (client, store) = store("contention").await;
    let store = Arc::new(store);
    for round in 0..5 {
        let tgw = TgwId::new(format!("tgw-0contention{round}"));
        let barrier = Arc::new(tokio::sync::Barrier::new(10));
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let store = store.clone();
                let tgw = tgw.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    let owner = format!("invocation-{i}");
                    let won = store
                        .acquire(&tgw, &owner, Duration::from_secs(60), t(0))
                        .await
                        .expect("acquire");
                    (owner, won)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            let (owner, won) = task.await.expect("join");
            if won {
                winners.push(owner);
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        let all = items(&client, store.table(), tgw.as_str()).await;
        assert_eq!(all["lease"]["owner"].as_s().expect("owner"), &winners[0]);
    }
}
