//! The engine's [`Notifier`] over SNS ([`SnsNotifier`]): one message per group event, with a
//! subject and a plain-text body a person can act on, rendered by the pure [`render`].
//!
//! Contract: one Publish per event, to one topic; no de-duplication here (the planner emits an
//! event once per transition, not once per trigger). The message carries the attributes `kind`,
//! `group` and `tgw`, so that a subscription's filter policy can, say, page only on `down`.
//! Errors name the topic and, when the role lacks it, the IAM action.

use crate::errors::{Class, Failure, failure_of};
use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use chrono::SecondsFormat;
use std::fmt::Write as _;
use tgw_ha_core::Timestamp;
use tgw_ha_core::planner::{EventKind, GroupEvent};
use tgw_ha_engine::ports::{Notifier, NotifyError};

/// The environment variable naming the topic (optional: no topic, no notifications).
pub const TOPIC_ENV: &str = "TGW_HA_TOPIC_ARN";

/// SNS takes subjects of fewer than 100 characters.
const SUBJECT_MAX: usize = 99;

/// Publishes group events to one SNS topic.
#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
    /// The Region of the TGWs whose events this notifier sends (a deployment may own several).
    region: Option<String>,
}

impl SnsNotifier {
    /// Sends no request: a wrong ARN shows on the first event.
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
            region: None,
        }
    }

    /// The same topic, for events about TGWs of `region` (named in every message).
    pub fn in_region(&self, region: &str) -> Self {
        Self {
            region: Some(region.to_owned()),
            ..self.clone()
        }
    }

    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }
}

#[async_trait]
impl Notifier for SnsNotifier {
    async fn notify(&self, event: &GroupEvent, at: Timestamp) -> Result<(), NotifyError> {
        let (subject, body) = render(event, at, self.region.as_deref());
        let attr = |v: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .map_err(|e| NotifyError(format!("building a message attribute: {e}")))
        };
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject)
            .message(body)
            .message_attributes("kind", attr(kind_name(event.kind))?)
            .message_attributes("group", attr(event.group.as_str())?)
            .message_attributes("tgw", attr(event.tgw.as_str())?)
            .send()
            .await
            .map_err(|e| classify(&self.topic_arn, failure_of(&e)))?;
        Ok(())
    }
}

/// The SNS error, naming the topic, by the shared classification.
fn classify(topic: &str, failure: Failure) -> NotifyError {
    let message = failure.message();
    let text = match (&failure, failure.class()) {
        (Failure::NoAnswer { .. }, _) => {
            format!("publish to sns topic {topic}: no answer: {message}")
        }
        (Failure::NotSent { .. }, _) => {
            format!("publish to sns topic {topic}: request not sent: {message}")
        }
        (_, Class::NotFound) => format!("sns topic {topic} does not exist: {message}"),
        (_, Class::AccessDenied) => format!(
            "not allowed to publish to sns topic {topic}: {message} (the role needs \
             sns:Publish on it)"
        ),
        _ => match failure.code() {
            Some(code) => format!("publish to sns topic {topic}: {code}: {message}"),
            None => format!(
                "publish to sns topic {topic}: HTTP {}: {message}",
                failure.status().unwrap_or_default()
            ),
        },
    };
    NotifyError(text)
}

fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::FailedOver => "failed_over",
        EventKind::FailedBack => "failed_back",
        EventKind::Switched => "switched",
        EventKind::Down => "down",
        EventKind::Recovered => "recovered",
        EventKind::Invalid => "invalid",
        EventKind::Valid => "valid",
        EventKind::Contradicted => "contradicted",
        EventKind::PinEnded => "pin_ended",
        EventKind::PinReminder => "pin_reminder",
    }
}

fn routes(n: usize) -> String {
    if n == 1 {
        "1 route".to_owned()
    } else {
        format!("{n} routes")
    }
}

