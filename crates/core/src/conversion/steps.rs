//! The conversion plan's vocabulary: one idempotent EC2 write ([`Step`]) and the ordered plan
//! of a direction ([`ConversionPlan`]) with the route counts and failover estimates it is
//! judged by. Plain data, printed by `plan` and run step by step by the engine.

use super::{Direction, FailoverEstimate};
use crate::action::Ec2Action;
use crate::ids::{AttachmentId, GroupName, PrefixListId, RouteTableId, TgwId};
use crate::model::RouteKey;
use crate::state::LedgerEntry;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One idempotent EC2 write. "The list" is the group's list ([`ConversionPlan::list`], or the
/// one [`Step::CreateList`] creates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// CreateManagedPrefixList, tagged [`OWNER_TAG`](super::OWNER_TAG) = group, with at most 100 entries.
    CreateList {
        name: String,
        max_entries: u32,
        address_family: String,
        entries: Vec<String>,
    },
    /// ModifyManagedPrefixList `MaxEntries` (never in the same call as entries).
    ResizeList { max_entries: u32 },
    /// ModifyManagedPrefixList adding at most 100 entries.
    AddEntries { entries: Vec<String> },
    /// CreateTransitGatewayPrefixListReference of the list in `table`, to `to`.
    CreateReference {
        table: RouteTableId,
        to: AttachmentId,
        /// Written to the ledger before the call (the reference is not on the primary). While the
        /// list does not exist yet, its key names the list by its name, not its id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        record: Option<LedgerEntry>,
    },
    /// DeleteTransitGatewayRoute of a static route the reference replaces.
    DeleteRoute {
        table: RouteTableId,
        cidr: String,
        /// Removed from the ledger after the call.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        forget: Option<RouteKey>,
    },
    /// CreateTransitGatewayRoute of a static route to `to` (revert).
    CreateRoute {
        table: RouteTableId,
        cidr: String,
        to: AttachmentId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        record: Option<LedgerEntry>,
    },
    /// DeleteTransitGatewayPrefixListReference of the list in `table` (revert).
    DeleteReference {
        table: RouteTableId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        forget: Option<RouteKey>,
    },
    /// DeleteManagedPrefixList (revert; only a list tgw-ha created).
    DeleteList,
    /// Nothing to call: wait until what `table` shows settles (a reference not yet
    /// `available`, static routes still `pending`) before the steps that rely on it.
    Wait { table: RouteTableId, reason: String },
}

impl Step {
    /// The EC2 action this step calls; `None` for a wait, which calls nothing.
    pub fn ec2_action(&self) -> Option<Ec2Action> {
        Some(match self {
            Step::CreateList { .. } => Ec2Action::CreateManagedPrefixList,
            Step::ResizeList { .. } | Step::AddEntries { .. } => Ec2Action::ModifyManagedPrefixList,
            Step::CreateReference { .. } => Ec2Action::CreateTransitGatewayPrefixListReference,
            Step::DeleteRoute { .. } => Ec2Action::DeleteTransitGatewayRoute,
            Step::CreateRoute { .. } => Ec2Action::CreateTransitGatewayRoute,
            Step::DeleteReference { .. } => Ec2Action::DeleteTransitGatewayPrefixListReference,
            Step::DeleteList => Ec2Action::DeleteManagedPrefixList,
            Step::Wait { .. } => return None,
        })
    }

    /// The step's name in reports: its EC2 action, or `Wait`.
    pub fn action(&self) -> &'static str {
        self.ec2_action().map_or("Wait", Ec2Action::as_str)
    }

    /// The table the step writes in, if any.
    pub fn table(&self) -> Option<&RouteTableId> {
        match self {
            Step::CreateReference { table, .. }
            | Step::DeleteRoute { table, .. }
            | Step::CreateRoute { table, .. }
            | Step::DeleteReference { table, .. }
            | Step::Wait { table, .. } => Some(table),
            _ => None,
        }
    }

    /// Static-route writes of one table can run concurrently; every other step runs alone, in
    /// order, because what follows depends on it.
    pub fn is_route_write(&self) -> bool {
        matches!(self, Step::DeleteRoute { .. } | Step::CreateRoute { .. })
    }

    /// A one-line description for people.
    pub fn describe(&self, list: &str) -> String {
        match self {
            Step::CreateList {
                name,
                max_entries,
                entries,
                ..
            } => format!(
                "create prefix list {name} (max {max_entries} entries) with {} entries",
                entries.len()
            ),
            Step::ResizeList { max_entries } => {
                format!("resize {list} to {max_entries} entries")
            }
            Step::AddEntries { entries } => format!("add {} entries to {list}", entries.len()),
            Step::CreateReference { table, to, record } => format!(
                "reference {list} in {table} → {to}{}",
                if record.is_some() { " (ledger)" } else { "" }
            ),
            Step::DeleteRoute { table, cidr, .. } => {
                format!("delete static route {cidr} in {table}")
            }
            Step::CreateRoute {
                table, cidr, to, ..
            } => format!("create static route {cidr} in {table} → {to}"),
            Step::DeleteReference { table, .. } => format!("delete reference {list} in {table}"),
            Step::DeleteList => format!("delete prefix list {list}"),
            Step::Wait { table, reason } => format!("wait: {table} {reason}"),
        }
    }
}

/// What `convert` or `revert` would do, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversionPlan {
    pub group: GroupName,
    pub tgw: TgwId,
    pub direction: Direction,
    pub list_name: String,
    /// The group's list, when it exists already.
    pub list: Option<PrefixListId>,
    /// The CIDRs the group routes (the list's entries once converted).
    pub entries: Vec<String>,
    /// The member the group's routes point at (and the references and routes created will).
    pub target: Option<AttachmentId>,
    /// The tables that route the group's CIDRs.
    pub tables: Vec<RouteTableId>,
    pub steps: Vec<Step>,
    pub routes_before: usize,
    /// The most routes the TGW holds at any step.
    pub routes_peak: usize,
    pub routes_after: usize,
    /// A failover of the group now, and once the plan is carried out.
    pub failover_before: FailoverEstimate,
    pub failover_after: FailoverEstimate,
    pub notes: Vec<String>,
}

impl ConversionPlan {
    /// How the list is named in step descriptions.
    pub fn list_label(&self) -> String {
        match &self.list {
            Some(id) => format!("{id} ({})", self.list_name),
            None => self.list_name.clone(),
        }
    }

    pub fn is_done(&self) -> bool {
        self.steps.is_empty()
    }

    /// EC2 write calls by action.
    pub fn calls(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for s in self
            .steps
            .iter()
            .filter(|s| !matches!(s, Step::Wait { .. }))
        {
            *out.entry(s.action()).or_default() += 1;
        }
        out
    }
}
