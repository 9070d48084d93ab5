"""TaskPilot's Slack app manifest (`manifest.yaml`): loading it, filling in the host, checking it.

Two kinds of checks, both returning sentences a person can act on (an empty list is a pass):

- `check_shape`: the manifest against the shape of Slack's app manifest schema (version 2:
  required keys, types, lengths, enumerations, unknown keys), plus TaskPilot's rules: every URL
  is https, on one host, on the paths `slack_app.fastapi_adapter` serves, and present unless
  Socket Mode is on.
- `check_against_code`: the manifest against what `slack_app/*.py` actually does, found by a
  static scan (`scan_code`): every Web API method called (`client.chat_postMessage(...)`,
  `client.api_call("...")`, and Bolt helpers such as `say` and `set_status`) has its scopes
  declared (`METHOD_SCOPES`); every event listened to is subscribed and every subscribed event
  is listened to; every slash command and shortcut the code registers is declared and the
  other way round; and every bot scope declared is needed by something (no scope creep).

`python -m slack_app.manifest --host tasks.example.com [--socket-mode] [--json]` prints the
manifest ready to paste; `--check` runs both checks and exits 1 on problems.

Nothing here runs at import.
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import importlib.util
import inspect
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import yaml

MANIFEST_PATH = Path(__file__).with_name("manifest.yaml")
PACKAGE_DIR = Path(__file__).parent
PLACEHOLDER_HOST = "YOUR-HOST"

# The paths `slack_app.fastapi_adapter` serves; read from its constants by the scan when present.
DEFAULT_EVENTS_PATH = "/slack/events"
DEFAULT_OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"

Json = dict[str, Any]

# -- Slack's manifest schema (the parts TaskPilot's manifest can touch) ----------------------
#
# Transcribed from slackapi/manifest-schema `schemas/manifest.schema.2.0.0.json`: the keys,
# types, lengths and enumerations Slack checks. Sections TaskPilot does not use (functions,
# workflows, datastores, ...) are accepted as any object so that they are not reported as
# unknown keys; their inside is not checked. `background_color`'s pattern is Slack's own regex
# (the schema spells it `regex`, so JSON Schema tools skip it; Slack's API enforces it).

_HTTP_URL = "^https?://"
_STRING_LIST = {"type": "array", "items": {"type": "string", "maxLength": 50}, "maxItems": 255}

_PROMPTS: Json = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["title", "message"],
        "properties": {"title": {"type": "string"}, "message": {"type": "string"}},
        "additionalProperties": False,
    },
}

MANIFEST_SCHEMA: Json = {
    "type": "object",
    "required": ["display_information"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string"},
        "_metadata": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "schema_version": {"type": "integer"},
                "min_version": {"type": "integer"},
                "major_version": {"type": "integer", "enum": [1, 2]},
                "minor_version": {"type": "integer"},
            },
        },
        "display_information": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 35},
                "description": {"type": "string", "minLength": 1, "maxLength": 140},
                "background_color": {
                    "type": "string",
                    "pattern": "^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$",
                    "minLength": 4,
                    "maxLength": 7,
                },
                "long_description": {"type": "string", "minLength": 175, "maxLength": 4000},
            },
        },
        "features": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "app_home": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "home_tab_enabled": {"type": "boolean"},
                        "messages_tab_enabled": {"type": "boolean"},
                        "messages_tab_read_only_enabled": {"type": "boolean"},
                    },
                },
                "bot_user": {
                    "type": "object",
                    "required": ["display_name"],
                    "additionalProperties": False,
                    "properties": {
                        "display_name": {"type": "string", "minLength": 1, "maxLength": 80},
                        "always_online": {"type": "boolean"},
                    },
                },
                "shortcuts": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 10,
                    "items": {
                        "type": "object",
                        "required": ["name", "type", "callback_id", "description"],
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string", "minLength": 1, "maxLength": 24},
                            "type": {"type": "string", "enum": ["message", "global"]},
                            "callback_id": {"type": "string", "minLength": 1, "maxLength": 255},
                            "description": {"type": "string", "minLength": 1, "maxLength": 150},
                        },
                    },
                },
                "slash_commands": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 50,
                    "items": {
                        "type": "object",
                        "required": ["command", "description"],
                        "additionalProperties": False,
                        "properties": {
                            "command": {
                                "type": "string",
                                "pattern": "^/",
                                "minLength": 2,
                                "maxLength": 32,
                            },
                            "url": {"type": "string", "pattern": _HTTP_URL, "maxLength": 3000},
                            "description": {"type": "string", "minLength": 1, "maxLength": 2000},
                            "usage_hint": {"type": "string", "minLength": 1, "maxLength": 1000},
                            "should_escape": {"type": "boolean"},
                        },
                    },
                },
                "unfurl_domains": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 5,
                    "uniqueItems": True,
                    "items": {"type": "string", "maxLength": 255},
                },
                "assistant_view": {
                    "type": "object",
                    "required": ["assistant_description"],
                    "additionalProperties": False,
                    "properties": {
                        "assistant_description": {"type": "string"},
                        "suggested_prompts": _PROMPTS,
                    },
                },
                "agent_view": {"type": "object"},
                "code_channels": {"type": "object"},
                "functions": {"type": "array"},
                "workflow_steps": {"type": "array"},
            },
        },
        "oauth_config": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "redirect_urls": {
                    "type": "array",
                    "maxItems": 1000,
                    "uniqueItems": True,
                    "items": {"type": "string", "maxLength": 2500},
                },
                "scopes": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "user": _STRING_LIST,
                        "bot": _STRING_LIST,
                        "user_optional": _STRING_LIST,
                        "bot_optional": _STRING_LIST,
                    },
                },
                "token_management_enabled": {"type": "boolean"},
                "pkce_enabled": {"type": "boolean"},
            },
        },
        "settings": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "allowed_ip_address_ranges": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 50,
                    "uniqueItems": True,
                    "items": {"type": "string"},
                },
                "event_subscriptions": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "request_url": {"type": "string", "pattern": _HTTP_URL, "maxLength": 3500},
                        "bot_events": {
                            "type": "array",
                            "maxItems": 100,
                            "uniqueItems": True,
                            "items": {"type": "string", "maxLength": 50},
                        },
                        "user_events": {
                            "type": "array",
                            "maxItems": 100,
                            "uniqueItems": True,
                            "items": {"type": "string", "maxLength": 50},
                        },
                        "metadata_subscriptions": {"type": "array"},
                    },
                },
                "incoming_webhooks": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"incoming_webhooks_enabled": {"type": "boolean"}},
                },
                "interactivity": {
                    "type": "object",
                    "required": ["is_enabled"],
                    "additionalProperties": False,
                    "properties": {
                        "is_enabled": {"type": "boolean"},
                        "request_url": {"type": "string", "pattern": _HTTP_URL, "maxLength": 3500},
                        "message_menu_options_url": {
                            "type": "string",
                            "pattern": _HTTP_URL,
                            "maxLength": 3500,
                        },
                    },
                },
                "org_deploy_enabled": {"type": "boolean"},
                "socket_mode_enabled": {"type": "boolean"},
                "is_hosted": {"type": "boolean"},
                "token_rotation_enabled": {"type": "boolean"},
                "siws_links": {"type": "object"},
                "hermes_app_type": {"type": "string"},
                "function_runtime": {"type": "string"},
                "is_mcp_enabled": {"type": "boolean"},
            },
        },
        "app_directory": {"type": "object"},
        "functions": {"type": "object"},
        "workflows": {"type": "object"},
        "datastores": {"type": "object"},
        "outgoing_domains": {"type": "array"},
        "types": {"type": "object"},
        "external_auth_providers": {"type": "object"},
        "mcp_servers": {"type": "object"},
    },
}

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


# -- loading and rendering -----------------------------------------------------------------


def load_manifest(path: Path = MANIFEST_PATH) -> Json:
    """The manifest as a dict (YAML parsed safely)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a YAML mapping")
    return cast("Json", data)


