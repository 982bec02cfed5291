"""Check the template's EventBridge patterns against the sample events in
crates/core/tests/fixtures/events (real AWS payload shapes), with moto's implementation of EventBridge matching.

    python scripts/check-rule-patterns.py deploy/template.yaml crates/core/tests/fixtures/events

Run by scripts/check-template with the test venv (scripts/moto). Expectations:
- the alarm rule takes ALARM and OK of alarms named with the prefix (plain, metric-math, and
  another namespace, which the function ignores), and nothing else: not INSUFFICIENT_DATA, not an
  alarm with another name, not the other sources;
- the Network Manager rule takes its status and routing updates (camel and kebab case), nothing
  else.
"""

import glob
import json
import os
import sys

import yaml
from moto.events.models import EventPattern


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !Sub, ...) as plain mappings."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}


CfnLoader.add_multi_constructor("!", _tag)


def main() -> int:
    template_path, fixtures = sys.argv[1], sys.argv[2]
    template = yaml.load(open(template_path), Loader=CfnLoader)
    prefix = template["Parameters"]["AlarmPrefix"]["Default"]
    resources = template["Resources"]

    alarm = json.loads(json.dumps(resources["AlarmRule"]["Properties"]["EventPattern"]))
    assert alarm["detail"]["alarmName"] == [{"prefix": {"Ref": "AlarmPrefix"}}], alarm
    alarm["detail"]["alarmName"] = [{"prefix": prefix}]
    netmgr = resources["NetworkManagerRule"]["Properties"]["EventPattern"]
    rules = {"alarm": EventPattern.load(json.dumps(alarm)), "netmgr": EventPattern.load(json.dumps(netmgr))}

    cases = []
    for path in sorted(glob.glob(os.path.join(fixtures, "*.json"))):
        name = os.path.basename(path)
        event = json.load(open(path))
        if event.get("detail-type") == "CloudWatch Alarm State Change":
            state = event["detail"]["state"]["value"]
            managed = dict(event, detail=dict(event["detail"], alarmName=f"{prefix}vpn-0a1b2c3d4e5f60001"))
            other = dict(event, detail=dict(event["detail"], alarmName="prod-cpu-high"))
            cases.append((f"{name} ({prefix}vpn-…)", managed, {"alarm"} if state in ("ALARM", "OK") else set()))
            cases.append((f"{name} (another name)", other, set()))
        elif event.get("source") == "aws.networkmanager" and event.get("detail-type") in (
            "Network Manager Status Update",
            "Network Manager Routing Update",
        ):
            cases.append((name, event, {"netmgr"}))
        elif "source" in event:
            cases.append((name, event, set()))

    failed = 0
    for label, event, expected in cases:
        got = {rule for rule, pattern in rules.items() if pattern.matches_event(event)}
        ok = got == expected
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {label}: matched by {sorted(got) or 'no rule'}")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
