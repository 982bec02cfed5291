"""Expand the SAM template into plain CloudFormation, offline, as CloudFormation's
AWS::Serverless-2016-10-31 transform would (the same library, aws-sam-translator).

    python scripts/sam-transform.py TEMPLATE REGION > transformed.json

scripts/check-template lints the result too: cfn-lint validates the SAM template against SAM's
schemas, and this catches what only the expansion shows (the generated function, its invoke
configuration, permissions). The local CodeUri becomes a placeholder S3 location, as
`sam package` / `aws cloudformation package` would make it. Sends no request: boto3 is only
asked for the Region given here.
"""

import json
import os
import sys

from cfnlint.decode import decode
from samtranslator.translator.transform import transform


class NoManagedPolicies:
    """The template names no managed policy, so there is nothing to look up."""

    def load(self, *args, **kwargs):
        return {}


def main() -> int:
    path, region = sys.argv[1], sys.argv[2]
    os.environ["AWS_DEFAULT_REGION"] = region
    template, matches = decode(path)
    if matches:
        for m in matches:
            print(m, file=sys.stderr)
        return 1
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(
            props.get("CodeUri"), str
        ):
            props["CodeUri"] = "s3://packaged-by-sam/bootstrap.zip"
    out = transform(template, {"AWS::Region": region}, NoManagedPolicies())
    json.dump(out, sys.stdout, indent=1, default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