def _clean_host(host: str) -> str:
    host = host.strip().removeprefix("https://").rstrip("/")
    if not host or "/" in host or "://" in host or " " in host:
        raise ValueError(
            f"host {host!r} should be a bare host name such as tasks.example.com "
            "(Slack only calls https URLs)"
        )
    return host


def render_manifest(manifest: Json, *, host: str | None = None, socket_mode: bool = False) -> Json:
    """A copy of `manifest` with YOUR-HOST replaced by `host`; with `socket_mode`, Socket Mode
    switched on and the request URLs (which Socket Mode does not use) left out."""
    text = json.dumps(manifest)
    if host is not None:
        text = text.replace(PLACEHOLDER_HOST, _clean_host(host))
    rendered = cast("Json", json.loads(text))
    if socket_mode:
        settings = rendered.setdefault("settings", {})
        settings["socket_mode_enabled"] = True
        settings.get("event_subscriptions", {}).pop("request_url", None)
        settings.get("interactivity", {}).pop("request_url", None)
        for command in rendered.get("features", {}).get("slash_commands", []):
            command.pop("url", None)
    return rendered


# -- a JSON Schema subset, enough for the schema above -------------------------------------

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
}


def _type_ok(value: Any, wanted: str) -> bool:
    if wanted in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[wanted])


