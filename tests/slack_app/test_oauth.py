"""Installing the app in a workspace through OAuth, answering it with its own token, and
forgetting the token when Slack revokes it or the app is uninstalled.

The end-to-end tests drive a running server configured for multi-workspace installs (no
`SLACK_BOT_TOKEN`); the store tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import html
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine, update
from sqlmodel import select

from core.db import make_engine, make_session_factory
from devtools.local_web_api import LocalSlackWebAPI
from slack_app.install.crypto import TokenCipher, TokenDecryptError, generate_key
from slack_app.install.installation_store import DatabaseInstallationStore
from slack_app.install.oauth import InstallationTokens
from slack_app.install.oauth_states import DatabaseOAuthStateStore
from slack_app.install.scopes import BOT_SCOPES
from slack_app.models import SlackInstallation, SlackOAuthState
from tests.slack_app.support import (
    CHANNEL,
    TEAM,
    SlackHarness,
    app_mention,
    event_callback,
    harness_settings,
    running_server,
    seed_directory,
)

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "test-client-secret"
INSTALLED_TOKEN = "xoxb-installed-by-oauth"
STATE_COOKIE = "slack-app-oauth-state"


@pytest.fixture
def token_key() -> str:
    return generate_key()


@pytest.fixture
def oauth_slack(
    web: LocalSlackWebAPI, tmp_path: Path, _sqlite_template: Path, token_key: str
) -> Iterator[SlackHarness]:
    """The server set up for installs through OAuth: client id and secret, no bot token."""
    path = tmp_path / "taskpilot.db"
    shutil.copyfile(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    settings = harness_settings(
        web,
        f"sqlite:///{path}",
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_TOKEN_ENCRYPTION_KEY=token_key,
        SLACK_REDIRECT_URI=None,
    )
    try:
        with running_server(settings, engine, web=web) as harness:
            seed_directory(harness)
            yield harness
    finally:
        engine.dispose()


def oauth_answer(team_id: str = TEAM, token: str = INSTALLED_TOKEN) -> dict[str, object]:
    """What Slack's oauth.v2.access answers for a bot install."""
    return {
        "ok": True,
        "access_token": token,
        "token_type": "bot",
        "scope": ",".join(BOT_SCOPES),
        "bot_user_id": "U0BOT",
        "app_id": "A0TASKPILOT",
        "team": {"name": "TaskPilot Test", "id": team_id},
        "enterprise": None,
        "authed_user": {"id": "U0ALICE"},
        "is_enterprise_install": False,
    }


def start_install(harness: SlackHarness) -> tuple[str, dict[str, list[str]]]:
    """Open /slack/install as a browser would: the state and the authorize URL's query."""
    page = harness.http.get("/slack/install")
    assert page.status_code == 200
    match = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text)
    assert match, page.text
    query = parse_qs(urlsplit(html.unescape(match.group(1))).query)
    [state] = query["state"]
    assert f"{STATE_COOKIE}={state}" in page.headers["set-cookie"]
    return state, query


def finish_install(harness: SlackHarness, state: str, *, code: str = "c0de") -> httpx.Response:
    """Come back from Slack's consent page with the code, carrying the state cookie."""
    return harness.http.get(
        "/slack/oauth_redirect",
        params={"code": code, "state": state},
        headers={"Cookie": f"{STATE_COOKIE}={state}"},
    )


def install(harness: SlackHarness, web: LocalSlackWebAPI) -> None:
    web.oauth_access = oauth_answer()
    web.tokens[INSTALLED_TOKEN] = TEAM
    state, _ = start_install(harness)
    response = finish_install(harness, state)
    assert response.status_code == 200, response.text
    assert "Thank you!" in response.text


def installations(harness: SlackHarness) -> list[SlackInstallation]:
    with harness.sessions() as session:
        return list(session.exec(select(SlackInstallation)).all())


def test_install_page_links_to_slack_with_the_apps_scopes_and_a_stored_state(
    oauth_slack: SlackHarness,
) -> None:
    state, query = start_install(oauth_slack)
    assert query["client_id"] == [CLIENT_ID]
    assert set(query["scope"][0].split(",")) == set(BOT_SCOPES)
    with oauth_slack.sessions() as session:
        assert session.get(SlackOAuthState, state) is not None


