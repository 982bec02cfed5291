//! The [`Lease`] of each TGW as one conditional item (`sk = lease`) in the TGW's partition.
//!
//! Contract: the conditions implement core's one lease rule ([`tgw_ha_core::lease`]) with the
//! `now` the caller gives, in whole seconds (`expires_at` rounded up, `now` down): acquire when
//! absent, expired (`expires_at <= now`) or ours; renew only ours and live; release only ours.
//! A failed condition is the answer `false`, not an error.

use super::{DynamoStore, LEASE, PK, SK, TTL_ATTRIBUTE, n, partition, s};
use async_trait::async_trait;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::TgwId;
use tgw_ha_engine::ports::{Lease, StoreError};

#[async_trait]
impl Lease for DynamoStore {
    async fn acquire(
        &self,
        tgw: &TgwId,
        owner: &str,
        ttl: Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        // Core's `lease::acquire`: free, expired (`expires <= now`), or our own.
        let condition = Condition::new(
            "attribute_not_exists(#pk) OR #expires_at <= :now OR #owner = :me",
            owner,
        )
        .at(now)
        .name("#pk", PK);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(partition(tgw)))
            .item(SK, s(LEASE))
            .item("owner", s(owner))
            .item(TTL_ATTRIBUTE, n(lease_expiry(now, ttl)))
            .item("acquired_at", s(now.to_rfc3339()))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(Some(condition.names))
            .set_expression_attribute_values(Some(condition.values))
            .send()
            .await;
        self.lease_outcome("PutItem", result)
    }

    async fn renew(
        &self,
        tgw: &TgwId,
        owner: &str,
        ttl: Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        // Core's `lease::renew`: our own and still live (`now < expires`).
        let condition = Condition::new("#owner = :me AND #expires_at > :now", owner)
            .at(now)
            .value(":expires_at", n(lease_expiry(now, ttl)));
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(partition(tgw)))
            .key(SK, s(LEASE))
            .update_expression("SET #expires_at = :expires_at")
            .condition_expression(condition.expression)
            .set_expression_attribute_names(Some(condition.names))
            .set_expression_attribute_values(Some(condition.values))
            .send()
            .await;
        self.lease_outcome("UpdateItem", result)
    }

    async fn release(&self, tgw: &TgwId, owner: &str) -> Result<(), StoreError> {
        // Core's `lease::release`: only our own, live or expired.
        let condition = Condition::new("#owner = :me", owner);
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(partition(tgw)))
            .key(SK, s(LEASE))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(Some(condition.names))
            .set_expression_attribute_values(Some(condition.values))
            .send()
            .await;
        // Not held (expired and taken, or never had it): nothing to release.
        self.lease_outcome("DeleteItem", result).map(|_| ())
    }
}

impl DynamoStore {
    /// A conditional lease write: success is `true`, a failed condition is `false`.
    fn lease_outcome<T, E>(
        &self,
        op: &str,
        result: Result<T, SdkError<E, HttpResponse>>,
    ) -> Result<bool, StoreError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match result {
            Ok(_) => Ok(true),
            Err(e) => self.unless_condition_failed(op, e).map_or(Ok(false), Err),
        }
    }
}

/// A lease write's condition: its expression, with the names and values it uses. DynamoDB
/// refuses a name or a value the expression does not use, so each condition carries its own.
struct Condition {
    expression: &'static str,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Condition {
    /// `expression`, over the lease's owner (`#owner`) and ours (`:me`).
    fn new(expression: &'static str, owner: &str) -> Self {
        Condition {
            expression,
            names: HashMap::new(),
            values: HashMap::new(),
        }
        .name("#owner", "owner")
        .value(":me", s(owner))
    }

    /// And the lease's expiry (`#expires_at`, epoch seconds) against `now` (`:now`, whole
    /// seconds rounded down).
    fn at(self, now: Timestamp) -> Self {
        self.name("#expires_at", TTL_ATTRIBUTE)
            .value(":now", n(now.timestamp()))
    }

    fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names
            .insert(placeholder.to_owned(), attribute.to_owned());
        self
    }

    fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.to_owned(), value);
        self
    }
}

/// Epoch seconds at which a lease taken at `now` for `ttl` expires, rounded up: a lease may
/// last up to a second longer than asked, never shorter.
fn lease_expiry(now: Timestamp, ttl: Duration) -> i64 {
    let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
    let end = now.checked_add_signed(ttl).unwrap_or(now);
    end.timestamp() + i64::from(end.timestamp_subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn lease_expiry_rounds_up() {
        let t = chrono::Utc.timestamp_opt(1_000, 0).unwrap();
        assert_eq!(lease_expiry(t, Duration::from_secs(30)), 1_030);
        assert_eq!(lease_expiry(t, Duration::from_millis(30_001)), 1_031);
        let t = chrono::Utc.timestamp_opt(1_000, 500_000_000).unwrap();
        assert_eq!(lease_expiry(t, Duration::from_secs(30)), 1_031);
    }
}