def schema_errors(
    value: Any, schema: Mapping[str, Any] = MANIFEST_SCHEMA, path: str = ""
) -> list[str]:
    """Where `value` breaks `schema` (type, required, properties, additionalProperties, enum,
    minLength/maxLength, pattern, items, minItems/maxItems, uniqueItems); [] when it fits."""
    where = path or "(manifest)"
    wanted = schema.get("type")
    if isinstance(wanted, str) and not _type_ok(value, wanted):
        return [f"{where}: should be {wanted}, is {type(value).__name__} ({value!r})"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{where}: shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{where}: longer than {schema['maxLength']} characters ({len(value)})")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, list):
        items = cast("list[Any]", value)
        if "minItems" in schema and len(items) < schema["minItems"]:
            errors.append(f"{where}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(items) > schema["maxItems"]:
            errors.append(f"{where}: more than {schema['maxItems']} items")
        if schema.get("uniqueItems"):
            seen: list[str] = []
            for item in items:
                key = json.dumps(item, sort_keys=True)
                if key in seen:
                    errors.append(f"{where}: {item!r} is listed twice")
                seen.append(key)
        item_schema = schema.get("items")
        if isinstance(item_schema, Mapping):
            for index, item in enumerate(items):
                errors.extend(
                    schema_errors(item, cast("Mapping[str, Any]", item_schema), f"{path}[{index}]")
                )
    if isinstance(value, dict):
        mapping = cast("dict[str, Any]", value)
        properties = cast("Mapping[str, Mapping[str, Any]]", schema.get("properties", {}))
        for name in schema.get("required", []):
            if name not in mapping:
                errors.append(f"{where}: `{name}` is required")
        for name, item in mapping.items():
            child = f"{path}.{name}" if path else name
            if name in properties:
                errors.extend(schema_errors(item, properties[name], child))
            elif schema.get("additionalProperties") is False:
                errors.append(f"{child}: not a key Slack's manifest schema knows")
    return errors


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
    return sorted(
        path
        for path in package_dir.rglob("*.py")
        if "__pycache__" not in path.parts and path.resolve() != Path(__file__).resolve()
    )


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


# -- the checks ----------------------------------------------------------------------------


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = cast("dict[str, Any]", data).get(key)
    return data


def _urls(manifest: Json) -> dict[str, str]:
    """Every URL in the manifest, by where it is."""
    found: dict[str, str] = {}
    for index, command in enumerate(_get(manifest, "features", "slash_commands") or []):
        if isinstance(command, dict) and isinstance(command.get("url"), str):
            found[f"features.slash_commands[{index}].url"] = command["url"]
    for index, url in enumerate(_get(manifest, "oauth_config", "redirect_urls") or []):
        if isinstance(url, str):
            found[f"oauth_config.redirect_urls[{index}]"] = url
    for keys in (
        ("settings", "event_subscriptions", "request_url"),
        ("settings", "interactivity", "request_url"),
        ("settings", "interactivity", "message_menu_options_url"),
    ):
        url = _get(manifest, *keys)
        if isinstance(url, str):
            found[".".join(keys)] = url
    return found


def check_shape(manifest: Json, *, constants: Mapping[str, str] | None = None) -> list[str]:
    """Slack's manifest schema, then TaskPilot's URL rules. `constants` are the module-level
    string constants of `slack_app` (`scan_code().constants`), for the endpoint paths."""
    problems = schema_errors(manifest)
    if _get(manifest, "_metadata", "major_version") != 2:
        problems.append("_metadata.major_version: should be 2 (the current manifest format)")
    constants = constants or {}
    events_path = constants.get("EVENTS_PATH", DEFAULT_EVENTS_PATH)
    redirect_path = constants.get("OAUTH_REDIRECT_PATH", DEFAULT_OAUTH_REDIRECT_PATH)
    urls = _urls(manifest)
    hosts: set[str] = set()
    for where, url in urls.items():
        parts = urlsplit(url)
        if parts.scheme != "https":
            problems.append(f"{where}: {url} should be https (Slack calls only https URLs)")
        hosts.add(parts.netloc)
        wanted = redirect_path if where.startswith("oauth_config.") else events_path
        if parts.path != wanted:
            problems.append(f"{where}: {url} should end in {wanted}, the path TaskPilot serves")
    if len(hosts) > 1:
        problems.append(f"the URLs name several hosts ({sorted(hosts)}); TaskPilot serves one")
    if not _get(manifest, "settings", "socket_mode_enabled"):
        needed: list[str] = []
        if _get(manifest, "settings", "event_subscriptions", "bot_events"):
            needed.append("settings.event_subscriptions.request_url")
        if _get(manifest, "settings", "interactivity", "is_enabled"):
            needed.append("settings.interactivity.request_url")
        commands = _get(manifest, "features", "slash_commands") or []
        needed += [f"features.slash_commands[{index}].url" for index in range(len(commands))]
        problems += [
            f"{where}: needed when socket_mode_enabled is false"
            for where in needed
            if where not in urls
        ]
    return problems


def required_scopes(manifest: Json, usage: CodeUsage) -> tuple[dict[str, list[str]], list[str]]:
    """(bot scope -> why it is needed, problems): what the code's calls, the subscribed events
    and the declared features need. Methods and events missing from the tables are problems."""
    needed: dict[str, list[str]] = {}
    problems: list[str] = []
    for method, places in sorted(usage.methods.items()):
        if method not in METHOD_SCOPES:
            problems.append(
                f"the code calls {method} ({places[0]}), which METHOD_SCOPES in "
                "slack_app/manifest.py does not list: look up its scopes in Slack's reference"
            )
            continue
        for scope in METHOD_SCOPES[method]:
            needed.setdefault(scope, []).append(f"{method} ({places[0]})")
    for event in _get(manifest, "settings", "event_subscriptions", "bot_events") or []:
        if event not in EVENT_SCOPES:
            problems.append(
                f"the manifest subscribes to {event}, which EVENT_SCOPES in "
                "slack_app/manifest.py does not list: look up its scopes in Slack's reference"
            )
            continue
        for scope in EVENT_SCOPES[event]:
            needed.setdefault(scope, []).append(f"the {event} event")
    features = _get(manifest, "features") or {}
    if features.get("slash_commands") or features.get("shortcuts"):
        needed.setdefault("commands", []).append("slash commands and shortcuts")
    if features.get("assistant_view"):
        needed.setdefault("assistant:write", []).append("the assistant_view feature")
    return needed, problems


def check_against_code(
    manifest: Json, usage: CodeUsage, *, bot_scopes: Sequence[str] | None = None
) -> list[str]:
    """Where the manifest and the code disagree; [] when they agree. `bot_scopes`, when given
    (`slack_app.scopes.BOT_SCOPES`), must equal the manifest's bot scopes."""
    problems = list(usage.unresolved)
    declared_scopes = list(_get(manifest, "oauth_config", "scopes", "bot") or [])
    declared = set(declared_scopes)
    needed, table_problems = required_scopes(manifest, usage)
    problems.extend(table_problems)
    for scope, reasons in sorted(needed.items()):
        if scope not in declared:
            problems.append(
                f"bot scope {scope} is missing from oauth_config.scopes.bot; needed by "
                + "; ".join(reasons[:3])
            )
    for scope in sorted(declared - set(needed) - set(JUSTIFIED_EXTRA_SCOPES)):
        problems.append(
            f"bot scope {scope} is declared but nothing in the code or the manifest needs it; "
            "remove it, or say why in JUSTIFIED_EXTRA_SCOPES"
        )
    if bot_scopes is not None and set(bot_scopes) != declared:
        problems.append(
            "slack_app/scopes.py BOT_SCOPES and the manifest's bot scopes differ: only in "
            f"BOT_SCOPES {sorted(set(bot_scopes) - declared)}, only in the manifest "
            f"{sorted(declared - set(bot_scopes))}"
        )

    subscribed = set(_get(manifest, "settings", "event_subscriptions", "bot_events") or [])
    for event, places in sorted(usage.events.items()):
        if event == "message":
            if not subscribed & set(MESSAGE_SUBSCRIPTIONS):
                problems.append(
                    f"the code listens to message events ({places[0]}) but the manifest "
                    f"subscribes to none of {', '.join(MESSAGE_SUBSCRIPTIONS)}"
                )
        elif event not in subscribed:
            problems.append(
                f"the code listens to {event} ({places[0]}) but "
                "settings.event_subscriptions.bot_events does not subscribe to it"
            )
    for event in sorted(subscribed):
        listened = "message" if event.startswith("message.") else event
        if listened not in usage.events:
            problems.append(
                f"the manifest subscribes to {event} but no listener in slack_app handles it"
            )

    declared_commands = {
        str(command.get("command"))
        for command in _get(manifest, "features", "slash_commands") or []
        if isinstance(command, dict)
    }
    for command, places in sorted(usage.commands.items()):
        if command not in declared_commands:
            problems.append(
                f"the code registers {command} ({places[0]}) but features.slash_commands "
                "does not declare it"
            )
    for command in sorted(declared_commands - set(usage.commands)):
        problems.append(f"the manifest declares {command} but no listener in slack_app handles it")

    declared_shortcuts = {
        str(shortcut.get("callback_id")): str(shortcut.get("type"))
        for shortcut in _get(manifest, "features", "shortcuts") or []
        if isinstance(shortcut, dict)
    }
    for callback_id, kind in sorted(usage.shortcuts.items()):
        where = usage.shortcut_places[callback_id][0]
        if callback_id not in declared_shortcuts:
            problems.append(
                f"the code registers shortcut {callback_id} ({where}) but features.shortcuts "
                "does not declare it"
            )
        elif kind != "any" and declared_shortcuts[callback_id] != kind:
            problems.append(
                f"shortcut {callback_id} is a {kind} shortcut in the code ({where}) but "
                f"type {declared_shortcuts[callback_id]} in the manifest"
            )
    for callback_id in sorted(set(declared_shortcuts) - set(usage.shortcuts)):
        problems.append(
            f"the manifest declares shortcut {callback_id} but no listener in slack_app handles it"
        )

    if usage.interactive and not _get(manifest, "settings", "interactivity", "is_enabled"):
        problems.append(
            f"the code handles interactivity ({usage.interactive[0]}) but "
            "settings.interactivity.is_enabled is not true"
        )
    if (
        usage.options
        and not _get(manifest, "settings", "interactivity", "message_menu_options_url")
        and not _get(manifest, "settings", "socket_mode_enabled")
    ):
        problems.append(
            f"the code serves select menu options ({usage.options[0]}) but "
            "settings.interactivity.message_menu_options_url is not set"
        )
    home = _get(manifest, "features", "app_home") or {}
    if (usage.home_views or "app_home_opened" in usage.events) and not home.get("home_tab_enabled"):
        problems.append(
            "the code publishes an App Home but features.app_home.home_tab_enabled is off"
        )
    if "message.im" in subscribed and (
        not home.get("messages_tab_enabled") or home.get("messages_tab_read_only_enabled")
    ):
        problems.append(
            "the app answers DMs (message.im) but the App Home's Messages tab is off or read-only, "
            "so people cannot write to it"
        )
    if usage.assistant and not _get(manifest, "features", "assistant_view"):
        problems.append(
            f"the code uses Bolt's Assistant ({usage.assistant[0]}) but features.assistant_view "
            "is missing, so Slack shows no assistant panel"
        )
    if (usage.commands or usage.shortcuts or usage.events) and not _get(
        manifest, "features", "bot_user"
    ):
        problems.append("features.bot_user is missing: the app posts as its bot user")
    return problems


def load_bot_scopes() -> list[str] | None:
    """`slack_app.scopes.BOT_SCOPES` when that module exists, else None."""
    if importlib.util.find_spec("slack_app.scopes") is None:
        return None
    module = importlib.import_module("slack_app.scopes")
    scopes = getattr(module, "BOT_SCOPES", None)
    return None if scopes is None else [str(scope) for scope in scopes]


def check_manifest(manifest: Json | None = None, usage: CodeUsage | None = None) -> list[str]:
    """Every problem `check_shape` and `check_against_code` find in TaskPilot's manifest."""
    manifest = manifest if manifest is not None else load_manifest()
    usage = usage if usage is not None else scan_code()
    return check_shape(manifest, constants=usage.constants) + check_against_code(
        manifest, usage, bot_scopes=load_bot_scopes()
    )


# -- command line --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Print the manifest (host filled in) or, with --check, report its problems."""
    parser = argparse.ArgumentParser(
        prog="python -m slack_app.manifest", description="TaskPilot's Slack app manifest."
    )
    parser.add_argument("--host", help="public host name of `taskpilot serve` (for YOUR-HOST)")
    parser.add_argument("--socket-mode", action="store_true", help="switch Socket Mode on")
    parser.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    parser.add_argument("--check", action="store_true", help="check the manifest and the code")
    args = parser.parse_args(argv)
    manifest = load_manifest()
    if args.check:
        problems = check_manifest(manifest)
        for problem in problems:
            print(problem)
        print("manifest OK" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    try:
        rendered = render_manifest(
            copy.deepcopy(manifest), host=args.host, socket_mode=args.socket_mode
        )
    except ValueError as error:
        parser.error(str(error))
    if args.json:
        print(json.dumps(rendered, indent=2))
    else:
        print(yaml.safe_dump(rendered, sort_keys=False, allow_unicode=True, width=100), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
