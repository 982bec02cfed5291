"""boto3 against the sandbox: every read action, parsed with AWS's own service model, key fields
checked; then a replace, a prefix-list modify, a create and a delete of a route, tags, and a managed
prefix list's life (create, describe, entries, modify, reference, search, delete).

Run by crates/sim/tests/sandbox_boto3.rs with SANDBOX_URL set to a sandbox serving the demo
world. Exits non-zero with a message on the first failed check.
"""

import datetime
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

URL = os.environ["SANDBOX_URL"]
TGW = "tgw-0a1b2c3d4e5f6a7b8"
VPN_PARIS = "vpn-0a1b2c3d4e5f60001"
VPN_LYON = "vpn-0a1b2c3d4e5f60002"
VPN_PARTNER = "vpn-0a1b2c3d4e5f60006"
RTB_PROD = "tgw-rtb-0a1b2c3d4e5f80001"
RTB_INSPECTION = "tgw-rtb-0a1b2c3d4e5f80004"
PL_PARIS = "pl-0a1b2c3d4e5f90001"

checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        print(f"boto3 check failed: {what}", file=sys.stderr)
        sys.exit(1)


def error_of(call, **kwargs):
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    check(False, f"{call.__name__} should have failed")


ec2 = boto3.client(
    "ec2",
    endpoint_url=URL,
    region_name="eu-west-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1, "mode": "standard"}),
)

# --- DescribeVpnConnections ---------------------------------------------------------------
out = ec2.describe_vpn_connections(Filters=[{"Name": "transit-gateway-id", "Values": [TGW]}])
check(out["ResponseMetadata"]["HTTPStatusCode"] == 200, "status 200")
check(len(out["ResponseMetadata"]["RequestId"]) == 36, "a request id")
vpns = {v["VpnConnectionId"]: v for v in out["VpnConnections"]}
check(len(vpns) == 6, f"6 vpn connections, got {len(vpns)}")
paris = vpns[VPN_PARIS]
check(paris["State"] == "available", "state")
check(paris["TransitGatewayId"] == TGW, "transit gateway id")
check(paris["Options"]["StaticRoutesOnly"] is True, "static routes only")
tags = {t["Key"]: t["Value"] for t in paris["Tags"]}
check(tags.get("paris") == "primary" and tags.get("lyon") == "Backup", f"tags {tags}")
tel = paris["VgwTelemetry"]
check(len(tel) == 2, "two tunnels")
for t in tel:
    check(t["Status"] == "UP", "tunnel up")
    check(isinstance(t["LastStatusChange"], datetime.datetime), "timestamp parsed")
    check(t["LastStatusChange"].tzinfo is not None, "timestamp in utc")
    check(t["AcceptedRouteCount"] == 0, "accepted route count is an int")
    check(t["StatusMessage"] == "", "empty status message")
age = datetime.datetime.now(datetime.timezone.utc) - tel[0]["LastStatusChange"]
check(datetime.timedelta(days=13) < age < datetime.timedelta(days=15), f"rebased to now: {age}")
out = ec2.describe_vpn_connections(
    Filters=[{"Name": "tag:lyon", "Values": ["primary", "Backup"]}], VpnConnectionIds=[VPN_PARIS, VPN_LYON]
)
check({v["VpnConnectionId"] for v in out["VpnConnections"]} == {VPN_PARIS}, "filters AND, values OR")
code, status = error_of(ec2.describe_vpn_connections, VpnConnectionIds=["vpn-0000000000000000f"])
check((code, status) == ("InvalidVpnConnectionID.NotFound", 400), f"unknown vpn: {code} {status}")

# --- DescribeTransitGatewayAttachments (paginated) ----------------------------------------
pages = ec2.get_paginator("describe_transit_gateway_attachments").paginate(
    Filters=[{"Name": "transit-gateway-id", "Values": [TGW]}], PaginationConfig={"PageSize": 5}
)
attachments = [a for p in pages for a in p["TransitGatewayAttachments"]]
check(len(attachments) == 7, f"7 attachments over pages, got {len(attachments)}")
by_vpn = {a["ResourceId"]: a["TransitGatewayAttachmentId"] for a in attachments if a["ResourceType"] == "vpn"}
check(len(by_vpn) == 6, "six vpn attachments")
att_paris, att_lyon = by_vpn[VPN_PARIS], by_vpn[VPN_LYON]
check(all(a["State"] == "available" and a["TransitGatewayId"] == TGW for a in attachments), "attachment fields")

