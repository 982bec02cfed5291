"""Check the templates' EventBridge patterns against the sample events in
crates/core/tests/fixtures/events (real AWS payload shapes), with moto's implementation of EventBridge matching.

    python scripts/check-rule-patterns.py deploy/template.yaml deploy/network-manager-forwarder.yaml \
        crates/core/tests/fixtures/events

Run by scripts/check-template with the test venv (scripts/moto). Expectations:
- the alarm rule takes ALARM and OK of alarms named with the prefix (plain, metric-math, and
  another namespace, which the function ignores), and nothing else: not INSUFFICIENT_DATA, not an
  alarm with another name, not the other sources;
- the Network Manager rule takes its status and routing updates (camel and kebab case), nothing
  else;
- the forwarder's rules (deploy/network-manager-forwarder.yaml, its AlarmPrefix set to the main
  template's) take exactly what the main template's rules take, so that nothing the function
  would hear in us-west-2 is lost on the way to another Region, and nothing more is sent;
- the deployment's own alarms (<stack name>/heartbeat, ...) are not taken with the default
  stack name and prefix;
- a forwarded event (the same event, received in another Region) is taken by the main
  template's rules there: no pattern pins the envelope's region.
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


def pattern(resources, name, prefix):
    """The rule's pattern, with the AlarmPrefix parameter replaced by its value."""
    p = json.loads(json.dumps(resources[name]["Properties"]["EventPattern"]))
    if "alarmName" in p.get("detail", {}):
        assert p["detail"]["alarmName"] == [{"prefix": {"Ref": "AlarmPrefix"}}], p
        p["detail"]["alarmName"] = [{"prefix": prefix}]
    return EventPattern.load(json.dumps(p))


def main() -> int:
    template_path, forwarder_path, fixtures = sys.argv[1], sys.argv[2], sys.argv[3]
    template = yaml.load(open(template_path), Loader=CfnLoader)
    forwarder = yaml.load(open(forwarder_path), Loader=CfnLoader)
    prefix = template["Parameters"]["AlarmPrefix"]["Default"]
    resources, fwd = template["Resources"], forwarder["Resources"]
    rules = {
        "alarm": pattern(resources, "AlarmRule", prefix),
        "netmgr": pattern(resources, "NetworkManagerRule", prefix),
        "fwd-alarm": pattern(fwd, "AlarmForwardRule", prefix),
        "fwd-netmgr": pattern(fwd, "NetworkManagerForwardRule", prefix),
    }

    cases = []
    for path in sorted(glob.glob(os.path.join(fixtures, "*.json"))):
        name = os.path.basename(path)
        event = json.load(open(path))
        if event.get("detail-type") == "CloudWatch Alarm State Change":
            state = event["detail"]["state"]["value"]
            managed = dict(event, detail=dict(event["detail"], alarmName=f"{prefix}vpn-0a1b2c3d4e5f60001"))
            other = dict(event, detail=dict(event["detail"], alarmName="prod-cpu-high"))
            taken = {"alarm", "fwd-alarm"} if state in ("ALARM", "OK") else set()
            cases.append((f"{name} ({prefix}vpn-…)", managed, taken))
            cases.append((f"{name} (another name)", other, set()))
            # The deployment's own alarms (<stack name>/...) never reach the function.
            own = dict(event, detail=dict(event["detail"], alarmName="tgw-ha/heartbeat"))
            cases.append((f"{name} (tgw-ha/heartbeat)", own, set()))
            # Forwarded from the VPN's Region to the stack's: the same event.
            moved = dict(managed, region="ap-southeast-2")
            cases.append((f"{name} ({prefix}vpn-…, from ap-southeast-2)", moved, taken))
        elif event.get("source") == "aws.networkmanager" and event.get("detail-type") in (
            "Network Manager Status Update",
            "Network Manager Routing Update",
        ):
            cases.append((name, event, {"netmgr", "fwd-netmgr"}))
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
