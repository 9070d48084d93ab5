"""The Bolt listeners: what TaskPilot does with each kind of Slack request."""
