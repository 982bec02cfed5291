//! What an event asks for, once parsed: *which* groups to look at now and which health signal
//! to remember. The outcome never depends on the trigger beyond that (the decision is
//! level-triggered); operator actions add a one-shot directive.

use crate::Timestamp;
use crate::ids::{GroupName, TgwId, VpnId};
use crate::model::TunnelStatus;
use crate::state::SignalSource;
use serde::{Deserialize, Serialize};

/// A health signal carried by an event, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalEvent {
    pub vpn: VpnId,
    /// Outside IP of the tunnel, when the event names one (Network Manager).
    pub tunnel: Option<String>,
    /// `None`: evaluate from telemetry only (e.g. INSUFFICIENT_DATA).
    pub status: Option<TunnelStatus>,
    pub at: Timestamp,
    pub source: SignalSource,
}

/// Operator actions (CLI, or a direct Lambda invocation `{"action": …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OperatorAction {
    Reconcile {
        #[serde(default)]
        group: Option<GroupName>,
    },
    Status {
        #[serde(default)]
        group: Option<GroupName>,
    },
    /// Move a group off its active member: to `to`, or to the next healthy member.
    Failover {
        group: GroupName,
        #[serde(default)]
        to: Option<VpnId>,
    },
    /// Move a group back to its primary now, without waiting for hold-down (the primary must be
    /// healthy).
    Failback {
        group: GroupName,
    },
    Pin {
        group: GroupName,
        vpn: VpnId,
        #[serde(default)]
        force: bool,
        /// When the pin ends by itself: an RFC 3339 time or a duration from now (`2h`, `90m`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<PinUntil>,
    },
    Unpin {
        group: GroupName,
    },
    /// Watch mode: poll every VPN's telemetry every `interval_seconds` (default 5) and
    /// reconcile at once the groups whose members' health changed, until the run's deadline.
    /// Run by the watch loop (`tgw_ha_engine::watch`), not by `Engine::handle`, which treats it
    /// as a reconcile of every group.
    Watch {
        #[serde(default, alias = "intervalSeconds")]
        interval_seconds: Option<u64>,
    },
}

/// How an action reads in logs, errors and the outcome's `trigger` ("failover of paris to
/// vpn-…"), rather than its Rust debug form.
impl std::fmt::Display for OperatorAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let of = |g: &Option<GroupName>| match g {
            Some(g) => format!(" of {g}"),
            None => " of every group".to_owned(),
        };
        match self {
            OperatorAction::Reconcile { group } => write!(f, "reconcile{}", of(group)),
            OperatorAction::Status { group } => write!(f, "status{}", of(group)),
            OperatorAction::Failover { group, to } => {
                write!(f, "failover of {group}")?;
                match to {
                    Some(to) => write!(f, " to {to}"),
                    None => write!(f, " to the next healthy member"),
                }
            }
            OperatorAction::Failback { group } => write!(f, "failback of {group}"),
            OperatorAction::Pin {
                group,
                vpn,
                force,
                until,
            } => {
                write!(f, "pin of {group} on {vpn}")?;
                if *force {
                    write!(f, " (forced)")?;
                }
                match until {
                    Some(u) => write!(f, " until {}", String::from(*u)),
                    None => Ok(()),
                }
            }
            OperatorAction::Unpin { group } => write!(f, "unpin of {group}"),
            OperatorAction::Watch { interval_seconds } => match interval_seconds {
                Some(n) => write!(f, "watch every {n}s"),
                None => write!(f, "watch at the default interval"),
            },
        }
    }
}

/// The end of a pin as an operator gives it: a time, or a duration from when the pin is set
/// (resolved by the planner, which knows `now`). Written as a string either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum PinUntil {
    At(Timestamp),
    After(chrono::Duration),
}

