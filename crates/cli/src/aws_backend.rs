//! The AWS backend: EC2 through the AWS SDK, the ledger in DynamoDB (`--table`) or a local file
//! (`--state-file`), notifications to SNS (`--topic-arn`). Only built with the `aws` feature.
//! The backend itself is the Lambda's ([`tgw_ha_aws::AwsBackend`]), and so is the service over
//! it: a command runs under the same rules as the function.

use crate::config::Config;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;
use tgw_ha_aws::{AwsBackend, AwsOptions};
use tgw_ha_core::policy::Policy;
use tgw_ha_engine::Service;

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

    /// The same backend as the Lambda's, with the CLI's EC2 endpoint and ledger location.
    pub async fn backend(&self, config: &Config) -> AwsBackend {
        let mut backend = AwsBackend::new(self.sdk_config().await, config)
            .with_ec2_endpoint(self.endpoint_url.clone());
        if self.table.is_none()
            && let Some(path) = &self.state_file
        {
            let store = Arc::new(crate::state_file::FileStore::new(path.clone()));
            backend = backend.with_state(store.clone(), store);
        }
        backend
    }

    /// The Lambda's configuration, with the CLI's policy, table and topic.
    pub fn config(&self, policy: Policy, log: &str) -> anyhow::Result<Config> {
        // Alarm settings come from the same variables as the function's.
        let env = Config::from_env()?;
        Ok(Config {
            policy,
            table: self.table.clone(),
            topic_arn: self.topic_arn.clone(),
            log: log.to_owned(),
            alarm_sync: env.alarm_sync,
            alarm_prefix: env.alarm_prefix,
            regions: env.regions,
        })
    }

    /// The application service over this backend, with the function's settings (Regions,
    /// alarm sync) and the CLI's policy.
    pub async fn service(&self, policy: Policy) -> anyhow::Result<Service> {
        let config = self.config(policy, "")?;
        let backend = self.backend(&config).await;
        Ok(Service::new(Arc::new(backend), config.service_config()))
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
