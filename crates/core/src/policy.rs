//! The knobs of the decision. One type shared by the CLI, the Lambda and the tests; the
//! environment variable names (`TGW_HA_*`) are parsed by the binaries, not here.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// Move routes back to a higher-priority member once it is stable. Off by default, like the
    /// reference sample (which never fails back).
    pub failback: bool,
    /// How long every UP tunnel of a member must have been UP before the member is *stable*.
    pub hold_down_secs: u64,
    /// At most one move off a healthy path (failback) per group per this interval.
    pub min_switch_interval_secs: u64,
    /// A member is healthy with at least this many tunnels UP.
    pub min_tunnels_up: usize,
    /// If set, only these tag keys name groups (case-sensitive, as the user wrote them).
    pub group_tag_keys: Option<Vec<String>>,
    /// A pin with no end older than this is announced once: maintenance pins get forgotten.
    pub pin_warn_hours: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            failback: false,
            hold_down_secs: 300,
            min_switch_interval_secs: 300,
            min_tunnels_up: 1,
            group_tag_keys: None,
            pin_warn_hours: 24,
        }
    }
}

impl Policy {
    pub fn hold_down(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.hold_down_secs as i64)
    }
    pub fn pin_warn(&self) -> chrono::Duration {
        chrono::Duration::hours(self.pin_warn_hours.min(i64::MAX as u64 / 3600) as i64)
    }
    pub fn min_switch_interval(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.min_switch_interval_secs as i64)
    }
}
