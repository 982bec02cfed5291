//! Policy configuration shared by the CLI and the Lambda: flags here, and the same `TGW_HA_*`
//! environment variables the function reads (a flag wins over the variable).

use clap::Args;
use tgw_ha_core::policy::Policy;

#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// Fail back to a higher-priority member once it is stable.
    #[arg(long, env = "TGW_HA_FAILBACK", global = true, value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true")]
    pub failback: Option<bool>,
    /// Seconds every UP tunnel of a member must have been up before failback to it.
    #[arg(long, env = "TGW_HA_HOLD_DOWN_SECONDS", global = true)]
    pub hold_down_seconds: Option<u64>,
    /// At most one failback per group per this many seconds.
    #[arg(long, env = "TGW_HA_MIN_SWITCH_INTERVAL_SECONDS", global = true)]
    pub min_switch_interval_seconds: Option<u64>,
    /// Tunnels that must be UP for a member to be healthy.
    #[arg(long, env = "TGW_HA_MIN_TUNNELS_UP", global = true)]
    pub min_tunnels_up: Option<usize>,
    /// Comma-separated allow-list of tag keys that name groups (default: any key whose value is
    /// primary/backup/backupN).
    #[arg(
        long,
        env = "TGW_HA_GROUP_TAG_KEYS",
        global = true,
        value_delimiter = ','
    )]
    pub group_tag_keys: Option<Vec<String>>,
}

impl PolicyArgs {
    pub fn policy(&self) -> anyhow::Result<Policy> {
        let d = Policy::default();
        let p = Policy {
            failback: self.failback.unwrap_or(d.failback),
            hold_down_secs: self.hold_down_seconds.unwrap_or(d.hold_down_secs),
            min_switch_interval_secs: self
                .min_switch_interval_seconds
                .unwrap_or(d.min_switch_interval_secs),
            min_tunnels_up: self.min_tunnels_up.unwrap_or(d.min_tunnels_up),
            group_tag_keys: self
                .group_tag_keys
                .clone()
                .map(|v| {
                    v.into_iter()
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                })
                .filter(|v| !v.is_empty()),
        };
        if p.min_tunnels_up == 0 || p.min_tunnels_up > 2 {
            anyhow::bail!(
                "min tunnels up must be 1 or 2 (a Site-to-Site VPN has two tunnels), got {}",
                p.min_tunnels_up
            );
        }
        Ok(p)
    }
}
