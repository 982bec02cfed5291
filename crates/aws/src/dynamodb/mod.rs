//! The engine's [`StateStore`] and [`Lease`](tgw_ha_engine::ports::Lease) over one DynamoDB
//! table ([`DynamoStore`]), and [`create_table`] for `tgw-ha table create`. The layout is
//! documented in `docs/state.md`.
//!
//! Contract:
//! - Everything of one TGW lives under one partition key, `tgw#<tgw id>`.
//! - The state is stored copy-on-write: the JSON of a version is written as chunk items (at most
//!   [`CHUNK_BYTES`] each, since an item is at most 400 KB and a state with 10 000 ledger entries
//!   is about 2 MB), *then* the `head` item is switched to them with a conditional put. A reader
//!   never sees a half-written state, and a failed or losing writer leaves the stored state as
//!   it was. Chunk keys carry a random write token, so two writers racing for the same version
//!   never overwrite each other's chunks.
//! - Superseded chunks are deleted right after the head moves (best effort; a sweep on each save
//!   removes any that a crash left behind). A reader that loaded the old head just before can
//!   then find its chunks gone: `load` notices the missing chunks and reads the new head.
//! - The lease is one conditional item per TGW; the conditions compare the `expires_at` stored
//!   with the `now` given by the caller, never with a clock of this process. They implement
//!   core's one lease rule ([`tgw_ha_core::lease`], which the memory store and the state file
//!   call) in whole seconds: `expires_at` is rounded up and `now` down, so a lease may hold up
//!   to a second longer than asked, never shorter. DynamoDB's own TTL deletion of expired leases
//!   is only housekeeping: it is late by hours, and nothing relies on it.
//! - SDK errors are classified once (the crate's `errors`) and become [`StoreError`]s: throttling,
//!   5xx and lost connections are `Unavailable` (retryable), a missing table is `NotFound` and
//!   says how to create it, a denied call is `AccessDenied` and names the IAM action. A failed
//!   condition is an answer (`Conflict`, or `false` for the lease), never an error.
//!
//! The parts: the store ([`DynamoStore`], here), the lease (`lease`), the chunk codec
//! (`chunks`: the head item, chunk keys, splitting and assembling) and the table (`table`:
//! [`create_table`]).

mod chunks;
mod lease;
mod table;

pub use table::{TableCreation, create_table};

use crate::errors::{Class, Failure, failure_of};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, PutRequest, ReturnValue, WriteRequest,
};
use chunks::{Chunk, Head, assemble, split_chunks, write_token};
use std::collections::HashMap;
use std::time::Duration;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::state::TgwState;
use tgw_ha_engine::ports::{StateStore, StoreError, Versioned};

/// The environment variable naming the table (the Lambda's and the CLI's `--table`).
pub const TABLE_ENV: &str = "TGW_HA_TABLE";
/// The table's name when [`TABLE_ENV`] is not set.
pub const DEFAULT_TABLE: &str = "tgw-ha";

/// Bytes of state JSON per chunk item: well under DynamoDB's 400 KB item limit, keys included.
pub const CHUNK_BYTES: usize = 300 * 1024;

/// The attribute DynamoDB's TTL is enabled on (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at";

const PK: &str = "pk";
const SK: &str = "sk";
const HEAD: &str = "head";
const LEASE: &str = "lease";
/// BatchWriteItem takes at most 25 requests.
const BATCH: usize = 25;
/// Rounds of BatchWriteItem for the items DynamoDB left unprocessed (throttled) before giving up.
const BATCH_ROUNDS: u32 = 8;
/// Reads of a head whose chunks vanished under the reader (a newer version replaced them).
const LOAD_ATTEMPTS: u32 = 4;

