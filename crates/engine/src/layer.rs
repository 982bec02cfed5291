//! [`Layered`]: one decorator of the [`Network`] port that others wrap, so that a wrapper
//! (faults, a dry run, a test's gate or recorder) says only what it adds and never forwards
//! seven methods by hand.
//!
//! Contract, per call of a [`Layered`] network, in order:
//! 1. [`Layer::before`] with the call and its arguments ([`Call`]); an error answers the call
//!    and the inner network never sees it (a fault, a refusal);
//! 2. the inner network: a read is forwarded as it is; a write goes through [`Layer::write`],
//!    which forwards by default and may instead keep it (a dry run) or hold it (a gate);
//! 3. [`Layer::after`] with the result, only for a call that passed `before`.
//!
//! Results are returned unchanged: a layer observes, delays, refuses or keeps a call, it does
//! not rewrite what EC2 answered. A layer's own accessors (counters, handles) are reached
//! through the `Layered` value: it dereferences to its layer.

use crate::ports::{NetError, Network};
use async_trait::async_trait;
use std::future::Future;
use std::sync::Arc;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId};
use tgw_ha_core::model::{Attachment, Route, RouteTable, VpnConnection};

pub use tgw_ha_core::action::Ec2Action;

/// One call of the [`Network`] port with its arguments, as a layer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call<'a> {
    VpnConnections,
    VpnAttachments {
        tgw: &'a TgwId,
    },
    RouteTables {
        tgw: &'a TgwId,
    },
    StaticRoutes {
        table: &'a RouteTableId,
        attachments: &'a [AttachmentId],
    },
    PrefixListReferences {
        table: &'a RouteTableId,
        attachments: &'a [AttachmentId],
    },
    Write(Write<'a>),
}

impl<'a> Call<'a> {
    /// The EC2 action this call makes.
    pub fn action(&self) -> Ec2Action {
        match self {
            Call::VpnConnections => Ec2Action::DescribeVpnConnections,
            Call::VpnAttachments { .. } => Ec2Action::DescribeTransitGatewayAttachments,
            Call::RouteTables { .. } => Ec2Action::DescribeTransitGatewayRouteTables,
            Call::StaticRoutes { .. } => Ec2Action::SearchTransitGatewayRoutes,
            Call::PrefixListReferences { .. } => Ec2Action::GetTransitGatewayPrefixListReferences,
            Call::Write(w) => w.action(),
        }
    }

    /// The TGW the call names, if it names one (a table call names its table instead).
    pub fn tgw(&self) -> Option<&'a TgwId> {
        match *self {
            Call::VpnAttachments { tgw } | Call::RouteTables { tgw } => Some(tgw),
            _ => None,
        }
    }

    /// The route table the call is about, if any.
    pub fn table(&self) -> Option<&'a RouteTableId> {
        match *self {
            Call::StaticRoutes { table, .. } | Call::PrefixListReferences { table, .. } => {
                Some(table)
            }
            Call::Write(w) => Some(w.table()),
            _ => None,
        }
    }

    /// The write, when the call is one.
    pub fn write(&self) -> Option<Write<'a>> {
        match *self {
            Call::Write(w) => Some(w),
            _ => None,
        }
    }
}

/// One of the port's two writes (a route move), with its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write<'a> {
    /// ReplaceTransitGatewayRoute of `cidr` in `table` to `to`.
    ReplaceRoute {
        table: &'a RouteTableId,
        cidr: &'a str,
        to: &'a AttachmentId,
    },
    /// ModifyTransitGatewayPrefixListReference of `prefix_list` in `table` to `to`.
    ModifyPrefixListReference {
        table: &'a RouteTableId,
        prefix_list: &'a PrefixListId,
        to: &'a AttachmentId,
    },
}

impl<'a> Write<'a> {
    pub fn action(&self) -> Ec2Action {
        match self {
            Write::ReplaceRoute { .. } => Ec2Action::ReplaceTransitGatewayRoute,
            Write::ModifyPrefixListReference { .. } => {
                Ec2Action::ModifyTransitGatewayPrefixListReference
            }
        }
    }

