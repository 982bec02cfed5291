//! Customer-managed prefix lists in the world, the TGW's routes quota, and how a route table
//! resolves a destination.
//!
//! Contract (as EC2 documents it, AWS-FACTS.md "Managed prefix lists", "Quotas"):
//! - A list has a fixed `MaxEntries` (it can be changed, but not in the same call as its
//!   entries), a version that every change of its entries increments, and at most 100 entry
//!   additions or removals per call. A change that names a stale `CurrentVersion` is refused
//!   (`PrefixListVersionMismatch`); a list referenced by a route table cannot be deleted.
//! - Each entry of a list referenced by a TGW route table counts as one route of that TGW, and
//!   a TGW holds at most [`World::route_quota`] routes (10 000 by default) across its tables.
//!   Every mutator that would cross it (a static route, a reference, entries added to a
//!   referenced list) is refused and changes nothing.
//! - Resolution ([`World::resolve`]): the longest prefix wins; at an equal prefix a static
//!   route, then a prefix-list reference, then a propagated route.
//!
//! Error codes: `InvalidPrefixListID.NotFound`, `PrefixListVersionMismatch`,
//! `InvalidPrefixListModification` (an entry added twice or removed while absent) and
//! `IncorrectState` are codes EC2 and its SDK users are seen answering and handling for these
//! calls. EC2 documents no code for exceeding `MaxEntries` or the TGW's routes quota: the sim
//! answers `PrefixListMaxEntriesExceeded` and `RouteLimitExceeded` (the VPC route tables' code),
//! and for deleting a list still referenced, `DependencyViolation` — all three unconfirmed.

use crate::resources::{SimPrefixListReference, is_cidr};
use crate::sandbox::cidr::Cidr;
use crate::world::World;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId};

/// EC2's default routes quota per TGW, across all its route tables.
pub const DEFAULT_ROUTE_QUOTA: usize = 10_000;
/// EC2's default quota of entries per prefix list (`MaxEntries` cannot exceed it).
pub const MAX_ENTRIES_QUOTA: u32 = 1000;
/// At most this many entries added or removed by one call.
pub const ENTRIES_PER_CALL: usize = 100;
/// The owner of every resource of the world (the documentation account id).
pub const OWNER: &str = "111122223333";

fn ipv4() -> String {
    "IPv4".to_owned()
}

fn is_ipv4(s: &str) -> bool {
    s == "IPv4"
}

fn one() -> u64 {
    1
}

/// One entry of a managed prefix list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimPrefixListEntry {
    pub cidr: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A customer-managed prefix list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimManagedPrefixList {
    pub id: PrefixListId,
    pub name: String,
    pub max_entries: u32,
    #[serde(default)]
    pub entries: Vec<SimPrefixListEntry>,
    /// Incremented by every change of the entries; a new list is at version 1.
    #[serde(default = "one")]
    pub version: u64,
    /// `IPv4` or `IPv6`; default `IPv4`.
    #[serde(default = "ipv4", skip_serializing_if = "is_ipv4")]
    pub address_family: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

impl SimManagedPrefixList {
    pub fn cidrs(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.cidr.as_str())
    }

    pub fn has(&self, cidr: &str) -> bool {
        self.entries.iter().any(|e| e.cidr == cidr)
    }
}