/// The state of every TGW and their leases, in one table.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// A store over `table`, which must exist ([`create_table`]). Sends no request.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn err<E>(&self, op: &str, err: SdkError<E, HttpResponse>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        classify(op, &self.table, failure_of(&err))
    }

    /// A conditional write's failure: `None` when only its condition failed (an answer, not an
    /// error), the store's error otherwise.
    fn unless_condition_failed<E>(
        &self,
        op: &str,
        err: SdkError<E, HttpResponse>,
    ) -> Option<StoreError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let failure = failure_of(&err);
        (failure.class() != Class::ConditionFailed).then(|| classify(op, &self.table, failure))
    }

    async fn get_head(&self, tgw: &TgwId) -> Result<Option<Head>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(partition(tgw)))
            .key(SK, s(HEAD))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.err("GetItem", e))?;
        out.item()
            .map(|item| Head::parse(item).map_err(|e| corrupt(tgw, &e)))
            .transpose()
    }

    /// The chunks under `prefix`, in order (the 4-digit index sorts them).
    async fn read_chunks(&self, tgw: &TgwId, prefix: &str) -> Result<Vec<Chunk>, StoreError> {
        let mut chunks = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", s(partition(tgw)))
                .expression_attribute_values(":prefix", s(prefix))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.err("Query", e))?;
            for item in out.items() {
                let sk = string(item, SK).map_err(|e| corrupt(tgw, &e))?;
                let data = string(item, "data").map_err(|e| corrupt(tgw, &e))?;
                chunks.push(Chunk {
                    sk: sk.to_owned(),
                    data: data.to_owned(),
                });
            }
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(chunks),
            }
        }
    }

    /// BatchWriteItem in batches of 25, resending what DynamoDB leaves unprocessed (it does so
    /// when throttled) with a growing pause.
    async fn batch_write(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for batch in requests.chunks(BATCH) {
            let mut pending = batch.to_vec();
            let mut round = 0;
            while !pending.is_empty() {
                if round == BATCH_ROUNDS {
                    return Err(StoreError::Unavailable(format!(
                        "BatchWriteItem on table {}: {} items still unprocessed after {round} \
                         rounds (throttled)",
                        self.table,
                        pending.len()
                    )));
                }
                if round > 0 {
                    tokio::time::sleep(Duration::from_millis(50 << round.min(5))).await;
                }
                round += 1;
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| self.err("BatchWriteItem", e))?;
                pending = out
                    .unprocessed_items()
                    .and_then(|m| m.get(&self.table))
                    .cloned()
                    .unwrap_or_default();
            }
        }
        Ok(())
    }

    async fn delete_keys(&self, tgw: &TgwId, sks: Vec<String>) -> Result<(), StoreError> {
        let requests = sks
            .into_iter()
            .map(|sk| {
                DeleteRequest::builder()
                    .key(PK, s(partition(tgw)))
                    .key(SK, s(sk))
                    .build()
                    .map(|d| WriteRequest::builder().delete_request(d).build())
                    .map_err(|e| StoreError::Other(format!("building a delete request: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.batch_write(requests).await
    }

    /// Delete chunks no head can point at any more; failures are logged, never returned (the
    /// state itself is saved by then).
    async fn delete_chunks_best_effort(&self, tgw: &TgwId, sks: Vec<String>, why: &str) {
        if sks.is_empty() {
            return;
        }
        let n = sks.len();
        if let Err(e) = self.delete_keys(tgw, sks).await {
            tracing::warn!(tgw = %tgw, chunks = n, error = %e, "could not delete {why} state chunks: a later save sweeps them");
        }
    }

    /// Delete every chunk of a version older than `current`: what a crashed writer or a failed
    /// cleanup left. Normally finds nothing (one cheap query).
    async fn sweep(&self, tgw: &TgwId, current: u64) {
        let mut stale = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = match self
                .client
                .query()
                .table_name(&self.table)
                // `state#<v>` sorts before every chunk of version v (they extend it).
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", s(partition(tgw)))
                .expression_attribute_values(":lo", s("state#"))
                .expression_attribute_values(":hi", s(format!("state#{current:020}")))
                .projection_expression("#sk")
                .set_exclusive_start_key(start.take())
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) => {
                    let e = self.err("Query", e);
                    tracing::warn!(tgw = %tgw, error = %e, "could not sweep old state chunks");
                    return;
                }
            };
            stale.extend(
                out.items()
                    .iter()
                    .filter_map(|i| string(i, SK).ok().map(str::to_owned)),
            );
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        self.delete_chunks_best_effort(tgw, stale, "leftover").await;
    }
}

#[async_trait]
impl StateStore for DynamoStore {
    async fn load(&self, tgw: &TgwId) -> Result<Versioned<TgwState>, StoreError> {
        let mut last = None;
        for _ in 0..LOAD_ATTEMPTS {
            let Some(head) = self.get_head(tgw).await? else {
                return Ok(Versioned {
                    value: TgwState::default(),
                    version: 0,
                });
            };
            let chunks = self.read_chunks(tgw, &head.prefix()).await?;
            match assemble(&head, chunks) {
                Ok(json) => {
                    let value = serde_json::from_str(&json).map_err(|e| {
                        StoreError::Other(format!(
                            "state of {tgw} (version {}, table {}) is not readable: {e}",
                            head.version, self.table
                        ))
                    })?;
                    return Ok(Versioned {
                        value,
                        version: head.version,
                    });
                }
                // A newer version replaced this one and its chunks were deleted: read again.
                Err(missing) => last = Some((head.version, missing)),
            }
        }
        let (version, missing) = last.unwrap_or_default();
        Err(StoreError::Other(format!(
            "state of {tgw} (version {version}, table {}) is incomplete: {missing}",
            self.table
        )))
    }

    async fn save(&self, tgw: &TgwId, expected: u64, state: &TgwState) -> Result<u64, StoreError> {
        let json = serde_json::to_string(state)
            .map_err(|e| StoreError::Other(format!("state of {tgw} cannot be serialized: {e}")))?;
        let version = expected
            .checked_add(1)
            .ok_or_else(|| StoreError::Other(format!("state of {tgw}: version overflow")))?;
        let parts = split_chunks(&json, CHUNK_BYTES);
        let head = Head {
            version,
            chunks: parts.len() as u64,
            token: write_token(),
            bytes: json.len() as u64,
        };
        let mut puts = Vec::with_capacity(parts.len());
        let mut written = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let sk = head.chunk_sk(i);
            let put = PutRequest::builder()
                .item(PK, s(partition(tgw)))
                .item(SK, s(&sk))
                .item("data", s(*part))
                .build()
                .map_err(|e| StoreError::Other(format!("building a put request: {e}")))?;
            puts.push(WriteRequest::builder().put_request(put).build());
            written.push(sk);
        }
        if let Err(e) = self.batch_write(puts).await {
            // No head points at these: they are garbage whatever happened.
            self.delete_chunks_best_effort(tgw, written, "unused").await;
            return Err(e);
        }

        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(head.item(tgw)))
            // The previous head, to delete its chunks without reading it first.
            .return_values(ReturnValue::AllOld);
        let put = if expected == 0 {
            put.condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK)
        } else {
            put.condition_expression("#version = :expected")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":expected", n(expected))
        };
        match put.send().await {
            Ok(out) => {
                if let Some(old) = out.attributes().filter(|a| !a.is_empty()) {
                    match Head::parse(old) {
                        Ok(old) => {
                            let sks = (0..old.chunks as usize).map(|i| old.chunk_sk(i)).collect();
                            self.delete_chunks_best_effort(tgw, sks, "superseded").await;
                        }
                        Err(e) => {
                            tracing::warn!(tgw = %tgw, error = %e, "previous head unreadable")
                        }
                    }
                }
                self.sweep(tgw, version).await;
                Ok(version)
            }
            Err(e) => {
                if let Some(err) = self.unless_condition_failed("PutItem", e) {
                    // The head may or may not have been written (a timeout): keep the chunks,
                    // which a later save sweeps if they are not the state.
                    return Err(err);
                }
                // An SDK retry of a put that had landed fails its own condition: if the head is
                // ours, the save succeeded. If the head cannot be read, the chunks may be the
                // state: keep them (a later save sweeps them if not).
                let current = self.get_head(tgw).await?;
                if current.is_some_and(|c| c.token == head.token && c.version == version) {
                    self.sweep(tgw, version).await;
                    return Ok(version);
                }
                self.delete_chunks_best_effort(tgw, written, "losing").await;
                Err(StoreError::Conflict {
                    tgw: tgw.clone(),
                    expected,
                })
            }
        }
    }
}

