//! [`Gate`]: a [`Layer`] whose route moves wait until the test opens it, so that the run that
//! holds a TGW's lease stays in the middle of its moves while the test sends other triggers.
//!
//! Contract: reads pass at once. Every write counts itself in [`Gate::waiting`], then waits
//! until [`Gate::open`]; once open, the gate stays open for every write. Clones share the gate.
//! Here beside the sim's other test doubles (rather than behind the engine's `testing`
//! feature) so that every crate's tests reach it without a feature.

use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tgw_ha_engine::layer::{Call, Layer, Layered};
use tgw_ha_engine::ports::{NetError, Network};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Gate {
    open: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate::closed()
    }
}

impl Gate {
    pub fn closed() -> Self {
        Gate {
            open: Arc::new(Semaphore::new(0)),
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Let every write through, those waiting and those to come.
    pub fn open(&self) {
        // One permit that each write takes and gives back at once.
        self.open.add_permits(1);
    }

    /// How many writes have reached the gate so far (passed or waiting).
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// `inner` with its writes behind this gate.
    pub fn around(&self, inner: Arc<dyn Network>) -> Arc<dyn Network> {
        Arc::new(Layered::new(inner, self.clone()))
    }
}

#[async_trait]
impl Layer for Gate {
    async fn before(&self, call: &Call<'_>) -> Result<(), NetError> {
        if call.write().is_some() {
            self.waiting.fetch_add(1, Ordering::SeqCst);
            // Never closed, so `acquire` cannot fail; the permit goes back when dropped.
            let _pass = self.open.acquire().await.expect("the gate is never closed");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sim, demo_world};
    use tgw_ha_core::ids::{AttachmentId, RouteTableId};

    #[tokio::test]
    async fn writes_wait_until_the_gate_opens_reads_do_not() {
        let sim = Sim::new(demo_world());
        let gate = Gate::closed();
        let net = gate.around(sim.ports().network);
        net.vpn_connections().await.expect("a read passes");
        assert_eq!(gate.waiting(), 0);

        let table = RouteTableId::new(crate::demo_world::RTB_PROD);
        let to = AttachmentId::new(crate::demo_world::ATT_PARIS);
        let cidr = sim
            .world()
            .routes_in(&table)
            .next()
            .expect("a route")
            .destination
            .clone();
        let write = tokio::spawn({
            let net = net.clone();
            async move { net.replace_route(&table, &cidr, &to).await }
        });
        while gate.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(!write.is_finished(), "held at the gate");
        gate.open();
        write.await.expect("joined").expect("moved once open");
    }
}
