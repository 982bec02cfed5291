//! Prefix-list conversion, pure: turn a group's static CIDR routes into one customer-managed
//! prefix list referenced in every route table that routes them (`convert`), or back
//! (`revert`); and the failover time a group's routes cost at EC2's write rate ([`estimate`]).
//!
//! Why: EC2 moves a static route per call, at 5 calls per second after a burst of 50
//! (AWS-FACTS.md), so 5 000 routes take 16.5 minutes to fail over. A prefix-list reference moves
//! every CIDR of its list in one call: after conversion a failover is one call per table.
//!
//! Safety — at no step is a destination without a route. At an equal prefix a static route wins
//! over a prefix-list reference (AWS-FACTS.md), so `convert` first makes the list hold every
//! CIDR, then per table adds the reference (traffic still follows the static routes) and only
//! then deletes the static routes it replaces (traffic follows the reference, to the same
//! member). `revert` is the mirror: per table, static routes to the reference's member first
//! (they win at once), then the reference. Tables are done one after the other so that the
//! TGW's route count (each list entry counts as a route) is at most one table's worth above
//! where it started.
//!
//! Resumable: the plan is a function of the observed world only, and every step is idempotent
//! (the runner treats "already done" as success), so a conversion interrupted anywhere is
//! finished by planning again from what is observed then: a list that exists is reused (found
//! by its name, `tgw-ha-<group>`), a table that already has the reference only loses its
//! static routes, and so on. Routes that leave the group's primary (a reference or a static
//! route created on a backup because the group is failed over) are recorded in the ledger
//! before they are created, as every move is, so that they are failed back later.
//!
//! Refused, with the reason ([`ConversionError`]): a group whose routes point at several members
//! (a move under way or failed) or at a blackhole; tables that route different sets of the
//! group's CIDRs (one list cannot express that); a table that already references another list
//! holding some of these CIDRs; more CIDRs than a list may hold; a peak above the TGW's routes
//! quota; IPv4 and IPv6 routes in one group (a list holds one address family).

use crate::Timestamp;
use crate::groups::Group;
use crate::ids::{AttachmentId, GroupName, PrefixListId, RouteTableId, TgwId};
use crate::model::{Destination, Route, RouteKey, RouteState, RouteType};
use crate::state::LedgerEntry;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The tag key tgw-ha puts on the lists it creates; its value is the group's name. `revert`
/// deletes a list only if it carries it.
pub const OWNER_TAG: &str = "tgw-ha:group";
/// At most this many entries are added or removed by one ModifyManagedPrefixList (EC2's limit),
/// and given to one CreateManagedPrefixList.
pub const ENTRIES_PER_CALL: usize = 100;
/// The ledger's `decision` for routes recorded by a conversion.
pub const DECISION: &str = "prefix-list-conversion";
/// EC2's write budget (AWS-FACTS.md): a burst of 50, then 5 per second.
pub const WRITE_BURST: usize = 50;
pub const WRITES_PER_SECOND: f64 = 5.0;
/// One round trip of a write, assumed (EC2 publishes no latency figure).
pub const ROUND_TRIP_SECONDS: f64 = 0.1;
/// Above this estimated failover time, `status` suggests converting.
pub const SUGGEST_ABOVE_SECONDS: f64 = 30.0;

/// The name of the list tgw-ha keeps for `group`.
pub fn list_name(group: &GroupName) -> String {
    format!("tgw-ha-{group}")
}

/// A customer-managed prefix list as observed: DescribeManagedPrefixLists plus its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPrefixList {
    pub id: PrefixListId,
    pub name: String,
    pub max_entries: u32,
    pub version: u64,
    /// `IPv4` or `IPv6`.
    pub address_family: String,
    /// EC2's state (`create-complete`, `modify-in-progress`, …).
    pub state: String,
    pub entries: Vec<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// A prefix-list reference of a TGW route table, whatever it points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixListReference {
    pub table: RouteTableId,
    pub prefix_list: PrefixListId,
    /// `None`: a blackhole reference.
    pub attachment: Option<AttachmentId>,
    /// EC2's state: `available` once its routes are in the table (`pending`, `modifying`,
    /// `deleting` before).
    pub state: String,
}

impl PrefixListReference {
    pub fn is_available(&self) -> bool {
        self.state == "available"
    }
}

