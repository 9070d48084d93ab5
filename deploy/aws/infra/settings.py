"""What differs between TaskPilot's environments, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy


@dataclass(frozen=True, kw_only=True)
class EnvironmentSettings:
    """One environment's sizes, retention and protections."""

    name: str
    # The Kubernetes namespace TaskPilot runs in (deploy/k8s/overlays/<name>).
    namespace: str
    # The public host name of the app (the Ingress and the ACM certificate).
    domain: str
    # The GitHub repository whose release workflow may deploy here (owner/repo).
    github_repository: str
    availability_zones: int
    nat_gateways: int
    node_instance_type: str
    nodes_min: int
    nodes_max: int
    database_instance_type: str
    database_multi_az: bool
    database_storage_gib: int
    database_backup_days: int
    redis_node_type: str
    redis_replicas: int
    opensearch_instance_type: str
    opensearch_nodes: int
    # Days CloudWatch keeps the infrastructure's own logs (control plane, flow logs, database).
    log_retention_days: int
    # Production keeps its database, secrets and keys when the stack is deleted; staging does
    # not.
    protect_data: bool

    @property
    def removal_policy(self) -> RemovalPolicy:
        """What deleting the stack does to keys, secrets and log groups: kept in production."""
        return RemovalPolicy.RETAIN if self.protect_data else RemovalPolicy.DESTROY


STAGING = EnvironmentSettings(
    name="staging",
    namespace="taskpilot-staging",
    domain="taskpilot.staging.example.com",
    github_repository="OWNER/taskpilot",
    availability_zones=2,
    nat_gateways=1,
    node_instance_type="t3.large",
    nodes_min=2,
    nodes_max=4,
    database_instance_type="t4g.medium",
    database_multi_az=False,
    database_storage_gib=20,
    database_backup_days=3,
    redis_node_type="cache.t4g.small",
    redis_replicas=0,
    opensearch_instance_type="t3.small.search",
    opensearch_nodes=1,
    log_retention_days=30,
    protect_data=False,
)

PRODUCTION = EnvironmentSettings(
    name="production",
    namespace="taskpilot",
    domain="taskpilot.example.com",
    github_repository="OWNER/taskpilot",
    availability_zones=3,
    nat_gateways=3,
    node_instance_type="m6i.large",
    nodes_min=3,
    nodes_max=9,
    database_instance_type="r7g.large",
    database_multi_az=True,
    database_storage_gib=100,
    database_backup_days=14,
    redis_node_type="cache.m7g.large",
    redis_replicas=1,
    opensearch_instance_type="m6g.large.search",
    opensearch_nodes=3,
    log_retention_days=90,
    protect_data=True,
)

ENVIRONMENTS = (STAGING, PRODUCTION)
