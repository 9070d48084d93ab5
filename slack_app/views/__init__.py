"""Block Kit: its types (`block_kit`), the builders (task cards, the App Home, the task form),
and Slack's text rules."""
