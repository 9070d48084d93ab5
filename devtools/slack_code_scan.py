"""A static scan of `slack_app`: the Web API methods it calls, the events, commands and
shortcuts it registers and the Bolt features it uses, with what each needs from the manifest
(scopes, subscriptions): the code half of `devtools.manifest_check`.

Tooling, not product: the wheel leaves `devtools/` out.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import slack_app

# The package the scan reads.
PACKAGE_DIR = Path(slack_app.__path__[0])

# -- what each Web API method, event and feature needs -------------------------------------
#
# Bot-token scopes, from each method's and event's page in Slack's reference
# (docs.slack.dev/reference/methods/..., /reference/events/...). An empty tuple: no scope.
# A method the code calls that is missing here fails the check, so that a new call is looked
# up in Slack's reference rather than guessed.

METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "api.test": (),
    "auth.test": (),
    "auth.revoke": (),
    "apps.uninstall": (),  # with the app's client id and secret
    # Socket Mode connects with the app-level token (scope connections:write), not the bot's.
    "apps.connections.open": (),
    "oauth.v2.access": (),
    "oauth.v2.exchange": (),
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "chat.scheduleMessage": ("chat:write",),
    "chat.startStream": ("chat:write",),
    "chat.appendStream": ("chat:write",),
    "chat.stopStream": ("chat:write",),
    "chat.getPermalink": (),
    "views.open": (),
    "views.push": (),
    "views.update": (),
    "views.publish": (),
    "users.info": ("users:read",),
    "users.list": ("users:read",),
    "users.lookupByEmail": ("users:read.email",),
    "users.profile.get": ("users.profile:read",),
    "bots.info": ("users:read",),
    "team.info": ("team:read",),
    # A 1:1 DM; a group DM would need mpim:write.
    "conversations.open": ("im:write",),
    # TaskPilot reads history only in DMs and assistant threads (Bolt's thread context store);
    # reading a channel's would need channels:history or groups:history.
    "conversations.replies": ("im:history",),
    "conversations.history": ("im:history",),
    "reactions.add": ("reactions:write",),
    "reactions.remove": ("reactions:write",),
    # setStatus takes chat:write (or, for now, assistant:write); the other two assistant:write.
    "assistant.threads.setStatus": ("chat:write",),
    "assistant.threads.setSuggestedPrompts": ("assistant:write",),
    "assistant.threads.setTitle": ("assistant:write",),
}

# Bot events (as subscribed in the manifest) and the scopes Slack needs to deliver them.
EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    "app_mention": ("app_mentions:read",),
    "message.im": ("im:history",),
    "message.channels": ("channels:history",),
    "message.groups": ("groups:history",),
    "message.mpim": ("mpim:history",),
    "app_home_opened": (),
    "assistant_thread_started": (),
    "assistant_thread_context_changed": (),
    "user_change": ("users:read",),
    "team_join": ("users:read",),
    "tokens_revoked": (),
    "app_uninstalled": (),
}

# A listener for the `message` event type is served by any of these subscriptions.
MESSAGE_SUBSCRIPTIONS = ("message.im", "message.channels", "message.groups", "message.mpim")

# Bolt's listener arguments that call the Web API, and the methods they call.
BOLT_HELPERS: dict[str, tuple[str, ...]] = {
    "say": ("chat.postMessage",),
    "respond": (),  # posts to the payload's response_url: no token, no scope
    "ack": (),
    "set_status": ("assistant.threads.setStatus",),
    "set_title": ("assistant.threads.setTitle",),
    "set_suggested_prompts": ("assistant.threads.setSuggestedPrompts",),
    "get_thread_context": ("conversations.replies",),
    "save_thread_context": ("conversations.replies", "chat.update"),
}

# Bolt's Assistant middleware listens to these events, and without a custom
# `thread_context_store` keeps each thread's context in message metadata (Bolt's default store
# reads the thread with conversations.replies and writes with chat.update).
ASSISTANT_EVENTS = ("assistant_thread_started", "assistant_thread_context_changed", "message")
ASSISTANT_DEFAULT_STORE_METHODS = ("conversations.replies", "chat.update")

# `app.enable_token_revocation_listeners()` listens to these.
TOKEN_REVOCATION_EVENTS = ("tokens_revoked", "app_uninstalled")

# Scopes declared for reasons the scan cannot see, each with its reason. Empty: every scope
# TaskPilot declares is needed by a call, an event or a feature the scan finds.
JUSTIFIED_EXTRA_SCOPES: dict[str, str] = {}


# -- the static scan of the code -----------------------------------------------------------


@dataclass
class CodeUsage:
    """What the scan found, each name with the places (`file:line`) it was found at."""

    methods: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    events: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    commands: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    # callback_id -> shortcut type ("message", "global" or "any" for `app.shortcut`)
    shortcuts: dict[str, str] = field(default_factory=dict[str, str])
    shortcut_places: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    interactive: list[str] = field(default_factory=list[str])
    options: list[str] = field(default_factory=list[str])
    assistant: list[str] = field(default_factory=list[str])
    home_views: list[str] = field(default_factory=list[str])
    # Calls the scan saw but could not resolve to a name (a variable, an f-string...).
    unresolved: list[str] = field(default_factory=list[str])
    constants: dict[str, str] = field(default_factory=dict[str, str])

    def add(self, table: dict[str, list[str]], name: str, where: str) -> None:
        table.setdefault(name, []).append(where)


def _client_method_table() -> dict[str, tuple[str, ...]]:
    """slack_sdk's `AsyncWebClient` attribute names -> the Web API methods they call, read
    from slack_sdk's own source (`self.api_call("chat.postMessage", ...)`)."""
    from slack_sdk.web.async_client import AsyncWebClient

    source_file = inspect.getsourcefile(AsyncWebClient)
    assert source_file is not None
    tree = ast.parse(Path(source_file).read_text(encoding="utf-8"))
    direct: dict[str, set[str]] = {}
    delegates: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ClassDef) and node.name == "AsyncWebClient"):
            continue
        for item in node.body:
            if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            direct[item.name] = set()
            delegates[item.name] = set()
            for call in ast.walk(item):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                    continue
                target = call.func
                if not (isinstance(target.value, ast.Name) and target.value.id == "self"):
                    continue
                if target.attr == "api_call" and call.args:
                    first = call.args[0]
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        direct[item.name].add(first.value)
                else:
                    delegates[item.name].add(target.attr)
    table: dict[str, tuple[str, ...]] = {}
    for name, methods in direct.items():
        if name.startswith("_") or name == "api_call":
            continue
        found = set(methods)
        if not found:
            for other in delegates[name]:
                found |= direct.get(other, set())
        if found:
            table[name] = tuple(sorted(found))
    return table


