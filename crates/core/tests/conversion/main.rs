//! Table tests of the prefix-list conversion plan (`tgw_ha_core::conversion`): every plan is
//! carried out on a small model of the route tables, and after every step each of the group's
//! destinations must still have a route to the same member (static wins over a reference at an
//! equal prefix); then the refusals, resumption, the ledger, revert and the estimate.
//!
//! The files: this one holds the fixtures (one group, its primary and backup, tables, CIDRs,
//! lists) and [`Obs`], the observation a plan is made from; `model.rs` the route tables the
//! plans are carried out on, step by step; then one file per subject: `convert`, `refusals`,
//! `revert`, `estimate`.

mod convert;
mod estimate;
mod model;
mod refusals;
mod revert;

use model::{carry_out, expected_of};

use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use tgw_ha_core::conversion::{
    ConversionError, ConversionInput, ConversionPlan, Direction, Limits, ManagedPrefixList,
    OWNER_TAG, PrefixListReference, Step, estimate, list_name, max_entries_for, plan,
};
use tgw_ha_core::groups::{Group, Member};
use tgw_ha_core::ids::{AttachmentId, GroupName, PrefixListId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{Destination, Route, RouteKey, RouteState, RouteType};
use tgw_ha_core::state::LedgerEntry;

const PRIMARY: &str = "tgw-attach-primary";
const BACKUP: &str = "tgw-attach-backup";
const FOREIGN: &str = "tgw-attach-foreign";
const PL: &str = "pl-0group";

fn now() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn group() -> Group {
    Group {
        name: GroupName::new("paris"),
        tgw: TgwId::new("tgw-1"),
        members: vec![
            Member {
                vpn: VpnId::new("vpn-primary"),
                attachment: AttachmentId::new(PRIMARY),
                priority: 0,
                role: "primary".into(),
            },
            Member {
                vpn: VpnId::new("vpn-backup"),
                attachment: AttachmentId::new(BACKUP),
                priority: 1,
                role: "backup".into(),
            },
        ],
    }
}

fn rtb(t: usize) -> RouteTableId {
    RouteTableId::new(format!("tgw-rtb-{t}"))
}

fn cidr(i: usize) -> String {
    format!("10.{}.{}.0/24", i / 256, i % 256)
}

fn route(t: usize, c: &str, to: &str) -> Route {
    Route {
        table: rtb(t),
        destination: Destination::Cidr(c.to_owned()),
        attachment: Some(AttachmentId::new(to)),
        route_type: RouteType::Static,
        state: RouteState::Active,
    }
}

fn reference(t: usize, pl: &str, to: &str) -> PrefixListReference {
    PrefixListReference {
        table: rtb(t),
        prefix_list: PrefixListId::new(pl),
        attachment: Some(AttachmentId::new(to)),
        state: "available".into(),
    }
}

fn our_list(entries: impl IntoIterator<Item = String>) -> ManagedPrefixList {
    ManagedPrefixList {
        id: PrefixListId::new(PL),
        name: list_name(&GroupName::new("paris")),
        max_entries: 1000,
        version: 3,
        address_family: "IPv4".into(),
        state: "modify-complete".into(),
        entries: entries.into_iter().collect(),
        tags: [(OWNER_TAG.to_owned(), "paris".to_owned())].into(),
    }
}

/// The observed world a plan is made from, as plain data that the tests shape.
#[derive(Clone, Default)]
struct Obs {
    statics: Vec<Route>,
    refs: Vec<PrefixListReference>,
    lists: Vec<ManagedPrefixList>,
    others: BTreeMap<PrefixListId, Option<Vec<String>>>,
    ledger: Vec<LedgerEntry>,
    routes_in_tgw: usize,
    limits: Limits,
}

impl Obs {
    /// `tables` tables, each routing CIDRs `0..cidrs` statically to `to`.
    fn uniform(tables: usize, cidrs: usize, to: &str) -> Obs {
        let mut o = Obs {
            limits: Limits::default(),
            ..Obs::default()
        };
        for t in 0..tables {
            for i in 0..cidrs {
                o.statics.push(route(t, &cidr(i), to));
            }
        }
        o.routes_in_tgw = tables * cidrs;
        o
    }

    fn plan(&self, direction: Direction) -> Result<ConversionPlan, ConversionError> {
        let g = group();
        let tables: Vec<RouteTableId> = (0..8).map(rtb).collect();
        plan(
            &ConversionInput {
                group: &g,
                tables: &tables,
                statics: &self.statics,
                references: &self.refs,
                lists: &self.lists,
                other_entries: &self.others,
                ledger: &self.ledger,
                routes_in_tgw: self.routes_in_tgw,
                limits: self.limits,
                now: now(),
            },
            direction,
        )
    }
}