impl PinUntil {
    /// RFC 3339 (`2026-12-03T08:00:00Z`) or a duration of whole units (`45s`, `90m`, `2h`,
    /// `1d`, `1h30m`; a bare number is seconds). Hand-written: four units do not justify a
    /// dependency in the pure core.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
            return Ok(PinUntil::At(t.with_timezone(&chrono::Utc)));
        }
        let bad = || {
            format!(
                "{s:?} is neither an rfc3339 time (2026-12-03T08:00:00Z) nor a duration (45s, \
                 90m, 2h, 1d, 1h30m)"
            )
        };
        let mut total: i64 = 0;
        let mut digits = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => return Err(bad()),
            };
            let n: i64 = digits.parse().map_err(|_| bad())?;
            total = n
                .checked_mul(unit)
                .and_then(|x| total.checked_add(x))
                .ok_or_else(bad)?;
            digits.clear();
        }
        if !digits.is_empty() {
            total = digits
                .parse::<i64>()
                .ok()
                .and_then(|n| total.checked_add(n))
                .ok_or_else(bad)?;
        }
        // Ten years: anything longer is a typo, and a pin that long is "no end".
        if total <= 0 || total > 10 * 366 * 86_400 {
            return Err(bad());
        }
        Ok(PinUntil::After(chrono::Duration::seconds(total)))
    }

    /// The instant the pin ends, for a pin set at `now`.
    pub fn resolve(&self, now: Timestamp) -> Timestamp {
        match self {
            PinUntil::At(t) => *t,
            PinUntil::After(d) => now + *d,
        }
    }
}

impl TryFrom<String> for PinUntil {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        PinUntil::parse(&s)
    }
}

impl From<PinUntil> for String {
    fn from(p: PinUntil) -> String {
        match p {
            PinUntil::At(t) => t.to_rfc3339(),
            PinUntil::After(d) => format!("{}s", d.num_seconds()),
        }
    }
}

impl std::str::FromStr for PinUntil {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        PinUntil::parse(s)
    }
}

impl OperatorAction {
    /// The one-shot instruction the planner applies for this action (none for a reconcile or
    /// a status).
    pub fn directive(&self) -> Option<crate::planner::Directive> {
        use crate::planner::Directive;
        match self {
            OperatorAction::Reconcile { .. }
            | OperatorAction::Status { .. }
            | OperatorAction::Watch { .. } => None,
            OperatorAction::Failover { group, to } => Some(Directive::Failover {
                group: group.clone(),
                to: to.clone(),
            }),
            OperatorAction::Failback { group } => Some(Directive::Failback {
                group: group.clone(),
            }),
            OperatorAction::Pin {
                group,
                vpn,
                force,
                until,
            } => Some(Directive::Pin {
                group: group.clone(),
                vpn: vpn.clone(),
                force: *force,
                until: *until,
            }),
            OperatorAction::Unpin { group } => Some(Directive::Unpin {
                group: group.clone(),
            }),
        }
    }

    pub fn group(&self) -> Option<&GroupName> {
        match self {
            OperatorAction::Reconcile { group } | OperatorAction::Status { group } => {
                group.as_ref()
            }
            OperatorAction::Failover { group, .. }
            | OperatorAction::Failback { group }
            | OperatorAction::Pin { group, .. }
            | OperatorAction::Unpin { group } => Some(group),
            OperatorAction::Watch { .. } => None,
        }
    }

