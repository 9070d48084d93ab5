"""The app manifest: Slack's schema shape, and agreement with what the code does.

The checks live in `devtools.manifest_check` (tooling, not in the wheel); these tests run them
on the real manifest and the real code, and show that each check fails when the manifest loses
what the code needs.
"""

from __future__ import annotations

import copy
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from devtools import manifest_check as check
from devtools import manifest_schema as schema
from devtools import slack_code_scan as scan
from slack_app.install import manifest as product

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return product.load_manifest()


@pytest.fixture(scope="module")
def usage() -> scan.CodeUsage:
    return scan.scan_code()


def problems_of(manifest: dict[str, Any], usage: scan.CodeUsage) -> list[str]:
    return check.check_shape(manifest, constants=usage.constants) + check.check_against_code(
        manifest, usage
    )


# -- the real manifest ---------------------------------------------------------------------


def test_manifest_fits_slacks_schema(manifest: dict[str, Any], usage: scan.CodeUsage) -> None:
    assert check.check_shape(manifest, constants=usage.constants) == []
    assert manifest["_metadata"] == {"major_version": 2, "minor_version": 1}


def test_manifest_and_code_agree(manifest: dict[str, Any], usage: scan.CodeUsage) -> None:
    assert check.check_against_code(manifest, usage, bot_scopes=check.load_bot_scopes()) == []


def test_whole_check_passes() -> None:
    assert check.check_manifest() == []
    assert check.main([]) == 0


def test_bot_scopes_equal_the_oauth_install_scopes(manifest: dict[str, Any]) -> None:
    scopes = pytest.importorskip("slack_app.install.scopes")
    declared = manifest["oauth_config"]["scopes"]["bot"]
    assert sorted(declared) == sorted(scopes.BOT_SCOPES)
    assert len(declared) == len(set(declared))


def test_the_scan_sees_the_real_listeners(usage: scan.CodeUsage) -> None:
    # Without this a scan that found nothing would make the agreement checks pass vacuously.
    assert "/task" in usage.commands
    assert usage.shortcuts.get("create_task_from_message") in ("message", "any")
    for event in ("app_mention", "message", "app_home_opened", "user_change", "team_join"):
        assert event in usage.events, event
    assert "chat.postMessage" in usage.methods
    assert usage.assistant, "Bolt's Assistant is used by slack_app.listeners.conversations"


def test_urls_are_the_paths_the_server_serves(manifest: dict[str, Any]) -> None:
    from slack_app.gate.fastapi_adapter import EVENTS_PATH, OAUTH_REDIRECT_PATH

    events_url = f"https://{product.PLACEHOLDER_HOST}{EVENTS_PATH}"
    assert manifest["settings"]["event_subscriptions"]["request_url"] == events_url
    assert manifest["settings"]["interactivity"]["request_url"] == events_url
    assert [c["url"] for c in manifest["features"]["slash_commands"]] == [events_url]
    assert manifest["oauth_config"]["redirect_urls"] == [
        f"https://{product.PLACEHOLDER_HOST}{OAUTH_REDIRECT_PATH}"
    ]


