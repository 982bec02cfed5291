//! [`create_table`] for `tgw-ha table create`: the table's key schema, billing and TTL.
//!
//! Contract: idempotent. An existing table is left as it is (TTL aside, which is enabled if it
//! was not); it returns once the table is ACTIVE, or says to run it again.

use super::{PK, SK, TTL_ATTRIBUTE, classify};
use crate::errors::{Failure, failure_of};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use std::time::Duration;
use tgw_ha_engine::ports::StoreError;

/// What [`create_table`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableCreation {
    Created,
    /// The table was there already (it is left as it is, TTL aside).
    Existed,
}

/// Create the table (on-demand billing, key `pk`/`sk`, TTL on `expires_at`) unless it exists,
/// and wait until it is usable. Idempotent: an existing table is `Existed`, and its TTL is
/// enabled if it was not.
pub async fn create_table(client: &Client, table: &str) -> Result<TableCreation, StoreError> {
    let classify_err = |op: &str, f: Failure| classify(op, table, f);
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let build = |e: aws_sdk_dynamodb::error::BuildError| {
        StoreError::Other(format!("building CreateTable for {table}: {e}"))
    };
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(PK, KeyType::Hash).map_err(build)?)
        .key_schema(key(SK, KeyType::Range).map_err(build)?)
        .attribute_definitions(attr(PK).map_err(build)?)
        .attribute_definitions(attr(SK).map_err(build)?)
        .send()
        .await;
    let outcome = match created {
        Ok(_) => TableCreation::Created,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            TableCreation::Existed
        }
        Err(e) => return Err(classify_err("CreateTable", failure_of(&e))),
    };

    // TTL can only be set on an ACTIVE table (about 10 s after creation in AWS).
    let mut active = false;
    for attempt in 0..120u32 {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| classify_err("DescribeTable", failure_of(&e)))?;
        if out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            active = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(if attempt < 10 { 200 } else { 1000 })).await;
    }
    if !active {
        return Err(StoreError::Unavailable(format!(
            "table {table} did not become ACTIVE in time: run again to finish (it is idempotent)"
        )));
    }

    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| classify_err("DescribeTimeToLive", failure_of(&e)))?;
    let status = ttl
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status());
    if !matches!(
        status,
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
    ) {
        let spec = TimeToLiveSpecification::builder()
            .attribute_name(TTL_ATTRIBUTE)
            .enabled(true)
            .build()
            .map_err(build)?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(spec)
            .send()
            .await
            .map_err(|e| classify_err("UpdateTimeToLive", failure_of(&e)))?;
    }
    Ok(outcome)
}