/// EC2's limits that a conversion must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Routes per TGW across its tables, list entries included (default 10 000).
    pub route_quota: usize,
    /// Entries per prefix list (default 1 000).
    pub max_entries: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            route_quota: 10_000,
            max_entries: 1000,
        }
    }
}

/// `MaxEntries` for a list of `n` entries: room to add a quarter more (at least 10), within the
/// quota.
pub fn max_entries_for(n: usize, quota: u32) -> u32 {
    let headroom = n.div_ceil(4).max(10);
    (n + headroom).min(quota as usize).max(1) as u32
}

/// Everything the plan needs, as observed in one pass.
#[derive(Debug, Clone)]
pub struct ConversionInput<'a> {
    pub group: &'a Group,
    /// Every route table of the group's TGW.
    pub tables: &'a [RouteTableId],
    /// Static routes of those tables that point at a member of the group, and blackhole static
    /// routes (as the `Network` port returns them); other routes are ignored.
    pub statics: &'a [Route],
    /// Every prefix-list reference of those tables, whatever it points at.
    pub references: &'a [PrefixListReference],
    /// Every list named [`list_name`] of the group (more than one is refused).
    pub lists: &'a [ManagedPrefixList],
    /// Entries of the other lists referenced in those tables (`None`: could not be read).
    pub other_entries: &'a BTreeMap<PrefixListId, Option<Vec<String>>>,
    /// The TGW's ledger.
    pub ledger: &'a [LedgerEntry],
    /// Routes the TGW holds now across its tables (static, propagated, list entries).
    pub routes_in_tgw: usize,
    pub limits: Limits,
    /// Dates the ledger entries the plan records.
    pub now: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Convert,
    Revert,
}

impl Direction {
    pub fn as_str(&self) -> &'static str {
        match self {
            Direction::Convert => "convert",
            Direction::Revert => "revert",
        }
    }
}

/// One idempotent EC2 write. "The list" is the group's list ([`ConversionPlan::list`], or the
/// one [`Step::CreateList`] creates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// CreateManagedPrefixList, tagged [`OWNER_TAG`] = group, with at most 100 entries.
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
    /// The EC2 action this step calls.
    pub fn action(&self) -> &'static str {
        match self {
            Step::CreateList { .. } => "CreateManagedPrefixList",
            Step::ResizeList { .. } | Step::AddEntries { .. } => "ModifyManagedPrefixList",
            Step::CreateReference { .. } => "CreateTransitGatewayPrefixListReference",
            Step::DeleteRoute { .. } => "DeleteTransitGatewayRoute",
            Step::CreateRoute { .. } => "CreateTransitGatewayRoute",
            Step::DeleteReference { .. } => "DeleteTransitGatewayPrefixListReference",
            Step::DeleteList => "DeleteManagedPrefixList",
            Step::Wait { .. } => "Wait",
        }
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

/// Why a conversion is refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ConversionError {
    #[error(
        "group {group}'s routes point at several members ({}): a move is under way or failed; run `tgw-ha reconcile` first",
        targets.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
    )]
    Split {
        group: GroupName,
        targets: Vec<AttachmentId>,
    },
    #[error(
        "group {group}'s route {destination} in {table} is a blackhole: run `tgw-ha reconcile` first"
    )]
    Blackhole {
        group: GroupName,
        table: RouteTableId,
        destination: String,
    },
    #[error(
        "prefix list {prefix_list} (the group's) is referenced in {table} to {target}, which is not a member of group {group}"
    )]
    ForeignTarget {
        group: GroupName,
        table: RouteTableId,
        prefix_list: PrefixListId,
        target: String,
    },
    #[error(
        "group {group}'s routes differ per table: {table} routes {routed} of its {total} CIDRs (missing {}); one prefix list cannot express that — make every table route the same CIDRs, or keep the group's routes static",
        sample(missing)
    )]
    Inconsistent {
        group: GroupName,
        table: RouteTableId,
        routed: usize,
        total: usize,
        missing: Vec<String>,
    },
    #[error(
        "{table} already references prefix list {prefix_list}, which also holds {} of group {group}'s CIDRs: two references for one prefix would compete",
        sample(cidrs)
    )]
    ConflictingReference {
        group: GroupName,
        table: RouteTableId,
        prefix_list: PrefixListId,
        cidrs: Vec<String>,
    },
    #[error(
        "{table} references prefix list {prefix_list}, whose entries cannot be read: cannot tell whether it conflicts with group {group}'s CIDRs"
    )]
    UnreadableReference {
        group: GroupName,
        table: RouteTableId,
        prefix_list: PrefixListId,
    },
    #[error(
        "group {group} routes {entries} CIDRs; a prefix list holds at most {quota} entries (quota)"
    )]
    TooManyEntries {
        group: GroupName,
        entries: usize,
        quota: u32,
    },
    #[error(
        "{tgw} would hold {peak} routes at the peak of this {direction} (it holds {now}; each prefix-list entry a table references counts as a route); its quota is {quota}"
    )]
    RouteQuota {
        tgw: TgwId,
        direction: &'static str,
        now: usize,
        peak: usize,
        quota: usize,
    },
    #[error(
        "group {group} has IPv4 and IPv6 routes; a prefix list holds one address family: not supported"
    )]
    MixedFamilies { group: GroupName },
    #[error(
        "{} prefix lists are named {name} ({}): keep one",
        lists.len(),
        lists.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ")
    )]
    AmbiguousList {
        name: String,
        lists: Vec<PrefixListId>,
    },
    #[error(
        "prefix list {prefix_list} holds {family} entries but group {group}'s routes are {wanted}"
    )]
    WrongFamily {
        group: GroupName,
        prefix_list: PrefixListId,
        family: String,
        wanted: String,
    },
}

