"""TaskPilot's AWS stacks (deploy/aws), synthesized offline, checked for what matters: the data
is encrypted, private, backed up and (production) protected; every log group is kept as the
settings say; secrets rotate where AWS can rotate them; the roles trust only who they should and
may do only what they need; and the templates pass cfn-lint and checkov.

Nothing here talks to AWS: `cdk synth` runs on jsii (Node.js) with the account given in the
context, and the availability zones named in the code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
AWS = ROOT / "deploy" / "aws"
TOOLS_BIN = ROOT / "deploy" / "tools" / ".venv" / "bin"
# jsii warns, in a box on stderr, that this machine's Node.js is past its end of life.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
sys.path.insert(0, str(AWS))

import aws_cdk as cdk  # noqa: E402
from app import build_app  # noqa: E402
from aws_cdk import assertions  # noqa: E402
from infra.secrets import APP_SECRET_KEYS  # noqa: E402
from infra.settings import ENVIRONMENTS, PRODUCTION, STAGING, EnvironmentSettings  # noqa: E402

Json = dict[str, Any]


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Json]]:
    """Both stacks, synthesized once: the output folder and each stack's template."""
    out = tmp_path_factory.mktemp("cdk.out")
    app = build_app(cdk.App(outdir=str(out), context={"account": "123456789012"}))
    templates: dict[str, Json] = {}
    for settings in ENVIRONMENTS:
        stack = cast("cdk.Stack", app.node.find_child(f"TaskPilot-{settings.name}"))
        templates[settings.name] = cast("Json", assertions.Template.from_stack(stack).to_json())
    app.synth()
    return out, templates


def resources(template: Json, kind: str) -> dict[str, Json]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == kind}


def only(template: Json, kind: str) -> Json:
    [body] = resources(template, kind).values()
    return body


def template_of(synthesized: tuple[Path, dict[str, Json]], settings: EnvironmentSettings) -> Json:
    return synthesized[1][settings.name]


@pytest.mark.parametrize("settings", ENVIRONMENTS, ids=lambda s: s.name)
def test_the_database_is_encrypted_private_and_backed_up(
    synthesized: tuple[Path, dict[str, Json]], settings: EnvironmentSettings
) -> None:
    template = template_of(synthesized, settings)
    db = only(template, "AWS::RDS::DBInstance")
    props = db["Properties"]
    assert props["StorageEncrypted"] is True and "KmsKeyId" in props
    assert props["PubliclyAccessible"] is False
    assert props["BackupRetentionPeriod"] == settings.database_backup_days
    assert props["DeletionProtection"] is settings.protect_data
    assert props["MultiAZ"] is settings.database_multi_az
    assert db["DeletionPolicy"] == ("Snapshot" if settings.protect_data else "Delete")
    parameters = only(template, "AWS::RDS::DBParameterGroup")["Properties"]["Parameters"]
    assert parameters["rds.force_ssl"] == "1"
    # In the isolated ("data") subnets.
    subnet_group = only(template, "AWS::RDS::DBSubnetGroup")["Properties"]
    subnets = {ref["Ref"] for ref in subnet_group["SubnetIds"]}
    assert subnets and all("dataSubnet" in name for name in subnets)


@pytest.mark.parametrize("settings", ENVIRONMENTS, ids=lambda s: s.name)
def test_production_protects_its_data_and_staging_does_not(
    synthesized: tuple[Path, dict[str, Json]], settings: EnvironmentSettings
) -> None:
    template = template_of(synthesized, settings)
    expected = "Retain" if settings.protect_data else "Delete"
    for kind in ("AWS::KMS::Key", "AWS::SecretsManager::Secret", "AWS::Logs::LogGroup"):
        for name, body in resources(template, kind).items():
            if kind == "AWS::SecretsManager::Secret" and "Database" in name:
                continue  # RDS's generated secret follows the instance (snapshot, then delete).
            assert body["DeletionPolicy"] == expected, name
    assert PRODUCTION.protect_data and not STAGING.protect_data


@pytest.mark.parametrize("settings", ENVIRONMENTS, ids=lambda s: s.name)
def test_data_stores_are_reachable_only_from_the_cluster(
    synthesized: tuple[Path, dict[str, Json]], settings: EnvironmentSettings
) -> None:
    template = template_of(synthesized, settings)
    cluster_sg = {
        "Fn::GetAtt": [
            next(iter(resources(template, "Custom::AWSCDK-EKS-Cluster"))),
            "ClusterSecurityGroupId",
        ]
    }
    ingress = resources(template, "AWS::EC2::SecurityGroupIngress")
    ports = {
        rule["Properties"]["FromPort"]: rule["Properties"]
        for rule in ingress.values()
        if rule["Properties"].get("FromPort") in (5432, 6379, 443)
    }
    assert set(ports) == {5432, 6379, 443}
    for port, rule in ports.items():
        assert rule["SourceSecurityGroupId"] == cluster_sg, port
    for group in resources(template, "AWS::EC2::SecurityGroup").values():
        for rule in group["Properties"].get("SecurityGroupIngress", []):
            assert rule.get("CidrIp") != "0.0.0.0/0", rule


