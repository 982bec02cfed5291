//! `tgw-ha alarms sync`: one CloudWatch alarm per member VPN (the logic is
//! `tgw_ha_aws::alarms`; this file builds the clients and prints the diff).

use crate::Output;
use crate::aws_backend::AwsArgs;
use anyhow::Context;
use clap::Subcommand;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use std::process::ExitCode;
use tgw_ha_aws::alarms::{self, AlarmError, ChangeKind, SyncReport};
use tgw_ha_aws::{AwsOptions, Ec2Network, cloudwatch_client, ec2_client, load_sdk_config};
use tgw_ha_core::policy::Policy;

#[derive(Debug, Clone, Subcommand)]
pub enum AlarmsCommand {
    /// Create or update one alarm per member VPN (`<prefix><vpn id>`: AWS/VPN TunnelState,
    /// Maximum < 1 over 60 s, missing data breaching) and delete those of VPNs no longer in a
    /// valid group. Alarms with the prefix that are not `<prefix>vpn-…` are never touched.
    Sync {
        /// Show what would change (create / update / delete), change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Alarm name prefix; the deployment's EventBridge rule matches the same prefix.
        #[arg(long, env = alarms::PREFIX_ENV, default_value = alarms::DEFAULT_PREFIX)]
        prefix: String,
    },
}

pub async fn run(
    cmd: AlarmsCommand,
    aws: &AwsArgs,
    policy: Policy,
    output: Output,
) -> anyhow::Result<ExitCode> {
    let AlarmsCommand::Sync { dry_run, prefix } = cmd;
    let conf = load_sdk_config(&AwsOptions {
        region: aws.region.clone(),
        profile: aws.profile.clone(),
        endpoint_url: None,
        role_arn: aws.role_arn.clone(),
    })
    .await;
    // `--endpoint-url` names an EC2 endpoint (the sandbox); CloudWatch follows the SDK's own
    // settings (AWS_ENDPOINT_URL_CLOUDWATCH).
    let mut ec2 = ec2_client(&conf);
    if let Some(url) = &aws.endpoint_url {
        ec2 = aws_sdk_ec2::Client::from_conf(ec2.config().to_builder().endpoint_url(url).build());
    }
    let network = Ec2Network::new(ec2);
    let cw = cloudwatch_client(&conf);
    let (report, error) = match alarms::sync(&cw, &network, &policy, &prefix, dry_run).await {
        Ok(r) => (r, None),
        Err(AlarmError::Incomplete(r)) => {
            let e = AlarmError::Incomplete(r.clone());
            (*r, Some(e))
        }
        Err(e) => return Err(e).context("alarms sync"),
    };
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Output::Table => print!("{}", render(&report)),
    }
    if let Some(e) = error {
        eprintln!(
            "error: {e}{}",
            if e.is_retryable() { " (retryable)" } else { "" }
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The diff as a table, then one line of totals.
pub fn render(report: &SyncReport) -> String {
    let plan = &report.plan;
    let mut out = String::new();
    if !plan.changes.is_empty() {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(["action", "alarm", "vpn", "why"]);
        for c in &plan.changes {
            let state = if report.failed.iter().any(|(n, _)| n == &c.alarm) {
                format!("{} (failed)", c.kind)
            } else {
                c.kind.to_string()
            };
            t.add_row([state, c.alarm.clone(), c.vpn.to_string(), c.reason.clone()]);
        }
        out.push_str(&format!("{t}\n"));
    }
    for g in &plan.invalid_groups {
        out.push_str(&format!("invalid group (its vpns get no alarm): {g}\n"));
    }
    if !plan.ignored.is_empty() {
        out.push_str(&format!(
            "ignored (prefix {} but not a tgw-ha vpn alarm): {}\n",
            plan.prefix,
            plan.ignored.join(", ")
        ));
    }
    let outcome = if report.dry_run {
        "dry run: nothing changed".to_owned()
    } else {
        format!(
            "{} applied, {} failed",
            report.applied.len(),
            report.failed.len()
        )
    };
    out.push_str(&format!(
        "alarms {}*: create {}, update {}, delete {}, unchanged {} ({outcome})\n",
        plan.prefix,
        plan.count(ChangeKind::Create),
        plan.count(ChangeKind::Update),
        plan.count(ChangeKind::Delete),
        plan.unchanged.len(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tgw_ha_aws::alarms::{AlarmChange, AlarmPlan};
    use tgw_ha_core::ids::VpnId;

    fn report(dry_run: bool) -> SyncReport {
        SyncReport {
            dry_run,
            plan: AlarmPlan {
                prefix: "tgw-ha-".into(),
                changes: vec![
                    AlarmChange {
                        kind: ChangeKind::Create,
                        alarm: "tgw-ha-vpn-0a".into(),
                        vpn: VpnId::new("vpn-0a"),
                        reason: "member of paris (primary)".into(),
                        desired: None,
                    },
                    AlarmChange {
                        kind: ChangeKind::Delete,
                        alarm: "tgw-ha-vpn-0e".into(),
                        vpn: VpnId::new("vpn-0e"),
                        reason: "vpn is not a member of any valid group".into(),
                        desired: None,
                    },
                ],
                unchanged: vec!["tgw-ha-vpn-0b".into()],
                ignored: vec!["tgw-ha-dashboard".into()],
                invalid_groups: vec!["lille: only one member (vpn-0e)".into()],
            },
            applied: vec![],
            failed: vec![],
        }
    }

    #[test]
    fn dry_run_table_shows_each_change_and_the_totals() {
        let text = render(&report(true));
        assert!(text.contains("create"), "{text}");
        assert!(text.contains("tgw-ha-vpn-0a"), "{text}");
        assert!(text.contains("member of paris (primary)"), "{text}");
        assert!(
            text.contains("invalid group (its vpns get no alarm): lille"),
            "{text}"
        );
        assert!(
            text.contains("ignored (prefix tgw-ha- but not a tgw-ha vpn alarm): tgw-ha-dashboard")
        );
        assert!(
            text.ends_with(
                "alarms tgw-ha-*: create 1, update 0, delete 1, unchanged 1 (dry run: nothing changed)\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_failed_change_is_marked() {
        let mut r = report(false);
        r.applied = vec!["tgw-ha-vpn-0a".into()];
        r.failed = vec![("tgw-ha-vpn-0e".into(), "access denied".into())];
        let text = render(&r);
        assert!(text.contains("delete (failed)"), "{text}");
        assert!(text.contains("(1 applied, 1 failed)"), "{text}");
    }
}
