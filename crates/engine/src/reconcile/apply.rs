//! Observe and apply for one TGW: read the route tables and the routes of its groups'
//! members, then run the plan's moves through the paced, retrying executor, none started past
//! the run's deadline less a margin.

use super::*;

impl Engine {
    /// Read what the plan needs of one TGW: its route tables, and in each, the static routes
    /// and prefix-list references pointing at any member of any group on it (one search per
    /// table covers every group: the filter takes many attachment ids).
    pub(super) async fn observe(
        &self,
        executor: &Executor,
        vpns: &[VpnConnection],
        discovery: &Discovery,
        tgw: &TgwId,
    ) -> Result<Observation, EngineError> {
        let net = &self.ports.network;
        let (tables, _) = executor
            .call(Ec2Action::DescribeTransitGatewayRouteTables, || {
                net.route_tables(tgw)
            })
            .await;
        let tables = tables?;
        let members: Vec<AttachmentId> = discovery
            .groups
            .iter()
            .filter(|g| &g.tgw == tgw)
            .flat_map(|g| g.members.iter().map(|m| m.attachment.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut routes = Vec::new();
        if !members.is_empty() {
            let members = &members;
            let per_table = try_join_all(tables.iter().map(|t| async move {
                let (statics, _) = executor
                    .call(Ec2Action::SearchTransitGatewayRoutes, || {
                        net.static_routes(&t.id, members)
                    })
                    .await;
                let (refs, _) = executor
                    .call(Ec2Action::GetTransitGatewayPrefixListReferences, || {
                        net.prefix_list_references(&t.id, members)
                    })
                    .await;
                Ok::<_, NetError>([statics?, refs?].concat())
            }))
            .await?;
            routes = per_table.concat();
        }
        Ok(Observation {
            vpns: vpns.to_vec(),
            attachments: vec![],
            route_tables: tables,
            routes,
        })
    }

    pub(super) async fn apply(&self, run: &Run, tgw: &TgwId, plan: &Plan) -> Vec<MoveResult> {
        let net = &self.ports.network;
        let executor = &run.executor;
        let stop = run.stop();
        let deferred = run.deadline.map(|(deadline, _)| {
            format!(
                "{DEADLINE_REASON}: not started within {}s of the run's deadline {deadline}; the \
                 next run continues",
                self.config.deadline_margin.as_secs()
            )
        });
        let deferred = &deferred;
        let mut stream = futures::stream::iter(plan.moves.iter().cloned())
            .map(|m| async move {
                // The deadline is checked where each move would start (moves run concurrently,
                // paced): a move that cannot start before `stop` is not started at all.
                let r = match &m.key.destination {
                    Destination::Cidr(cidr) => {
                        executor
                            .call_before(Ec2Action::ReplaceTransitGatewayRoute, stop, || {
                                net.replace_route(&m.key.table, cidr, &m.to)
                            })
                            .await
                    }
                    Destination::PrefixList(pl) => {
                        executor
                            .call_before(
                                Ec2Action::ModifyTransitGatewayPrefixListReference,
                                stop,
                                || net.modify_prefix_list_reference(&m.key.table, pl, &m.to),
                            )
                            .await
                    }
                };
                let (status, attempts) = match r {
                    None => {
                        let reason = deferred.clone().unwrap_or_else(|| DEADLINE_REASON.into());
                        return MoveResult {
                            planned: m,
                            status: MoveStatus::Abandoned { reason },
                            attempts: 0,
                        };
                    }
                    Some((Ok(()), a)) => (MoveStatus::Done, a),
                    Some((Err(NetError::RouteNotFound { .. }), a)) => (MoveStatus::Vanished, a),
                    Some((Err(e), a)) => (
                        MoveStatus::Failed {
                            retryable: e.is_retryable(),
                            error: e.to_string(),
                        },
                        a,
                    ),
                };
                tracing::info!(
                    table = %m.key.table, destination = %m.key.destination, to = %m.to,
                    kind = m.kind.as_str(), status = ?status, attempts, "move"
                );
                MoveResult {
                    planned: m,
                    status,
                    attempts,
                }
            })
            .buffer_unordered(executor.config().concurrency.max(1));

        let ttl = self.config.lease_ttl;
        let half = chrono::Duration::from_std(ttl / 2).unwrap_or_default();
        let mut renew_at = self.ports.clock.now() + half;
        let mut results = Vec::with_capacity(plan.moves.len());
        let mut lost: Option<String> = None;
        let total = plan.moves.len();
        let started = self.ports.clock.now();
        while let Some(r) = stream.next().await {
            results.push(r);
            let now = self.ports.clock.now();
            // A large failover runs at EC2's pace (5 moves/s past the burst): say how far along
            // it is, for the operator watching a CLI or a log stream.
            let done = results.len();
            if total > PROGRESS_EVERY && (done % PROGRESS_EVERY == 0 || done == total) {
                let elapsed = (now - started).num_milliseconds().max(1) as f64 / 1000.0;
                let eta = (total - done) as f64 * elapsed / done as f64;
                tracing::info!(
                    target: "tgw_ha::progress",
                    %tgw, done, total, elapsed_s = elapsed.round(), eta_s = eta.round(),
                    "moved {done} of {total} routes"
                );
            }
            if now >= renew_at {
                match self
                    .ports
                    .lease
                    .renew(tgw, &self.config.owner, ttl, now)
                    .await
                {
                    Ok(true) => renew_at = now + half,
                    Ok(false) => {
                        lost = Some(format!("lease on {tgw} lost to another run"));
                        break;
                    }
                    Err(e) => {
                        lost = Some(format!("lease on {tgw} could not be renewed: {e}"));
                        break;
                    }
                }
            }
        }
        drop(stream);
        let deferred = results.iter().filter(|r| r.is_deferred()).count();
        if deferred > 0 {
            tracing::warn!(
                %tgw, deferred, total,
                "deadline near: {deferred} of {total} moves left for the next run"
            );
        }
        if let Some(reason) = lost {
            tracing::error!(%reason, "stopping moves");
            let done: BTreeSet<_> = results.iter().map(|r| r.planned.key.clone()).collect();
            for m in plan.moves.iter().filter(|m| !done.contains(&m.key)) {
                results.push(MoveResult {
                    planned: m.clone(),
                    status: MoveStatus::Abandoned {
                        reason: reason.clone(),
                    },
                    attempts: 0,
                });
            }
        }
        results
    }
}
