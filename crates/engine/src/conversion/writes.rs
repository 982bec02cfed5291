//! The EC2 writes of one batch: static-route writes concurrently, every list or reference
//! step alone and in order, each "already so" answer taken as success; then the wait until the
//! list's change is complete (EC2 applies it asynchronously).

use super::observe::Observed;
use super::{ConvertError, Converter};
use crate::executor::Executor;
use crate::layer::Ec2Action;
use crate::ports::NetError;
use crate::prefix_lists::{PrefixListAdmin, already_exists, stale_entries, version_mismatch};
use futures::StreamExt;
use tgw_ha_core::conversion::{ConversionPlan, ManagedPrefixList, OWNER_TAG, Step, list_name};
use tgw_ha_core::ids::{GroupName, PrefixListId};

impl Converter {
    /// Run a batch's steps: static-route writes concurrently, every other step alone and in
    /// order. Returns the indexes of the steps done, or those and what stopped the batch.
    pub(super) async fn execute(
        &self,
        exec: &Executor,
        obs: &mut Observed,
        plan: &ConversionPlan,
        batch: &[Step],
        done: &mut usize,
    ) -> Result<Vec<usize>, (Vec<usize>, Failure)> {
        let admin = &self.ports.admin;
        let mut ok = Vec::new();
        if batch.iter().all(Step::is_route_write) {
            let concurrency = self.config.executor.concurrency.max(1);
            // The futures are built first: a stream closure borrowing the executor makes the
            // run's future not `Send` (a higher-ranked lifetime limitation of rustc).
            let writes: Vec<_> = batch
                .iter()
                .enumerate()
                .map(|(i, s)| indexed(i, route_write(exec, admin.as_ref(), s)))
                .collect();
            let results: Vec<(usize, Result<(), NetError>)> = futures::stream::iter(writes)
                .buffer_unordered(concurrency)
                .collect()
                .await;
            let mut first_error = None;
            for (i, r) in results {
                match r {
                    Ok(()) => ok.push(i),
                    Err(e) => {
                        first_error.get_or_insert((i, e));
                    }
                }
            }
            *done += ok.len();
            ok.sort_unstable();
            return match first_error {
                None => Ok(ok),
                Some((i, error)) => Err((
                    ok,
                    Failure::Error(ConvertError::Step {
                        step: batch[i].describe(&plan.list_label()),
                        error,
                        done: *done,
                    }),
                )),
            };
        }
        let mut list = obs.lists.first().cloned();
        for (i, step) in batch.iter().enumerate() {
            let result = self.list_step(exec, &plan.group, &mut list, step).await;
            match result {
                Ok(()) => {
                    *done += 1;
                    ok.push(i);
                }
                Err(e) if version_mismatch(&e) || stale_entries(&e) => {
                    return Err((ok, Failure::Stale));
                }
                Err(error) => {
                    return Err((
                        ok,
                        Failure::Error(ConvertError::Step {
                            step: step.describe(&plan.list_label()),
                            error,
                            done: *done,
                        }),
                    ));
                }
            }
            if let Some(l) = &list
                && obs.created.is_none()
                && matches!(step, Step::CreateList { .. })
            {
                obs.created = Some(l.id.clone());
            }
        }
        if let Some(l) = &list
            && batch.iter().any(|s| {
                matches!(
                    s,
                    Step::ResizeList { .. } | Step::AddEntries { .. } | Step::CreateList { .. }
                )
            })
            && let Err(e) = self.settle_list(exec, &l.id, *done).await
        {
            return Err((ok, Failure::Error(e)));
        }
        Ok(ok)
    }