/// Refusals of the prefix-list mutators, with EC2's codes (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("the prefix list id '{0}' does not exist")]
    NotFound(PrefixListId),
    #[error("prefix list {id} is at version {current}, not {given}: it changed since it was read")]
    VersionMismatch {
        id: PrefixListId,
        current: u64,
        given: u64,
    },
    #[error("prefix list {id} holds at most {max} entries; {wanted} were asked for")]
    MaxEntriesExceeded {
        id: PrefixListId,
        max: u32,
        wanted: usize,
    },
    #[error("{0}")]
    InvalidModification(String),
    #[error("{0}")]
    InvalidParameter(String),
    #[error(
        "transit gateway {tgw} would hold {wanted} routes (static, propagated and prefix-list entries); its quota is {quota}"
    )]
    RouteLimitExceeded {
        tgw: TgwId,
        wanted: usize,
        quota: usize,
    },
    #[error("prefix list {id} is referenced by {table}: delete the reference first")]
    InUse {
        id: PrefixListId,
        table: RouteTableId,
    },
    #[error("route table {0} not found")]
    RouteTableNotFound(RouteTableId),
    #[error("attachment {attachment} is not on {tgw}, the transit gateway of {table}")]
    AttachmentNotFound {
        attachment: AttachmentId,
        table: RouteTableId,
        tgw: TgwId,
    },
    #[error("prefix list reference {prefix_list} already exists in {table}")]
    ReferenceExists {
        table: RouteTableId,
        prefix_list: PrefixListId,
    },
    #[error("prefix list reference {prefix_list} not found in {table}")]
    ReferenceNotFound {
        table: RouteTableId,
        prefix_list: PrefixListId,
    },
}

impl ListError {
    /// EC2's error code for this answer.
    pub fn code(&self) -> &'static str {
        match self {
            ListError::NotFound(_) => "InvalidPrefixListID.NotFound",
            ListError::VersionMismatch { .. } => "PrefixListVersionMismatch",
            ListError::MaxEntriesExceeded { .. } => "PrefixListMaxEntriesExceeded",
            ListError::InvalidModification(_) => "InvalidPrefixListModification",
            ListError::InvalidParameter(_) => "InvalidParameterValue",
            ListError::RouteLimitExceeded { .. } => "RouteLimitExceeded",
            ListError::InUse { .. } => "DependencyViolation",
            ListError::RouteTableNotFound(_) => "InvalidRouteTableID.NotFound",
            ListError::AttachmentNotFound { .. } => "InvalidTransitGatewayAttachmentID.NotFound",
            ListError::ReferenceExists { .. } => "PrefixListReferenceAlreadyExists",
            ListError::ReferenceNotFound { .. } => "InvalidPrefixListReference.NotFound",
        }
    }
}

/// What a route table does with a destination: the route that wins and where it sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The winning route's prefix.
    pub prefix: String,
    pub kind: ResolvedKind,
    /// `None`: a blackhole.
    pub attachment: Option<AttachmentId>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResolvedKind {
    Static,
    PrefixList(PrefixListId),
    Propagated,
}

impl ResolvedKind {
    /// Lower wins at an equal prefix.
    fn rank(&self) -> u8 {
        match self {
            ResolvedKind::Static => 0,
            ResolvedKind::PrefixList(_) => 1,
            ResolvedKind::Propagated => 2,
        }
    }
}

/// Changes of one ModifyManagedPrefixList call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListChange {
    pub current_version: Option<u64>,
    pub add: Vec<SimPrefixListEntry>,
    pub remove: Vec<String>,
    pub max_entries: Option<u32>,
    pub name: Option<String>,
}

