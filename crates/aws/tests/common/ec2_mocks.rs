//! The EC2 client over `aws-smithy-mocks` rules, for the SDK-boundary test binaries.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::config::retry::RetryConfig;
use aws_smithy_mocks::{Rule, RuleMode, mock_client};
use tgw_ha_aws::Ec2Network;
use tgw_ha_core::ids::{AttachmentId, RouteTableId};

/// A client over `rules`, with the SDK's standard retries on (as `ec2_client` leaves them for
/// reads), so that tests see which calls the SDK retries and which it must not.
pub fn network(mode: RuleMode, rules: &[&Rule]) -> Ec2Network {
    let client: Client = mock_client!(aws_sdk_ec2, mode, rules, |c| c
        .retry_config(RetryConfig::standard().with_max_attempts(3)));
    Ec2Network::new(client)
}

pub fn ec2_error(code: &str, message: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>5d9a6c2e-0000-4000-8000-000000000001</RequestID></Response>"#
    )
}

pub fn table() -> RouteTableId {
    RouteTableId::new("tgw-rtb-1")
}

pub fn att(s: &str) -> AttachmentId {
    AttachmentId::new(s)
}

pub fn cidrs(routes: &[tgw_ha_core::model::Route]) -> std::collections::BTreeSet<String> {
    routes.iter().map(|r| r.destination.to_string()).collect()
}