# --- DescribeTransitGatewayRouteTables (paginated) ----------------------------------------
pages = ec2.get_paginator("describe_transit_gateway_route_tables").paginate(
    Filters=[{"Name": "transit-gateway-id", "Values": [TGW]}], PaginationConfig={"PageSize": 5}
)
tables = [t for p in pages for t in p["TransitGatewayRouteTables"]]
check(len(tables) == 4, "four route tables")
names = {t["TransitGatewayRouteTableId"]: {x["Key"]: x["Value"] for x in t["Tags"]}.get("Name") for t in tables}
check(names[RTB_PROD] == "prod", f"table names {names}")
check(tables[0]["DefaultAssociationRouteTable"] is False, "boolean parsed")

# --- SearchTransitGatewayRoutes ------------------------------------------------------------
PARIS_STATIC = [
    {"Name": "type", "Values": ["static"]},
    {"Name": "attachment.transit-gateway-attachment-id", "Values": [att_paris]},
]
out = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=RTB_PROD, Filters=PARIS_STATIC)
routes = out["Routes"]
check(len(routes) == 8, f"8 paris routes in prod, got {len(routes)}")
check(out["AdditionalRoutesAvailable"] is False, "complete")
r = routes[0]
check(r["Type"] == "static" and r["State"] == "active", "type and state")
a = r["TransitGatewayAttachments"][0]
check(
    a == {"ResourceId": VPN_PARIS, "TransitGatewayAttachmentId": att_paris, "ResourceType": "vpn"},
    f"route attachment {a}",
)
seen, token, calls = [], None, 0
while True:
    kwargs = {"TransitGatewayRouteTableId": RTB_PROD, "Filters": PARIS_STATIC, "MaxResults": 5}
    if token:
        kwargs["NextToken"] = token
    page = ec2.search_transit_gateway_routes(**kwargs)
    calls += 1
    seen += [x["DestinationCidrBlock"] for x in page["Routes"]]
    token = page.get("NextToken")
    if not token:
        break
check(calls == 2 and len(seen) == 8 and len(set(seen)) == 8, f"token paging: {calls} calls, {seen}")
out = ec2.search_transit_gateway_routes(
    TransitGatewayRouteTableId=RTB_INSPECTION, Filters=[{"Name": "state", "Values": ["blackhole"]}]
)
check([x["DestinationCidrBlock"] for x in out["Routes"]] == ["10.99.0.0/16"], "user blackhole")
check("TransitGatewayAttachments" not in out["Routes"][0], "a blackhole lists no attachment")
out = ec2.search_transit_gateway_routes(
    TransitGatewayRouteTableId=RTB_PROD, Filters=[{"Name": "prefix-list-id", "Values": [PL_PARIS]}]
)
check(all(x["Type"] == "propagated" and x["PrefixListId"] == PL_PARIS for x in out["Routes"]), "prefix-list routes")
try:
    ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=RTB_PROD)
    check(False, "boto3 requires Filters")
except botocore.exceptions.ParamValidationError:
    check(True, "")
code, status = error_of(
    ec2.search_transit_gateway_routes, TransitGatewayRouteTableId="tgw-rtb-0000000000000000f", Filters=PARIS_STATIC
)
check((code, status) == ("InvalidRouteTableID.NotFound", 400), f"unknown table: {code}")

# --- GetTransitGatewayPrefixListReferences -------------------------------------------------
out = ec2.get_transit_gateway_prefix_list_references(TransitGatewayRouteTableId=RTB_PROD)
refs = {r["PrefixListId"]: r for r in out["TransitGatewayPrefixListReferences"]}
check(len(refs) == 2, "two references in prod")
ref = refs[PL_PARIS]
check(ref["Blackhole"] is False and ref["State"] == "available", "reference fields")
check(ref["TransitGatewayAttachment"]["TransitGatewayAttachmentId"] == att_paris, "reference target")
check(ref["TransitGatewayRouteTableId"] == RTB_PROD, "reference table")

