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
    /// Hours after which a pin with no end is announced (once).
    #[arg(long, env = "TGW_HA_PIN_WARN_HOURS", global = true)]
    pub pin_warn_hours: Option<u64>,
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
            pin_warn_hours: self.pin_warn_hours.unwrap_or(d.pin_warn_hours),
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

impl PolicyArgs {
    /// The same settings read from variables by name (`TGW_HA_FAILBACK`, …), as the Lambda
    /// function gets them; clap reads them for the CLI. An empty value counts as unset (a
    /// template often passes "" for an optional parameter).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        Ok(Self {
            failback: lookup(get, "TGW_HA_FAILBACK", parse_bool)?,
            hold_down_seconds: lookup(get, "TGW_HA_HOLD_DOWN_SECONDS", parse_number)?,
            min_switch_interval_seconds: lookup(
                get,
                "TGW_HA_MIN_SWITCH_INTERVAL_SECONDS",
                parse_number,
            )?,
            min_tunnels_up: lookup(get, "TGW_HA_MIN_TUNNELS_UP", parse_number)?,
            group_tag_keys: lookup(get, "TGW_HA_GROUP_TAG_KEYS", |v| {
                Ok(v.split(',').map(str::to_owned).collect())
            })?,
            pin_warn_hours: lookup(get, "TGW_HA_PIN_WARN_HOURS", parse_number)?,
        })
    }
}

/// The log level when `TGW_HA_LOG` is not set.
pub const DEFAULT_LOG: &str = "info";

/// Everything the Lambda function reads from its environment, also what `tgw-ha invoke` runs
/// the same handler with (there from the CLI's flags, which read the same variables).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub policy: Policy,
    /// `TGW_HA_TABLE`: the DynamoDB table of the ledger and lease. Without it the function can
    /// only read (`status`, dry runs, ignored events): anything that writes is refused.
    pub table: Option<String>,
    /// `TGW_HA_TOPIC_ARN`: where notifications go; none without it.
    pub topic_arn: Option<String>,
    /// `TGW_HA_LOG`: a level (`error`, `warn`, `info`, `debug`, `trace`) or a tracing filter.
    pub log: String,
    /// `TGW_HA_ALARM_SYNC`: keep one CloudWatch alarm per member VPN on every scheduled sweep
    /// (default off; `tgw-ha alarms sync` does the same by hand).
    pub alarm_sync: bool,
    /// `TGW_HA_ALARM_PREFIX`: the alarms' name prefix (default `tgw-ha-`), which the
    /// deployment's EventBridge rule matches.
    pub alarm_prefix: String,
    /// `TGW_HA_REGIONS`: the Regions this deployment owns (comma-separated; empty: its own
    /// Region). The sweep and the alarm sync cover each; an event for a TGW elsewhere is
    /// declined, so that one TGW never has two owners (two ledgers, two leases).
    pub regions: Vec<String>,
}

impl Config {
    /// From the process environment (the Lambda function).
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    /// From variables looked up by name (tests give a map).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let non_empty = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Ok(Self {
            policy: PolicyArgs::from_lookup(get)?.policy()?,
            table: non_empty("TGW_HA_TABLE"),
            topic_arn: non_empty("TGW_HA_TOPIC_ARN"),
            log: non_empty("TGW_HA_LOG").unwrap_or_else(|| DEFAULT_LOG.to_owned()),
            alarm_sync: lookup(get, "TGW_HA_ALARM_SYNC", parse_bool)?.unwrap_or(false),
            alarm_prefix: non_empty("TGW_HA_ALARM_PREFIX").unwrap_or_else(|| "tgw-ha-".to_owned()),
            regions: lookup(get, "TGW_HA_REGIONS", parse_regions)?.unwrap_or_default(),
        })
    }
}

impl Config {
    /// The application service's settings ([`tgw_ha_engine::Service`]): the same for the
    /// function, `tgw-ha invoke` and the CLI's commands.
    pub fn service_config(&self) -> tgw_ha_engine::ServiceConfig {
        tgw_ha_engine::ServiceConfig {
            policy: self.policy.clone(),
            regions: self.regions.clone(),
            alarm_sync: self.alarm_sync,
            alarm_prefix: self.alarm_prefix.clone(),
            executor: Default::default(),
        }
    }
}

