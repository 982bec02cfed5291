//! The service's backend in AWS ([`tgw_ha_engine::service::Backend`]), the same for the Lambda
//! function and the CLI: EC2 through the SDK (a client per Region the triggers name), the
//! ledger and lease in DynamoDB ([`BackendConfig::table`]), notifications to SNS
//! ([`BackendConfig::topic_arn`]), CloudWatch alarms kept in step after a sweep
//! ([`CloudWatchAlarms`]). Endpoints and credentials come from the SDK's standard
//! configuration, so `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL_DYNAMODB` and
//! `AWS_ENDPOINT_URL_SNS` point it at local servers. The clock is injectable
//! ([`AwsBackend::with_clock`]): tests skip a hold-down or a lease instead of sleeping.

use crate::{DynamoStore, Ec2Network, SnsNotifier};
use async_trait::async_trait;
use aws_config::{Region, SdkConfig};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::policy::Policy;
use tgw_ha_core::state::TgwState;
use tgw_ha_engine::ports::{
    Clock, Lease, Network, NoNotifier, Notifier, Ports, StateStore, StoreError, SystemClock,
    Versioned,
};
use tgw_ha_engine::service::{AlarmSync, Backend, ServiceError};

/// Where the backend keeps its ledger and sends its notifications (the Lambda's
/// `TGW_HA_TABLE` and `TGW_HA_TOPIC_ARN`, the CLI's `--table` and `--topic-arn`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendConfig {
    /// The DynamoDB table of the ledger and lease; without it, only reads run.
    pub table: Option<String>,
    /// The SNS topic of notifications; none without it.
    pub topic_arn: Option<String>,
}

pub struct AwsBackend {
    sdk: SdkConfig,
    ec2_endpoint: Option<String>,
    /// EC2 endpoints by Region, over `ec2_endpoint` (tests: one sandbox per Region).
    ec2_endpoints: BTreeMap<String, String>,
    /// EC2 ports by Region (`None`: the configuration's own), built on first use.
    networks: Mutex<BTreeMap<Option<String>, Arc<Ec2Network>>>,
    store: Arc<dyn StateStore>,
    lease: Arc<dyn Lease>,
    has_ledger: bool,
    /// The topic, when there is one: each Region's ports get a copy that names the Region.
    sns: Option<SnsNotifier>,
    clock: Arc<dyn Clock>,
}

impl AwsBackend {
    /// The standard AWS configuration chain of the process (the Lambda's role and Region).
    pub async fn from_env(config: impl Into<BackendConfig>) -> Self {
        let sdk = crate::load_sdk_config(&crate::AwsOptions::default()).await;
        Self::new(sdk, config)
    }

    /// Over a given SDK configuration; sends no request.
    pub fn new(sdk: SdkConfig, config: impl Into<BackendConfig>) -> Self {
        let config = config.into();
        let (store, lease, has_ledger): (Arc<dyn StateStore>, Arc<dyn Lease>, bool) =
            match &config.table {
                Some(table) => {
                    let s = Arc::new(DynamoStore::new(crate::dynamodb_client(&sdk), table));
                    (s.clone(), s, true)
                }
                None => (Arc::new(NoLedger), Arc::new(NoLedger), false),
            };
        let sns = config
            .topic_arn
            .as_ref()
            .map(|arn| SnsNotifier::new(crate::sns_client(&sdk), arn));
        Self {
            sdk,
            ec2_endpoint: None,
            ec2_endpoints: BTreeMap::new(),
            networks: Mutex::default(),
            store,
            lease,
            has_ledger,
            sns,
            clock: Arc::new(SystemClock),
        }
    }

    /// Send EC2 requests here whatever the Region (the CLI's `--endpoint-url`, tests).
    pub fn with_ec2_endpoint(mut self, url: Option<String>) -> Self {
        self.ec2_endpoint = url;
        self
    }