# --- writes ---------------------------------------------------------------------------------
out = ec2.replace_transit_gateway_route(
    TransitGatewayRouteTableId=RTB_PROD, DestinationCidrBlock="10.10.0.0/24", TransitGatewayAttachmentId=att_lyon
)
check(out["Route"]["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"] == att_lyon, "replaced")
out = ec2.search_transit_gateway_routes(
    TransitGatewayRouteTableId=RTB_PROD, Filters=[{"Name": "route-search.exact-match", "Values": ["10.10.0.0/24"]}]
)
check(out["Routes"][0]["TransitGatewayAttachments"][0]["ResourceId"] == VPN_LYON, "replace is visible")
code, _ = error_of(
    ec2.replace_transit_gateway_route,
    TransitGatewayRouteTableId=RTB_PROD,
    DestinationCidrBlock="10.201.0.0/24",
    TransitGatewayAttachmentId=att_lyon,
)
check(code == "InvalidRoute.NotFound", f"replace of a missing route: {code}")
code, status = error_of(
    ec2.replace_transit_gateway_route,
    TransitGatewayRouteTableId=RTB_PROD,
    DestinationCidrBlock="10.10.0.0/24",
    TransitGatewayAttachmentId=att_paris,
    DryRun=True,
)
check((code, status) == ("DryRunOperation", 412), f"dry run: {code} {status}")

out = ec2.modify_transit_gateway_prefix_list_reference(
    TransitGatewayRouteTableId=RTB_PROD, PrefixListId=PL_PARIS, TransitGatewayAttachmentId=att_lyon
)
got = out["TransitGatewayPrefixListReference"]["TransitGatewayAttachment"]["TransitGatewayAttachmentId"]
check(got == att_lyon, "reference modified")

out = ec2.create_transit_gateway_route(
    TransitGatewayRouteTableId=RTB_PROD, DestinationCidrBlock="10.250.0.0/16", Blackhole=True
)
check(out["Route"]["State"] == "blackhole", "created a blackhole")
code, _ = error_of(
    ec2.create_transit_gateway_route,
    TransitGatewayRouteTableId=RTB_PROD,
    DestinationCidrBlock="10.250.0.0/16",
    TransitGatewayAttachmentId=att_lyon,
)
check(code == "RouteAlreadyExists", f"create twice: {code}")
out = ec2.delete_transit_gateway_route(TransitGatewayRouteTableId=RTB_PROD, DestinationCidrBlock="10.250.0.0/16")
check(out["Route"]["State"] == "deleted", "deleted")
code, _ = error_of(
    ec2.delete_transit_gateway_route, TransitGatewayRouteTableId=RTB_PROD, DestinationCidrBlock="10.250.0.0/16"
)
check(code == "InvalidRoute.NotFound", f"delete twice: {code}")

ec2.create_tags(Resources=[VPN_PARTNER], Tags=[{"Key": "acme", "Value": "primary"}])
ec2.delete_tags(Resources=[VPN_PARTNER], Tags=[{"Key": "team"}])
v = ec2.describe_vpn_connections(VpnConnectionIds=[VPN_PARTNER])["VpnConnections"][0]
tags = {t["Key"]: t["Value"] for t in v["Tags"]}
check(tags.get("acme") == "primary" and "team" not in tags, f"tags after create/delete: {tags}")

