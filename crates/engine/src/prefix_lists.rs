//! [`PrefixListAdmin`]: the EC2 calls of prefix-list conversion (`tgw-ha prefix-lists`), a port
//! of its own beside [`Network`](crate::ports::Network), which the failover path keeps narrow.
//!
//! Reads return every page. Error conventions, so that the runner can make every step
//! idempotent ([`crate::conversion`]):
//! - the thing a delete removes is gone: [`NetError::RouteNotFound`] (its destination names the
//!   CIDR or the prefix list);
//! - the thing a create makes exists already: [`NetError::Rejected`] whose code contains
//!   `AlreadyExists` ([`already_exists`]);
//! - a list still settling from the previous change (`IncorrectState`): retryable
//!   [`NetError::Unavailable`];
//! - a stale `CurrentVersion`: `Rejected` with code `PrefixListVersionMismatch`
//!   ([`version_mismatch`]).

use crate::ports::NetError;
use async_trait::async_trait;
use tgw_ha_core::conversion::{ManagedPrefixList, PrefixListReference};
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId};

/// Managed prefix lists, prefix-list references and static routes, as conversion needs them.
#[async_trait]
pub trait PrefixListAdmin: Send + Sync {
    /// Customer-managed lists named `name` (DescribeManagedPrefixLists, filter
    /// `prefix-list-name`), without their entries. EC2 does not make names unique.
    async fn prefix_lists_named(&self, name: &str) -> Result<Vec<ManagedPrefixList>, NetError>;
    /// One list by id, without its entries; `None` when EC2 does not know it.
    async fn prefix_list(&self, id: &PrefixListId) -> Result<Option<ManagedPrefixList>, NetError>;
    /// The list's current entries (GetManagedPrefixListEntries), as CIDRs.
    async fn prefix_list_entries(&self, id: &PrefixListId) -> Result<Vec<String>, NetError>;
    /// Every prefix-list reference of `table`, whatever it points at.
    async fn references(&self, table: &RouteTableId) -> Result<Vec<PrefixListReference>, NetError>;
    /// How many routes `table` holds: static and propagated, a referenced list's entries
    /// included (they show as propagated routes). What the TGW's routes quota counts.
    async fn route_count(&self, table: &RouteTableId) -> Result<usize, NetError>;
    /// CreateManagedPrefixList (at most 100 entries), tagged `tags`; returns its id.
    async fn create_prefix_list(
        &self,
        name: &str,
        max_entries: u32,
        address_family: &str,
        entries: &[String],
        tags: &[(String, String)],
    ) -> Result<PrefixListId, NetError>;
    /// ModifyManagedPrefixList of entries (at most 100 added and removed together).
    async fn modify_entries(
        &self,
        id: &PrefixListId,
        current_version: u64,
        add: &[String],
        remove: &[String],
    ) -> Result<(), NetError>;
    /// ModifyManagedPrefixList of `MaxEntries` alone.
    async fn resize_prefix_list(&self, id: &PrefixListId, max_entries: u32)
    -> Result<(), NetError>;
    async fn delete_prefix_list(&self, id: &PrefixListId) -> Result<(), NetError>;
    async fn create_reference(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
        to: &AttachmentId,
    ) -> Result<(), NetError>;
    async fn delete_reference(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
    ) -> Result<(), NetError>;
    /// CreateTransitGatewayRoute: a static route to `to`.
    async fn create_route(
        &self,
        table: &RouteTableId,
        cidr: &str,
        to: &AttachmentId,
    ) -> Result<(), NetError>;
    /// DeleteTransitGatewayRoute of a static route.
    async fn delete_route(&self, table: &RouteTableId, cidr: &str) -> Result<(), NetError>;
}

/// The create's target exists already (a step done before a crash).
pub fn already_exists(e: &NetError) -> bool {
    matches!(e, NetError::Rejected { code, .. } if code.contains("AlreadyExists"))
}

/// The list changed since its version was read.
pub fn version_mismatch(e: &NetError) -> bool {
    matches!(e, NetError::Rejected { code, .. } if code == "PrefixListVersionMismatch")
}

/// An entry was added twice or removed while absent: what the runner read of the list is
/// stale (EC2's reads are eventually consistent).
pub fn stale_entries(e: &NetError) -> bool {
    matches!(e, NetError::Rejected { code, .. } if code == "InvalidPrefixListModification")
}