    /// Read time from `clock` (tests: a clock they move past a hold-down or a lease instead of
    /// waiting). Call before the first request: the EC2 ports built take the clock then.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Send `region`'s EC2 requests to `url` (tests run one sandbox per Region).
    pub fn with_ec2_endpoint_for(mut self, region: &str, url: String) -> Self {
        self.ec2_endpoints.insert(region.to_owned(), url);
        self
    }

    /// Use another state store and lease (the CLI's `--state-file`).
    pub fn with_state(mut self, store: Arc<dyn StateStore>, lease: Arc<dyn Lease>) -> Self {
        self.store = store;
        self.lease = lease;
        self.has_ledger = true;
        self
    }

    /// The Region of the function's own clients.
    pub fn home_region(&self) -> Option<&str> {
        self.sdk.region().map(|r| r.as_ref())
    }

    /// The EC2 client for `region` (`None` or the home Region: the configuration's own).
    pub fn ec2_client(&self, region: Option<&str>) -> aws_sdk_ec2::Client {
        let base = crate::ec2_client(&self.sdk);
        let mut builder = base.config().to_builder();
        if let Some(r) = region {
            builder = builder.region(Region::new(r.to_owned()));
        }
        let effective = region.or(self.home_region());
        if let Some(url) = effective
            .and_then(|r| self.ec2_endpoints.get(r))
            .or(self.ec2_endpoint.as_ref())
        {
            builder = builder.endpoint_url(url);
        }
        aws_sdk_ec2::Client::from_conf(builder.build())
    }

    fn network(&self, region: Option<&str>) -> Arc<Ec2Network> {
        let key = region
            .filter(|r| Some(*r) != self.home_region())
            .map(str::to_owned);
        let mut networks = self
            .networks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        networks
            .entry(key.clone())
            .or_insert_with(|| {
                Arc::new(
                    Ec2Network::new(self.ec2_client(key.as_deref())).with_clock(self.clock.clone()),
                )
            })
            .clone()
    }
}

impl Backend for AwsBackend {
    fn ports(&self, region: Option<&str>) -> Result<Ports, ServiceError> {
        let notifier: Arc<dyn Notifier> = match (&self.sns, region.or(self.home_region())) {
            (Some(sns), Some(r)) => Arc::new(sns.in_region(r)),
            (Some(sns), None) => Arc::new(sns.clone()),
            (None, _) => Arc::new(NoNotifier),
        };
        Ok(Ports {
            network: self.network(region),
            store: self.store.clone(),
            lease: self.lease.clone(),
            notifier,
            clock: self.clock.clone(),
        })
    }

    fn has_ledger(&self) -> bool {
        self.has_ledger
    }

    fn ledger_remedy(&self) -> String {
        LEDGER_REMEDY.into()
    }

    fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    fn home_region(&self) -> Option<String> {
        self.sdk.region().map(|r| r.to_string())
    }

    fn alarms(&self, region: Option<&str>) -> Option<Arc<dyn AlarmSync>> {
        let base = crate::cloudwatch_client(&self.sdk);
        let mut builder = base.config().to_builder();
        if let Some(r) = region {
            builder = builder.region(Region::new(r.to_owned()));
        }
        Some(Arc::new(CloudWatchAlarms(
            aws_sdk_cloudwatch::Client::from_conf(builder.build()),
        )))
    }
}

/// Alarm sync over CloudWatch in one Region (the alarms watch that Region's VPNs).
pub struct CloudWatchAlarms(pub aws_sdk_cloudwatch::Client);