fn sample(cidrs: &[String]) -> String {
    const SHOWN: usize = 5;
    if cidrs.len() <= SHOWN {
        cidrs.join(", ")
    } else {
        format!(
            "{}, … {} more",
            cidrs[..SHOWN].join(", "),
            cidrs.len() - SHOWN
        )
    }
}

/// Sort CIDRs by address, then prefix length (strings sort 10.10 before 10.9).
fn sort_cidrs(cidrs: &mut [String]) {
    cidrs.sort_by_key(|c| cidr_key(c));
}

fn cidr_key(c: &str) -> (u8, u128, u8, String) {
    let parsed = c.split_once('/').and_then(|(a, l)| {
        let addr: std::net::IpAddr = a.parse().ok()?;
        let len: u8 = l.parse().ok()?;
        Some(match addr {
            std::net::IpAddr::V4(v) => (4, u128::from(u32::from(v)), len),
            std::net::IpAddr::V6(v) => (6, u128::from(v), len),
        })
    });
    match parsed {
        Some((f, a, l)) => (f, a, l, String::new()),
        None => (9, 0, 0, c.to_owned()),
    }
}

fn family(c: &str) -> &'static str {
    if c.contains(':') { "IPv6" } else { "IPv4" }
}

/// What the observation says about the group, shared by both directions.
struct Seen<'a> {
    list: Option<&'a ManagedPrefixList>,
    /// Group static CIDR routes per table.
    statics: BTreeMap<&'a RouteTableId, BTreeMap<&'a str, &'a Route>>,
    /// The group list's references per table.
    refs: BTreeMap<&'a RouteTableId, &'a PrefixListReference>,
    targets: BTreeSet<&'a AttachmentId>,
    ledger: BTreeMap<&'a RouteKey, &'a LedgerEntry>,
}

