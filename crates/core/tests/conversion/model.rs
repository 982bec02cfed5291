//! The small model of the route tables a plan is carried out on: per table the static routes
//! and the group list's reference, the list's entries, the ledger. [`carry_out`] applies a
//! plan's steps one by one and checks after each that every destination still routes to the
//! same member (a static route wins over a reference at an equal prefix).

use super::*;

/// The model: per table, static routes and the group list's reference; the list's entries.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    pub(crate) statics: BTreeMap<(RouteTableId, String), AttachmentId>,
    pub(crate) refs: BTreeMap<RouteTableId, AttachmentId>,
    pub(crate) list: Option<BTreeSet<String>>,
    pub(crate) ledger: BTreeMap<RouteKey, LedgerEntry>,
}

impl Model {
    pub(crate) fn of(o: &Obs) -> Model {
        Model {
            statics: o
                .statics
                .iter()
                .filter_map(|r| match (&r.destination, &r.attachment) {
                    (Destination::Cidr(c), Some(a)) => {
                        Some(((r.table.clone(), c.clone()), a.clone()))
                    }
                    _ => None,
                })
                .collect(),
            refs: o
                .refs
                .iter()
                .filter(|p| p.prefix_list.as_str() == PL)
                .filter_map(|p| Some((p.table.clone(), p.attachment.clone()?)))
                .collect(),
            list: o.lists.first().map(|l| l.entries.iter().cloned().collect()),
            ledger: o
                .ledger
                .iter()
                .map(|e| (e.key.clone(), e.clone()))
                .collect(),
        }
    }

    /// Where `table` sends `cidr`: a static route wins over the reference.
    pub(crate) fn route(&self, table: &RouteTableId, cidr: &str) -> Option<&AttachmentId> {
        if let Some(a) = self.statics.get(&(table.clone(), cidr.to_owned())) {
            return Some(a);
        }
        let listed = self.list.as_ref().is_some_and(|l| l.contains(cidr));
        self.refs.get(table).filter(|_| listed)
    }

    pub(crate) fn apply(&mut self, s: &Step) {
        match s {
            Step::CreateList { entries, .. } => {
                assert!(self.list.is_none(), "a second list");
                assert!(entries.len() <= 100, "at most 100 entries per call");
                self.list = Some(entries.iter().cloned().collect());
            }
            Step::AddEntries { entries } => {
                assert!(entries.len() <= 100, "at most 100 entries per call");
                let l = self.list.as_mut().expect("a list to add to");
                for e in entries {
                    assert!(l.insert(e.clone()), "{e} added twice");
                }
            }
            Step::ResizeList { .. } | Step::Wait { .. } => {}
            Step::CreateReference { table, to, record } => {
                assert!(self.list.is_some(), "a reference before its list");
                assert!(self.refs.insert(table.clone(), to.clone()).is_none());
                if let Some(e) = record {
                    self.ledger.insert(e.key.clone(), e.clone());
                }
            }
            Step::DeleteRoute {
                table,
                cidr,
                forget,
            } => {
                assert!(
                    self.statics
                        .remove(&(table.clone(), cidr.clone()))
                        .is_some()
                );
                if let Some(k) = forget {
                    self.ledger.remove(k);
                }
            }
            Step::CreateRoute {
                table,
                cidr,
                to,
                record,
            } => {
                assert!(
                    self.statics
                        .insert((table.clone(), cidr.clone()), to.clone())
                        .is_none()
                );
                if let Some(e) = record {
                    self.ledger.insert(e.key.clone(), e.clone());
                }
            }
            Step::DeleteReference { table, forget } => {
                assert!(self.refs.remove(table).is_some());
                if let Some(k) = forget {
                    self.ledger.remove(k);
                }
            }
            Step::DeleteList => {
                assert!(self.refs.is_empty(), "a list deleted while referenced");
                self.list = None;
            }
        }
    }
}

/// Carry `plan` out on the model of `obs`; after every step each destination of `expected`
/// must route to its member. Returns the model at the end.
pub(crate) fn carry_out(
    obs: &Obs,
    plan: &ConversionPlan,
    expected: &BTreeMap<(RouteTableId, String), AttachmentId>,
) -> Model {
    let mut m = Model::of(obs);
    let check = |m: &Model, after: &str| {
        for ((t, c), to) in expected {
            assert_eq!(m.route(t, c), Some(to), "{t} {c} after {after}");
        }
    };
    check(&m, "nothing");
    for (i, s) in plan.steps.iter().enumerate() {
        m.apply(s);
        check(&m, &format!("step {i}: {}", s.describe(PL)));
    }
    m
}

pub(crate) fn expected_of(o: &Obs) -> BTreeMap<(RouteTableId, String), AttachmentId> {
    Model::of(o)
        .statics
        .into_iter()
        .filter(|(_, a)| a.as_str() != FOREIGN)
        .collect()
}
