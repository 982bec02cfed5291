//! The deployment's dashboard and alarms (`deploy/template.yaml`) against what the function
//! emits: every metric they name in the `tgw-ha` namespace is one the function publishes
//! ([`tgw_ha::lambda::emf::METRICS`], dimension `Function`), every other metric is one of
//! Lambda's or SQS's own, on this stack's function and queue. A renamed metric would otherwise
//! leave a dashboard graph empty and an alarm silent (or, for the heartbeat, always firing).
//!
//! The template is read as text: `DashboardBody` is a JSON string (`!Sub |`), parsed with
//! `serde_json` once its `${...}` placeholders are replaced by their names; the alarms are read
//! line by line from their resource blocks. No YAML parser is needed for either.
#![cfg(feature = "aws")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;
use tgw_ha::lambda::emf::{METRICS, NAMESPACE};

const LAMBDA_METRICS: &[&str] = &[
    "Invocations",
    "Errors",
    "Throttles",
    "Duration",
    "ConcurrentExecutions",
];
const SQS_METRICS: &[&str] = &[
    "ApproximateNumberOfMessagesVisible",
    "ApproximateAgeOfOldestMessage",
    "NumberOfMessagesSent",
];

fn template() -> String {
    // The manifest dir at run time (cargo sets it for tests), not the one compiled in.
    let dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let path = PathBuf::from(dir).join("../../deploy/template.yaml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One resource of the template: its logical id, its `Type` and its lines.
struct Resource {
    kind: String,
    lines: Vec<String>,
}

impl Resource {
    /// The value of the first `key: value` line of the block (any depth), unquoted.
    fn value(&self, key: &str) -> Option<String> {
        let prefix = format!("{key}:");
        self.lines.iter().find_map(|l| {
            let t = l.trim_start().trim_start_matches("- ");
            t.strip_prefix(&prefix)
                .map(|v| v.trim().trim_matches('"').to_owned())
        })
    }
}

/// The resources, by logical id: the two-space keys under the top-level `Resources:`.
fn resources(text: &str) -> BTreeMap<String, Resource> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    let mut current: Option<(String, Resource)> = None;
    for line in text.lines() {
        let top_level = !line.is_empty() && !line.starts_with([' ', '#']);
        if top_level {
            inside = line.trim_end() == "Resources:";
            if let Some((id, r)) = current.take() {
                out.insert(id, r);
            }
            continue;
        }
        if !inside {
            continue;
        }
        let header = line
            .strip_prefix("  ")
            .filter(|rest| !rest.starts_with([' ', '#']))
            .and_then(|rest| rest.trim_end().strip_suffix(':'));
        if let Some(id) = header {
            if let Some((id, r)) = current.take() {
                out.insert(id, r);
            }
            current = Some((
                id.to_owned(),
                Resource {
                    kind: String::new(),
                    lines: vec![],
                },
            ));
        } else if let Some((_, r)) = current.as_mut() {
            if let Some(kind) = line.strip_prefix("    Type: ") {
                r.kind = kind.trim().to_owned();
            }
            r.lines.push(line.to_owned());
        }
    }
    if let Some((id, r)) = current.take() {
        out.insert(id, r);
    }
    out
}

/// The dashboard body: the block scalar after `DashboardBody: !Sub |`, dedented.
fn dashboard_body(dashboard: &Resource) -> String {
    let start = dashboard
        .lines
        .iter()
        .position(|l| l.trim() == "DashboardBody: !Sub |")
        .expect("the dashboard's body is a `!Sub |` block (a JSON string)");
    let key_indent = dashboard.lines[start].len() - dashboard.lines[start].trim_start().len();
    let block: Vec<&String> = dashboard.lines[start + 1..]
        .iter()
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > key_indent)
        .collect();
    let indent = block
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .expect("an empty dashboard body");
    block
        .iter()
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `${Name}` → `{{Name}}`, and the names.
fn substitute(body: &str) -> (String, BTreeSet<String>) {
    let mut out = String::new();
    let mut names = BTreeSet::new();
    let mut rest = body;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find('}')
            .expect("an unclosed ${ in the dashboard body")
            + i;
        let name = &rest[i + 2..end];
        names.insert(name.to_owned());
        out.push_str(&format!("{{{{{name}}}}}"));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    (out, names)
}

struct Metric {
    namespace: String,
    name: String,
    dimensions: Vec<(String, String)>,
}

/// The metrics of a metric widget, with CloudWatch's "." shorthand (same as the row above)
/// resolved.
fn metrics(widget: &Value) -> Vec<Metric> {
    let rows = widget["properties"]["metrics"]
        .as_array()
        .expect("a metric widget without metrics");
    let mut previous: Vec<String> = vec![];
    let mut out = vec![];
    for row in rows {
        let row = row.as_array().expect("a metric row is an array");
        let fields: Vec<String> = row
            .iter()
            .take_while(|v| v.is_string())
            .enumerate()
            .map(|(i, v)| match v.as_str().unwrap() {
                "." => previous
                    .get(i)
                    .cloned()
                    .expect("a '.' with nothing above it"),
                s => s.to_owned(),
            })
            .collect();
        assert!(
            fields.len() >= 2 && fields.len().is_multiple_of(2),
            "a metric row is namespace, name, then dimension name/value pairs: {row:?}"
        );
        out.push(Metric {
            namespace: fields[0].clone(),
            name: fields[1].clone(),
            dimensions: fields[2..]
                .chunks(2)
                .map(|c| (c[0].clone(), c[1].clone()))
                .collect(),
        });
        previous = fields;
    }
    out
}

fn dims(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_dashboard_names_only_metrics_the_function_emits() {
    let text = template();
    let resources = resources(&text);
    let dashboard = resources
        .get("Dashboard")
        .expect("a Dashboard resource in deploy/template.yaml");
    assert_eq!(dashboard.kind, "AWS::CloudWatch::Dashboard");
    let (body, placeholders) = substitute(&dashboard_body(dashboard));
    let doc: Value = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("the dashboard body is not JSON: {e}\n{body}"));

    // Every placeholder names a pseudo parameter or a resource (attribute) of the template.
    for name in &placeholders {
        let id = name.split('.').next().unwrap();
        assert!(
            name.starts_with("AWS::") || resources.contains_key(id),
            "${{{name}}} names nothing in the template"
        );
    }

    let widgets = doc["widgets"].as_array().expect("widgets");
    let mut seen = BTreeSet::new();
    let mut alarms_listed = BTreeSet::new();
    for w in widgets {
        let title = w["properties"]["title"].as_str().unwrap_or("(text)");
        let (x, width) = (w["x"].as_u64().unwrap(), w["width"].as_u64().unwrap());
        assert!(x + width <= 24, "{title}: wider than the 24-column grid");
        match w["type"].as_str().unwrap() {
            "metric" => {
                assert_eq!(w["properties"]["region"], "{{AWS::Region}}", "{title}");
                for m in metrics(w) {
                    let label = format!("{title}: {} {}", m.namespace, m.name);
                    match m.namespace.as_str() {
                        NAMESPACE => {
                            assert!(
                                METRICS.contains(&m.name.as_str()),
                                "{label}: the function emits no such metric (emf::METRICS: {METRICS:?})"
                            );
                            assert_eq!(
                                m.dimensions,
                                dims(&[("Function", "{{Function}}")]),
                                "{label}"
                            );
                        }
                        "AWS/Lambda" => {
                            assert!(LAMBDA_METRICS.contains(&m.name.as_str()), "{label}");
                            assert_eq!(
                                m.dimensions,
                                dims(&[("FunctionName", "{{Function}}")]),
                                "{label}"
                            );
                        }
                        "AWS/SQS" => {
                            assert!(SQS_METRICS.contains(&m.name.as_str()), "{label}");
                            assert_eq!(
                                m.dimensions,
                                dims(&[("QueueName", "{{DeadLetterQueue.QueueName}}")]),
                                "{label}"
                            );
                        }
                        other => panic!("{label}: namespace {other} is none of the function's"),
                    }
                    seen.insert((m.namespace, m.name));
                }
            }
            "alarm" => {
                for a in w["properties"]["alarms"].as_array().unwrap() {
                    let a = a.as_str().unwrap();
                    let id = a
                        .strip_prefix("{{")
                        .and_then(|s| s.strip_suffix(".Arn}}"))
                        .unwrap_or_else(|| panic!("{title}: {a} is not an alarm of the stack"));
                    assert_eq!(
                        resources.get(id).map(|r| r.kind.as_str()),
                        Some("AWS::CloudWatch::Alarm"),
                        "{title}: {id}"
                    );
                    alarms_listed.insert(id.to_owned());
                }
            }
            "log" => {
                let query = w["properties"]["query"].as_str().unwrap();
                assert!(
                    query.starts_with("SOURCE '{{LogGroup}}' |"),
                    "{title}: queries the function's log group: {query}"
                );
                assert_eq!(w["properties"]["region"], "{{AWS::Region}}", "{title}");
            }
            "text" => {}
            other => panic!("{title}: unexpected widget type {other}"),
        }
    }
    assert_eq!(
        resources["LogGroup"].kind, "AWS::Logs::LogGroup",
        "the log widgets' source"
    );

    // What the issue asks of the dashboard: groups by status, moves and failures, failover
    // duration, the sweep's heartbeat, and the function itself.
    for name in [
        "GroupsDown",
        "GroupsDegraded",
        "InvalidGroups",
        "RoutesMoved",
        "MoveFailures",
        "FailoverDurationMs",
        "SweepCompleted",
    ] {
        assert!(
            seen.contains(&(NAMESPACE.to_owned(), name.to_owned())),
            "no widget shows {name}"
        );
    }
    for name in ["Errors", "Throttles"] {
        assert!(
            seen.contains(&("AWS/Lambda".to_owned(), name.to_owned())),
            "no widget shows Lambda's {name}"
        );
    }

    // The alarm widget lists every alarm of the stack.
    let alarms: BTreeSet<String> = resources
        .iter()
        .filter(|(_, r)| r.kind == "AWS::CloudWatch::Alarm")
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(alarms_listed, alarms, "the alarm widget lists every alarm");
}

#[test]
fn the_alarms_watch_metrics_that_exist_and_notify_the_topic() {
    let text = template();
    let resources = resources(&text);
    let mut watched = BTreeSet::new();
    for (id, r) in resources
        .iter()
        .filter(|(_, r)| r.kind == "AWS::CloudWatch::Alarm")
    {
        let namespace = r.value("Namespace").unwrap_or_default();
        let metric = r
            .value("MetricName")
            .unwrap_or_else(|| panic!("{id}: no MetricName"));
        let dimension = r.value("Name").unwrap_or_default();
        match namespace.as_str() {
            NAMESPACE => {
                assert!(
                    METRICS.contains(&metric.as_str()),
                    "{id}: the function emits no metric {metric} (emf::METRICS: {METRICS:?})"
                );
                assert_eq!(dimension, "Function", "{id}");
            }
            "AWS/Lambda" => {
                assert!(LAMBDA_METRICS.contains(&metric.as_str()), "{id}");
                assert_eq!(dimension, "FunctionName", "{id}");
            }
            "AWS/SQS" => {
                assert!(SQS_METRICS.contains(&metric.as_str()), "{id}");
                assert_eq!(dimension, "QueueName", "{id}");
            }
            other => panic!("{id}: namespace {other:?}"),
        }
        assert_eq!(
            r.value("AlarmActions").as_deref(),
            Some("[!Ref Topic]"),
            "{id} notifies the stack's topic"
        );
        // Named <stack>/..., never with the AlarmPrefix the alarm rule listens to.
        let name = r.value("AlarmName").unwrap_or_default();
        assert!(
            name.starts_with("!Sub ${AWS::StackName}/"),
            "{id}: alarm name {name}"
        );
        watched.insert(format!("{namespace} {metric}"));
    }
    for required in [
        "AWS/Lambda Errors",
        "AWS/Lambda Throttles",
        "AWS/SQS ApproximateNumberOfMessagesVisible",
        "tgw-ha SweepCompleted",
        "tgw-ha GroupsDown",
        "tgw-ha MoveFailures",
        "tgw-ha InvalidGroups",
        "tgw-ha ContradictedSignals",
    ] {
        assert!(watched.contains(required), "no alarm on {required}");
    }

    // The heartbeat fires on silence: missing data is breaching.
    let heartbeat = &resources["HeartbeatAlarm"];
    assert_eq!(
        heartbeat.value("TreatMissingData").as_deref(),
        Some("breaching")
    );
    assert_eq!(
        heartbeat.value("ComparisonOperator").as_deref(),
        Some("LessThanThreshold")
    );
}

#[test]
fn the_text_reader_sees_the_template() {
    // A guard for the line-based reading above: it finds the resources the template has.
    let text = template();
    let resources = resources(&text);
    for (id, kind) in [
        ("Function", "AWS::Serverless::Function"),
        ("Topic", "AWS::SNS::Topic"),
        ("TopicKey", "AWS::KMS::Key"),
        ("DeadLetterQueue", "AWS::SQS::Queue"),
        ("HeartbeatAlarm", "AWS::CloudWatch::Alarm"),
    ] {
        assert_eq!(
            resources.get(id).map(|r| r.kind.as_str()),
            Some(kind),
            "{id}"
        );
    }
    assert!(!resources.contains_key("Outputs"));
}