fn observe<'a>(input: &ConversionInput<'a>) -> Result<Seen<'a>, ConversionError> {
    let group = input.group;
    let name = list_name(&group.name);
    let list = match input.lists {
        [] => None,
        [one] => Some(one),
        many => {
            return Err(ConversionError::AmbiguousList {
                name,
                lists: many.iter().map(|l| l.id.clone()).collect(),
            });
        }
    };
    let ledger: BTreeMap<&RouteKey, &LedgerEntry> =
        input.ledger.iter().map(|e| (&e.key, e)).collect();
    let home = &group.home().attachment;
    let mut statics: BTreeMap<&RouteTableId, BTreeMap<&str, &Route>> = BTreeMap::new();
    let mut targets = BTreeSet::new();
    for r in input.statics {
        if r.route_type != RouteType::Static {
            continue;
        }
        let Destination::Cidr(cidr) = &r.destination else {
            continue;
        };
        let recorded = ledger.get(&r.key()).is_some_and(|e| e.group == group.name);
        let ours = match &r.attachment {
            Some(a) if a == home => true,
            Some(a) => recorded && group.member_by_attachment(a).is_some(),
            None => {
                if recorded {
                    return Err(ConversionError::Blackhole {
                        group: group.name.clone(),
                        table: r.table.clone(),
                        destination: cidr.clone(),
                    });
                }
                false
            }
        };
        if let (true, Some(a)) = (ours, &r.attachment) {
            statics.entry(&r.table).or_default().insert(cidr, r);
            targets.insert(a);
        }
    }
    let mut refs = BTreeMap::new();
    if let Some(l) = list {
        for p in input.references.iter().filter(|p| p.prefix_list == l.id) {
            match &p.attachment {
                Some(a) if group.member_by_attachment(a).is_some() => {
                    refs.insert(&p.table, p);
                    targets.insert(a);
                }
                other => {
                    return Err(ConversionError::ForeignTarget {
                        group: group.name.clone(),
                        table: p.table.clone(),
                        prefix_list: l.id.clone(),
                        target: other
                            .as_ref()
                            .map_or_else(|| "a blackhole".to_owned(), |a| a.to_string()),
                    });
                }
            }
        }
    }
    if targets.len() > 1 {
        return Err(ConversionError::Split {
            group: group.name.clone(),
            targets: targets.into_iter().cloned().collect(),
        });
    }
    Ok(Seen {
        list,
        statics,
        refs,
        targets,
        ledger,
    })
}

fn ledger_entry(input: &ConversionInput, key: RouteKey, to: &AttachmentId) -> LedgerEntry {
    LedgerEntry {
        key,
        group: input.group.name.clone(),
        home: input.group.home().attachment.clone(),
        current: to.clone(),
        moved_at: input.now,
        decision: DECISION.to_owned(),
    }
}

/// The plan of `direction` for the input's group.
pub fn plan(
    input: &ConversionInput,
    direction: Direction,
) -> Result<ConversionPlan, ConversionError> {
    match direction {
        Direction::Convert => plan_convert(input),
        Direction::Revert => plan_revert(input),
    }
}

/// The group's routes as the planner keys them: its static routes and its list's references.
fn group_keys(seen: &Seen) -> Vec<RouteKey> {
    let mut keys: Vec<RouteKey> = seen
        .statics
        .values()
        .flat_map(|m| m.values().map(|r| r.key()))
        .collect();
    keys.extend(seen.refs.values().map(|p| RouteKey {
        table: p.table.clone(),
        destination: Destination::PrefixList(p.prefix_list.clone()),
    }));
    keys
}

fn empty_plan(input: &ConversionInput, direction: Direction, seen: &Seen) -> ConversionPlan {
    let now = estimate(&group_keys(seen));
    ConversionPlan {
        group: input.group.name.clone(),
        tgw: input.group.tgw.clone(),
        direction,
        list_name: list_name(&input.group.name),
        list: seen.list.map(|l| l.id.clone()),
        entries: vec![],
        target: seen.targets.iter().next().map(|a| (*a).clone()),
        tables: vec![],
        steps: vec![],
        routes_before: input.routes_in_tgw,
        routes_peak: input.routes_in_tgw,
        routes_after: input.routes_in_tgw,
        failover_before: now.clone(),
        failover_after: now,
        notes: vec![],
    }
}

