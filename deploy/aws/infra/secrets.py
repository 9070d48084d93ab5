"""The environment's application secret in Secrets Manager: one JSON object holding the keys
deploy/k8s/base/externalsecret.yaml copies into the cluster. CloudFormation creates it with
empty values; an operator fills them in (docs/deployment.md)."""

from __future__ import annotations

import json

from aws_cdk import SecretValue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.keys import rotated_key
from infra.settings import EnvironmentSettings

# The keys of the ExternalSecret (deploy/k8s/base/externalsecret.yaml), each one a property of
# the JSON secret. The Slack tokens, the provider key and the metrics token have no rotation
# AWS can run: rotate them as docs/deployment.md ("Secrets and rotation") says.
APP_SECRET_KEYS = (
    "SLACK_SIGNING_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_TOKEN_ENCRYPTION_KEY",
    "OPENAI_API_KEY",
    "TASKPILOT_METRICS_TOKEN",
    "SENTRY_DSN",
    "REDIS_URL",
)
# DATABASE_PASSWORD comes from the database's own secret (`password` of
# taskpilot/<environment>/database), which RDS rotates.


def app_secret(
    scope: Construct, settings: EnvironmentSettings, *, reader: iam.IRole
) -> secretsmanager.Secret:
    """`taskpilot/<environment>`, readable by the External Secrets Operator's role only.

    It has a key of its own: the reader's grant goes into that key's policy, and the role
    depends on the cluster, which depends (through its logs) on the environment's data key.
    """
    key = rotated_key(
        scope,
        "AppSecretKey",
        settings,
        name=f"taskpilot-{settings.name}-app-secret",
        what="the application secret",
    )
    secret = secretsmanager.Secret(
        scope,
        "AppSecret",
        secret_name=f"taskpilot/{settings.name}",
        description=f"TaskPilot {settings.name}: the keys the ExternalSecret copies",
        encryption_key=key,
        secret_string_value=SecretValue.unsafe_plain_text(
            json.dumps(dict.fromkeys(APP_SECRET_KEYS, ""))
        ),
        removal_policy=settings.removal_policy,
    )
    secret.grant_read(reader)
    return secret


def read_database_password(
    reader: iam.IRole, *, database_secret: secretsmanager.ISecret, key: kms.IKey
) -> None:
    """Let the External Secrets Operator's role read the database's rotated secret. Granted in
    the role's own policy: a grant in the data key's policy would make the key depend on the
    role, which depends on the cluster, which depends on the key (through its logs)."""
    reader.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            resources=[database_secret.secret_arn],
        )
    )
    reader.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["kms:Decrypt"],
            resources=[key.key_arn],
            conditions={
                "StringEquals": {"kms:ViaService": f"secretsmanager.{key.env.region}.amazonaws.com"}
            },
        )
    )
