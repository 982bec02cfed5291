//! Where the SDK's configuration comes from: the usual AWS chain (environment, profile files,
//! SSO, container and instance metadata), with the CLI's `--region`, `--profile`,
//! `--endpoint-url` and `--role-arn` laid over it.
//!
//! Never: reads or stores credentials itself, or guesses a Region. Building a config sends no
//! request; credentials are resolved (and a role assumed) on the first call.

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};
use aws_sdk_ec2::config::SharedCredentialsProvider;
use std::time::Duration;

/// Overrides of the AWS configuration chain, as given on the command line or by the Lambda.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsOptions {
    pub region: Option<String>,
    /// A named profile of `~/.aws/config`.
    pub profile: Option<String>,
    /// Send every request here instead of AWS (the sandbox, a proxy).
    pub endpoint_url: Option<String>,
    /// Assume this role, with the chain's credentials, before calling EC2.
    pub role_arn: Option<String>,
}

/// The session name CloudTrail shows for an assumed role.
const SESSION_NAME: &str = "tgw-ha";

/// Load the chain with `opts` laid over it.
pub async fn load_sdk_config(opts: &AwsOptions) -> SdkConfig {
    load_sdk_config_with(aws_config::defaults(BehaviorVersion::latest()), opts).await
}

/// [`load_sdk_config`] starting from a given loader (tests pass one with static credentials).
pub async fn load_sdk_config_with(mut loader: ConfigLoader, opts: &AwsOptions) -> SdkConfig {
    if let Some(region) = &opts.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    // The endpoint override is applied after the role's provider is built: STS copies the
    // endpoint of the config it is given, and `--endpoint-url` names an EC2 endpoint.
    let base = loader.load().await;
    let mut builder = base.clone().into_builder();
    if let Some(role) = &opts.role_arn {
        let provider = AssumeRoleProvider::builder(role.clone())
            .session_name(SESSION_NAME)
            .configure(&base)
            .build()
            .await;
        builder.set_credentials_provider(Some(SharedCredentialsProvider::new(provider)));
    }
    if let Some(url) = &opts.endpoint_url {
        builder.set_endpoint_url(Some(url.clone()));
    }
    builder.build()
}

/// An EC2 client for [`crate::Ec2Network`].
///
/// Retries: reads keep the chain's retry policy (standard: 3 attempts, jittered backoff), so a
/// throttled page of a long search is retried alone instead of the engine restarting the whole
/// search. Writes go through a copy with SDK retries off (`Ec2Clients`): the engine's
/// executor paces writes to EC2's mutating budget and retries them itself, and hidden SDK
/// retries would both multiply its attempts and spend that budget behind its back.
///
/// Timeouts: the SDK sets no read timeout by default, and a hung connection would hold a
/// Lambda until its own deadline. Each attempt gets [`ATTEMPT_TIMEOUT`], which surfaces as a
/// retryable `Unavailable`.
pub fn ec2_client(config: &SdkConfig) -> aws_sdk_ec2::Client {
    let conf = aws_sdk_ec2::config::Builder::from(config)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        )
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
}

/// A DynamoDB client for [`crate::DynamoStore`] and [`crate::create_table`]: the chain's retry
/// policy (standard: 3 attempts, jittered backoff, throttling included) and the same per-attempt
/// timeouts as EC2. SDK retries are safe here: every write is conditional and idempotent for the
/// writer that made it (a retried head put that had landed is recognised by its write token).
pub fn dynamodb_client(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::config::Builder::from(config)
        .timeout_config(timeouts())
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

/// An SNS client for [`crate::SnsNotifier`], with the chain's retries and the same timeouts.
/// A retried Publish may deliver a message twice; one lost is worse.
pub fn sns_client(config: &SdkConfig) -> aws_sdk_sns::Client {
    let conf = aws_sdk_sns::config::Builder::from(config)
        .timeout_config(timeouts())
        .build();
    aws_sdk_sns::Client::from_conf(conf)
}

/// A CloudWatch client for [`crate::alarms`], with the chain's retries (throttled alarm writes
/// back off and retry: PutMetricAlarm's budget is a few calls a second) and the same timeouts.
pub fn cloudwatch_client(config: &SdkConfig) -> aws_sdk_cloudwatch::Client {
    let conf = aws_sdk_cloudwatch::config::Builder::from(config)
        .timeout_config(timeouts())
        .build();
    aws_sdk_cloudwatch::Client::from_conf(conf)
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .build()
}

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

/// The EC2 client of [`crate::Ec2Network`] and [`crate::Ec2PrefixLists`]: `reads` as given
/// (built by [`ec2_client`]), `writes` the same with SDK retries off, since the executor paces
/// and retries the writes itself. The same configuration otherwise (endpoint, credentials,
/// timeouts, interceptors).
#[derive(Clone)]
pub(crate) struct Ec2Clients {
    pub(crate) reads: aws_sdk_ec2::Client,
    pub(crate) writes: aws_sdk_ec2::Client,
}

impl Ec2Clients {
    pub(crate) fn new(client: aws_sdk_ec2::Client) -> Self {
        let conf = client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        Self {
            writes: aws_sdk_ec2::Client::from_conf(conf),
            reads: client,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::config::Credentials;

    fn test_loader() -> ConfigLoader {
        aws_config::defaults(BehaviorVersion::latest())
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
    }

    #[tokio::test]
    async fn overrides_are_applied() {
        let opts = AwsOptions {
            region: Some("eu-west-3".into()),
            profile: None,
            endpoint_url: Some("http://127.0.0.1:9".into()),
            role_arn: None,
        };
        let conf = load_sdk_config_with(test_loader(), &opts).await;
        assert_eq!(conf.region().map(|r| r.as_ref()), Some("eu-west-3"));
        assert_eq!(conf.endpoint_url(), Some("http://127.0.0.1:9"));
        let client = ec2_client(&conf);
        let c = client.config();
        assert_eq!(c.region().map(|r| r.as_ref()), Some("eu-west-3"));
        let t = c.timeout_config().expect("timeouts");
        assert_eq!(t.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
        assert_eq!(t.connect_timeout(), Some(CONNECT_TIMEOUT));
    }

    #[tokio::test]
    async fn role_replaces_the_credentials_provider_without_calling_sts() {
        let opts = AwsOptions {
            region: Some("us-east-1".into()),
            endpoint_url: Some("http://127.0.0.1:9".into()),
            role_arn: Some("arn:aws:iam::123456789012:role/tgw-ha".into()),
            ..AwsOptions::default()
        };
        let with_role = load_sdk_config_with(test_loader(), &opts).await;
        let without = load_sdk_config_with(
            test_loader(),
            &AwsOptions {
                role_arn: None,
                ..opts.clone()
            },
        )
        .await;
        let name = |c: &SdkConfig| format!("{:?}", c.credentials_provider().expect("provider"));
        assert!(
            name(&with_role).contains("AssumeRole"),
            "{}",
            name(&with_role)
        );
        assert!(!name(&without).contains("AssumeRole"), "{}", name(&without));
        assert_eq!(with_role.endpoint_url(), Some("http://127.0.0.1:9"));
    }
}