fn plan_convert(input: &ConversionInput) -> Result<ConversionPlan, ConversionError> {
    let group = &input.group.name;
    let seen = observe(input)?;
    let mut plan = empty_plan(input, Direction::Convert, &seen);
    let Some(target) = seen.targets.iter().next().copied() else {
        plan.notes.push(format!(
            "group {group} has no static route to convert (and no reference to {})",
            plan.list_name
        ));
        return Ok(plan);
    };
    let listed: BTreeSet<&str> = seen
        .list
        .map(|l| l.entries.iter().map(String::as_str).collect())
        .unwrap_or_default();
    // E: every CIDR the group routes, through its static routes or through its list.
    let mut all: BTreeSet<&str> = listed.clone();
    for cidrs in seen.statics.values() {
        all.extend(cidrs.keys().copied());
    }
    let mut entries: Vec<String> = all.iter().map(|c| (*c).to_owned()).collect();
    sort_cidrs(&mut entries);

    let families: BTreeSet<&str> = entries.iter().map(|c| family(c)).collect();
    if families.len() > 1 {
        return Err(ConversionError::MixedFamilies {
            group: group.clone(),
        });
    }
    let address_family = families.into_iter().next().unwrap_or("IPv4").to_owned();
    if let Some(l) = seen.list
        && !l.entries.is_empty()
        && l.address_family != address_family
    {
        return Err(ConversionError::WrongFamily {
            group: group.clone(),
            prefix_list: l.id.clone(),
            family: l.address_family.clone(),
            wanted: address_family,
        });
    }
    if entries.len() > input.limits.max_entries as usize {
        return Err(ConversionError::TooManyEntries {
            group: group.clone(),
            entries: entries.len(),
            quota: input.limits.max_entries,
        });
    }

    // Every table that routes any of the group's CIDRs must route all of them.
    let tables: BTreeSet<&RouteTableId> = seen
        .statics
        .keys()
        .chain(seen.refs.keys())
        .copied()
        .collect();
    for t in &tables {
        let mut routed: BTreeSet<&str> = seen
            .statics
            .get(t)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        if seen.refs.contains_key(t) {
            routed.extend(listed.iter().copied());
        }
        if routed.len() != all.len() {
            let mut missing: Vec<String> =
                all.difference(&routed).map(|c| (*c).to_owned()).collect();
            sort_cidrs(&mut missing);
            return Err(ConversionError::Inconsistent {
                group: group.clone(),
                table: (*t).clone(),
                routed: routed.len(),
                total: all.len(),
                missing,
            });
        }
    }
    // Another list referenced in one of these tables must not hold any of these CIDRs.
    for p in input.references {
        if !tables.contains(&p.table) || seen.list.is_some_and(|l| l.id == p.prefix_list) {
            continue;
        }
        match input.other_entries.get(&p.prefix_list) {
            Some(Some(other)) => {
                let mut shared: Vec<String> = other
                    .iter()
                    .filter(|c| all.contains(c.as_str()))
                    .cloned()
                    .collect();
                if !shared.is_empty() {
                    sort_cidrs(&mut shared);
                    return Err(ConversionError::ConflictingReference {
                        group: group.clone(),
                        table: p.table.clone(),
                        prefix_list: p.prefix_list.clone(),
                        cidrs: shared,
                    });
                }
            }
            _ => {
                return Err(ConversionError::UnreadableReference {
                    group: group.clone(),
                    table: p.table.clone(),
                    prefix_list: p.prefix_list.clone(),
                });
            }
        }
    }

    // The list: created, or resized and completed.
    let wanted_max = max_entries_for(entries.len(), input.limits.max_entries);
    let missing: Vec<String> = entries
        .iter()
        .filter(|c| !listed.contains(c.as_str()))
        .cloned()
        .collect();
    let mut steps = Vec::new();
    let mut count = input.routes_in_tgw;
    let mut peak = count;
    match seen.list {
        None => {
            let mut chunks = entries.chunks(ENTRIES_PER_CALL);
            steps.push(Step::CreateList {
                name: plan.list_name.clone(),
                max_entries: wanted_max,
                address_family,
                entries: chunks.next().unwrap_or_default().to_vec(),
            });
            for c in chunks {
                steps.push(Step::AddEntries {
                    entries: c.to_vec(),
                });
            }
        }
        Some(l) => {
            if (l.max_entries as usize) < entries.len() {
                steps.push(Step::ResizeList {
                    max_entries: wanted_max,
                });
            }
            for c in missing.chunks(ENTRIES_PER_CALL) {
                steps.push(Step::AddEntries {
                    entries: c.to_vec(),
                });
            }
            // Tables referencing the list gain the added entries at once.
            count += missing.len() * seen.refs.len();
            peak = peak.max(count);
            if !missing.is_empty() && !seen.refs.is_empty() {
                plan.notes.push(format!(
                    "{} entries are added to {}, which {} tables reference already (their static routes still win)",
                    missing.len(),
                    l.id,
                    seen.refs.len()
                ));
            }
        }
    }

    // Tables that reference the list already only lose static routes: do them first, so that
    // the route count falls before it rises again.
    let mut order: Vec<&RouteTableId> = tables.iter().copied().collect();
    order.sort_by_key(|t| (!seen.refs.contains_key(*t), (*t).clone()));
    for t in order {
        if !seen.refs.contains_key(t) {
            // Before the list exists its id is unknown: the key names the list by its name.
            // The runner plans again after the list's own steps, so it never records that.
            let key = RouteKey {
                table: t.clone(),
                destination: Destination::PrefixList(seen.list.map_or_else(
                    || PrefixListId::new(plan.list_name.clone()),
                    |l| l.id.clone(),
                )),
            };
            let record = (target != &input.group.home().attachment)
                .then(|| ledger_entry(input, key, target));
            steps.push(Step::CreateReference {
                table: t.clone(),
                to: target.clone(),
                record,
            });
            count += entries.len();
            peak = peak.max(count);
        } else if let Some(p) = seen.refs.get(t).filter(|p| !p.is_available()) {
            // Its routes may not be in the table yet: the static routes stay until they are.
            steps.push(Step::Wait {
                table: t.clone(),
                reason: format!("reference of {} is {}", p.prefix_list, p.state),
            });
            continue;
        }
        let mut cidrs: Vec<&str> = seen
            .statics
            .get(t)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        cidrs.sort_by_key(|c| cidr_key(c));
        for cidr in cidrs {
            let key = RouteKey {
                table: t.clone(),
                destination: Destination::Cidr(cidr.to_owned()),
            };
            let forget = seen.ledger.contains_key(&key).then_some(key);
            steps.push(Step::DeleteRoute {
                table: t.clone(),
                cidr: cidr.to_owned(),
                forget,
            });
            count -= 1;
        }
    }
    if peak > input.limits.route_quota {
        return Err(ConversionError::RouteQuota {
            tgw: input.group.tgw.clone(),
            direction: "convert",
            now: input.routes_in_tgw,
            peak,
            quota: input.limits.route_quota,
        });
    }
    let list_id = seen.list.map_or_else(
        || PrefixListId::new(plan.list_name.clone()),
        |l| l.id.clone(),
    );
    let after: Vec<RouteKey> = tables
        .iter()
        .map(|t| RouteKey {
            table: (*t).clone(),
            destination: Destination::PrefixList(list_id.clone()),
        })
        .collect();
    plan.failover_after = estimate(&after);
    plan.entries = entries;
    plan.tables = tables.into_iter().cloned().collect();
    plan.steps = steps;
    plan.routes_peak = peak;
    plan.routes_after = count;
    Ok(plan)
}

