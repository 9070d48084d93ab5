"""The network: public subnets for the load balancer, private ones (with NAT) for the cluster's
nodes, isolated ones for the database and the cache; VPC flow logs kept as the settings say."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.logs import log_group
from infra.settings import EnvironmentSettings


def network(scope: Construct, settings: EnvironmentSettings, *, key: kms.IKey) -> ec2.Vpc:
    # The zones by name, so that the template names real ones without asking AWS at synth.
    region = Stack.of(scope).region
    vpc = ec2.Vpc(
        scope,
        "Vpc",
        availability_zones=[f"{region}{zone}" for zone in "abc"[: settings.availability_zones]],
        nat_gateways=settings.nat_gateways,
        restrict_default_security_group=True,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=22),
            ec2.SubnetConfiguration(
                name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=19
            ),
            ec2.SubnetConfiguration(
                name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
            ),
        ],
    )
    vpc.add_flow_log(
        "FlowLog",
        destination=ec2.FlowLogDestination.to_cloud_watch_logs(
            log_group(scope, "FlowLogs", settings, key=key)
        ),
        traffic_type=ec2.FlowLogTrafficType.REJECT,
    )
    return vpc
