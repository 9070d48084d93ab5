"""GitHub's OIDC provider and the role release.yml assumes to deploy this environment: only
from the repository's `<environment>` GitHub environment, and only to describe the cluster
(its rights inside the cluster come from an EKS access entry scoped to TaskPilot's namespace)."""

from __future__ import annotations

from aws_cdk import aws_eks as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.settings import EnvironmentSettings

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"


def deploy_role(
    scope: Construct, settings: EnvironmentSettings, *, cluster: eks.Cluster
) -> iam.Role:
    provider = iam.OpenIdConnectProvider(
        scope,
        "GitHubOidc",
        url=GITHUB_OIDC_URL,
        client_ids=["sts.amazonaws.com"],
    )
    role = iam.Role(
        scope,
        "DeployRole",
        role_name=f"taskpilot-deploy-{settings.name}",
        description=f"release.yml deploying TaskPilot to {settings.name}",
        assumed_by=iam.WebIdentityPrincipal(
            provider.open_id_connect_provider_arn,
            conditions={
                "StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": (
                        f"repo:{settings.github_repository}:environment:{settings.name}"
                    ),
                }
            },
        ),
    )
    role.add_to_policy(
        iam.PolicyStatement(actions=["eks:DescribeCluster"], resources=[cluster.cluster_arn])
    )
    # Inside the cluster: edit rights in TaskPilot's namespace only (the migration Job, the
    # Deployments, the ExternalSecret and the rest of the overlay).
    eks.AccessEntry(
        scope,
        "DeployAccess",
        cluster=cluster,
        principal=role.role_arn,
        access_policies=[
            eks.AccessPolicy.from_access_policy_name(
                "AmazonEKSEditPolicy",
                access_scope_type=eks.AccessScopeType.NAMESPACE,
                namespaces=[settings.namespace],
            )
        ],
    )
    return role