fn plan_revert(input: &ConversionInput) -> Result<ConversionPlan, ConversionError> {
    let group = &input.group.name;
    let seen = observe(input)?;
    let mut plan = empty_plan(input, Direction::Revert, &seen);
    let Some(list) = seen.list else {
        plan.notes.push(format!(
            "no prefix list named {}: nothing to revert",
            plan.list_name
        ));
        return Ok(plan);
    };
    let created_by_us = list.tags.get(OWNER_TAG) == Some(&group.to_string());
    let mut entries = list.entries.clone();
    sort_cidrs(&mut entries);
    let mut steps = Vec::new();
    let mut count = input.routes_in_tgw;
    let mut peak = count;
    if let Some(target) = seen.targets.iter().next().copied() {
        let home = &input.group.home().attachment;
        // Static routes of the table that are not the group's (a foreign target) already win
        // over the reference: they stay as they are.
        let foreign: BTreeSet<(&RouteTableId, &str)> = input
            .statics
            .iter()
            .filter(|r| r.route_type == RouteType::Static)
            .filter_map(|r| match &r.destination {
                Destination::Cidr(c) => Some((&r.table, c.as_str())),
                _ => None,
            })
            .filter(|(t, c)| !seen.statics.get(t).is_some_and(|m| m.contains_key(c)))
            .collect();
        for (t, _) in seen.refs.iter() {
            let existing = seen.statics.get(*t);
            for cidr in &entries {
                if existing.is_some_and(|m| m.contains_key(cidr.as_str())) {
                    continue;
                }
                if foreign.contains(&(*t, cidr.as_str())) {
                    plan.notes.push(format!(
                        "{t} has its own static route for {cidr} (not the group's): left as it is"
                    ));
                    continue;
                }
                let key = RouteKey {
                    table: (*t).clone(),
                    destination: Destination::Cidr(cidr.clone()),
                };
                let record = (target != home).then(|| ledger_entry(input, key, target));
                steps.push(Step::CreateRoute {
                    table: (*t).clone(),
                    cidr: cidr.clone(),
                    to: target.clone(),
                    record,
                });
                count += 1;
                peak = peak.max(count);
            }
            let pending = existing
                .map(|m| m.values().filter(|r| r.state != RouteState::Active).count())
                .unwrap_or(0);
            if pending > 0 {
                // The reference carries the traffic until every static route is active.
                steps.push(Step::Wait {
                    table: (*t).clone(),
                    reason: format!("{pending} static routes are not active yet"),
                });
                continue;
            }
            let key = RouteKey {
                table: (*t).clone(),
                destination: Destination::PrefixList(list.id.clone()),
            };
            let forget = seen.ledger.contains_key(&key).then_some(key);
            steps.push(Step::DeleteReference {
                table: (*t).clone(),
                forget,
            });
            count -= entries.len();
        }
    }
    if created_by_us {
        // EC2 refuses to delete a list still referenced elsewhere (a VPC route table, another
        // TGW): the runner reports that, the routes are reverted by then.
        steps.push(Step::DeleteList);
    } else {
        plan.notes.push(format!(
            "{} was not created by tgw-ha (no {OWNER_TAG}={group} tag): kept",
            list.id
        ));
    }
    if peak > input.limits.route_quota {
        return Err(ConversionError::RouteQuota {
            tgw: input.group.tgw.clone(),
            direction: "revert",
            now: input.routes_in_tgw,
            peak,
            quota: input.limits.route_quota,
        });
    }
    let mut after: BTreeSet<RouteKey> = seen
        .statics
        .values()
        .flat_map(|m| m.values().map(|r| r.key()))
        .collect();
    for t in seen.refs.keys() {
        after.extend(entries.iter().map(|cidr| RouteKey {
            table: (*t).clone(),
            destination: Destination::Cidr(cidr.clone()),
        }));
    }
    plan.failover_after = estimate(&after);
    plan.entries = entries;
    plan.tables = seen.refs.keys().map(|t| (*t).clone()).collect();
    plan.steps = steps;
    plan.routes_peak = peak;
    plan.routes_after = count;
    Ok(plan)
}

