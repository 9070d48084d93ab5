"""Block Kit builders and Slack's text rules."""
