"""Alarms on what CloudWatch sees of the data stores and the cluster's nodes, sent to one SNS
topic per environment (subscribe the on-call tool to it). The app's own alerts are
Prometheus's (deploy/prometheus/alerts.yaml)."""

from __future__ import annotations

from aws_cdk import Duration, Fn
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.settings import EnvironmentSettings


def alarms(
    scope: Construct,
    settings: EnvironmentSettings,
    *,
    key: kms.IKey,
    database: rds.DatabaseInstance,
    cache: elasticache.CfnReplicationGroup,
) -> sns.Topic:
    topic = sns.Topic(
        scope, "Alarms", topic_name=f"taskpilot-{settings.name}-alarms", master_key=key
    )
    notify = actions.SnsAction(topic)

    def alarm(
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        description: str,
    ) -> None:
        made = cloudwatch.Alarm(
            scope,
            construct_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            treat_missing_data=cloudwatch.TreatMissingData.MISSING,
            alarm_description=description,
        )
        made.add_alarm_action(notify)
        made.add_ok_action(notify)

    five = Duration.minutes(5)
    alarm(
        "DatabaseCpu",
        database.metric_cpu_utilization(period=five),
        threshold=80,
        comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        description="PostgreSQL CPU above 80% for 15 minutes",
    )
    alarm(
        "DatabaseFreeStorage",
        database.metric_free_storage_space(period=five),
        threshold=settings.database_storage_gib * 1024**3 * 0.1,
        comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        description="PostgreSQL has less than 10% of its allocated storage free",
    )
    alarm(
        "DatabaseConnections",
        database.metric_database_connections(period=five),
        threshold=400,
        comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        description="PostgreSQL has more than 400 connections (pools misconfigured?)",
    )
    for name, metric_name, threshold, description in (
        ("CacheCpu", "EngineCPUUtilization", 80, "Redis engine CPU above 80% for 15 minutes"),
        ("CacheMemory", "DatabaseMemoryUsagePercentage", 85, "Redis memory above 85%"),
    ):
        alarm(
            name,
            cloudwatch.Metric(
                namespace="AWS/ElastiCache",
                metric_name=metric_name,
                # Redis reports per node; -001 is the primary of a one-shard group.
                dimensions_map={"CacheClusterId": Fn.join("", [cache.ref, "-001"])},
                period=five,
                statistic="Maximum",
            ),
            threshold=threshold,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description=description,
        )
    return topic