    /// Whether the action can change routes or state (so `--dry-run` applies to it).
    pub fn writes(&self) -> bool {
        !matches!(self, OperatorAction::Status { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// A VPN changed (alarm, Network Manager status, reference event): evaluate its groups.
    Vpn {
        signal: SignalEvent,
        /// Region of the TGW when the event says so (Network Manager events arrive in us-west-2).
        region: Option<String>,
    },
    /// Routes of a TGW changed under us (Network Manager routing update): reconcile that TGW.
    Tgw {
        tgw: TgwId,
        region: Option<String>,
        reason: String,
    },
    /// A maintenance notice (AWS Health): reconcile the VPN's groups at most, never force anything.
    Notice { vpn: VpnId, reason: String },
    /// Schedule tick: reconcile every group.
    All { region: Option<String> },
    /// An operator action.
    Operator {
        action: OperatorAction,
        #[serde(default)]
        dry_run: bool,
    },
    /// Not ours but harmless (an alarm on another namespace): log and change nothing.
    Ignore { reason: String },
}

/// How far ahead of `now` an event's evidence may be dated and still be believed (as `now`):
/// clocks of senders and of this function differ by a little, never by minutes.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

impl Trigger {
    /// The evidence rule on time (DESIGN.md "healthy"): a signal dated more than
    /// [`MAX_CLOCK_SKEW_SECS`] after `now` is refused; within the skew it counts as `now`, so
    /// that a stored signal can never outlive reality. Called by the engine before anything is
    /// read or stored, whatever the entry point.
    pub fn checked_at(&self, now: Timestamp) -> Result<Trigger, crate::events::EventError> {
        let Trigger::Vpn { signal, region } = self else {
            return Ok(self.clone());
        };
        if signal.at <= now {
            return Ok(self.clone());
        }
        let ahead = (signal.at - now).num_seconds();
        if ahead > MAX_CLOCK_SKEW_SECS {
            return Err(crate::events::EventError::FutureEvidence {
                event: format!("{:?} signal for {}", signal.source, signal.vpn),
                at: signal.at.to_rfc3339(),
                now: now.to_rfc3339(),
                ahead_secs: ahead,
                skew_secs: MAX_CLOCK_SKEW_SECS,
            });
        }
        let mut signal = signal.clone();
        signal.at = now;
        Ok(Trigger::Vpn {
            signal,
            region: region.clone(),
        })
    }

    /// The trigger's kind, one word for logs and metrics: `vpn`, `tgw`, `notice`, `all`,
    /// `operator`, `ignore`.
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Vpn { .. } => "vpn",
            Trigger::Tgw { .. } => "tgw",
            Trigger::Notice { .. } => "notice",
            Trigger::All { .. } => "all",
            Trigger::Operator { .. } => "operator",
            Trigger::Ignore { .. } => "ignore",
        }
    }

    /// The Region whose EC2 the trigger is about, when it says (a Network Manager event names
    /// its TGW's Region; an alarm, a notice or an operator action does not).
    pub fn region(&self) -> Option<&str> {
        match self {
            Trigger::Vpn { region, .. } | Trigger::Tgw { region, .. } | Trigger::All { region } => {
                region.as_deref()
            }
            Trigger::Notice { .. } | Trigger::Operator { .. } | Trigger::Ignore { .. } => None,
        }
    }

    /// Whether handling the trigger may write routes or state: everything but an ignored event,
    /// a read-only operator action (`status`) and an operator's dry run.
    pub fn writes(&self) -> bool {
        match self {
            Trigger::Ignore { .. } => false,
            Trigger::Operator { action, dry_run } => action.writes() && !dry_run,
            _ => true,
        }
    }

    /// A short description for logs and outcomes.
    pub fn describe(&self) -> String {
        match self {
            Trigger::Vpn { signal, .. } => {
                let status = signal
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "evaluate".into());
                match &signal.tunnel {
                    Some(t) => {
                        format!("{:?} {} tunnel {} {}", signal.source, signal.vpn, t, status)
                    }
                    None => format!("{:?} {} {}", signal.source, signal.vpn, status),
                }
            }
            Trigger::Tgw { tgw, reason, .. } => format!("{reason} on {tgw}"),
            Trigger::Notice { vpn, reason } => format!("notice for {vpn}: {reason}"),
            Trigger::All { .. } => "scheduled sweep".into(),
            Trigger::Operator { action, dry_run } => {
                format!(
                    "operator {action}{}",
                    if *dry_run { " (dry run)" } else { "" }
                )
            }
            Trigger::Ignore { reason } => format!("ignored: {reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operator_action_reads_as_words_not_as_its_debug_form() {
        let paris = GroupName::new("paris");
        let failover = Trigger::Operator {
            action: OperatorAction::Failover {
                group: paris.clone(),
                to: None,
            },
            dry_run: true,
        };
        assert_eq!(
            failover.describe(),
            "operator failover of paris to the next healthy member (dry run)"
        );
        let pin = OperatorAction::Pin {
            group: paris,
            vpn: VpnId::new("vpn-0a1b2c3d4e5f60002"),
            force: true,
            until: None,
        };
        assert_eq!(
            pin.to_string(),
            "pin of paris on vpn-0a1b2c3d4e5f60002 (forced)"
        );
        assert_eq!(
            OperatorAction::Reconcile { group: None }.to_string(),
            "reconcile of every group"
        );
    }

    fn vpn(region: Option<&str>) -> Trigger {
        Trigger::Vpn {
            signal: SignalEvent {
                vpn: VpnId::new("vpn-0a1b2c3d4e5f60001"),
                tunnel: None,
                status: Some(TunnelStatus::Down),
                at: chrono::DateTime::UNIX_EPOCH,
                source: SignalSource::CloudWatchAlarm,
            },
            region: region.map(str::to_owned),
        }
    }

    fn operator(action: OperatorAction, dry_run: bool) -> Trigger {
        Trigger::Operator { action, dry_run }
    }

    #[test]
    fn kind_names_each_variant() {
        let tgw = Trigger::Tgw {
            tgw: TgwId::new("tgw-1"),
            region: None,
            reason: "routing update".into(),
        };
        let notice = Trigger::Notice {
            vpn: VpnId::new("vpn-1"),
            reason: "maintenance".into(),
        };
        let ignore = Trigger::Ignore {
            reason: "other namespace".into(),
        };
        let status = operator(OperatorAction::Status { group: None }, false);
        let kinds: Vec<_> = [
            vpn(None),
            tgw,
            notice,
            Trigger::All { region: None },
            status,
            ignore,
        ]
        .iter()
        .map(Trigger::kind)
        .collect();
        assert_eq!(kinds, ["vpn", "tgw", "notice", "all", "operator", "ignore"]);
    }

    #[test]
    fn region_is_the_one_the_event_names() {
        assert_eq!(vpn(Some("eu-west-1")).region(), Some("eu-west-1"));
        assert_eq!(vpn(None).region(), None);
        let tgw = Trigger::Tgw {
            tgw: TgwId::new("tgw-1"),
            region: Some("us-east-1".into()),
            reason: "routing update".into(),
        };
        assert_eq!(tgw.region(), Some("us-east-1"));
        let all = Trigger::All {
            region: Some("ap-south-1".into()),
        };
        assert_eq!(all.region(), Some("ap-south-1"));
        // An operator action says where to run outside the trigger (the invocation's `region`).
        let op = operator(OperatorAction::Reconcile { group: None }, false);
        assert_eq!(op.region(), None);
        let notice = Trigger::Notice {
            vpn: VpnId::new("vpn-1"),
            reason: "maintenance".into(),
        };
        assert_eq!(notice.region(), None);
    }

    #[test]
    fn writes_unless_ignored_read_only_or_dry() {
        assert!(vpn(None).writes());
        assert!(Trigger::All { region: None }.writes());
        assert!(
            !Trigger::Ignore {
                reason: "not ours".into()
            }
            .writes()
        );
        let reconcile = OperatorAction::Reconcile { group: None };
        assert!(operator(reconcile.clone(), false).writes());
        assert!(!operator(reconcile, true).writes());
        assert!(!operator(OperatorAction::Status { group: None }, false).writes());
        let failover = OperatorAction::Failover {
            group: GroupName::new("paris"),
            to: None,
        };
        assert!(operator(failover, false).writes());
    }
}