@pytest.mark.parametrize("settings", ENVIRONMENTS, ids=lambda s: s.name)
def test_redis_is_encrypted_with_auth_and_fails_over_in_production(
    synthesized: tuple[Path, dict[str, Json]], settings: EnvironmentSettings
) -> None:
    props = only(template_of(synthesized, settings), "AWS::ElastiCache::ReplicationGroup")[
        "Properties"
    ]
    assert props["AtRestEncryptionEnabled"] is True and props["TransitEncryptionEnabled"] is True
    assert "resolve:secretsmanager" in json.dumps(props["AuthToken"])
    assert (
        props["MultiAZEnabled"]
        is props["AutomaticFailoverEnabled"]
        is (settings.redis_replicas > 0)
    )


@pytest.mark.parametrize("settings", ENVIRONMENTS, ids=lambda s: s.name)
def test_every_log_group_is_encrypted_and_kept_as_long_as_the_settings_say(
    synthesized: tuple[Path, dict[str, Json]], settings: EnvironmentSettings
) -> None:
    template = template_of(synthesized, settings)
    groups = resources(template, "AWS::Logs::LogGroup")
    assert len(groups) >= 3  # flow logs, the cache's slow log, the log store's own log
    for name, body in groups.items():
        assert body["Properties"]["RetentionInDays"] == settings.log_retention_days, name
        assert "KmsKeyId" in body["Properties"], name
    # The database's exported logs, whose groups RDS makes, get the same retention.
    retention = resources(template, "Custom::LogRetention")
    assert retention
    assert {int(r["Properties"]["RetentionInDays"]) for r in retention.values()} == {
        settings.log_retention_days
    }
    cluster = only(template, "Custom::AWSCDK-EKS-Cluster")["Properties"]["Config"]
    assert {kind for entry in cluster["logging"]["clusterLogging"] for kind in entry["types"]} >= {
        "api",
        "audit",
        "authenticator",
    }


@pytest.mark.parametrize("settings", ENVIRONMENTS, ids=lambda s: s.name)
def test_secrets_are_encrypted_and_rotate_where_aws_can(
    synthesized: tuple[Path, dict[str, Json]], settings: EnvironmentSettings
) -> None:
    template = template_of(synthesized, settings)
    for name, body in resources(template, "AWS::SecretsManager::Secret").items():
        assert "KmsKeyId" in body["Properties"], name
    [rotation] = resources(template, "AWS::SecretsManager::RotationSchedule").values()
    assert rotation["Properties"]["RotationRules"]["ScheduleExpression"] == "rate(30 days)"
    for key in resources(template, "AWS::KMS::Key").values():
        assert key["Properties"]["EnableKeyRotation"] is True


def test_the_app_secret_holds_the_keys_the_externalsecret_copies(
    synthesized: tuple[Path, dict[str, Json]],
) -> None:
    external = yaml.safe_load_all(
        (ROOT / "deploy" / "k8s" / "base" / "externalsecret.yaml").read_text()
    )
    [secret] = [doc for doc in external if doc and doc["kind"] == "ExternalSecret"]
    copied = {
        entry["remoteRef"]["property"]
        for entry in secret["spec"]["data"]
        if entry["remoteRef"]["key"] == "taskpilot/ENVIRONMENT"
    }
    assert set(APP_SECRET_KEYS) == copied
    # The database password comes from the database's own, rotated secret.
    [password] = [e for e in secret["spec"]["data"] if e["secretKey"] == "DATABASE_PASSWORD"]
    assert password["remoteRef"] == {
        "key": "taskpilot/ENVIRONMENT/database",
        "property": "password",
    }
    for settings in ENVIRONMENTS:
        template = template_of(synthesized, settings)
        [app] = [
            body
            for body in resources(template, "AWS::SecretsManager::Secret").values()
            if body["Properties"].get("Name") == f"taskpilot/{settings.name}"
        ]
        assert set(json.loads(app["Properties"]["SecretString"])) == copied


def _trust(role: Json) -> Json:
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    return cast("Json", statement)


def _policy_of(template: Json, role_name: str) -> list[Json]:
    statements: list[Json] = []
    for body in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_name} in body["Properties"]["Roles"]:
            statements.extend(body["Properties"]["PolicyDocument"]["Statement"])
    return statements