    /// One step that is not a static-route write. `list` is the group's list as known (its id
    /// and version), updated by the step.
    async fn list_step(
        &self,
        exec: &Executor,
        group: &GroupName,
        list: &mut Option<ManagedPrefixList>,
        step: &Step,
    ) -> Result<(), NetError> {
        let admin = self.ports.admin.as_ref();
        let missing = || NetError::Rejected {
            op: step.action().into(),
            code: "InvalidPrefixListID.NotFound".into(),
            message: format!("the prefix list {} does not exist (yet)", list_name(group)),
        };
        match step {
            Step::CreateList {
                name,
                max_entries,
                address_family,
                entries,
            } => {
                let tags = [(OWNER_TAG.to_owned(), group.to_string())];
                let (id, _) = exec
                    .call(action_of(step), || {
                        admin.create_prefix_list(name, *max_entries, address_family, entries, &tags)
                    })
                    .await;
                *list = Some(ManagedPrefixList {
                    id: id?,
                    name: name.clone(),
                    max_entries: *max_entries,
                    version: 1,
                    address_family: address_family.clone(),
                    state: "create-in-progress".into(),
                    entries: entries.clone(),
                    tags: tags.into_iter().collect(),
                });
                Ok(())
            }
            Step::ResizeList { max_entries } => {
                let l = list.as_mut().ok_or_else(missing)?;
                let (r, _) = exec
                    .call(action_of(step), || {
                        admin.resize_prefix_list(&l.id, *max_entries)
                    })
                    .await;
                r?;
                l.max_entries = *max_entries;
                Ok(())
            }
            Step::AddEntries { entries } => {
                let l = list.as_mut().ok_or_else(missing)?;
                let version = l.version;
                let (r, _) = exec
                    .call(action_of(step), || {
                        admin.modify_entries(&l.id, version, entries, &[])
                    })
                    .await;
                r?;
                l.version += 1;
                l.entries.extend(entries.iter().cloned());
                Ok(())
            }
            Step::CreateReference { table, to, .. } => {
                let l = list.as_ref().ok_or_else(missing)?;
                let (r, _) = exec
                    .call(action_of(step), || admin.create_reference(table, &l.id, to))
                    .await;
                match r {
                    Err(e) if already_exists(&e) => Ok(()),
                    other => other,
                }
            }
            Step::DeleteReference { table, .. } => {
                let l = list.as_ref().ok_or_else(missing)?;
                let (r, _) = exec
                    .call(action_of(step), || admin.delete_reference(table, &l.id))
                    .await;
                match r {
                    Err(NetError::RouteNotFound { .. }) => Ok(()),
                    other => other,
                }
            }
            Step::DeleteList => {
                let Some(l) = list.as_ref() else {
                    return Ok(());
                };
                let (r, _) = exec
                    .call(action_of(step), || admin.delete_prefix_list(&l.id))
                    .await;
                match r {
                    Err(NetError::RouteNotFound { .. }) => Ok(()),
                    other => other,
                }
            }
            Step::DeleteRoute { .. } | Step::CreateRoute { .. } => {
                route_write(exec, admin, step).await
            }
            Step::Wait { .. } => Ok(()),
        }
    }

    /// Wait until the list's last change is complete (EC2 applies it asynchronously; entries
    /// read before then may be stale).
    async fn settle_list(
        &self,
        exec: &Executor,
        id: &PrefixListId,
        done: usize,
    ) -> Result<(), ConvertError> {
        let admin = &self.ports.admin;
        let since = self.ports.clock.now();
        let limit =
            chrono::Duration::from_std(self.config.settle_timeout).unwrap_or(chrono::Duration::MAX);
        loop {
            let (l, _) = exec
                .call(Ec2Action::DescribeManagedPrefixLists, || {
                    admin.prefix_list(id)
                })
                .await;
            match l? {
                Some(l) if l.state.ends_with("-failed") => {
                    return Err(ConvertError::List {
                        list: id.to_string(),
                        reason: format!("EC2 says {}", l.state),
                        done,
                    });
                }
                Some(l) if l.state.ends_with("-complete") => return Ok(()),
                _ => {}
            }
            if self.ports.clock.now() - since >= limit {
                return Err(ConvertError::List {
                    list: id.to_string(),
                    reason: format!(
                        "its change did not complete within {} s",
                        self.config.settle_timeout.as_secs()
                    ),
                    done,
                });
            }
            self.pause().await;
        }
    }
}

pub(super) enum Failure {
    Stale,
    Error(ConvertError),
}

async fn indexed<T>(i: usize, f: impl std::future::Future<Output = T>) -> (usize, T) {
    (i, f.await)
}

/// The EC2 action of a step that makes a call (every step written here; waits are not).
fn action_of(step: &Step) -> Ec2Action {
    step.ec2_action()
        .expect("a wait is never written: it calls nothing")
}

/// A static-route write; "already so" is success.
async fn route_write(
    exec: &Executor,
    admin: &dyn PrefixListAdmin,
    step: &Step,
) -> Result<(), NetError> {
    match step {
        Step::DeleteRoute { table, cidr, .. } => {
            let (r, _) = exec
                .call(action_of(step), || admin.delete_route(table, cidr))
                .await;
            match r {
                Err(NetError::RouteNotFound { .. }) => Ok(()),
                other => other,
            }
        }
        Step::CreateRoute {
            table, cidr, to, ..
        } => {
            let (r, _) = exec
                .call(action_of(step), || admin.create_route(table, cidr, to))
                .await;
            match r {
                Err(e) if already_exists(&e) => Ok(()),
                other => other,
            }
        }
        _ => Ok(()),
    }
}
