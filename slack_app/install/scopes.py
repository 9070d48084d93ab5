"""The bot scopes TaskPilot asks for when a workspace installs it.

The OAuth install (`slack_app.install.oauth`) requests exactly these and the app manifest declares
them, so the two cannot drift apart. Each scope is here because a listener or a Web API call
needs it; add one only together with the code that uses it.
"""

from __future__ import annotations

BOT_SCOPES: tuple[str, ...] = (
    # `app_mention` events: "@TaskPilot add ..." in channels.
    "app_mentions:read",
    # The assistant panel: thread status ("is thinking…"), suggested prompts, titles.
    "assistant:write",
    # Replies, task cards (chat.postMessage, chat.update), ephemeral notices, and the DMs to
    # assignees (posted to the user's id, which needs no conversations.open and no im:write).
    "chat:write",
    # The `/task` slash command and the "Create task from message" shortcut.
    "commands",
    # `message.im` events (DMs and assistant threads) and the assistant's thread context
    # (conversations.replies in the app's DMs).
    "im:history",
    # The workspace directory: users.list, users.info and `user_change` events.
    "users:read",
)
