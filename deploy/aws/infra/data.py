"""PostgreSQL (RDS) and Redis (ElastiCache): encrypted, in the isolated subnets, reachable only
from the cluster's nodes, backed up, and (production) protected from deletion."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.access import reachable_from
from infra.logs import log_group, retention
from infra.settings import EnvironmentSettings

# PostgreSQL 16, at a minor version RDS creates new instances with; minor upgrades apply
# themselves in the maintenance window (auto_minor_version_upgrade).
POSTGRES = rds.PostgresEngineVersion.VER_16_13


def database(
    scope: Construct,
    settings: EnvironmentSettings,
    *,
    vpc: ec2.IVpc,
    key: kms.IKey,
    clients: ec2.ISecurityGroup,
) -> rds.DatabaseInstance:
    security_group = reachable_from(
        scope, "DatabaseSecurityGroup", vpc=vpc, clients=clients, port=5432, what="PostgreSQL"
    )
    parameters = rds.ParameterGroup(
        scope,
        "DatabaseParameters",
        engine=rds.DatabaseInstanceEngine.postgres(version=POSTGRES),
        parameters={"rds.force_ssl": "1", "log_min_duration_statement": "1000"},
    )
    instance = rds.DatabaseInstance(
        scope,
        "Database",
        engine=rds.DatabaseInstanceEngine.postgres(version=POSTGRES),
        instance_type=ec2.InstanceType(settings.database_instance_type),
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        security_groups=[security_group],
        publicly_accessible=False,
        multi_az=settings.database_multi_az,
        allocated_storage=settings.database_storage_gib,
        max_allocated_storage=settings.database_storage_gib * 5,
        storage_type=rds.StorageType.GP3,
        storage_encrypted=True,
        storage_encryption_key=key,
        database_name="taskpilot",
        credentials=rds.Credentials.from_generated_secret(
            "taskpilot", secret_name=f"taskpilot/{settings.name}/database", encryption_key=key
        ),
        parameter_group=parameters,
        iam_authentication=True,
        backup_retention=Duration.days(settings.database_backup_days),
        preferred_backup_window="03:00-03:30",
        copy_tags_to_snapshot=True,
        deletion_protection=settings.protect_data,
        removal_policy=RemovalPolicy.SNAPSHOT if settings.protect_data else RemovalPolicy.DESTROY,
        auto_minor_version_upgrade=True,
        enable_performance_insights=True,
        performance_insight_encryption_key=key,
        monitoring_interval=Duration.seconds(60),
        cloudwatch_logs_exports=["postgresql", "upgrade"],
        cloudwatch_logs_retention=retention(settings),
    )
    # The database password rotates every 30 days (AWS's hosted rotation for one user); the app
    # reads it through the secrets backend within TASKPILOT_SECRETS_TTL_SECONDS.
    instance.add_rotation_single_user(automatically_after=Duration.days(30))
    return instance


def cache(
    scope: Construct,
    settings: EnvironmentSettings,
    *,
    vpc: ec2.IVpc,
    key: kms.IKey,
    clients: ec2.ISecurityGroup,
) -> elasticache.CfnReplicationGroup:
    security_group = reachable_from(
        scope, "CacheSecurityGroup", vpc=vpc, clients=clients, port=6379, what="Redis"
    )
    subnets = elasticache.CfnSubnetGroup(
        scope,
        "CacheSubnets",
        description="TaskPilot Redis",
        subnet_ids=vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids,
    )
    # Redis AUTH: a token generated in Secrets Manager (ElastiCache has no hosted rotation for
    # it; rotate it by hand, docs/deployment.md).
    token = secretsmanager.Secret(
        scope,
        "CacheAuthToken",
        secret_name=f"taskpilot/{settings.name}/redis-auth",
        encryption_key=key,
        generate_secret_string=secretsmanager.SecretStringGenerator(
            exclude_punctuation=True, password_length=64
        ),
        removal_policy=settings.removal_policy,
    )
    slow_log = log_group(scope, "CacheSlowLog", settings, key=key)
    replicated = settings.redis_replicas > 0
    return elasticache.CfnReplicationGroup(
        scope,
        "Cache",
        replication_group_description=f"TaskPilot {settings.name}: turn queue, rate limits",
        engine="redis",
        engine_version="7.1",
        cache_node_type=settings.redis_node_type,
        num_node_groups=1,
        replicas_per_node_group=settings.redis_replicas,
        automatic_failover_enabled=replicated,
        multi_az_enabled=replicated,
        cache_subnet_group_name=subnets.ref,
        security_group_ids=[security_group.security_group_id],
        at_rest_encryption_enabled=True,
        kms_key_id=key.key_arn,
        transit_encryption_enabled=True,
        auth_token=token.secret_value.unsafe_unwrap(),
        snapshot_retention_limit=settings.database_backup_days,
        auto_minor_version_upgrade=True,
        log_delivery_configurations=[
            elasticache.CfnReplicationGroup.LogDeliveryConfigurationRequestProperty(
                destination_type="cloudwatch-logs",
                log_format="json",
                log_type="slow-log",
                destination_details=elasticache.CfnReplicationGroup.DestinationDetailsProperty(
                    cloud_watch_logs_details=elasticache.CfnReplicationGroup.CloudWatchLogsDestinationDetailsProperty(
                        log_group=slow_log.log_group_name
                    )
                ),
            )
        ],
    )
