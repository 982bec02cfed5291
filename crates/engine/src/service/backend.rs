//! The service's own ports: where the engine's [`Ports`] come from for a Region, and the
//! CloudWatch alarm sync that follows a sweep. The sim, the AWS adapters and the tests
//! implement them; the service decides when each is used.

use crate::ports::{Clock, Network, Ports};
use crate::service::ServiceError;
use async_trait::async_trait;
use std::sync::Arc;
use tgw_ha_core::policy::Policy;

/// Where a service gets its ports from: one per front end (the Lambda's environment, the CLI's
/// flags, a world file, a test's doubles).
pub trait Backend: Send + Sync {
    /// The ports of one run, with the EC2 side in `region` (`None`: the backend's own Region).
    /// The state store, lease and notifier stay in the backend's own Region.
    fn ports(&self, region: Option<&str>) -> Result<Ports, ServiceError>;
    /// Whether there is a ledger to write to; without one, only reads run.
    fn has_ledger(&self) -> bool;
    /// What to configure when there is no ledger (named in the refusal of a write).
    fn ledger_remedy(&self) -> String {
        "configure a state store for the ledger and lease".into()
    }
    /// The clock of the ports (for the timestamp of a refused or declined run).
    fn clock(&self) -> Arc<dyn Clock>;
    /// The backend's own Region, when known: the default of every Region choice, and the one
    /// whose state keys stay the bare TGW id.
    fn home_region(&self) -> Option<String> {
        None
    }
    /// Where CloudWatch alarms are kept in step with the groups of `region`; none by default.
    fn alarms(&self, _region: Option<&str>) -> Option<Arc<dyn AlarmSync>> {
        None
    }
}

/// Keeps one CloudWatch alarm per member VPN (`tgw_ha_aws::alarms`). Returns a summary, or
/// what failed.
#[async_trait]
pub trait AlarmSync: Send + Sync {
    async fn sync(
        &self,
        network: &dyn Network,
        policy: &Policy,
        prefix: &str,
    ) -> Result<String, String>;
}
