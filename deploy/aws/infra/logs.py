"""Log groups with retention and encryption, and the OpenSearch domain the app's logs go to
(deploy/k8s/logging ships them; deploy/logging/opensearch holds the template and policies)."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchservice as opensearch
from constructs import Construct

from infra.access import reachable_from
from infra.settings import EnvironmentSettings

# CloudWatch accepts only these retention periods; the settings name one of them.
_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def retention(settings: EnvironmentSettings) -> logs.RetentionDays:
    return _RETENTION[settings.log_retention_days]


def log_group(
    scope: Construct,
    construct_id: str,
    settings: EnvironmentSettings,
    *,
    key: kms.IKey,
    name: str | None = None,
) -> logs.LogGroup:
    """A log group kept `settings.log_retention_days`, encrypted with the environment's key."""
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        retention=retention(settings),
        encryption_key=key,
        removal_policy=settings.removal_policy,
    )


def log_store(
    scope: Construct,
    settings: EnvironmentSettings,
    *,
    vpc: ec2.IVpc,
    key: kms.IKey,
    writer: iam.IRole,
    clients: ec2.ISecurityGroup,
) -> opensearch.Domain:
    """The OpenSearch domain of the environment's logs, inside the VPC, encrypted, written only
    by Fluent Bit's role."""
    security_group = reachable_from(
        scope, "LogStoreSecurityGroup", vpc=vpc, clients=clients, port=443, what="OpenSearch"
    )
    zones = min(settings.opensearch_nodes, settings.availability_zones)
    domain = opensearch.Domain(
        scope,
        "LogStore",
        domain_name=f"taskpilot-logs-{settings.name}",
        version=opensearch.EngineVersion.OPENSEARCH_2_17,
        vpc=vpc,
        vpc_subnets=[
            ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                availability_zones=vpc.availability_zones[:zones],
            )
        ],
        security_groups=[security_group],
        capacity=opensearch.CapacityConfig(
            data_nodes=settings.opensearch_nodes,
            data_node_instance_type=settings.opensearch_instance_type,
            multi_az_with_standby_enabled=False,
        ),
        zone_awareness=opensearch.ZoneAwarenessConfig(
            enabled=zones > 1, availability_zone_count=zones if zones > 1 else None
        ),
        ebs=opensearch.EbsOptions(volume_size=20 if settings.name == "staging" else 100),
        encryption_at_rest=opensearch.EncryptionAtRestOptions(enabled=True, kms_key=key),
        node_to_node_encryption=True,
        enforce_https=True,
        tls_security_policy=opensearch.TLSSecurityPolicy.TLS_1_2,
        logging=opensearch.LoggingOptions(
            app_log_enabled=True,
            app_log_group=log_group(scope, "LogStoreAppLogs", settings, key=key),
        ),
        removal_policy=settings.removal_policy,
    )
    # Fluent Bit only sends bulk writes (POST _bulk, which creates the day's index); nothing
    # else, not even reads.
    writer.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["es:ESHttpPost", "es:ESHttpPut"],
            resources=[domain.domain_arn, f"{domain.domain_arn}/*"],
        )
    )
    return domain