/// What failing a group over costs at EC2's write rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailoverEstimate {
    /// Static CIDR routes: one ReplaceTransitGatewayRoute each.
    pub cidr_routes: usize,
    /// Prefix-list references: one ModifyTransitGatewayPrefixListReference each (per table).
    pub references: usize,
    pub tables: usize,
    /// Write calls one failover makes.
    pub calls: usize,
    /// `max(0, calls − 50) / 5` s (EC2's mutating bucket) plus one round trip.
    pub seconds: f64,
    /// Above [`SUGGEST_ABOVE_SECONDS`] with static routes to convert.
    pub suggest_conversion: bool,
}

impl FailoverEstimate {
    /// A note for people, e.g. in `status`.
    pub fn note(&self, group: &GroupName) -> String {
        let mut s = format!(
            "failover ≈ {} at EC2's write rate ({} routes, {} prefix lists)",
            seconds_text(self.seconds),
            self.cidr_routes,
            self.references
        );
        if self.suggest_conversion {
            s.push_str(&format!(
                "; a prefix list would make it one call per table: tgw-ha prefix-lists plan --group {group}"
            ));
        }
        s
    }
}

fn seconds_text(s: f64) -> String {
    if s >= 120.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.1} s")
    }
}

/// The failover time of a group whose routes are `keys` (CIDR routes and prefix-list
/// references, as the ledger and census name them).
pub fn estimate<'a>(keys: impl IntoIterator<Item = &'a RouteKey>) -> FailoverEstimate {
    let mut cidr_routes: usize = 0;
    let mut references: usize = 0;
    let mut tables = BTreeSet::new();
    for k in keys {
        tables.insert(&k.table);
        match k.destination {
            Destination::Cidr(_) => cidr_routes += 1,
            Destination::PrefixList(_) => references += 1,
        }
    }
    let calls = cidr_routes + references;
    let seconds = if calls == 0 {
        0.0
    } else {
        calls.saturating_sub(WRITE_BURST) as f64 / WRITES_PER_SECOND + ROUND_TRIP_SECONDS
    };
    FailoverEstimate {
        cidr_routes,
        references,
        tables: tables.len(),
        calls,
        seconds,
        suggest_conversion: seconds > SUGGEST_ABOVE_SECONDS && cidr_routes > 0,
    }
}
