"""TaskPilot's AWS infrastructure as code (AWS CDK v2, Python): one stack per environment.

`app.py` builds the stacks; `settings.py` holds what differs between staging and production;
each other module adds one part of the stack (network, cluster, data stores, secrets, logs,
alarms, GitHub's deploy role). docs/deployment.md walks through deploying them.
"""