def test_taskpilot_settings(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    assert settings["org_deploy_enabled"] is False
    assert settings["interactivity"]["is_enabled"] is True
    features = manifest["features"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert features["bot_user"] == {"display_name": "TaskPilot", "always_online": True}
    (command,) = features["slash_commands"]
    assert command["command"] == "/task"
    assert command["usage_hint"] == "add | list | done 12 | assign 12 @bob | help"
    # Escaped, mentions arrive as <@U02|bob>, which slack_app.views.text.normalize_mentions reads.
    assert command["should_escape"] is True
    (shortcut,) = features["shortcuts"]
    assert shortcut == {
        "name": "Create task from message",
        "type": "message",
        "callback_id": "create_task_from_message",
        "description": shortcut["description"],
    }


def test_assistant_prompts_match_the_ones_the_code_sets(manifest: dict[str, Any]) -> None:
    from slack_app.listeners.conversations import SUGGESTED_PROMPTS

    prompts = manifest["features"]["assistant_view"]["suggested_prompts"]
    assert prompts == [dict(prompt) for prompt in SUGGESTED_PROMPTS]
    # assistant.threads.setSuggestedPrompts takes at most four.
    assert 1 <= len(prompts) <= 4


def test_every_slack_setting_is_documented() -> None:
    text = (ROOT / "docs" / "slack.md").read_text(encoding="utf-8")
    names = {
        str(field.alias)
        for field in Settings.model_fields.values()
        if field.alias
        and re.match(
            r"SLACK_|TASKPILOT_REMINDER|TASKPILOT_DIRECTORY|TASKPILOT_(HOST|PORT)$", field.alias
        )
    }
    assert names, "the settings have SLACK_* fields"
    missing = sorted(name for name in names if f"`{name}`" not in text)
    assert missing == [], f"docs/slack.md does not describe {missing}"


# -- each check fails when the manifest loses what the code needs ---------------------------


def _declared_scopes() -> list[str]:
    return list(product.load_manifest()["oauth_config"]["scopes"]["bot"])


def _declared_events() -> list[str]:
    return list(product.load_manifest()["settings"]["event_subscriptions"]["bot_events"])


@pytest.mark.parametrize("scope", _declared_scopes())
def test_removing_a_needed_scope_is_reported(
    manifest: dict[str, Any], usage: scan.CodeUsage, scope: str
) -> None:
    broken = copy.deepcopy(manifest)
    broken["oauth_config"]["scopes"]["bot"].remove(scope)
    problems = check.check_against_code(broken, usage)
    assert any(f"bot scope {scope} is missing" in problem for problem in problems), problems


@pytest.mark.parametrize("event", _declared_events())
def test_removing_a_subscribed_event_is_reported(
    manifest: dict[str, Any], usage: scan.CodeUsage, event: str
) -> None:
    broken = copy.deepcopy(manifest)
    broken["settings"]["event_subscriptions"]["bot_events"].remove(event)
    problems = check.check_against_code(broken, usage)
    listened = "message events" if event.startswith("message.") else f"listens to {event}"
    assert any(listened in problem for problem in problems), problems


def test_an_unneeded_scope_is_reported(manifest: dict[str, Any], usage: scan.CodeUsage) -> None:
    broken = copy.deepcopy(manifest)
    broken["oauth_config"]["scopes"]["bot"].append("channels:read")
    problems = check.check_against_code(broken, usage)
    assert any("channels:read is declared but nothing" in problem for problem in problems)


def test_scopes_module_drift_is_reported(manifest: dict[str, Any], usage: scan.CodeUsage) -> None:
    declared = manifest["oauth_config"]["scopes"]["bot"]
    problems = check.check_against_code(manifest, usage, bot_scopes=[*declared, "team:read"])
    assert any("BOT_SCOPES and the manifest's bot scopes differ" in p for p in problems)


def test_command_and_shortcut_drift_is_reported(
    manifest: dict[str, Any], usage: scan.CodeUsage
) -> None:
    broken = copy.deepcopy(manifest)
    broken["features"]["slash_commands"][0]["command"] = "/tasks"
    broken["features"]["shortcuts"][0]["callback_id"] = "make_task"
    problems = check.check_against_code(broken, usage)
    assert any("registers /task" in problem for problem in problems)
    assert any("declares /tasks but no listener" in problem for problem in problems)
    assert any("shortcut create_task_from_message" in problem for problem in problems)
    assert any("declares shortcut make_task" in problem for problem in problems)


def test_dropping_features_the_code_uses_is_reported(
    manifest: dict[str, Any], usage: scan.CodeUsage
) -> None:
    broken = copy.deepcopy(manifest)
    del broken["features"]["assistant_view"]
    broken["features"]["app_home"]["home_tab_enabled"] = False
    broken["features"]["app_home"]["messages_tab_read_only_enabled"] = True
    broken["settings"]["interactivity"]["is_enabled"] = False
    problems = problems_of(broken, usage)
    assert any("features.assistant_view is missing" in p for p in problems)
    assert any("home_tab_enabled is off" in p for p in problems)
    assert any("Messages tab is off or read-only" in p for p in problems)
    assert any("interactivity.is_enabled is not true" in p for p in problems)


# -- the shape checks ------------------------------------------------------------------------


def test_schema_breaks_are_reported(manifest: dict[str, Any], usage: scan.CodeUsage) -> None:
    broken = copy.deepcopy(manifest)
    broken["display_information"]["name"] = "T" * 36
    broken["display_information"]["background_color"] = "blue"
    broken["features"]["shortcuts"][0]["type"] = "channel"
    broken["features"]["shortcuts"][0]["name"] = "Create a task from this message"
    broken["features"]["slash_commands"][0]["should_escape"] = "yes"
    broken["settings"]["interactivity"].pop("is_enabled")
    broken["settings"]["event_subscriptions"]["bot_events"].append("app_mention")
    broken["settings"]["socket_mode"] = True
    del broken["display_information"]["name"]
    problems = check.check_shape(broken, constants=usage.constants)
    expected = [
        "display_information: `name` is required",
        "display_information.background_color: 'blue' does not match",
        "features.shortcuts[0].type: 'channel' is not one of",
        "features.shortcuts[0].name: longer than 24 characters",
        "features.slash_commands[0].should_escape: should be boolean",
        "settings.interactivity: `is_enabled` is required",
        "settings.event_subscriptions.bot_events: 'app_mention' is listed twice",
        "settings.socket_mode: not a key Slack's manifest schema knows",
    ]
    for text in expected:
        assert any(problem.startswith(text) for problem in problems), (text, problems)


def test_url_rules(manifest: dict[str, Any], usage: scan.CodeUsage) -> None:
    broken = copy.deepcopy(manifest)
    broken["settings"]["interactivity"]["request_url"] = "http://YOUR-HOST/slack/events"
    broken["oauth_config"]["redirect_urls"] = ["https://other.example.com/slack/oauth_redirect"]
    broken["features"]["slash_commands"][0]["url"] = "https://YOUR-HOST/slack/commands"
    del broken["settings"]["event_subscriptions"]["request_url"]
    problems = check.check_shape(broken, constants=usage.constants)
    assert any("interactivity.request_url: http://" in p and "https" in p for p in problems)
    assert any("several hosts" in p for p in problems)
    assert any("should end in /slack/events" in p for p in problems)
    assert any(
        p.startswith("settings.event_subscriptions.request_url: needed when socket_mode")
        for p in problems
    )


def test_schema_subset_agrees_with_jsonschema(manifest: dict[str, Any]) -> None:
    """The schema in devtools.manifest_schema is valid JSON Schema, and the small validator
    there judges like the reference implementation (when jsonschema happens to be installed)."""
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft7Validator(schema.MANIFEST_SCHEMA)
    jsonschema.Draft7Validator.check_schema(schema.MANIFEST_SCHEMA)
    assert list(validator.iter_errors(manifest)) == []
    samples: list[dict[str, Any]] = []
    for mutate in (
        lambda d: d["display_information"].update(description=""),
        lambda d: d["features"].update(unknown_feature=True),
        lambda d: d["features"]["slash_commands"][0].update(command="task"),
        lambda d: d["oauth_config"]["scopes"].update(bot="chat:write"),
        lambda d: d["_metadata"].update(major_version="2"),
    ):
        sample = copy.deepcopy(manifest)
        mutate(sample)
        samples.append(sample)
    for sample in samples:
        assert bool(list(validator.iter_errors(sample))) == bool(schema.schema_errors(sample))
        assert schema.schema_errors(sample)


# -- rendering for a host, and Socket Mode ----------------------------------------------------


def test_render_for_a_host(manifest: dict[str, Any], usage: scan.CodeUsage) -> None:
    rendered = product.render_manifest(manifest, host="https://tasks.example.com/")
    text = json.dumps(rendered)
    assert product.PLACEHOLDER_HOST not in text
    assert "https://tasks.example.com/slack/events" in text
    assert check.check_shape(rendered, constants=usage.constants) == []
    assert product.PLACEHOLDER_HOST in json.dumps(manifest), "the loaded manifest is left alone"
    for bad in ("http://tasks.example.com", "tasks.example.com/slack", ""):
        with pytest.raises(ValueError, match="bare host name"):
            product.render_manifest(manifest, host=bad)


def test_render_for_socket_mode(manifest: dict[str, Any], usage: scan.CodeUsage) -> None:
    rendered = product.render_manifest(manifest, socket_mode=True)
    assert rendered["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in rendered["settings"]["event_subscriptions"]
    assert "request_url" not in rendered["settings"]["interactivity"]
    assert all("url" not in command for command in rendered["features"]["slash_commands"])
    assert problems_of(rendered, usage) == []


def test_the_operator_command_prints_the_manifest_ready_to_paste() -> None:
    from typer.testing import CliRunner

    from taskpilot.cli import build_app

    runner = CliRunner()
    printed = runner.invoke(
        build_app(), ["slack", "manifest", "--host", "tasks.example.com", "--json"]
    )
    assert printed.exit_code == 0, printed.output
    rendered = json.loads(printed.stdout)
    assert rendered["settings"]["event_subscriptions"]["request_url"] == (
        "https://tasks.example.com/slack/events"
    )
    socket = runner.invoke(build_app(), ["slack", "manifest", "--socket-mode"])
    assert socket.exit_code == 0, socket.output
    assert "socket_mode_enabled: true" in socket.stdout
    wrong = runner.invoke(build_app(), ["slack", "manifest", "--host", "https://x.example/path"])
    assert wrong.exit_code == 2
    assert "bare host name" in wrong.output
    assert "Traceback" not in wrong.output


# -- the static scan on code written for the purpose ------------------------------------------


def _scan(tmp_path: Path, source: str) -> scan.CodeUsage:
    package = tmp_path / "fake_app"
    package.mkdir()
    (package / "listeners.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return scan.scan_code(package)


def test_scan_finds_calls_events_commands_and_shortcuts(tmp_path: Path) -> None:
    usage = _scan(
        tmp_path,
        """
        REACTION = "reaction_added"
        CALLBACK = "make_task"

        def register(app, cli_app, client, say, respond):
            app.event(REACTION)(handler)
            app.event({"type": "message", "subtype": None})(handler)
            app.command("/other")(handler)
            cli_app.command("socket")(handler)          # typer, not a slash command
            app.shortcut({"callback_id": CALLBACK, "type": "message_action"})(handler)
            app.global_shortcut("open_tasks")(handler)
            app.options("pick_user")(handler)
            app.enable_token_revocation_listeners()
            assistant = AsyncAssistant()
            app.use(assistant)

        async def handler(client, say, respond):
            await client.chat_postEphemeral(channel="C1", user="U1", text="hi")
            await client.api_call("reactions.add", params={})
            await client.files_upload_v2(content="x")
            await say("hello")
            await respond("done")
            something.message("not a listener")
        """,
    )
    assert set(usage.events) == {
        "reaction_added",
        "message",
        "tokens_revoked",
        "app_uninstalled",
        "assistant_thread_started",
        "assistant_thread_context_changed",
    }
    assert set(usage.commands) == {"/other"}
    assert usage.shortcuts == {"make_task": "message", "open_tasks": "global"}
    assert usage.options
    assert {"chat.postEphemeral", "reactions.add", "chat.postMessage"} <= set(usage.methods)
    # Bolt's default thread context store, since no thread_context_store was given.
    assert {"conversations.replies", "chat.update"} <= set(usage.methods)
    assert any(method.startswith("files.") for method in usage.methods)
    assert usage.methods["chat.postEphemeral"][0].startswith("fake_app/listeners.py:")

    problems = check.check_against_code(product.load_manifest(), usage)
    for text in (
        "the code calls files.",  # not in METHOD_SCOPES: must be looked up, not guessed
        "bot scope reactions:write is missing",
        "listens to reaction_added",
        "registers /other",
        "registers shortcut make_task",
        "message_menu_options_url is not set",
        "declares /task but no listener",
    ):
        assert any(text in problem for problem in problems), (text, problems)


def test_scan_reports_what_it_cannot_read(tmp_path: Path) -> None:
    usage = _scan(
        tmp_path,
        """
        def register(app, name):
            app.event(name)(print)
            app.shortcut(name)(print)
        """,
    )
    assert len(usage.unresolved) == 2
    assert any("cannot read" in problem for problem in check.check_against_code({}, usage))


def test_method_table_names_real_methods() -> None:
    known = {method for methods in scan._client_method_table().values() for method in methods}
    assert set(scan.METHOD_SCOPES) <= known, sorted(set(scan.METHOD_SCOPES) - known)
    assert {name for name in scan.BOLT_HELPERS.values() for name in name} <= set(scan.METHOD_SCOPES)