/// The subject and body of the message for `event`, which happened at `at`.
///
/// The subject fits SNS's rules (ASCII, no line breaks or control characters, under 100
/// characters): anything else is replaced, and a long one is cut with `...`.
pub fn render(event: &GroupEvent, at: Timestamp, region: Option<&str>) -> (String, String) {
    let group = event.group.as_str();
    let from = event.from.as_ref().map_or("none", |v| v.as_str());
    let to = event.to.as_ref().map_or("none", |v| v.as_str());
    let moved = routes(event.routes);

    let (subject, headline, what) = match event.kind {
        EventKind::FailedOver => (
            format!("tgw-ha: {group} failed over to {to} ({moved})"),
            format!("Site {group} failed over from {from} to {to}: {moved} moved."),
            format!(
                "The VPN {from} stopped carrying traffic (see the details), so tgw-ha moved the \
                 routes of {group} to {to}. Traffic to the site now flows over {to}.\n\
                 - Check the customer gateway of {from}: the device, its internet link and its \
                 IKE/IPsec logs, and the tunnel status of {from} in the VPC console \
                 (Site-to-Site VPN connections > Tunnel details).\n\
                 - If failback is on (TGW_HA_FAILBACK=true), the routes return to the primary by \
                 themselves once it has been stable for the hold-down time. Otherwise, once it \
                 is healthy, run: tgw-ha failback --group {group}"
            ),
        ),
        EventKind::FailedBack => (
            format!("tgw-ha: {group} failed back to {to} ({moved})"),
            format!("Site {group} failed back from {from} to {to}: {moved} moved."),
            format!(
                "{to}, the preferred VPN of {group}, has been stable for the hold-down time, so \
                 tgw-ha moved the routes back to it from {from}. Nothing to do: check that the \
                 site is reachable, and that {from} is healthy (it is the backup path again)."
            ),
        ),
        EventKind::Switched => (
            format!("tgw-ha: {group} switched to {to} ({moved})"),
            format!("Site {group} switched from {from} to {to}: {moved} moved."),
            format!(
                "The routes of {group} were moved by an operator action or a pin, not because \
                 a VPN failed. Nothing to do if this was planned. `tgw-ha status --group \
                 {group}` shows any pin; `tgw-ha unpin --group {group}` gives the group back to \
                 automation."
            ),
        ),
        EventKind::Down => (
            format!("tgw-ha: {group} is DOWN, no healthy VPN ({moved})"),
            format!("Site {group} is DOWN: none of its VPNs is healthy."),
            format!(
                "The site is unreachable through this transit gateway. tgw-ha left the \
                 {moved} of {group} where they are (on {from}) and moves them to the first VPN \
                 that becomes healthy.\n\
                 - Check the customer gateway of every VPN of the group (the device, its \
                 internet link, its IKE/IPsec logs) and the tunnel status of each VPN in the \
                 VPC console (Site-to-Site VPN connections > Tunnel details).\n\
                 - Every path down at once often means the site itself (power, internet \
                 access) is down."
            ),
        ),
        EventKind::Recovered => (
            if event.to.is_some() {
                format!("tgw-ha: {group} recovered, {to} is healthy")
            } else {
                format!("tgw-ha: {group} recovered")
            },
            format!("Site {group} recovered: {to} is healthy again."),
            format!(
                "A VPN of {group} is healthy again. tgw-ha points the routes at it by its \
                 policy; a separate message reports any move. Nothing to do."
            ),
        ),
        EventKind::Invalid => (
            format!("tgw-ha: {group} is NOT protected, its tags are invalid"),
            format!("Site {group} is not protected: its VPN tags do not form a valid group."),
            format!(
                "tgw-ha leaves the routes of {group} alone until its tags are fixed: if a VPN of \
                 the site fails now, nothing fails over.\n\
                 - Fix the tags on the VPN connections (tag key {group}, values primary, backup, \
                 backup2, ...; exactly one primary; all members on one transit gateway): the \
                 details name the problem.\n\
                 - `tgw-ha status` lists every group and why an invalid one is refused. A message \
                 follows when the group is valid again."
            ),
        ),
        EventKind::Valid => (
            format!("tgw-ha: {group} is protected again"),
            format!("Site {group} is protected again: its tags form a valid group."),
            "Nothing to do: tgw-ha manages the group's routes again.".to_owned(),
        ),
        EventKind::PinEnded => (
            format!("tgw-ha: {group}'s pin ended, automation is back"),
            format!("Site {group}: its pin ended; tgw-ha manages its routes again."),
            format!(
                "The pin set with `tgw-ha pin --until` reached its end. tgw-ha applies its policy \
                 to {group} again from now on (a separate message reports any move). Nothing to \
                 do if the maintenance is over; otherwise pin it again."
            ),
        ),
        EventKind::PinReminder => (
            format!("tgw-ha: {group} is still pinned to {from}"),
            format!("Site {group} has been pinned to {from} for a long time, with no end."),
            format!(
                "Automation leaves a pinned group alone: if {from} fails, nothing fails over. If \
                 the maintenance is over, run: tgw-ha unpin --group {group}\n\
                 - Next time, give the pin an end: tgw-ha pin --group {group} --vpn VPN --until 2h"
            ),
        ),
        EventKind::Contradicted => (
            format!("tgw-ha: {group} stays on {to}, a DOWN signal for {from} is in doubt"),
            format!(
                "Site {group}: a DOWN signal for {from} is contradicted by its tunnel telemetry."
            ),
            format!(
                "An event said {from} was down, but its tunnels have shown UP since before that \
                 event and still do. tgw-ha keeps the routes of {group} on {to} (safe) and will \
                 not move them back to {from} by itself while its health is in doubt.\n\
                 - Check the alarm or event that reported it (details) and the tunnel status of \
                 {from} in the VPC console.\n\
                 - When {from} is fine, run: tgw-ha failback --group {group} (this settles the \
                 signal and moves the routes back)."
            ),
        ),
    };

    let mut body = String::new();
    let _ = writeln!(body, "{headline}\n");
    let _ = writeln!(body, "Site (group):   {group}");
    if let Some(r) = region {
        let _ = writeln!(body, "Region:         {r}");
    }
    let _ = writeln!(body, "Transit GW:     {}", event.tgw);
    if !event.members.is_empty() {
        let members: Vec<&str> = event.members.iter().map(|v| v.as_str()).collect();
        let _ = writeln!(body, "Members:        {} (by priority)", members.join(", "));
    }
    let _ = writeln!(body, "Event:          {}", kind_name(event.kind));
    let _ = writeln!(body, "From:           {from}");
    let _ = writeln!(body, "To:             {to}");
    let routes_line = match event.kind {
        k if !k.is_move() => format!("{} (not moved)", event.routes),
        _ => format!("{} moved", event.routes),
    };
    let _ = writeln!(body, "Routes:         {routes_line}");
    let _ = writeln!(
        body,
        "Time:           {}",
        at.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    let details: Vec<&str> = event
        .detail
        .split("; ")
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if !details.is_empty() {
        let _ = writeln!(body, "\nDetails:");
        for d in details {
            let _ = writeln!(body, "  - {d}");
        }
    }
    let _ = writeln!(body, "\nWhat to do:\n{what}");
    let _ = writeln!(
        body,
        "\n`tgw-ha status --group {group}` shows the group's VPNs, tunnels and routes now."
    );
    let _ = writeln!(
        body,
        "Runbook: docs/operations.md, \"Runbook\" > \"What each notification means\" ({})",
        kind_name(event.kind)
    );
    (clean_subject(&subject), body)
}

/// ASCII, one line, under 100 characters.
fn clean_subject(raw: &str) -> String {
    let mut s: String = raw
        .chars()
        .map(|c| match c {
            ' ' => ' ',
            c if c.is_ascii_graphic() => c,
            c if c.is_whitespace() || c.is_control() => ' ',
            _ => '?',
        })
        .collect();
    if s.len() > SUBJECT_MAX {
        s.truncate(SUBJECT_MAX - 3);
        s.push_str("...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use tgw_ha_core::ids::{GroupName, TgwId, VpnId};

    fn at() -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2024, 5, 1, 10, 0, 0)
            .single()
            .expect("time")
    }

    fn event(kind: EventKind) -> GroupEvent {
        GroupEvent {
            group: GroupName::new("paris"),
            tgw: TgwId::new("tgw-0123456789abcdef0"),
            kind,
            from: Some(VpnId::new("vpn-0aaaaaaaaaaaaaaa1")),
            to: Some(VpnId::new("vpn-0bbbbbbbbbbbbbbb2")),
            routes: 42,
            detail: "vpn-0aaaaaaaaaaaaaaa1: 0 of 2 tunnels up; vpn-0bbbbbbbbbbbbbbb2: healthy"
                .into(),
            members: vec![],
        }
    }

    #[test]
    fn failover_subject_and_body() {
        let mut e = event(EventKind::FailedOver);
        e.members = vec![
            VpnId::new("vpn-0aaaaaaaaaaaaaaa1"),
            VpnId::new("vpn-0bbbbbbbbbbbbbbb2"),
        ];
        let (subject, body) = render(&e, at(), Some("eu-west-1"));
        assert_eq!(
            subject,
            "tgw-ha: paris failed over to vpn-0bbbbbbbbbbbbbbb2 (42 routes)"
        );
        for want in [
            "Site paris failed over from vpn-0aaaaaaaaaaaaaaa1 to vpn-0bbbbbbbbbbbbbbb2",
            "Region:         eu-west-1",
            "Transit GW:     tgw-0123456789abcdef0",
            "Members:        vpn-0aaaaaaaaaaaaaaa1, vpn-0bbbbbbbbbbbbbbb2 (by priority)",
            "Runbook: docs/operations.md",
            "Event:          failed_over",
            "Routes:         42 moved",
            "Time:           2024-05-01T10:00:00Z",
            "  - vpn-0aaaaaaaaaaaaaaa1: 0 of 2 tunnels up\n",
            "  - vpn-0bbbbbbbbbbbbbbb2: healthy\n",
            "Check the customer gateway of vpn-0aaaaaaaaaaaaaaa1",
            "tgw-ha failback --group paris",
        ] {
            assert!(body.contains(want), "missing {want:?} in\n{body}");
        }
    }

    #[test]
    fn every_kind_has_its_subject_and_advice() {
        let cases = [
            (
                EventKind::FailedBack,
                "tgw-ha: paris failed back to vpn-0bbbbbbbbbbbbbbb2 (42 routes)",
                "Nothing to do",
            ),
            (
                EventKind::Switched,
                "tgw-ha: paris switched to vpn-0bbbbbbbbbbbbbbb2 (42 routes)",
                "tgw-ha unpin --group paris",
            ),
            (
                EventKind::Down,
                "tgw-ha: paris is DOWN, no healthy VPN (42 routes)",
                "Check the customer gateway of every VPN",
            ),
            (
                EventKind::Recovered,
                "tgw-ha: paris recovered, vpn-0bbbbbbbbbbbbbbb2 is healthy",
                "healthy again",
            ),
        ];
        for (kind, subject, advice) in cases {
            let (s, body) = render(&event(kind), at(), None);
            assert_eq!(s, subject);
            assert!(body.contains(advice), "{kind:?}: {body}");
            assert!(body.contains("What to do:"), "{body}");
        }
        let (_, down) = render(&event(EventKind::Down), at(), None);
        assert!(down.contains("Routes:         42 (not moved)"), "{down}");
    }

    #[test]
    fn singular_route_and_missing_members() {
        let mut e = event(EventKind::Down);
        e.routes = 1;
        e.from = None;
        e.to = None;
        e.detail = String::new();
        let (s, body) = render(&e, at(), None);
        assert_eq!(s, "tgw-ha: paris is DOWN, no healthy VPN (1 route)");
        assert!(body.contains("From:           none"), "{body}");
        assert!(!body.contains("Details:"), "{body}");
    }

    #[test]
    fn subject_is_ascii_one_line_and_short() {
        let mut e = event(EventKind::FailedOver);
        e.group = GroupName::new(format!("café\nzürich-{}", "x".repeat(200)));
        let (s, _) = render(&e, at(), None);
        assert!(s.len() < 100, "{} chars", s.len());
        assert!(s.chars().all(|c| c == ' ' || c.is_ascii_graphic()), "{s}");
        assert!(s.starts_with("tgw-ha: caf? z?rich-xxx"), "{s}");
        assert!(s.ends_with("..."), "{s}");
    }

    #[test]
    fn errors_name_the_topic() {
        let topic = "arn:aws:sns:us-east-1:123456789012:missing";
        let not_found = classify(
            topic,
            Failure::Answer {
                status: Some(404),
                code: Some("NotFound".into()),
                message: "Topic does not exist".into(),
            },
        );
        assert_eq!(
            not_found.to_string(),
            format!("notification failed: sns topic {topic} does not exist: Topic does not exist")
        );
        let denied = classify(
            topic,
            Failure::Answer {
                status: Some(403),
                code: Some("AuthorizationError".into()),
                message: "no".into(),
            },
        );
        assert!(denied.0.contains("sns:Publish"), "{denied}");
    }
}
