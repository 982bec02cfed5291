//! Which TGWs and groups a trigger concerns: groups are discovered from tags, each TGW's
//! attachments are read on their own, and a TGW whose read fails carries its error while the
//! others go on.

use super::*;

impl Engine {
    /// Map a trigger to the TGWs and groups it concerns, discovering groups from tags. Each
    /// TGW's attachments are read on their own: a TGW whose read fails is returned with its
    /// error (when the trigger concerns it) and the others go on.
    #[allow(clippy::type_complexity, reason = "one private call site")]
    pub(super) async fn resolve(
        &self,
        trigger: &Trigger,
        vpns: &[VpnConnection],
        executor: &Executor,
    ) -> Result<(Vec<Work>, Discovery, Vec<(TgwId, NetError)>), EngineError> {
        // Tags alone say which TGWs hold groups; attachments are read only for those.
        let group_tgws: BTreeSet<TgwId> = vpns
            .iter()
            .filter(|v| is_tagged_member(v, &self.config.policy))
            .filter_map(|v| v.transit_gateway_id.clone())
            .collect();
        let vpn_tgw = |vpn: &tgw_ha_core::ids::VpnId| -> Result<TgwId, EngineError> {
            let v = vpns
                .iter()
                .find(|x| &x.id == vpn)
                .ok_or_else(|| EngineError::UnknownVpn { vpn: vpn.clone() })?;
            v.transit_gateway_id
                .clone()
                .ok_or_else(|| EngineError::NotOnTgw { vpn: vpn.clone() })
        };
        let tgws: Vec<TgwId> = match trigger {
            Trigger::Vpn { signal, .. } => vec![vpn_tgw(&signal.vpn)?],
            Trigger::Notice { vpn, .. } => vec![vpn_tgw(vpn)?],
            Trigger::Tgw { tgw, .. } => vec![tgw.clone()],
            _ => group_tgws.iter().cloned().collect(),
        };
        let reads = join_all(tgws.iter().map(|t| async move {
            let (r, _) = executor
                .call(Ec2Action::DescribeTransitGatewayAttachments, || {
                    self.ports.network.vpn_attachments(t)
                })
                .await;
            (t.clone(), r)
        }))
        .await;
        let mut attachments = Vec::new();
        let mut unreadable = Vec::new();
        for (t, r) in reads {
            match r {
                Ok(a) => attachments.extend(a),
                Err(e) => unreadable.push((t, e)),
            }
        }
        // The VPNs of an unreadable TGW stay in: their groups show as unattached (invalid),
        // never as smaller valid groups, and no TGW of theirs is planned in this run.
        let discovery = discover(vpns, &attachments, &self.config.policy);

        let check_group = |name: &GroupName| -> Result<TgwId, EngineError> {
            if let Some(g) = discovery.group(name) {
                return Ok(g.tgw.clone());
            }
            // Not found, but a TGW could not be read: the group may well be there.
            if let Some((_, e)) = unreadable.first() {
                return Err(EngineError::Network(e.clone()));
            }
            if let Some(bad) = discovery.invalid.iter().find(|g| &g.name == name) {
                return Err(EngineError::InvalidGroup {
                    group: name.clone(),
                    reason: bad.reason.clone(),
                });
            }
            Err(EngineError::UnknownGroup {
                group: name.clone(),
                known: discovery
                    .groups
                    .iter()
                    .map(|g| g.name.to_string())
                    .collect(),
            })
        };

        let work = match trigger {
            Trigger::Vpn { signal, .. } => {
                let scope: BTreeSet<GroupName> = discovery
                    .groups_of(&signal.vpn)
                    .map(|g| g.name.clone())
                    .collect();
                if scope.is_empty() {
                    vec![]
                } else {
                    vec![Work {
                        tgw: tgws[0].clone(),
                        scope: Some(scope),
                        directive: None,
                        signal: to_signal(signal),
                        look: true,
                    }]
                }
            }
            Trigger::Notice { vpn, .. } => {
                let scope: BTreeSet<GroupName> =
                    discovery.groups_of(vpn).map(|g| g.name.clone()).collect();
                if scope.is_empty() {
                    vec![]
                } else {
                    vec![Work {
                        tgw: tgws[0].clone(),
                        scope: Some(scope),
                        directive: None,
                        signal: None,
                        look: true,
                    }]
                }
            }
            // A routing update names routes, and those tgw-ha just moved match its ledger; the
            // payload is not compared with the ledger: reconciling is level-triggered, so such an
            // update plans nothing, and while the mover holds the lease it is a look that
            // succeeds at once.
            Trigger::Tgw { tgw, .. } => vec![Work {
                tgw: tgw.clone(),
                scope: None,
                directive: None,
                signal: None,
                look: true,
            }],
            Trigger::All { .. } => tgws
                .iter()
                .map(|t| Work {
                    tgw: t.clone(),
                    scope: None,
                    directive: None,
                    signal: None,
                    look: true,
                })
                .collect(),
            Trigger::Operator { action, .. } => {
                let directive = action.directive();
                match action.group() {
                    Some(name) => {
                        let tgw = check_group(name)?;
                        vec![Work {
                            tgw,
                            scope: Some([name.clone()].into()),
                            directive,
                            signal: None,
                            look: false,
                        }]
                    }
                    None => tgws
                        .iter()
                        .filter(|t| group_tgws.contains(*t))
                        .map(|t| Work {
                            tgw: t.clone(),
                            scope: None,
                            directive: None,
                            signal: None,
                            look: false,
                        })
                        .collect(),
                }
            }
            Trigger::Ignore { .. } => vec![],
        };
        // An operator's action on one group concerns that group's TGW only.
        if matches!(trigger, Trigger::Operator { action, .. } if action.group().is_some()) {
            unreadable.clear();
        }
        Ok((work, discovery, unreadable))
    }
}