def _literal(node: ast.AST | None, constants: Mapping[str, str]) -> str | None:
    """A string the node stands for: a literal, or a module-level constant of `slack_app`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.Attribute):
        return constants.get(node.attr)
    return None


def _dict_literal(node: ast.AST | None, constants: Mapping[str, str]) -> dict[str, str] | None:
    if not isinstance(node, ast.Dict):
        return None
    result: dict[str, str] = {}
    for key, value in zip(node.keys, node.values, strict=True):
        key_text = _literal(key, constants)
        value_text = _literal(value, constants)
        if key_text is not None and value_text is not None:
            result[key_text] = value_text
    return result


def _python_files(package_dir: Path) -> list[Path]:
    return sorted(path for path in package_dir.rglob("*.py") if "__pycache__" not in path.parts)


def _module_constants(trees: Iterable[ast.Module]) -> dict[str, str]:
    constants: dict[str, str] = {}
    for tree in trees:
        for node in tree.body:
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                for target in targets:
                    if isinstance(target, ast.Name):
                        constants[target.id] = value.value
    return constants


def scan_code(package_dir: Path = PACKAGE_DIR) -> CodeUsage:
    """Read every module of `package_dir` (not this one) and collect the Web API methods it
    calls, the events, commands and shortcuts it registers, and the Bolt features it uses."""
    client_methods = _client_method_table()
    files = _python_files(package_dir)
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in files}
    usage = CodeUsage(constants=_module_constants(trees.values()))
    constants = usage.constants
    root = package_dir.parent
    for path, tree in trees.items():
        relative = path.relative_to(root) if path.is_relative_to(root) else path
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{relative}:{node.lineno}"
            func = node.func
            first = node.args[0] if node.args else None
            if isinstance(func, ast.Name):
                if func.id in BOLT_HELPERS:
                    for method in BOLT_HELPERS[func.id]:
                        usage.add(usage.methods, method, where)
                elif func.id in ("AsyncAssistant", "Assistant"):
                    _note_assistant(usage, node, where)
                continue
            if not isinstance(func, ast.Attribute):
                continue
            name = func.attr
            bolt_receiver = _is_bolt_receiver(func.value)
            if name in client_methods:
                for method in client_methods[name]:
                    usage.add(usage.methods, method, where)
            elif name == "api_call":
                method = _literal(first, constants)
                if method is None:
                    usage.unresolved.append(f"{where}: api_call with a method name it cannot read")
                else:
                    usage.add(usage.methods, method, where)
            elif (
                name in BOLT_HELPERS
                and isinstance(func.value, ast.Name)
                and (func.value.id == "context")
            ):
                for method in BOLT_HELPERS[name]:
                    usage.add(usage.methods, method, where)
            elif name in ("AsyncAssistant", "Assistant"):
                _note_assistant(usage, node, where)
            elif name == "enable_token_revocation_listeners":
                for event in TOKEN_REVOCATION_EVENTS:
                    usage.add(usage.events, event, where)
            elif not bolt_receiver:
                pass
            elif name in ("event", "message"):
                _note_event(usage, name, first, where)
            elif name == "command":
                command = _literal(first, constants)
                # Typer's `app.command("socket")` is not a slash command; Bolt's start with "/".
                if command is not None and command.startswith("/"):
                    usage.add(usage.commands, command, where)
                    usage.interactive.append(where)
            elif name in ("shortcut", "message_shortcut", "global_shortcut"):
                _note_shortcut(usage, name, first, where)
            elif name in ("action", "block_action", "view", "view_submission", "view_closed"):
                usage.interactive.append(where)
            elif name in ("options", "block_suggestion"):
                usage.options.append(where)
            if name in ("views_publish",):
                usage.home_views.append(where)
    return usage


def _is_bolt_receiver(node: ast.expr) -> bool:
    """Whether `node` looks like a Bolt app (`app`, `bolt_app`, `self.app`, `assistant`...), so
    that `something.message(...)` elsewhere is not taken for a listener registration."""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return isinstance(name, str) and ("app" in name.lower() or "bolt" in name.lower())


def _note_assistant(usage: CodeUsage, node: ast.Call, where: str) -> None:
    usage.assistant.append(where)
    for event in ASSISTANT_EVENTS:
        usage.add(usage.events, event, where)
    if not any(keyword.arg == "thread_context_store" for keyword in node.keywords):
        for method in ASSISTANT_DEFAULT_STORE_METHODS:
            usage.add(usage.methods, method, where)


def _note_event(usage: CodeUsage, name: str, first: ast.expr | None, where: str) -> None:
    if name == "message":
        usage.add(usage.events, "message", where)
        return
    event = _literal(first, usage.constants)
    if event is None:
        constraint = _dict_literal(first, usage.constants)
        event = constraint.get("type") if constraint else None
    if event is None:
        usage.unresolved.append(f"{where}: an event listener whose event type it cannot read")
    else:
        usage.add(usage.events, event, where)


def _note_shortcut(usage: CodeUsage, name: str, first: ast.expr | None, where: str) -> None:
    kind = {"message_shortcut": "message", "global_shortcut": "global"}.get(name, "any")
    callback_id = _literal(first, usage.constants)
    if callback_id is None:
        constraint = _dict_literal(first, usage.constants)
        if constraint:
            callback_id = constraint.get("callback_id")
            kind = {"message_action": "message", "shortcut": "global"}.get(
                constraint.get("type", ""), kind
            )
    if callback_id is None:
        usage.unresolved.append(f"{where}: a shortcut listener whose callback_id it cannot read")
        return
    usage.shortcuts[callback_id] = kind
    usage.add(usage.shortcut_places, callback_id, where)
    usage.interactive.append(where)