@pytest.mark.parametrize("settings", ENVIRONMENTS, ids=lambda s: s.name)
def test_pod_roles_trust_one_service_account_and_may_do_one_thing(
    synthesized: tuple[Path, dict[str, Json]], settings: EnvironmentSettings
) -> None:
    template = template_of(synthesized, settings)
    roles = resources(template, "AWS::IAM::Role")
    conditions = resources(template, "Custom::AWSCDKCfnJson")
    for role_name, subject, allowed in (
        (
            "ExternalSecretsRole",
            f"system:serviceaccount:{settings.namespace}:taskpilot-external-secrets",
            {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "kms:Decrypt"},
        ),
        (
            "FluentBitRole",
            "system:serviceaccount:logging:fluent-bit",
            {"es:ESHttpPost", "es:ESHttpPut"},
        ),
    ):
        [(name, role)] = [(n, r) for n, r in roles.items() if n.startswith(role_name)]
        trust = _trust(role)
        assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
        values = json.dumps([c["Properties"]["Value"] for c in conditions.values()])
        assert subject in values
        actions: set[str] = set()
        for statement in _policy_of(template, name):
            assert statement["Effect"] == "Allow"
            assert statement["Resource"] != "*"
            granted = statement["Action"]
            actions.update([granted] if isinstance(granted, str) else granted)
        assert actions and actions <= allowed, actions


@pytest.mark.parametrize("settings", ENVIRONMENTS, ids=lambda s: s.name)
def test_the_deploy_role_trusts_only_the_environments_release_job(
    synthesized: tuple[Path, dict[str, Json]], settings: EnvironmentSettings
) -> None:
    template = template_of(synthesized, settings)
    [(name, role)] = [
        (n, r)
        for n, r in resources(template, "AWS::IAM::Role").items()
        if n.startswith("DeployRole")
    ]
    condition = _trust(role)["Condition"]["StringEquals"]
    assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert condition["token.actions.githubusercontent.com:sub"] == (
        f"repo:{settings.github_repository}:environment:{settings.name}"
    )
    [statement] = _policy_of(template, name)
    assert statement["Action"] == "eks:DescribeCluster" and statement["Resource"] != "*"
    access = only(template, "AWS::EKS::AccessEntry")["Properties"]
    [policy] = access["AccessPolicies"]
    assert policy["AccessScope"] == {"Type": "namespace", "Namespaces": [settings.namespace]}


@pytest.mark.parametrize("settings", ENVIRONMENTS, ids=lambda s: s.name)
def test_the_log_store_is_private_and_encrypted(
    synthesized: tuple[Path, dict[str, Json]], settings: EnvironmentSettings
) -> None:
    props = only(template_of(synthesized, settings), "AWS::OpenSearchService::Domain")["Properties"]
    assert props["DomainName"] == f"taskpilot-logs-{settings.name}"
    assert props["EncryptionAtRestOptions"]["Enabled"] is True
    assert props["NodeToNodeEncryptionOptions"]["Enabled"] is True
    assert props["DomainEndpointOptions"]["EnforceHTTPS"] is True
    assert props["VPCOptions"]["SubnetIds"]


@pytest.mark.parametrize("settings", ENVIRONMENTS, ids=lambda s: s.name)
def test_alarms_notify_the_environments_topic(
    synthesized: tuple[Path, dict[str, Json]], settings: EnvironmentSettings
) -> None:
    template = template_of(synthesized, settings)
    [(topic_name, topic)] = resources(template, "AWS::SNS::Topic").items()
    assert "KmsMasterKeyId" in topic["Properties"]
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 5
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_name}], name


def test_the_only_lambda_functions_are_cdks_own_providers(
    synthesized: tuple[Path, dict[str, Json]],
) -> None:
    """checkov's Lambda checks are skipped for CDK's providers (infra/checkov.py); that must
    not hide a function of ours."""
    from infra.checkov import _CDK_MACHINERY  # pyright: ignore[reportPrivateUsage]

    for template in synthesized[1].values():
        for name, body in resources(template, "AWS::Lambda::Function").items():
            path = body.get("Metadata", {}).get("aws:cdk:path", "")
            skipped = body.get("Metadata", {}).get("checkov", {}).get("skip", [])
            assert skipped, name
            assert not path or any(part in path for part in _CDK_MACHINERY), path


def _tool(name: str) -> Path:
    path = TOOLS_BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed in deploy/tools/.venv; run `make deploy-tools`")
    return path


def test_the_templates_pass_cfn_lint(synthesized: tuple[Path, dict[str, Json]]) -> None:
    out, _ = synthesized
    templates = sorted(str(path) for path in out.glob("*.template.json"))
    # W3005 (a DependsOn also implied by a Ref) comes from CDK's own constructs; W3010
    # (availability zones named) is deliberate: the stacks name their zones so that they
    # synthesize without asking AWS.
    done = subprocess.run(
        [str(_tool("cfn-lint")), "--ignore-checks", "W3005", "W3010", "--", *templates],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("settings", ENVIRONMENTS, ids=lambda s: s.name)
def test_the_templates_pass_checkov(
    synthesized: tuple[Path, dict[str, Json]], settings: EnvironmentSettings
) -> None:
    out, _ = synthesized
    done = subprocess.run(
        [
            str(_tool("checkov")), "-f", str(out / f"TaskPilot-{settings.name}.template.json"),
            "--framework", "cloudformation", "--quiet", "--compact", "--skip-download",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Failed checks: 0" in done.stdout, done.stdout
