"""What every Slack request passes before a listener: the signature, the trust boundaries, its
ids, the limits, and the HTTP route."""
