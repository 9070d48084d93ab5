"""Checking TaskPilot's Slack app manifest, with sentences a person can act on (an empty list
is a pass):

- `check_shape`: the manifest against the shape of Slack's app manifest schema
  (`devtools.manifest_schema`), plus TaskPilot's rules: every URL is https, on one host, on the
  paths `slack_app.gate.fastapi_adapter` serves, and present unless Socket Mode is on.
- `check_against_code`: the manifest against what `slack_app` actually does, found by a
  static scan (`devtools.slack_code_scan`): every Web API method called has its scopes
  declared (`METHOD_SCOPES`); every event listened to is subscribed and every subscribed event
  is listened to; every slash command and shortcut the code registers is declared and the
  other way round; and every bot scope declared is needed by something (no scope creep).

`python -m devtools.manifest_check` runs both and exits 1 on problems (so does a test in
`make test`).
Tooling, not product: the wheel leaves `devtools/` out; operators print the manifest with
`taskpilot slack manifest --host ...`.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

from devtools.manifest_schema import schema_errors
from devtools.slack_code_scan import (
    EVENT_SCOPES,
    JUSTIFIED_EXTRA_SCOPES,
    MESSAGE_SUBSCRIPTIONS,
    METHOD_SCOPES,
    CodeUsage,
    scan_code,
)
from slack_app.install.manifest import Json, load_manifest

# The paths `slack_app.gate.fastapi_adapter` serves; read from its constants by the scan when
# present.
DEFAULT_EVENTS_PATH = "/slack/events"
DEFAULT_OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"

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


def main(argv: Sequence[str] | None = None) -> int:
    """Report the manifest's problems; 0 when there are none."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.manifest_check",
        description="Check TaskPilot's Slack app manifest against Slack's schema and the code.",
    )
    parser.parse_args(argv)
    problems = check_manifest()
    for problem in problems:
        print(problem)
    print("manifest OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
