"""The environment's customer-managed KMS key: the database, the cache, the secrets, the
cluster's Kubernetes Secrets, the log store and the log groups are encrypted with it."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.settings import EnvironmentSettings


def rotated_key(
    scope: Construct, construct_id: str, settings: EnvironmentSettings, *, name: str, what: str
) -> kms.Key:
    """A key rotated every year, kept (production) or deleted (staging) with the stack."""
    return kms.Key(
        scope,
        construct_id,
        alias=f"alias/{name}",
        description=f"TaskPilot {settings.name}: {what}",
        enable_key_rotation=True,
        removal_policy=settings.removal_policy,
    )


def data_key(scope: Construct, settings: EnvironmentSettings) -> kms.Key:
    """The environment's data key, which CloudWatch Logs may use for its log groups."""
    key = rotated_key(
        scope, "DataKey", settings, name=f"taskpilot-{settings.name}", what="data at rest"
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
