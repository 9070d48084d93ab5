"""The environment's customer-managed KMS key: the database, the cache, the secrets, the
cluster's Kubernetes Secrets, the log store and the log groups are encrypted with it."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.settings import EnvironmentSettings


def data_key(scope: Construct, settings: EnvironmentSettings) -> kms.Key:
    """A key rotated every year, kept (production) or deleted (staging) with the stack."""
    key = kms.Key(
        scope,
        "DataKey",
        alias=f"alias/taskpilot-{settings.name}",
        description=f"TaskPilot {settings.name}: data at rest",
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.RETAIN if settings.protect_data else RemovalPolicy.DESTROY,
    )
    # CloudWatch Logs encrypts the log groups of this environment with the key.
    region = Stack.of(scope).region
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:aws:logs:{region}:{Stack.of(scope).account}:log-group:*"
                    )
                }
            },
        )
    )
    return key
