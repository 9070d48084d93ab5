"""Stand-ins for the services TaskPilot talks to, for tests, benchmarks and local runs; not
part of the product, and not in the wheel or the image.

- `local_web_api`: a local server speaking Slack's Web API wire format that records each call
  (not Slack).
- `scripted_provider`: a local Chat Completions server with scripted replies (not a model).
"""