/// A deterministic id for the `n`-th list named `name` (FNV-1a), shaped like EC2's.
fn list_id(name: &str, n: usize) -> PrefixListId {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes().chain(n.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    PrefixListId::new(format!("pl-0{h:016x}"))
}

impl World {
    /// The TGW's routes quota (EC2's default unless the world sets one).
    pub fn route_quota(&self) -> usize {
        self.route_quota.unwrap_or(DEFAULT_ROUTE_QUOTA)
    }

    pub fn managed_prefix_list(&self, id: &PrefixListId) -> Option<&SimManagedPrefixList> {
        self.managed_prefix_lists.iter().find(|p| &p.id == id)
    }

    fn list_mut(&mut self, id: &PrefixListId) -> Result<&mut SimManagedPrefixList, ListError> {
        self.managed_prefix_lists
            .iter_mut()
            .find(|p| &p.id == id)
            .ok_or_else(|| ListError::NotFound(id.clone()))
    }

    /// The CIDRs a reference routes: its managed list's entries when the world has the list;
    /// otherwise the reference's own `cidrs` (worlds written before lists were modelled).
    pub fn reference_entries(&self, p: &SimPrefixListReference) -> Vec<String> {
        match self.managed_prefix_list(&p.prefix_list_id) {
            Some(l) => l.cidrs().map(str::to_owned).collect(),
            None => p.cidrs.clone(),
        }
    }

    fn tgw_of(&self, table: &RouteTableId) -> Option<&TgwId> {
        self.route_table(table).map(|t| &t.transit_gateway_id)
    }

    /// Every route the TGW holds across its tables: static and propagated routes, and one per
    /// entry of each referenced prefix list (AWS-FACTS.md "Quotas").
    pub fn tgw_route_count(&self, tgw: &TgwId) -> usize {
        let tables: BTreeSet<&RouteTableId> = self
            .route_tables
            .iter()
            .filter(|t| &t.transit_gateway_id == tgw)
            .map(|t| &t.id)
            .collect();
        let routes = self
            .routes
            .iter()
            .filter(|r| tables.contains(&r.table))
            .count();
        let entries: usize = self
            .prefix_list_references
            .iter()
            .filter(|p| tables.contains(&p.table))
            .map(|p| self.reference_entries(p).len())
            .sum();
        routes + entries
    }

    /// Refuse `added` more routes on the TGW of `table` if the quota would be crossed.
    pub fn check_route_quota(&self, table: &RouteTableId, added: usize) -> Result<(), ListError> {
        let Some(tgw) = self.tgw_of(table) else {
            return Err(ListError::RouteTableNotFound(table.clone()));
        };
        let wanted = self.tgw_route_count(tgw) + added;
        if added > 0 && wanted > self.route_quota() {
            return Err(ListError::RouteLimitExceeded {
                tgw: tgw.clone(),
                wanted,
                quota: self.route_quota(),
            });
        }
        Ok(())
    }

    /// CreateManagedPrefixList. Entries are checked as EC2 does: CIDRs of the list's family,
    /// no duplicates, at most `max_entries` and 100 per call.
    pub fn create_managed_prefix_list(
        &mut self,
        name: &str,
        max_entries: u32,
        address_family: &str,
        entries: Vec<SimPrefixListEntry>,
        tags: BTreeMap<String, String>,
    ) -> Result<PrefixListId, ListError> {
        if name.is_empty() || name.len() > 255 || name.starts_with("com.amazonaws") {
            return Err(ListError::InvalidParameter(format!(
                "invalid prefix list name '{name}'"
            )));
        }
        if !(1..=MAX_ENTRIES_QUOTA).contains(&max_entries) {
            return Err(ListError::InvalidParameter(format!(
                "MaxEntries must lie within 1 and {MAX_ENTRIES_QUOTA}, not {max_entries}"
            )));
        }
        if address_family != "IPv4" && address_family != "IPv6" {
            return Err(ListError::InvalidParameter(format!(
                "AddressFamily must be IPv4 or IPv6, not '{address_family}'"
            )));
        }
        let id = list_id(name, self.managed_prefix_lists.len());
        let mut list = SimManagedPrefixList {
            id: id.clone(),
            name: name.to_owned(),
            max_entries,
            entries: vec![],
            version: 1,
            address_family: address_family.to_owned(),
            tags,
        };
        add_entries(&mut list, entries)?;
        self.managed_prefix_lists.push(list);
        Ok(id)
    }

    /// ModifyManagedPrefixList: entries (and the version) or `MaxEntries`, not both at once.
    /// A stale `current_version` is refused; so is an entry change on a referenced list that
    /// would cross a TGW's routes quota.
    pub fn modify_managed_prefix_list(
        &mut self,
        id: &PrefixListId,
        change: ListChange,
    ) -> Result<(), ListError> {
        let entries_change = !change.add.is_empty() || !change.remove.is_empty();
        if entries_change && change.max_entries.is_some() {
            return Err(ListError::InvalidParameter(
                "you cannot modify the entries of a prefix list and its size at the same time"
                    .into(),
            ));
        }
        if change.add.len() + change.remove.len() > ENTRIES_PER_CALL {
            return Err(ListError::InvalidParameter(format!(
                "the request cannot contain more than {ENTRIES_PER_CALL} entry additions or removals"
            )));
        }
        let mut list = self
            .managed_prefix_list(id)
            .cloned()
            .ok_or_else(|| ListError::NotFound(id.clone()))?;
        if let Some(given) = change.current_version
            && given != list.version
        {
            return Err(ListError::VersionMismatch {
                id: id.clone(),
                current: list.version,
                given,
            });
        }
        if entries_change && change.current_version.is_none() {
            // EC2's model marks it optional, but EC2 refuses entry changes without it (the
            // SDK users' reports agree): the version is how concurrent writers are caught.
            return Err(ListError::InvalidParameter(
                "CurrentVersion is required to modify the entries of a prefix list".into(),
            ));
        }
        for cidr in &change.remove {
            let Some(i) = list.entries.iter().position(|e| &e.cidr == cidr) else {
                return Err(ListError::InvalidModification(format!(
                    "the entry {cidr} of prefix list {id} does not exist."
                )));
            };
            list.entries.remove(i);
        }
        let before = list.entries.len();
        add_entries(&mut list, change.add)?;
        let added = list.entries.len().saturating_sub(before);
        if let Some(max) = change.max_entries {
            if !(1..=MAX_ENTRIES_QUOTA).contains(&max) || (max as usize) < list.entries.len() {
                return Err(ListError::InvalidParameter(format!(
                    "MaxEntries {max} of {id}: must hold its {} entries and lie within 1 and {MAX_ENTRIES_QUOTA}",
                    list.entries.len()
                )));
            }
            list.max_entries = max;
        }
        if let Some(name) = change.name {
            list.name = name;
        }
        if entries_change {
            list.version += 1;
            // Each table referencing the list gains the added entries as routes.
            let mut per_tgw: BTreeMap<TgwId, usize> = BTreeMap::new();
            for p in self
                .prefix_list_references
                .iter()
                .filter(|p| &p.prefix_list_id == id)
            {
                if let Some(t) = self.tgw_of(&p.table) {
                    *per_tgw.entry(t.clone()).or_default() += added;
                }
            }
            for (tgw, more) in per_tgw {
                let wanted = self.tgw_route_count(&tgw) + more;
                if more > 0 && wanted > self.route_quota() {
                    return Err(ListError::RouteLimitExceeded {
                        tgw,
                        wanted,
                        quota: self.route_quota(),
                    });
                }
            }
        }
        *self.list_mut(id)? = list;
        Ok(())
    }

    /// DeleteManagedPrefixList; refused while a route table references the list.
    pub fn delete_managed_prefix_list(&mut self, id: &PrefixListId) -> Result<(), ListError> {
        let i = self
            .managed_prefix_lists
            .iter()
            .position(|p| &p.id == id)
            .ok_or_else(|| ListError::NotFound(id.clone()))?;
        if let Some(p) = self
            .prefix_list_references
            .iter()
            .find(|p| &p.prefix_list_id == id)
        {
            return Err(ListError::InUse {
                id: id.clone(),
                table: p.table.clone(),
            });
        }
        self.managed_prefix_lists.remove(i);
        Ok(())
    }

    /// CreateTransitGatewayPrefixListReference to a managed list of the world: its entries
    /// become routes of the table (within the TGW's quota).
    pub fn create_list_reference(
        &mut self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
        to: Option<&AttachmentId>,
    ) -> Result<(), ListError> {
        let tgw = self
            .tgw_of(table)
            .cloned()
            .ok_or_else(|| ListError::RouteTableNotFound(table.clone()))?;
        if let Some(a) = to {
            let ok = self
                .attachment(a)
                .is_some_and(|x| x.transit_gateway_id == tgw && x.state != "deleted");
            if !ok {
                return Err(ListError::AttachmentNotFound {
                    attachment: a.clone(),
                    table: table.clone(),
                    tgw,
                });
            }
        }
        let entries = self
            .managed_prefix_list(prefix_list)
            .ok_or_else(|| ListError::NotFound(prefix_list.clone()))?
            .entries
            .len();
        if self.prefix_list_reference(table, prefix_list).is_some() {
            return Err(ListError::ReferenceExists {
                table: table.clone(),
                prefix_list: prefix_list.clone(),
            });
        }
        self.check_route_quota(table, entries)?;
        self.prefix_list_references.push(SimPrefixListReference {
            table: table.clone(),
            prefix_list_id: prefix_list.clone(),
            attachment: to.cloned(),
            blackhole: to.is_none(),
            cidrs: vec![],
        });
        Ok(())
    }

    /// What `table` does with `destination` (a CIDR): the covering route with the longest
    /// prefix; at an equal prefix static, then prefix-list reference, then propagated.
    /// `None`: no route covers it.
    pub fn resolve(&self, table: &RouteTableId, destination: &str) -> Option<Resolved> {
        let dest = Cidr::parse(destination)?;
        let mut candidates: Vec<(u8, Resolved)> = Vec::new();
        let mut consider = |prefix: &str, kind: ResolvedKind, attachment: Option<AttachmentId>| {
            if let Some(c) = Cidr::parse(prefix)
                && c.contains(&dest)
            {
                candidates.push((
                    c.prefix_len(),
                    Resolved {
                        prefix: prefix.to_owned(),
                        kind,
                        attachment,
                    },
                ));
            }
        };
        for r in self.routes_in(table) {
            let kind = if r.is_static() {
                ResolvedKind::Static
            } else {
                ResolvedKind::Propagated
            };
            consider(&r.destination, kind, r.attachment.clone());
        }
        for p in self
            .prefix_list_references
            .iter()
            .filter(|p| &p.table == table)
        {
            for cidr in self.reference_entries(p) {
                let to = if p.blackhole {
                    None
                } else {
                    p.attachment.clone()
                };
                consider(
                    &cidr,
                    ResolvedKind::PrefixList(p.prefix_list_id.clone()),
                    to,
                );
            }
        }
        candidates
            .into_iter()
            .min_by(|a, b| {
                b.0.cmp(&a.0)
                    .then_with(|| a.1.kind.rank().cmp(&b.1.kind.rank()))
                    .then_with(|| a.1.kind.cmp(&b.1.kind))
            })
            .map(|(_, r)| r)
    }
}

fn add_entries(
    list: &mut SimManagedPrefixList,
    entries: Vec<SimPrefixListEntry>,
) -> Result<(), ListError> {
    if entries.len() > ENTRIES_PER_CALL {
        return Err(ListError::InvalidParameter(format!(
            "the request cannot contain more than {ENTRIES_PER_CALL} entry additions or removals"
        )));
    }
    let v6 = list.address_family == "IPv6";
    for e in entries {
        if !is_cidr(&e.cidr) || e.cidr.contains(':') != v6 {
            return Err(ListError::InvalidParameter(format!(
                "{} is not an {} cidr block",
                e.cidr, list.address_family
            )));
        }
        if list.has(&e.cidr) {
            return Err(ListError::InvalidModification(format!(
                "the entry {} already exists in prefix list {}.",
                e.cidr, list.id
            )));
        }
        list.entries.push(e);
    }
    if list.entries.len() > list.max_entries as usize {
        return Err(ListError::MaxEntriesExceeded {
            id: list.id.clone(),
            max: list.max_entries,
            wanted: list.entries.len(),
        });
    }
    Ok(())
}
