//! The operator action `{"action": "watch"}`: parsed with its optional interval, which is
//! checked; unknown fields are refused like every action's.

use serde_json::json;
use tgw_ha_core::events::{EventError, parse_event_value};
use tgw_ha_core::trigger::{OperatorAction, Trigger};

fn watch(interval_seconds: Option<u64>) -> Trigger {
    Trigger::Operator {
        action: OperatorAction::Watch { interval_seconds },
        dry_run: false,
    }
}

#[test]
fn watch_is_an_operator_action_with_an_optional_interval() {
    let cases = [
        (json!({"action": "watch"}), watch(None)),
        (
            json!({"action": "watch", "interval_seconds": 2}),
            watch(Some(2)),
        ),
        (
            json!({"action": "watch", "intervalSeconds": 60}),
            watch(Some(60)),
        ),
    ];
    for (event, expected) in cases {
        assert_eq!(
            parse_event_value(&event).expect("parsed"),
            expected,
            "{event}"
        );
    }
    let w = OperatorAction::Watch {
        interval_seconds: None,
    };
    assert_eq!((w.group(), w.directive()), (None, None));
}

#[test]
fn watch_refuses_a_bad_interval_or_an_unknown_field() {
    for (event, says) in [
        (
            json!({"action": "watch", "interval_seconds": 0}),
            "expected 1 to 60",
        ),
        (
            json!({"action": "watch", "interval_seconds": 61}),
            "expected 1 to 60",
        ),
        (
            json!({"action": "watch", "interval_seconds": "5s"}),
            "invalid type",
        ),
        (
            json!({"action": "watch", "group": "paris"}),
            "unknown field \"group\"",
        ),
    ] {
        match parse_event_value(&event) {
            Err(e @ EventError::InvalidAction { .. }) => {
                assert!(e.to_string().contains(says), "{event}: {e}")
            }
            other => panic!("{event}: {other:?}"),
        }
    }
}