def test_an_installed_workspace_is_answered_with_its_own_token_kept_encrypted(
    oauth_slack: SlackHarness, web: LocalSlackWebAPI, token_key: str
) -> None:
    install(oauth_slack, web)
    [exchange] = web.calls_to("oauth.v2.access")
    assert exchange.args["code"] == "c0de"
    # The app's credentials go along as HTTP basic auth, as Slack accepts them.
    scheme, _, credentials = (exchange.token or "").partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode() == f"{CLIENT_ID}:{CLIENT_SECRET}"
    [row] = installations(oauth_slack)
    assert row.team_id == TEAM
    assert INSTALLED_TOKEN not in row.data
    assert INSTALLED_TOKEN in TokenCipher(token_key).decrypt(row.data)

    event = app_mention("<@U0BOT> add a task to renew the TLS cert")
    assert oauth_slack.post(event_callback(event)).status_code == 200
    oauth_slack.drain()
    [task] = oauth_slack.tasks()
    assert "TLS cert" in task.title
    [post] = web.calls_to("chat.postMessage")
    assert post.token == INSTALLED_TOKEN
    assert post.args["channel"] == CHANNEL


def test_a_workspace_that_did_not_install_the_app_is_not_answered(
    oauth_slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    install(oauth_slack, web)
    event = app_mention("<@U0BOT> add a task to sneak in", team_id="T0STRANGER")
    oauth_slack.post(event_callback(event, team_id="T0STRANGER"))
    oauth_slack.drain()
    assert oauth_slack.tasks("T0STRANGER") == []
    assert web.calls_to("chat.postMessage") == []


def test_an_unknown_state_is_refused_without_asking_slack(
    oauth_slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    web.oauth_access = oauth_answer()
    response = finish_install(oauth_slack, "made-up-state")
    assert response.status_code == 401
    assert "Something Went Wrong" in response.text
    assert "Traceback" not in response.text
    assert web.calls_to("oauth.v2.access") == []
    assert installations(oauth_slack) == []


def test_a_state_from_another_browser_is_refused(
    oauth_slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    web.oauth_access = oauth_answer()
    state, _ = start_install(oauth_slack)
    response = oauth_slack.http.get(
        "/slack/oauth_redirect",
        params={"code": "c0de", "state": state},
        headers={"Cookie": f"{STATE_COOKIE}=someone-elses"},
    )
    assert response.status_code == 400
    assert web.calls_to("oauth.v2.access") == []
    assert installations(oauth_slack) == []


def test_a_state_is_good_for_one_install_only(
    oauth_slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    web.oauth_access = oauth_answer()
    web.tokens[INSTALLED_TOKEN] = TEAM
    state, _ = start_install(oauth_slack)
    assert finish_install(oauth_slack, state).status_code == 200
    again = finish_install(oauth_slack, state, code="another-code")
    assert again.status_code == 401
    assert len(web.calls_to("oauth.v2.access")) == 1
    assert len(installations(oauth_slack)) == 1


def test_a_state_older_than_ten_minutes_is_refused(
    oauth_slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    web.oauth_access = oauth_answer()
    state, _ = start_install(oauth_slack)
    with oauth_slack.sessions() as session, session.begin():
        session.execute(
            update(SlackOAuthState)
            .where(SlackOAuthState.state == state)  # pyright: ignore[reportArgumentType]
            .values(created_at=datetime.now(UTC) - timedelta(minutes=11))
        )
    assert finish_install(oauth_slack, state).status_code == 401
    assert web.calls_to("oauth.v2.access") == []


def test_a_code_slack_refuses_shows_the_failure_page_and_stores_nothing(
    oauth_slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    web.oauth_access = {"ok": False, "error": "invalid_code"}
    state, _ = start_install(oauth_slack)
    response = finish_install(oauth_slack, state)
    assert response.status_code == 401
    assert "Something Went Wrong" in response.text
    assert installations(oauth_slack) == []


def test_uninstalling_forgets_the_tokens_and_later_events_go_unanswered(
    oauth_slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    install(oauth_slack, web)
    uninstalled = {"type": "app_uninstalled", "event_ts": "1710000000.000100"}
    assert oauth_slack.post(event_callback(uninstalled)).status_code == 200
    oauth_slack.drain()
    assert installations(oauth_slack) == []

    oauth_slack.post(event_callback(app_mention("<@U0BOT> add a task to water the plants")))
    oauth_slack.drain()
    assert oauth_slack.tasks() == []
    assert web.calls_to("chat.postMessage") == []


def test_a_revoked_bot_token_is_forgotten(oauth_slack: SlackHarness, web: LocalSlackWebAPI) -> None:
    install(oauth_slack, web)
    revoked = {
        "type": "tokens_revoked",
        "tokens": {"oauth": [], "bot": ["U0BOT"]},
        "event_ts": "1710000000.000200",
    }
    assert oauth_slack.post(event_callback(revoked)).status_code == 200
    oauth_slack.drain()
    assert installations(oauth_slack) == []
    tokens = oauth_slack.services.tokens
    assert oauth_slack.run(tokens.bot_token(team_id=TEAM)) is None
    assert oauth_slack.run(tokens.team_ids()) == []

    oauth_slack.post(event_callback(app_mention("<@U0BOT> add a task to book the venue")))
    oauth_slack.drain()
    assert oauth_slack.tasks() == []
    assert web.calls_to("chat.postMessage") == []


def test_installed_teams_are_the_token_source_for_background_work(
    oauth_slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    install(oauth_slack, web)
    tokens = oauth_slack.services.tokens
    assert isinstance(tokens, InstallationTokens)
    assert oauth_slack.run(tokens.team_ids()) == [TEAM]
    assert oauth_slack.run(tokens.bot_token(team_id=TEAM)) == INSTALLED_TOKEN
    assert oauth_slack.run(tokens.bot_token(team_id="T0ELSEWHERE")) is None


# -- the stores on SQLite and PostgreSQL ---------------------------------------------------


def make_store(engine: Engine, *keys: str) -> DatabaseInstallationStore:
    return DatabaseInstallationStore(
        session_factory=make_session_factory(engine),
        cipher=TokenCipher(list(keys)),
        client_id=CLIENT_ID,
    )


def an_installation(
    *,
    team_id: str | None = "T0ONE",
    enterprise_id: str | None = None,
    user_id: str = "U0ALICE",
    bot_token: str | None = "xoxb-one",
    user_token: str | None = None,
    installed_at: float = 1_700_000_000.123456,
    **extra: object,
) -> Installation:
    return Installation(
        app_id="A0TASKPILOT",
        enterprise_id=enterprise_id,
        team_id=team_id,
        team_name="Team One",
        bot_token=bot_token,
        bot_id="B0BOT" if bot_token else None,
        bot_user_id="U0BOT" if bot_token else None,
        bot_scopes=list(BOT_SCOPES),
        user_id=user_id,
        user_token=user_token,
        installed_at=installed_at,
        **extra,  # pyright: ignore[reportArgumentType]
    )


def test_an_installation_comes_back_as_it_was_saved(engine: Engine) -> None:
    store = make_store(engine, generate_key())
    saved = an_installation(
        bot_refresh_token="xoxe-refresh",
        bot_token_expires_at=1_700_043_200,
        custom_values={"plan": "pro", "trial_ends": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
    )
    asyncio.run(store.async_save(saved))
    found = asyncio.run(store.async_find_installation(enterprise_id=None, team_id="T0ONE"))
    assert found is not None
    assert found.to_dict() == saved.to_dict()
    assert found.installed_at == saved.installed_at
    assert found.custom_values["trial_ends"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    bot = asyncio.run(store.async_find_bot(enterprise_id=None, team_id="T0ONE"))
    assert bot is not None
    assert (bot.bot_token, bot.bot_token_expires_at) == ("xoxb-one", 1_700_043_200)


def test_the_latest_install_of_a_team_wins_and_teams_are_kept_apart(engine: Engine) -> None:
    store = make_store(engine, generate_key())
    store.save(an_installation(bot_token="xoxb-old", installed_at=1_700_000_000.0))
    store.save(an_installation(bot_token="xoxb-new", user_id="U0BOB", installed_at=1_700_000_100.0))
    store.save(an_installation(team_id="T0TWO", bot_token="xoxb-two"))
    latest = store.find_installation(enterprise_id=None, team_id="T0ONE")
    assert latest is not None and latest.bot_token == "xoxb-new"
    # Alice's own (older) install, with the team's newest bot token.
    alices = store.find_installation(enterprise_id=None, team_id="T0ONE", user_id="U0ALICE")
    assert alices is not None and alices.user_id == "U0ALICE"
    assert alices.bot_token == "xoxb-new"
    assert store.find_installation(enterprise_id="E0OTHER", team_id="T0ONE") is None
    assert store.team_ids() == ["T0ONE", "T0TWO"]
    # Saving the same install again (a refreshed token) updates it instead of adding one.
    store.save(an_installation(bot_token="xoxb-two-refreshed", team_id="T0TWO"))
    bot = store.find_bot(enterprise_id=None, team_id="T0TWO")
    assert bot is not None and bot.bot_token == "xoxb-two-refreshed"
    assert len(store.installed_teams()) == 3


def test_an_org_wide_install_is_found_without_a_team(engine: Engine) -> None:
    store = make_store(engine, generate_key())
    store.save(
        an_installation(
            team_id=None, enterprise_id="E0ORG", bot_token="xoxb-org", is_enterprise_install=True
        )
    )
    found = store.find_installation(
        enterprise_id="E0ORG", team_id="T0ANYTEAM", is_enterprise_install=True
    )
    assert found is not None and found.bot_token == "xoxb-org"
    bot = store.find_bot(enterprise_id="E0ORG", team_id=None, is_enterprise_install=True)
    assert bot is not None and bot.bot_token == "xoxb-org"


def test_deleting_the_bot_keeps_a_users_token_and_deleting_a_user_keeps_the_bot(
    engine: Engine,
) -> None:
    store = make_store(engine, generate_key())
    store.save(an_installation(user_token="xoxp-alice"))
    store.delete_installation(enterprise_id=None, team_id="T0ONE", user_id="U0ALICE")
    assert store.find_installation(enterprise_id=None, team_id="T0ONE", user_id="U0ALICE") is None
    kept = store.find_installation(enterprise_id=None, team_id="T0ONE")
    assert kept is not None and kept.bot_token == "xoxb-one" and kept.user_token is None

    store.save(an_installation(user_id="U0BOB", user_token="xoxp-bob", installed_at=1.8e9))
    store.delete_bot(enterprise_id=None, team_id="T0ONE")
    assert store.find_bot(enterprise_id=None, team_id="T0ONE") is None
    bobs = store.find_installation(enterprise_id=None, team_id="T0ONE", user_id="U0BOB")
    assert bobs is not None and bobs.user_token == "xoxp-bob" and bobs.bot_token is None
    assert store.team_ids() == []

    store.delete_all(enterprise_id=None, team_id="T0ONE")
    assert store.installed_teams() == []


def test_a_rotated_key_still_reads_old_installs_until_they_are_reencrypted(
    engine: Engine,
) -> None:
    old_key, new_key = generate_key(), generate_key()
    make_store(engine, old_key).save(an_installation())
    rotated = make_store(engine, new_key, old_key)
    found = rotated.find_bot(enterprise_id=None, team_id="T0ONE")
    assert found is not None and found.bot_token == "xoxb-one"
    with pytest.raises(TokenDecryptError):
        make_store(engine, new_key).find_bot(enterprise_id=None, team_id="T0ONE")

    assert rotated.reencrypt() == 1
    assert rotated.reencrypt() == 0
    only_new = make_store(engine, new_key).find_bot(enterprise_id=None, team_id="T0ONE")
    assert only_new is not None and only_new.bot_token == "xoxb-one"
    with pytest.raises(TokenDecryptError):
        make_store(engine, old_key).find_bot(enterprise_id=None, team_id="T0ONE")


def test_an_oauth_state_is_good_once_and_for_ten_minutes(engine: Engine) -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    clock = {"now": now}
    states = DatabaseOAuthStateStore(
        session_factory=make_session_factory(engine), clock=lambda: clock["now"]
    )
    first, second = states.issue(), states.issue()
    assert first != second
    assert len(first) >= 32
    assert states.consume(first)
    assert not states.consume(first)
    clock["now"] = now + timedelta(minutes=10, seconds=1)
    assert not states.consume(second)
    assert not states.consume("never-issued")
    assert not states.consume("")