# --- managed prefix lists and prefix-list references -------------------------------------
out = ec2.create_managed_prefix_list(
    PrefixListName="tgw-ha-paris",
    MaxEntries=140,
    AddressFamily="IPv4",
    Entries=[{"Cidr": f"10.60.{i}.0/24", "Description": f"site {i}"} for i in range(100)],
    TagSpecifications=[{"ResourceType": "prefix-list", "Tags": [{"Key": "tgw-ha:group", "Value": "paris"}]}],
)
pl = out["PrefixList"]
pl_id = pl["PrefixListId"]
check(pl_id.startswith("pl-"), f"a prefix list id: {pl_id}")
check(pl["State"] == "create-in-progress" and pl["Version"] == 1, f"create answer: {pl}")
check(pl["MaxEntries"] == 140 and pl["AddressFamily"] == "IPv4", "max entries and family")
check(pl["Tags"] == [{"Key": "tgw-ha:group", "Value": "paris"}], f"tags: {pl['Tags']}")
lists = [
    l
    for page in ec2.get_paginator("describe_managed_prefix_lists").paginate(
        Filters=[{"Name": "prefix-list-name", "Values": ["tgw-ha-paris"]}], PaginationConfig={"PageSize": 5}
    )
    for l in page["PrefixLists"]
]
check([l["PrefixListId"] for l in lists] == [pl_id], f"described by name: {lists}")
check(lists[0]["State"] == "create-complete" and lists[0]["OwnerId"] == "111122223333", "describe fields")
entries = [
    e
    for page in ec2.get_paginator("get_managed_prefix_list_entries").paginate(
        PrefixListId=pl_id, PaginationConfig={"PageSize": 30}
    )
    for e in page["Entries"]
]
check(len(entries) == 100 and entries[0] == {"Cidr": "10.60.0.0/24", "Description": "site 0"}, "entries, paged")
out = ec2.modify_managed_prefix_list(
    PrefixListId=pl_id,
    CurrentVersion=1,
    AddEntries=[{"Cidr": f"10.61.{i}.0/24"} for i in range(30)],
    RemoveEntries=[{"Cidr": "10.60.99.0/24"}],
)
check(out["PrefixList"]["Version"] == 2 and out["PrefixList"]["State"] == "modify-in-progress", "modified")
code, _ = error_of(
    ec2.modify_managed_prefix_list, PrefixListId=pl_id, CurrentVersion=1, AddEntries=[{"Cidr": "10.62.0.0/24"}]
)
check(code == "PrefixListVersionMismatch", f"stale version: {code}")
code, _ = error_of(ec2.get_managed_prefix_list_entries, PrefixListId="pl-00000000000000000")
check(code == "InvalidPrefixListID.NotFound", f"unknown list: {code}")

out = ec2.create_transit_gateway_prefix_list_reference(
    TransitGatewayRouteTableId=RTB_INSPECTION, PrefixListId=pl_id, TransitGatewayAttachmentId=att_paris
)
ref = out["TransitGatewayPrefixListReference"]
check(ref["State"] == "pending" and ref["PrefixListId"] == pl_id, f"reference created: {ref}")
check(ref["TransitGatewayAttachment"]["ResourceId"] == VPN_PARIS, "reference target")
routes = [
    r
    for page in ec2.get_paginator("search_transit_gateway_routes").paginate(
        TransitGatewayRouteTableId=RTB_INSPECTION, Filters=[{"Name": "prefix-list-id", "Values": [pl_id]}]
    )
    for r in page["Routes"]
]
check(len(routes) == 129, f"one route per entry: {len(routes)}")
check(all(r["Type"] == "propagated" and r["PrefixListId"] == pl_id for r in routes), "entries show as propagated")
out = ec2.search_transit_gateway_routes(
    TransitGatewayRouteTableId=RTB_INSPECTION,
    Filters=[{"Name": "type", "Values": ["static"]}, {"Name": "prefix-list-id", "Values": [pl_id]}],
)
check(out["Routes"] == [], "a type=static search never finds them")
code, _ = error_of(ec2.delete_managed_prefix_list, PrefixListId=pl_id)
check(code == "DependencyViolation", f"delete while referenced: {code}")
out = ec2.delete_transit_gateway_prefix_list_reference(TransitGatewayRouteTableId=RTB_INSPECTION, PrefixListId=pl_id)
check(out["TransitGatewayPrefixListReference"]["State"] == "deleting", "reference deleted")
out = ec2.delete_managed_prefix_list(PrefixListId=pl_id)
check(out["PrefixList"]["State"] == "delete-in-progress", "list deleted")

code, status = error_of(ec2.describe_vpc_endpoints)
check((code, status) == ("InvalidAction", 400), f"an action the sandbox does not answer: {code}")

print(f"boto3 {boto3.__version__}: {checks} checks passed")