    pub fn table(&self) -> &'a RouteTableId {
        match *self {
            Write::ReplaceRoute { table, .. } | Write::ModifyPrefixListReference { table, .. } => {
                table
            }
        }
    }

    /// The attachment the route moves to.
    pub fn to(&self) -> &'a AttachmentId {
        match *self {
            Write::ReplaceRoute { to, .. } | Write::ModifyPrefixListReference { to, .. } => to,
        }
    }

    /// Make this write on `network`.
    pub async fn send(self, network: &dyn Network) -> Result<(), NetError> {
        match self {
            Write::ReplaceRoute { table, cidr, to } => network.replace_route(table, cidr, to).await,
            Write::ModifyPrefixListReference {
                table,
                prefix_list,
                to,
            } => {
                network
                    .modify_prefix_list_reference(table, prefix_list, to)
                    .await
            }
        }
    }
}

/// What a wrapper adds around a [`Network`]; every hook defaults to "nothing", so a layer
/// implements only the ones it needs. Hooks run on every call, concurrently for concurrent
/// calls: a layer's state needs its own locks.
#[async_trait]
pub trait Layer: Send + Sync {
    /// Before the call reaches the inner network. `Err` answers the call with that error and
    /// the inner network never sees it (nor does [`Layer::after`]).
    async fn before(&self, _call: &Call<'_>) -> Result<(), NetError> {
        Ok(())
    }

    /// Make a write that passed [`Layer::before`]. Forwards to `inner` by default; a layer may
    /// hold it (a gate) or keep it to itself (a dry run answers `Ok` without sending).
    async fn write(&self, inner: &dyn Network, write: Write<'_>) -> Result<(), NetError> {
        write.send(inner).await
    }

    /// After a call that passed [`Layer::before`], with its result.
    fn after(&self, _call: &Call<'_>, _result: Result<(), &NetError>) {}
}

/// A [`Network`] with a [`Layer`] around another one.
pub struct Layered<L> {
    inner: Arc<dyn Network>,
    layer: L,
}

impl<L: Layer> Layered<L> {
    pub fn new(inner: Arc<dyn Network>, layer: L) -> Self {
        Layered { inner, layer }
    }

    pub fn layer(&self) -> &L {
        &self.layer
    }

    /// The network this one wraps.
    pub fn inner(&self) -> &Arc<dyn Network> {
        &self.inner
    }

    async fn run<T>(
        &self,
        call: Call<'_>,
        inner: impl Future<Output = Result<T, NetError>>,
    ) -> Result<T, NetError> {
        self.layer.before(&call).await?;
        let result = inner.await;
        self.layer.after(&call, result.as_ref().map(|_| ()));
        result
    }

    async fn run_write(&self, write: Write<'_>) -> Result<(), NetError> {
        self.run(Call::Write(write), self.layer.write(&*self.inner, write))
            .await
    }
}

/// A layered network reads as its layer: `network.calls()` for a layer that counts.
impl<L> std::ops::Deref for Layered<L> {
    type Target = L;
    fn deref(&self) -> &L {
        &self.layer
    }
}

#[async_trait]
impl<L: Layer> Network for Layered<L> {
    async fn vpn_connections(&self) -> Result<Vec<VpnConnection>, NetError> {
        self.run(Call::VpnConnections, self.inner.vpn_connections())
            .await
    }

    async fn vpn_attachments(&self, tgw: &TgwId) -> Result<Vec<Attachment>, NetError> {
        self.run(
            Call::VpnAttachments { tgw },
            self.inner.vpn_attachments(tgw),
        )
        .await
    }

    async fn route_tables(&self, tgw: &TgwId) -> Result<Vec<RouteTable>, NetError> {
        self.run(Call::RouteTables { tgw }, self.inner.route_tables(tgw))
            .await
    }

    async fn static_routes(
        &self,
        table: &RouteTableId,
        attachments: &[AttachmentId],
    ) -> Result<Vec<Route>, NetError> {
        let call = Call::StaticRoutes { table, attachments };
        self.run(call, self.inner.static_routes(table, attachments))
            .await
    }

    async fn prefix_list_references(
        &self,
        table: &RouteTableId,
        attachments: &[AttachmentId],
    ) -> Result<Vec<Route>, NetError> {
        let call = Call::PrefixListReferences { table, attachments };
        self.run(call, self.inner.prefix_list_references(table, attachments))
            .await
    }

    async fn replace_route(
        &self,
        table: &RouteTableId,
        cidr: &str,
        to: &AttachmentId,
    ) -> Result<(), NetError> {
        self.run_write(Write::ReplaceRoute { table, cidr, to })
            .await
    }

