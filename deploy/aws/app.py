"""`cdk synth` / `cdk deploy` entry point: one stack per environment.

    cd deploy/aws && cdk deploy TaskPilot-staging      # or TaskPilot-production

The account and region come from the context (`-c account=123456789012 -c region=eu-west-1`)
or, when absent, from the AWS CLI's (`CDK_DEFAULT_ACCOUNT`, `CDK_DEFAULT_REGION`).
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from infra.settings import ENVIRONMENTS
from infra.stack import TaskPilotStack


def build_app(app: cdk.App | None = None) -> cdk.App:
    app = app or cdk.App()
    account = app.node.try_get_context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = app.node.try_get_context("region") or os.environ.get("CDK_DEFAULT_REGION")
    env = cdk.Environment(account=account, region=region or "us-east-1")
    for settings in ENVIRONMENTS:
        TaskPilotStack(app, f"TaskPilot-{settings.name}", settings=settings, env=env)
    return app


if __name__ == "__main__":
    build_app().synth()