#[async_trait]
impl AlarmSync for CloudWatchAlarms {
    async fn sync(
        &self,
        network: &dyn Network,
        policy: &Policy,
        prefix: &str,
    ) -> Result<String, String> {
        let r = crate::alarms::sync(&self.0, network, policy, prefix, false)
            .await
            .map_err(|e| e.to_string())?;
        if r.failed.is_empty() {
            Ok(format!("{} alarm changes applied", r.applied.len()))
        } else {
            Err(format!(
                "{} applied, {} failed: {}",
                r.applied.len(),
                r.failed.len(),
                r.failed
                    .iter()
                    .map(|(n, e)| format!("{n} ({e})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
}

/// What to set when there is no ledger: the function's variable, or the CLI's flags.
const LEDGER_REMEDY: &str = "set TGW_HA_TABLE (--table NAME) to the DynamoDB table of the \
ledger and lease shared with the function, or give the CLI --state-file PATH (a local JSON \
file); read-only actions such as {\"action\": \"status\"}, and dry runs, work without one";

const NO_TABLE: &str = "this writes routes or state and there is no ledger: set TGW_HA_TABLE \
(--table NAME) to the DynamoDB table shared with the function, or give the CLI --state-file PATH \
(a local JSON file); reads and --dry-run work without one. Nothing changed";

/// Reads see an empty state; writes are refused (the service refuses them earlier, with a
/// message naming the trigger).
pub struct NoLedger;

#[async_trait]
impl StateStore for NoLedger {
    async fn load(&self, _: &TgwId) -> Result<Versioned<TgwState>, StoreError> {
        Ok(Versioned {
            value: TgwState::default(),
            version: 0,
        })
    }
    async fn save(&self, _: &TgwId, _: u64, _: &TgwState) -> Result<u64, StoreError> {
        Err(StoreError::Other(NO_TABLE.into()))
    }
}

#[async_trait]
impl Lease for NoLedger {
    async fn acquire(
        &self,
        _: &TgwId,
        _: &str,
        _: Duration,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        Err(StoreError::Other(NO_TABLE.into()))
    }
    async fn renew(
        &self,
        _: &TgwId,
        _: &str,
        _: Duration,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn release(&self, _: &TgwId, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::BehaviorVersion;
    use aws_sdk_ec2::config::Credentials;

    async fn backend(endpoint: Option<&str>) -> AwsBackend {
        let loader = aws_config::defaults(BehaviorVersion::latest())
            .credentials_provider(Credentials::new("test", "test", None, None, "test"));
        let sdk = crate::load_sdk_config_with(
            loader,
            &crate::AwsOptions {
                region: Some("us-west-2".into()),
                endpoint_url: Some("http://127.0.0.1:9".into()),
                ..crate::AwsOptions::default()
            },
        )
        .await;
        AwsBackend::new(sdk, BackendConfig::default())
            .with_ec2_endpoint(endpoint.map(str::to_owned))
    }

    #[tokio::test]
    async fn ec2_clients_follow_the_trigger_region() {
        let b = backend(None).await;
        assert_eq!(b.home_region(), Some("us-west-2"));
        let region = |c: aws_sdk_ec2::Client| c.config().region().map(|r| r.to_string());
        assert_eq!(region(b.ec2_client(None)).as_deref(), Some("us-west-2"));
        assert_eq!(
            region(b.ec2_client(Some("eu-west-1"))).as_deref(),
            Some("eu-west-1")
        );
        // One port per Region, reused; the home Region's is the default one.
        let a = b.network(Some("eu-west-1"));
        assert!(Arc::ptr_eq(&a, &b.network(Some("eu-west-1"))));
        assert!(Arc::ptr_eq(&b.network(None), &b.network(Some("us-west-2"))));
        assert!(!Arc::ptr_eq(&a, &b.network(None)));
        assert!(!b.has_ledger());
    }

    #[tokio::test]
    async fn the_clock_is_the_one_injected() {
        let clock = Arc::new(tgw_ha_engine::testing::SkipClock::default());
        let b = backend(None).await.with_clock(clock.clone());
        let later = clock.now() + chrono::Duration::hours(1);
        clock.skip_past(later);
        assert!(Backend::clock(&b).now() >= later);
        assert!(b.ports(None).expect("ports").clock.now() >= later);
    }
}
