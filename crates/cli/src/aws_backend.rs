//! The AWS backend: EC2 through the AWS SDK, the ledger in DynamoDB (`--table`) or a local file
//! (`--state-file`), notifications to SNS (`--topic-arn`). Only built with the `aws` feature.

use crate::backend::owner;
use anyhow::Context;
use async_trait::async_trait;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;
use tgw_ha_aws::{AwsOptions, DynamoStore, Ec2Network, SnsNotifier};
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::policy::Policy;
use tgw_ha_core::state::TgwState;
use tgw_ha_engine::ports::{
    Lease, NoNotifier, Notifier, Ports, StateStore, StoreError, SystemClock, Versioned,
};
use tgw_ha_engine::{Engine, EngineConfig};

#[derive(Debug, Clone, Args)]
pub struct AwsArgs {
    /// AWS Region (default: the usual AWS configuration chain).
    #[arg(long, global = true, env = "AWS_REGION")]
    pub region: Option<String>,
    /// Named profile of ~/.aws/config.
    #[arg(long, global = true, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Send EC2 requests here (e.g. the sandbox: http://127.0.0.1:PORT). DynamoDB and SNS follow
    /// the SDK's own settings (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SNS).
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Assume this IAM role before calling AWS.
    #[arg(long, global = true)]
    pub role_arn: Option<String>,
    /// DynamoDB table holding the ledger and lease (shared with the deployed function).
    #[arg(long, global = true, env = "TGW_HA_TABLE")]
    pub table: Option<String>,
    /// Local JSON file holding the ledger, when there is no table.
    #[arg(
        long,
        global = true,
        env = "TGW_HA_STATE_FILE",
        conflicts_with = "table"
    )]
    pub state_file: Option<PathBuf>,
    /// SNS topic for notifications (failover, failback, down, recovered).
    #[arg(long, global = true, env = "TGW_HA_TOPIC_ARN")]
    pub topic_arn: Option<String>,
}

impl AwsArgs {
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        tgw_ha_aws::load_sdk_config(&AwsOptions {
            region: self.region.clone(),
            profile: self.profile.clone(),
            // Applied to the EC2 client only, below.
            endpoint_url: None,
            role_arn: self.role_arn.clone(),
        })
        .await
    }

    pub async fn engine(&self, policy: Policy) -> anyhow::Result<Engine> {
        let conf = self.sdk_config().await;
        let mut ec2 = tgw_ha_aws::ec2_client(&conf);
        if let Some(url) = &self.endpoint_url {
            ec2 =
                aws_sdk_ec2::Client::from_conf(ec2.config().to_builder().endpoint_url(url).build());
        }
        let (store, lease): (Arc<dyn StateStore>, Arc<dyn Lease>) =
            match (&self.table, &self.state_file) {
                (Some(table), _) => {
                    let s = Arc::new(DynamoStore::new(tgw_ha_aws::dynamodb_client(&conf), table));
                    (s.clone(), s)
                }
                (None, Some(path)) => {
                    let s = Arc::new(crate::state_file::FileStore::new(path.clone()));
                    (s.clone(), s)
                }
                (None, None) => (Arc::new(NoLedger), Arc::new(NoLedger)),
            };
        let notifier: Arc<dyn Notifier> = match &self.topic_arn {
            Some(arn) => Arc::new(SnsNotifier::new(tgw_ha_aws::sns_client(&conf), arn)),
            None => Arc::new(NoNotifier),
        };
        let clock = Arc::new(SystemClock);
        Ok(Engine::new(
            Ports {
                network: Arc::new(Ec2Network::new(ec2).with_clock(clock.clone())),
                store,
                lease,
                notifier,
                clock,
            },
            EngineConfig {
                policy,
                owner: owner(),
                ..EngineConfig::default()
            },
        ))
    }

    pub async fn create_table(&self) -> anyhow::Result<String> {
        let table = self
            .table
            .clone()
            .unwrap_or_else(|| tgw_ha_aws::dynamodb::DEFAULT_TABLE.to_string());
        let conf = self.sdk_config().await;
        let r = tgw_ha_aws::create_table(&tgw_ha_aws::dynamodb_client(&conf), &table)
            .await
            .with_context(|| format!("cannot create table {table}"))?;
        Ok(format!("table {table}: {r:?}"))
    }
}

const NO_LEDGER: &str = "this command writes routes and needs a ledger: give --table NAME (the \
DynamoDB table shared with the function; TGW_HA_TABLE) or --state-file PATH (a local JSON file), \
or add --dry-run";

/// Reads work without a ledger (routes moved earlier are then not known as moved); writes are
/// refused before anything changes, with a message that says how to give one.
struct NoLedger;

#[async_trait]
impl StateStore for NoLedger {
    async fn load(&self, _tgw: &TgwId) -> Result<Versioned<TgwState>, StoreError> {
        Ok(Versioned {
            value: TgwState::default(),
            version: 0,
        })
    }
    async fn save(&self, _: &TgwId, _: u64, _: &TgwState) -> Result<u64, StoreError> {
        Err(StoreError::Other(NO_LEDGER.into()))
    }
}

#[async_trait]
impl Lease for NoLedger {
    async fn acquire(
        &self,
        _: &TgwId,
        _: &str,
        _: std::time::Duration,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        Err(StoreError::Other(NO_LEDGER.into()))
    }
    async fn renew(
        &self,
        _: &TgwId,
        _: &str,
        _: std::time::Duration,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn release(&self, _: &TgwId, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
}
