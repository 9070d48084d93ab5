"""The EKS cluster TaskPilot's manifests (deploy/k8s) run on, its managed nodes, and the IAM
roles its pods take through IRSA (IAM roles for service accounts)."""

from __future__ import annotations

from aws_cdk import CfnJson
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.lambda_layer_kubectl_v31 import KubectlV31Layer
from constructs import Construct

from infra.settings import EnvironmentSettings


def cluster(
    scope: Construct, settings: EnvironmentSettings, *, vpc: ec2.IVpc, key: kms.IKey
) -> eks.Cluster:
    """Kubernetes 1.31 with the control plane's logs on, Secrets encrypted with the key, and a
    managed node group in the private subnets."""
    built = eks.Cluster(
        scope,
        "Cluster",
        cluster_name=f"taskpilot-{settings.name}",
        version=eks.KubernetesVersion.V1_31,
        kubectl_layer=KubectlV31Layer(scope, "KubectlLayer"),
        vpc=vpc,
        vpc_subnets=[ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)],
        default_capacity=0,
        endpoint_access=eks.EndpointAccess.PUBLIC_AND_PRIVATE,
        secrets_encryption_key=key,
        authentication_mode=eks.AuthenticationMode.API,
        cluster_logging=[
            eks.ClusterLoggingTypes.API,
            eks.ClusterLoggingTypes.AUDIT,
            eks.ClusterLoggingTypes.AUTHENTICATOR,
        ],
    )
    built.add_nodegroup_capacity(
        "Nodes",
        instance_types=[ec2.InstanceType(settings.node_instance_type)],
        min_size=settings.nodes_min,
        max_size=settings.nodes_max,
        desired_size=settings.nodes_min,
        subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        disk_size=50,
    )
    return built


def pod_role(
    scope: Construct,
    construct_id: str,
    *,
    cluster: eks.Cluster,
    namespace: str,
    service_account: str,
    description: str,
) -> iam.Role:
    """A role only the pods of `namespace/service_account` can take (IRSA), with no permission
    of its own: callers grant exactly what it needs."""
    issuer = cluster.cluster_open_id_connect_issuer
    conditions = CfnJson(
        scope,
        f"{construct_id}Conditions",
        value={
            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
            f"{issuer}:aud": "sts.amazonaws.com",
        },
    )
    return iam.Role(
        scope,
        construct_id,
        description=description,
        assumed_by=iam.OpenIdConnectPrincipal(
            cluster.open_id_connect_provider, conditions={"StringEquals": conditions}
        ),
    )
