"""Slack's app manifest schema (version 2, the parts TaskPilot's manifest can touch) and a
small JSON Schema validator for it: the shape half of `devtools.manifest_check`.

Tooling, not product: the wheel leaves `devtools/` out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, cast

from slack_app.install.manifest import Json

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
