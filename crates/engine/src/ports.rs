//! The narrow ports the engine drives. Each returns the project's own types; adapters (the sim,
//! the AWS SDK) translate. Every read returns *all* pages: paging is the adapter's business.

use async_trait::async_trait;
use std::sync::Arc;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId};
use tgw_ha_core::model::{Attachment, Route, RouteTable, VpnConnection};
use tgw_ha_core::planner::GroupEvent;
use tgw_ha_core::state::TgwState;

/// Errors of the network port. `is_retryable` drives the executor: throttling and server-side
/// failures are retried with backoff, everything else is final.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("{op}: throttled by ec2 (RequestLimitExceeded): {message}")]
    Throttled { op: String, message: String },
    #[error("{op}: ec2 unavailable or timed out: {message}")]
    Unavailable { op: String, message: String },
    #[error("{op}: route {destination} not found in {table}")]
    RouteNotFound {
        op: String,
        table: RouteTableId,
        destination: String,
    },
    #[error("{op}: access denied: {message} (the role needs ec2:{op})")]
    AccessDenied { op: String, message: String },
    #[error("{op}: {code}: {message}")]
    Rejected {
        op: String,
        code: String,
        message: String,
    },
}

impl NetError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            NetError::Throttled { .. } | NetError::Unavailable { .. }
        )
    }
    pub fn is_throttle(&self) -> bool {
        matches!(self, NetError::Throttled { .. })
    }
}

/// The EC2 side of a Transit Gateway.
#[async_trait]
pub trait Network: Send + Sync {
    /// Every VPN connection visible (DescribeVpnConnections does not paginate), with tags and
    /// tunnel telemetry. Deleted connections may be included, as EC2 does for a while.
    async fn vpn_connections(&self) -> Result<Vec<VpnConnection>, NetError>;
    /// The VPN attachments of one TGW (one paginated call maps every VPN to its attachment).
    async fn vpn_attachments(&self, tgw: &TgwId) -> Result<Vec<Attachment>, NetError>;
    async fn route_tables(&self, tgw: &TgwId) -> Result<Vec<RouteTable>, NetError>;
    /// Static routes of `table` that point at any of `attachments` (any state), plus every
    /// static blackhole route of the table (which may list no attachment). All pages, never
    /// silently truncated.
    async fn static_routes(
        &self,
        table: &RouteTableId,
        attachments: &[AttachmentId],
    ) -> Result<Vec<Route>, NetError>;
    /// Prefix-list references of `table` that point at any of `attachments`, plus blackhole
    /// references, as routes whose destination is the prefix list.
    async fn prefix_list_references(
        &self,
        table: &RouteTableId,
        attachments: &[AttachmentId],
    ) -> Result<Vec<Route>, NetError>;
    /// ReplaceTransitGatewayRoute. Replacing a route with its current target succeeds. A missing
    /// route is `RouteNotFound`. Not idempotency-keyed: the executor reads before it writes.
    async fn replace_route(
        &self,
        table: &RouteTableId,
        cidr: &str,
        to: &AttachmentId,
    ) -> Result<(), NetError>;
    /// ModifyTransitGatewayPrefixListReference: moves every CIDR of the list in one call.
    async fn modify_prefix_list_reference(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
        to: &AttachmentId,
    ) -> Result<(), NetError>;
}

/// Errors of the state store and the lease. Only `Conflict` and `Unavailable` are worth a retry;
/// the others need a person (create the table, grant the action, fix the data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("state of {tgw} changed since version {expected} (another writer): retry")]
    Conflict { tgw: TgwId, expected: u64 },
    /// Throttled, a server-side failure, no answer: retryable.
    #[error("state store unavailable: {0}")]
    Unavailable(String),
    /// The store itself is missing (a DynamoDB table not created).
    #[error("state store: {0}")]
    NotFound(String),
    /// The role may not make the call; the message names the IAM action.
    #[error("state store: {0}")]
    AccessDenied(String),
    #[error("state store: {0}")]
    Other(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Conflict { .. } | StoreError::Unavailable(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub value: T,
    /// 0 when nothing is stored yet.
    pub version: u64,
}

/// The ledger, per-group state and signals of each TGW, with compare-and-set.
#[async_trait]
pub trait StateStore: Send + Sync {
    async fn load(&self, tgw: &TgwId) -> Result<Versioned<TgwState>, StoreError>;
    /// Store `state` if the stored version is still `expected`; returns the new version.
    async fn save(&self, tgw: &TgwId, expected: u64, state: &TgwState) -> Result<u64, StoreError>;
}

/// One writer per TGW at a time. A lease expires on its own, so a crashed holder never blocks
/// the next run for longer than `ttl`.
#[async_trait]
pub trait Lease: Send + Sync {
    /// Take the lease unless another owner holds an unexpired one. `Ok(false)`: busy.
    async fn acquire(
        &self,
        tgw: &TgwId,
        owner: &str,
        ttl: std::time::Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Extend a lease this owner holds. `Ok(false)`: lost (expired and taken).
    async fn renew(
        &self,
        tgw: &TgwId,
        owner: &str,
        ttl: std::time::Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Release a lease this owner holds; releasing one it does not hold is a no-op.
    async fn release(&self, tgw: &TgwId, owner: &str) -> Result<(), StoreError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("notification failed: {0}")]
pub struct NotifyError(pub String);

/// Tells people (SNS in AWS). Called once per group event after the moves are applied.
#[async_trait]
pub trait Notifier: Send + Sync {
    async fn notify(&self, event: &GroupEvent, at: Timestamp) -> Result<(), NotifyError>;
}

/// Time, so that tests and the demo run on a virtual clock and never sleep for real.
#[async_trait]
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
    /// Return once `now() >= t` (at once if already past).
    async fn sleep_until(&self, t: Timestamp);
}

/// The real clock.
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "the one place that reads the real clock"
    )]
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
    async fn sleep_until(&self, t: Timestamp) {
        let d = (t - self.now()).to_std().unwrap_or_default();
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }
}

/// A notifier that drops everything (for `plan`, and for runs with no topic configured).
pub struct NoNotifier;

#[async_trait]
impl Notifier for NoNotifier {
    async fn notify(&self, _event: &GroupEvent, _at: Timestamp) -> Result<(), NotifyError> {
        Ok(())
    }
}

/// All the ports one engine runs on.
#[derive(Clone)]
pub struct Ports {
    pub network: Arc<dyn Network>,
    pub store: Arc<dyn StateStore>,
    pub lease: Arc<dyn Lease>,
    pub notifier: Arc<dyn Notifier>,
    pub clock: Arc<dyn Clock>,
}
