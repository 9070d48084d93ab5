"""Who may reach a data store: a security group per store, open only to the cluster's nodes."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct


def reachable_from(
    scope: Construct,
    construct_id: str,
    *,
    vpc: ec2.IVpc,
    clients: ec2.ISecurityGroup,
    port: int,
    what: str,
) -> ec2.SecurityGroup:
    """A security group that lets in `clients` on `port` and nobody else."""
    group = ec2.SecurityGroup(scope, construct_id, vpc=vpc, description=f"{what}: from the nodes")
    group.add_ingress_rule(clients, ec2.Port.tcp(port), f"{what} clients on the nodes")
    return group