/// Where the AWS backend keeps its ledger and sends notifications.
#[cfg(feature = "aws")]
impl From<&Config> for tgw_ha_aws::BackendConfig {
    fn from(c: &Config) -> Self {
        Self {
            table: c.table.clone(),
            topic_arn: c.topic_arn.clone(),
        }
    }
}

fn lookup<T>(
    get: &dyn Fn(&str) -> Option<String>,
    name: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> anyhow::Result<Option<T>> {
    match get(name) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => parse(v.trim())
            .map(Some)
            .map_err(|expected| anyhow::anyhow!("{name} is {v:?}; expected {expected}")),
    }
}

/// The values clap's `BoolishValueParser` takes, so that a variable means the same to the
/// function and to the CLI.
fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Ok(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Ok(false),
        _ => Err("true or false".into()),
    }
}

/// `eu-west-1,us-east-1` (spaces and empty items ignored, duplicates dropped).
fn parse_regions(v: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for r in v.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        if !tgw_ha_core::events::is_region_name(r) {
            return Err(format!(
                "a comma-separated list of region names such as eu-west-1,us-east-1 ({r:?} is not one)"
            ));
        }
        if !out.iter().any(|o| o == r) {
            out.push(r.to_owned());
        }
    }
    Ok(out)
}

fn parse_number<T: std::str::FromStr>(v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| "a whole number of at least 0".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(&|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let c = config(&[]).unwrap();
        assert_eq!(c.policy, Policy::default());
        assert_eq!(c.table, None);
        assert_eq!(c.topic_arn, None);
        assert_eq!(c.log, DEFAULT_LOG);
    }

    #[test]
    fn every_variable_is_read() {
        let c = config(&[
            ("TGW_HA_TABLE", "tgw-ha-prod"),
            (
                "TGW_HA_TOPIC_ARN",
                "arn:aws:sns:eu-west-1:111122223333:tgw-ha",
            ),
            ("TGW_HA_FAILBACK", "yes"),
            ("TGW_HA_HOLD_DOWN_SECONDS", "600"),
            ("TGW_HA_MIN_SWITCH_INTERVAL_SECONDS", "0"),
            ("TGW_HA_MIN_TUNNELS_UP", "2"),
            ("TGW_HA_GROUP_TAG_KEYS", " paris, lyon ,,"),
            ("TGW_HA_LOG", "debug"),
            ("TGW_HA_PIN_WARN_HOURS", "8"),
        ])
        .unwrap();
        assert_eq!(c.table.as_deref(), Some("tgw-ha-prod"));
        assert_eq!(
            c.topic_arn.as_deref(),
            Some("arn:aws:sns:eu-west-1:111122223333:tgw-ha")
        );
        assert_eq!(
            c.policy,
            Policy {
                failback: true,
                hold_down_secs: 600,
                min_switch_interval_secs: 0,
                min_tunnels_up: 2,
                group_tag_keys: Some(vec!["paris".into(), "lyon".into()]),
                pin_warn_hours: 8,
            }
        );
        assert_eq!(c.log, "debug");
    }

    #[test]
    fn empty_values_are_unset() {
        let c = config(&[
            ("TGW_HA_TABLE", ""),
            ("TGW_HA_TOPIC_ARN", " "),
            ("TGW_HA_FAILBACK", ""),
            ("TGW_HA_GROUP_TAG_KEYS", ""),
        ])
        .unwrap();
        assert_eq!(c.table, None);
        assert_eq!(c.topic_arn, None);
        assert_eq!(c.policy, Policy::default());
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (k, v) in [
            ("TGW_HA_FAILBACK", "maybe"),
            ("TGW_HA_HOLD_DOWN_SECONDS", "5m"),
            ("TGW_HA_MIN_TUNNELS_UP", "-1"),
        ] {
            let e = config(&[(k, v)]).unwrap_err().to_string();
            assert!(e.contains(k) && e.contains(v), "{e}");
        }
        let e = config(&[("TGW_HA_MIN_TUNNELS_UP", "3")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("min tunnels up"), "{e}");
    }
}
