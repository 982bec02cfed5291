//! The tgw-ha ports over the AWS SDK for Rust: EC2 as [`Ec2Network`], the engine's
//! [`Network`](tgw_ha_engine::ports::Network) port; DynamoDB as [`DynamoStore`], its
//! [`StateStore`](tgw_ha_engine::ports::StateStore) and [`Lease`](tgw_ha_engine::ports::Lease)
//! (layout in `docs/state.md`); SNS as [`SnsNotifier`], its
//! [`Notifier`](tgw_ha_engine::ports::Notifier). CloudWatch: [`alarms`], one alarm per member
//! VPN, kept in step with the tags (`tgw-ha alarms sync`).
//!
//! Contract: every read returns all pages — SearchTransitGatewayRoutes included, whether EC2
//! pages it with `NextToken` or only says `AdditionalRoutesAvailable` (then the search is
//! narrowed by address range until complete); nothing is silently truncated. Routes are found
//! by attachment id and by `state=blackhole`, never filtered on `state=active`. Writes move one
//! route or one prefix-list reference per call, with no SDK retries: the engine's executor
//! paces and retries them. SDK errors become [`NetError`](tgw_ha_engine::ports::NetError)s:
//! throttling and 5xx are retryable, a vanished route is `RouteNotFound`, missing permissions
//! name the IAM action.
//!
//! [`Ec2PrefixLists`] is the prefix-list conversion's
//! [`PrefixListAdmin`](tgw_ha_engine::prefix_lists::PrefixListAdmin) port (`tgw-ha prefix-lists`).
//!
//! [`AwsBackend`] is the application service's backend over all of these (the Lambda's and the
//! CLI's), with the CloudWatch alarm sync after a sweep ([`CloudWatchAlarms`]).
//!
//! Configuration ([`config`]) is the usual AWS chain plus the CLI's region, profile, endpoint
//! and role overrides. No SDK type crosses this crate's port: the engine never sees one.

pub mod alarms;
pub mod backend;
pub mod config;
pub mod dynamodb;
mod errors;
mod network;
mod prefix_lists;
mod search;
pub mod sns;

pub use backend::{AwsBackend, BackendConfig, CloudWatchAlarms, NoLedger};
pub use config::{
    AwsOptions, cloudwatch_client, dynamodb_client, ec2_client, load_sdk_config,
    load_sdk_config_with, sns_client,
};
pub use dynamodb::{DynamoStore, TableCreation, create_table};
pub use network::Ec2Network;
pub use prefix_lists::Ec2PrefixLists;
pub use sns::{SnsNotifier, render};
