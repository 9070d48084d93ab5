"""Reasons, written into the template, for the checkov checks that do not apply here.

checkov reads `Metadata: {checkov: {skip: [{id, comment}]}}` on a CloudFormation resource. This
aspect writes it on the resources CDK makes for its own machinery (the custom resource
providers that run once per deployment: their Lambda functions and roles) and on the few
choices of ours that a check disagrees with, each with its reason. Everything else in the
template must pass every check (tests/deploy/test_aws_stacks.py).
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import CfnResource, IAspect
from constructs import IConstruct

from infra.settings import EnvironmentSettings

# Construct paths of CDK's own providers: the EKS cluster's creation role, log retention, the
# OIDC provider and CfnUtils custom resources, the default security group restriction, and the
# AwsCustomResource singleton (OpenSearch's log group policy).
_CDK_MACHINERY = (
    "/Cluster/Resource/CreationRole",
    "/LogRetention",
    "/Custom::AWSCDKOpenIdConnectProviderCustomResourceProvider",
    "/AWSCDKCfnUtilsProviderCustomResourceProvider",
    "/Custom::VpcRestrictDefaultSGCustomResourceProvider",
    "/AWS679f53fac002430cb0da5b7982bd2287",
)
_LAMBDA = [
    ("CKV_AWS_115", "CDK's custom resource provider runs once per deployment; no concurrency"),
    ("CKV_AWS_116", "CDK's custom resource provider; CloudFormation retries a failed call"),
    ("CKV_AWS_117", "CDK's custom resource provider calls only AWS APIs, outside the VPC"),
]
_CDK_IAM = [
    ("CKV_AWS_109", "CDK's provider role; its permissions are what CDK's construct needs"),
    ("CKV_AWS_111", "CDK's provider role; its permissions are what CDK's construct needs"),
]


def _skip(resource: CfnResource, checks: list[tuple[str, str]]) -> None:
    existing: Any = resource.get_metadata("checkov") or {"skip": []}
    existing["skip"].extend({"id": check, "comment": comment} for check, comment in checks)
    resource.add_metadata("checkov", existing)


@jsii.implements(IAspect)
class CheckovReasons:
    """Writes the skips described above on one environment's stack."""

    def __init__(self, settings: EnvironmentSettings) -> None:
        self._settings = settings

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource):
            return
        path = node.node.path
        kind = node.cfn_resource_type
        if kind == "AWS::Lambda::Function" and any(part in path for part in _CDK_MACHINERY):
            _skip(node, _LAMBDA)
        elif kind in ("AWS::IAM::Role", "AWS::IAM::Policy") and any(
            part in path for part in _CDK_MACHINERY
        ):
            _skip(node, _CDK_IAM)
        elif kind == "AWS::OpenSearchService::Domain":
            _skip(
                node,
                [
                    (
                        "CKV_AWS_317",
                        "Written only by Fluent Bit's IAM role, with no fine-grained "
                        "users whose actions an audit log would record",
                    )
                ],
            )
        elif kind == "AWS::RDS::DBInstance" and not self._settings.database_multi_az:
            _skip(node, [("CKV_AWS_157", "Staging runs one instance; production is Multi-AZ")])