// ---- items ---------------------------------------------------------------------------------

fn partition(tgw: &TgwId) -> String {
    format!("tgw#{tgw}")
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn string<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Result<&'a str, String> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        Some(_) => Err(format!("attribute {name} is not a string")),
        None => Err(format!("attribute {name} is missing")),
    }
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Result<u64, String> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| format!("attribute {name} is not a whole number: {v}")),
        Some(_) => Err(format!("attribute {name} is not a number")),
        None => Err(format!("attribute {name} is missing")),
    }
}

fn corrupt(tgw: &TgwId, what: &str) -> StoreError {
    StoreError::Other(format!("state of {tgw} is malformed: {what}"))
}

// ---- errors --------------------------------------------------------------------------------

/// The store's error for a failure of `op` on `table`, by the shared classification. A failed
/// condition never gets here in normal use: callers check [`Class::ConditionFailed`] first and
/// turn it into `Conflict` or `false`.
fn classify(op: &str, table: &str, failure: Failure) -> StoreError {
    let message = failure.message();
    match (failure.class(), &failure) {
        (_, Failure::NoAnswer { .. }) => {
            StoreError::Unavailable(format!("{op} on table {table}: {message}"))
        }
        (_, Failure::NotSent { .. }) => StoreError::Other(format!(
            "{op} on table {table}: request not sent: {message}"
        )),
        (Class::Throttled, _) => StoreError::Unavailable(format!(
            "{op} on table {table}: throttled ({}): {message}",
            failure.code().unwrap_or("429")
        )),
        (Class::NotFound, _) => StoreError::NotFound(format!(
            "table {table} does not exist: create it with `tgw-ha table create` or deploy the \
             template ({op}: {message})"
        )),
        (Class::AccessDenied, _) => StoreError::AccessDenied(format!(
            "{op} on table {table}: access denied: {message} (the role needs dynamodb:{op} on \
             the table)"
        )),
        (Class::Unavailable, _) => {
            StoreError::Unavailable(format!("{op} on table {table}: {message}"))
        }
        (Class::ConditionFailed | Class::Other, _) => StoreError::Other(format!(
            "{op} on table {table}: {}: {message}",
            failure.code_or_status()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, code: &str) -> Failure {
        Failure::answer(status, code, "dynamodb says no")
    }

    #[test]
    fn classify_table() {
        let kind = |f: &Failure, e: &StoreError| match e {
            _ if f.class() == Class::ConditionFailed => "condition",
            StoreError::Unavailable(_) => "unavailable",
            StoreError::NotFound(_) => "not-found",
            StoreError::AccessDenied(_) => "denied",
            StoreError::Other(_) => "other",
            StoreError::Conflict { .. } => "conflict",
        };
        let cases = [
            (answer(400, "ConditionalCheckFailedException"), "condition"),
            (
                answer(
                    400,
                    "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                ),
                "condition",
            ),
            (
                answer(400, "ProvisionedThroughputExceededException"),
                "unavailable",
            ),
            (answer(400, "ThrottlingException"), "unavailable"),
            (answer(400, "RequestLimitExceeded"), "unavailable"),
            (answer(429, "Whatever"), "unavailable"),
            (answer(500, "InternalServerError"), "unavailable"),
            (answer(503, "ServiceUnavailable"), "unavailable"),
            (answer(400, "TransactionConflictException"), "unavailable"),
            (answer(400, "ResourceNotFoundException"), "not-found"),
            (answer(400, "AccessDeniedException"), "denied"),
            (answer(400, "ValidationException"), "other"),
            (
                Failure::NoAnswer {
                    message: "connection refused".into(),
                },
                "unavailable",
            ),
            (
                Failure::NotSent {
                    message: "no credentials".into(),
                },
                "other",
            ),
        ];
        for (failure, want) in cases {
            let got = classify("PutItem", "tgw-ha", failure.clone());
            assert_eq!(kind(&failure, &got), want, "{failure:?} gave {got}");
        }
    }

    #[test]
    fn missing_table_says_how_to_create_it() {
        let got = classify(
            "GetItem",
            "ledger",
            answer(400, "ResourceNotFoundException"),
        );
        let text = got.to_string();
        assert!(text.contains("table ledger does not exist"), "{text}");
        assert!(text.contains("tgw-ha table create"), "{text}");
        assert!(!got.is_retryable());
    }

    #[test]
    fn access_denied_names_the_action() {
        let got = classify("Query", "t", answer(400, "AccessDeniedException"));
        assert!(got.to_string().contains("dynamodb:Query"), "{got}");
    }
}