    async fn modify_prefix_list_reference(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
        to: &AttachmentId,
    ) -> Result<(), NetError> {
        self.run_write(Write::ModifyPrefixListReference {
            table,
            prefix_list,
            to,
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A network that records the actions it is asked for; a replace of `10.9.9.0/24` is
    /// refused as EC2 refuses a missing route.
    #[derive(Default)]
    struct Fake(Mutex<Vec<Ec2Action>>);

    impl Fake {
        fn seen(&self) -> Vec<Ec2Action> {
            self.0.lock().unwrap().clone()
        }
        fn note(&self, a: Ec2Action) {
            self.0.lock().unwrap().push(a);
        }
    }

    #[async_trait]
    impl Network for Fake {
        async fn vpn_connections(&self) -> Result<Vec<VpnConnection>, NetError> {
            self.note(Ec2Action::DescribeVpnConnections);
            Ok(vec![])
        }
        async fn vpn_attachments(&self, _: &TgwId) -> Result<Vec<Attachment>, NetError> {
            self.note(Ec2Action::DescribeTransitGatewayAttachments);
            Ok(vec![])
        }
        async fn route_tables(&self, tgw: &TgwId) -> Result<Vec<RouteTable>, NetError> {
            self.note(Ec2Action::DescribeTransitGatewayRouteTables);
            Ok(vec![RouteTable {
                id: RouteTableId::new("tgw-rtb-1"),
                transit_gateway_id: tgw.clone(),
            }])
        }
        async fn static_routes(
            &self,
            _: &RouteTableId,
            _: &[AttachmentId],
        ) -> Result<Vec<Route>, NetError> {
            self.note(Ec2Action::SearchTransitGatewayRoutes);
            Ok(vec![])
        }
        async fn prefix_list_references(
            &self,
            _: &RouteTableId,
            _: &[AttachmentId],
        ) -> Result<Vec<Route>, NetError> {
            self.note(Ec2Action::GetTransitGatewayPrefixListReferences);
            Ok(vec![])
        }
        async fn replace_route(
            &self,
            table: &RouteTableId,
            cidr: &str,
            _: &AttachmentId,
        ) -> Result<(), NetError> {
            self.note(Ec2Action::ReplaceTransitGatewayRoute);
            if cidr == "10.9.9.0/24" {
                return Err(NetError::RouteNotFound {
                    op: Ec2Action::ReplaceTransitGatewayRoute.to_string(),
                    table: table.clone(),
                    destination: cidr.into(),
                });
            }
            Ok(())
        }
        async fn modify_prefix_list_reference(
            &self,
            _: &RouteTableId,
            _: &PrefixListId,
            _: &AttachmentId,
        ) -> Result<(), NetError> {
            self.note(Ec2Action::ModifyTransitGatewayPrefixListReference);
            Ok(())
        }
    }

    /// Every call of the port, once.
    async fn every_call(net: &dyn Network) -> Vec<Result<(), NetError>> {
        let (tgw, table) = (TgwId::new("tgw-1"), RouteTableId::new("tgw-rtb-1"));
        let (att, pl) = (AttachmentId::new("tgw-attach-1"), PrefixListId::new("pl-1"));
        let atts = std::slice::from_ref(&att);
        vec![
            net.vpn_connections().await.map(drop),
            net.vpn_attachments(&tgw).await.map(drop),
            net.route_tables(&tgw).await.map(drop),
            net.static_routes(&table, atts).await.map(drop),
            net.prefix_list_references(&table, atts).await.map(drop),
            net.replace_route(&table, "10.0.0.0/16", &att).await,
            net.modify_prefix_list_reference(&table, &pl, &att).await,
        ]
    }

    struct Nothing;
    impl Layer for Nothing {}

    #[tokio::test]
    async fn a_layer_that_adds_nothing_forwards_every_call() {
        let fake = Arc::new(Fake::default());
        let net = Layered::new(fake.clone(), Nothing);
        assert!(every_call(&net).await.iter().all(Result::is_ok));
        assert_eq!(fake.seen(), Ec2Action::NETWORK);
        let tables = net.route_tables(&TgwId::new("tgw-2")).await.unwrap();
        assert_eq!(
            tables[0].transit_gateway_id,
            TgwId::new("tgw-2"),
            "unchanged"
        );
    }

    /// A call's action and subject, as `before` saw it.
    type Seen = (Ec2Action, Option<TgwId>, Option<RouteTableId>);

    /// Refuses the writes, notes what `before` and `after` saw.
    #[derive(Default)]
    struct Watch {
        before: Mutex<Vec<Seen>>,
        after: Mutex<Vec<(Ec2Action, bool)>>,
        refuse_writes: bool,
    }

    #[async_trait]
    impl Layer for Watch {
        async fn before(&self, call: &Call<'_>) -> Result<(), NetError> {
            let seen = (call.action(), call.tgw().cloned(), call.table().cloned());
            self.before.lock().unwrap().push(seen);
            match call.write() {
                Some(w) if self.refuse_writes => Err(NetError::AccessDenied {
                    op: w.action().to_string(),
                    message: "refused".into(),
                }),
                _ => Ok(()),
            }
        }
        fn after(&self, call: &Call<'_>, result: Result<(), &NetError>) {
            self.after
                .lock()
                .unwrap()
                .push((call.action(), result.is_ok()));
        }
    }

    #[tokio::test]
    async fn before_sees_each_call_with_its_subject_and_may_refuse_it() {
        let fake = Arc::new(Fake::default());
        let net = Layered::new(
            fake.clone(),
            Watch {
                refuse_writes: true,
                ..Watch::default()
            },
        );
        let results = every_call(&net).await;
        assert!(results[..5].iter().all(Result::is_ok));
        assert!(matches!(results[5], Err(NetError::AccessDenied { .. })));
        assert!(matches!(results[6], Err(NetError::AccessDenied { .. })));
        assert_eq!(fake.seen(), Ec2Action::NETWORK[..5], "refused: never sent");

        let (tgw, table) = (
            Some(TgwId::new("tgw-1")),
            Some(RouteTableId::new("tgw-rtb-1")),
        );
        let before = net.before.lock().unwrap().clone();
        let subjects: Vec<_> = before
            .iter()
            .map(|(_, g, t)| (g.clone(), t.clone()))
            .collect();
        assert_eq!(
            subjects,
            [
                (None, None),
                (tgw.clone(), None),
                (tgw, None),
                (None, table.clone()),
                (None, table.clone()),
                (None, table.clone()),
                (None, table),
            ]
        );
        // `after` only for the calls that passed `before`.
        let after = net.layer().after.lock().unwrap().clone();
        let passed: Vec<_> = Ec2Action::NETWORK[..5].iter().map(|a| (*a, true)).collect();
        assert_eq!(after, passed);
    }

    #[tokio::test]
    async fn after_sees_the_inner_networks_error_and_the_error_is_returned_unchanged() {
        let fake = Arc::new(Fake::default());
        let net = Layered::new(fake.clone(), Watch::default());
        let (table, att) = (
            RouteTableId::new("tgw-rtb-1"),
            AttachmentId::new("tgw-attach-1"),
        );
        let e = net
            .replace_route(&table, "10.9.9.0/24", &att)
            .await
            .unwrap_err();
        assert!(
            matches!(e, NetError::RouteNotFound { ref destination, .. } if destination == "10.9.9.0/24")
        );
        let after = net.after.lock().unwrap().clone();
        assert_eq!(after, [(Ec2Action::ReplaceTransitGatewayRoute, false)]);
    }

    /// Keeps every write to itself, as a dry run does.
    #[derive(Default)]
    struct Keep(Mutex<Vec<String>>);

    #[async_trait]
    impl Layer for Keep {
        async fn write(&self, _inner: &dyn Network, write: Write<'_>) -> Result<(), NetError> {
            let what = match write {
                Write::ReplaceRoute { cidr, .. } => cidr.to_owned(),
                Write::ModifyPrefixListReference { prefix_list, .. } => prefix_list.to_string(),
            };
            self.0
                .lock()
                .unwrap()
                .push(format!("{} {what} -> {}", write.action(), write.to()));
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_layer_may_keep_the_writes_and_still_forward_the_reads() {
        let fake = Arc::new(Fake::default());
        let net = Layered::new(fake.clone(), Keep::default());
        assert!(every_call(&net).await.iter().all(Result::is_ok));
        assert_eq!(fake.seen(), Ec2Action::NETWORK[..5]);
        assert_eq!(
            *net.0.lock().unwrap(),
            [
                "ReplaceTransitGatewayRoute 10.0.0.0/16 -> tgw-attach-1",
                "ModifyTransitGatewayPrefixListReference pl-1 -> tgw-attach-1",
            ]
        );
    }

    #[tokio::test]
    async fn layers_stack() {
        let fake = Arc::new(Fake::default());
        let inner: Arc<dyn Network> = Arc::new(Layered::new(fake.clone(), Keep::default()));
        let net = Layered::new(inner, Watch::default());
        assert!(every_call(&net).await.iter().all(Result::is_ok));
        assert_eq!(net.after.lock().unwrap().len(), 7);
        assert_eq!(
            fake.seen(),
            Ec2Action::NETWORK[..5],
            "the inner layer kept the writes"
        );
    }
}
