//! SDK-boundary tests of `DynamoStore` for what moto cannot stage: a head put whose SDK retry
//! fails its own condition, items DynamoDB leaves unprocessed, and throttling.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::batch_write_item::{BatchWriteItemInput, BatchWriteItemOutput};
use aws_sdk_dynamodb::operation::get_item::{GetItemError, GetItemOutput};
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::error::{
    ConditionalCheckFailedException, ProvisionedThroughputExceededException,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use std::sync::{Arc, Mutex};
use tgw_ha_aws::DynamoStore;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::state::TgwState;
use tgw_ha_engine::ports::{StateStore, StoreError};

const TABLE: &str = "tgw-ha";

fn store(rules: &[&Rule]) -> DynamoStore {
    let client: Client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, rules, |c| c
        .retry_config(RetryConfig::disabled()));
    DynamoStore::new(client, TABLE)
}

fn condition_failed() -> PutItemError {
    PutItemError::ConditionalCheckFailedException(
        ConditionalCheckFailedException::builder()
            .message("The conditional request failed")
            .meta(
                ErrorMetadata::builder()
                    .code("ConditionalCheckFailedException")
                    .message("The conditional request failed")
                    .build(),
            )
            .build(),
    )
}

fn empty_query() -> Rule {
    mock!(Client::query).then_output(|| QueryOutput::builder().build())
}

fn write_ok() -> Rule {
    mock!(Client::batch_write_item).then_output(|| BatchWriteItemOutput::builder().build())
}

/// The SDK sent the head, DynamoDB wrote it, the answer was lost, and the SDK's retry failed
/// the `version = :expected` condition against the head it had itself written.
#[tokio::test]
async fn a_retried_head_put_that_landed_is_a_success() {
    let token = Arc::new(Mutex::new(String::new()));
    let seen = token.clone();
    let put = mock!(Client::put_item)
        .match_requests(move |req| {
            if let Some(AttributeValue::S(t)) = req.item().and_then(|i| i.get("token")) {
                *seen.lock().unwrap() = t.clone();
            }
            true
        })
        .then_error(condition_failed);
    let written = token.clone();
    let head = mock!(Client::get_item).then_output(move || {
        GetItemOutput::builder()
            .item("pk", AttributeValue::S("tgw#tgw-1".into()))
            .item("sk", AttributeValue::S("head".into()))
            .item("version", AttributeValue::N("4".into()))
            .item("chunks", AttributeValue::N("1".into()))
            .item("token", AttributeValue::S(written.lock().unwrap().clone()))
            .build()
    });
    // Chunks, head (condition failed), head read back, sweep; no deletion of the chunks.
    let rules = [&write_ok(), &put, &head, &empty_query()];
    let store = store(&rules);
    let got = store
        .save(&TgwId::new("tgw-1"), 3, &TgwState::default())
        .await;
    assert_eq!(got, Ok(4));
    assert!(rules.iter().all(|r| r.num_calls() == 1));
}

/// Someone else's head: a conflict, and the chunks just written are deleted.
#[tokio::test]
async fn a_lost_race_deletes_its_chunks() {
    let put = mock!(Client::put_item).then_error(condition_failed);
    let head = mock!(Client::get_item).then_output(|| {
        GetItemOutput::builder()
            .item("version", AttributeValue::N("4".into()))
            .item("chunks", AttributeValue::N("1".into()))
            .item("token", AttributeValue::S("someone-else".into()))
            .build()
    });
    let delete = mock!(Client::batch_write_item)
        .match_requests(|req: &BatchWriteItemInput| {
            let requests = &req.request_items().expect("items")[TABLE];
            requests.len() == 1
                && requests[0].delete_request().is_some_and(|d| {
                    d.key()["sk"]
                        .as_s()
                        .is_ok_and(|sk| sk.starts_with("state#00000000000000000004#"))
                })
        })
        .then_output(|| BatchWriteItemOutput::builder().build());
    let rules = [&write_ok(), &put, &head, &delete];
    let store = store(&rules);
    let got = store
        .save(&TgwId::new("tgw-1"), 3, &TgwState::default())
        .await;
    assert_eq!(
        got,
        Err(StoreError::Conflict {
            tgw: TgwId::new("tgw-1"),
            expected: 3
        })
    );
    assert_eq!(delete.num_calls(), 1);
}

/// DynamoDB throttles part of a batch: what it returns unprocessed is sent again.
#[tokio::test]
async fn unprocessed_items_are_sent_again() {
    let first = mock!(Client::batch_write_item).then_compute_output(|req: &BatchWriteItemInput| {
        let items = req.request_items().expect("items").clone();
        BatchWriteItemOutput::builder()
            .set_unprocessed_items(Some(items))
            .build()
    });
    let again = mock!(Client::batch_write_item)
        .match_requests(|req: &BatchWriteItemInput| {
            req.request_items().is_some_and(|m| m[TABLE].len() == 1)
        })
        .then_output(|| BatchWriteItemOutput::builder().build());
    let put = mock!(Client::put_item).then_output(|| PutItemOutput::builder().build());
    let rules = [&first, &again, &put, &empty_query()];
    let store = store(&rules);
    let got = store
        .save(&TgwId::new("tgw-1"), 0, &TgwState::default())
        .await;
    assert_eq!(got, Ok(1));
    assert_eq!(again.num_calls(), 1);
}

#[tokio::test]
async fn throttling_is_unavailable() {
    let get = mock!(Client::get_item).then_error(|| {
        GetItemError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .meta(
                    ErrorMetadata::builder()
                        .code("ProvisionedThroughputExceededException")
                        .message("slow down")
                        .build(),
                )
                .build(),
        )
    });
    let store = store(&[&get]);
    let err = store.load(&TgwId::new("tgw-1")).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("throttled"), "{err}");
}
