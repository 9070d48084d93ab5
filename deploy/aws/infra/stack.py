"""One environment of TaskPilot on AWS, as one CloudFormation stack."""

from __future__ import annotations

from aws_cdk import Aspects, CfnOutput, Environment, Stack, Tags
from aws_cdk import aws_certificatemanager as acm
from constructs import Construct

from infra.alarms import alarms
from infra.checkov import CheckovReasons
from infra.cluster import cluster, pod_role
from infra.data import cache, database
from infra.github import deploy_role
from infra.keys import data_key
from infra.logs import log_store
from infra.network import network
from infra.secrets import app_secret, read_database_password
from infra.settings import EnvironmentSettings


class TaskPilotStack(Stack):
    """Network, EKS, PostgreSQL, Redis, secrets, the log store, alarms and the deploy role of
    one environment; its outputs are the values the Kubernetes overlays and GitHub's
    environment settings need."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        env: Environment | None = None,
    ) -> None:
        super().__init__(scope, construct_id, env=env)
        Tags.of(self).add("app", "taskpilot")
        Tags.of(self).add("environment", settings.name)
        Aspects.of(self).add(CheckovReasons(settings))

        key = data_key(self, settings)
        vpc = network(self, settings, key=key)
        eks_cluster = cluster(self, settings, vpc=vpc, key=key)
        nodes = eks_cluster.cluster_security_group

        db = database(self, settings, vpc=vpc, key=key, clients=nodes)
        redis = cache(self, settings, vpc=vpc, key=key, clients=nodes)

        secrets_reader = pod_role(
            self,
            "ExternalSecretsRole",
            cluster=eks_cluster,
            namespace=settings.namespace,
            service_account="taskpilot-external-secrets",
            description="External Secrets Operator: read this environment's TaskPilot secret",
        )
        secret = app_secret(self, settings, reader=secrets_reader)
        if db.secret is not None:
            read_database_password(secrets_reader, database_secret=db.secret, key=key)
        log_writer = pod_role(
            self,
            "FluentBitRole",
            cluster=eks_cluster,
            namespace="logging",
            service_account="fluent-bit",
            description="Fluent Bit: write TaskPilot's logs to this environment's log store",
        )
        logs = log_store(self, settings, vpc=vpc, key=key, writer=log_writer, clients=nodes)
        topic = alarms(self, settings, key=key, database=db, cache=redis)
        deployer = deploy_role(self, settings, cluster=eks_cluster)
        certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=settings.domain,
            validation=acm.CertificateValidation.from_dns(),
        )

        outputs = {
            "ClusterName": eks_cluster.cluster_name,
            "DatabaseEndpoint": db.db_instance_endpoint_address,
            "DatabaseSecretArn": db.secret.secret_arn if db.secret else "",
            "RedisEndpoint": redis.attr_primary_end_point_address,
            "AppSecretName": secret.secret_name,
            "ExternalSecretsRoleArn": secrets_reader.role_arn,
            "FluentBitRoleArn": log_writer.role_arn,
            "LogStoreEndpoint": logs.domain_endpoint,
            "AlarmTopicArn": topic.topic_arn,
            "DeployRoleArn": deployer.role_arn,
            "CertificateArn": certificate.certificate_arn,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
