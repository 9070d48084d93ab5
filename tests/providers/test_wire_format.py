"""Turns through the real provider path: LiteLLM router -> OpenAI SDK -> HTTP -> scripted server.

Each test scripts what the "provider" answers and asserts what the person gets and what lands in
the database. The server is `devtools.scripted_provider.ScriptedProvider` on 127.0.0.1; it has no
model behind it.
"""

from __future__ import annotations

import json
import logging

import pytest

from devtools.scripted_provider import (
    ScriptedProvider,
    empty_choices,
    hang,
    insufficient_quota,
    rate_limited,
    server_error,
    text,
    tool_calls,
)
from tests.agent.support import SessionFactory, seed, team_tasks, turn
from tests.providers.support import (
    MODEL,
    PerModel,
    provider_runtime,
    tool_messages,
    turn_records,
)

CREATE_DECK = ("create_task", {"title": "Send the Q3 deck", "assignee": "bob", "due": "friday"})


def test_a_tool_call_round_trip_creates_the_task_in_one_model_call(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(tool_calls(CREATE_DECK))
    result = turn(sessions, provider_runtime(provider), "remind bob to send the Q3 deck by friday")

    [task] = team_tasks(sessions)
    assert (task.title, task.assignee_id) == ("Send the Q3 deck", "U0002")
    assert result.reply == "Created #1 “Send the Q3 deck” for Bob Ortiz, due Fri Nov 27."
    assert result.model == MODEL and not result.degraded
    assert result.model_calls == 1 and len(provider.requests) == 1
    [request] = provider.requests
    # The model saw the five tools, the instructions with today's date, and the message.
    assert sorted(request.tool_names) == [
        "assign_task",
        "create_task",
        "delete_task",
        "list_tasks",
        "update_task",
    ]
    system = request.messages[0]
    assert system["role"] == "system" and "2026-11-25" in str(system["content"])
    assert request.messages[-1] == {
        "role": "user",
        "content": "remind bob to send the Q3 deck by friday",
    }
    assert request.model == MODEL  # The link's name goes to an OpenAI-compatible base URL as is.
    # Tokens and an estimated cost (LiteLLM's price for gpt-4.1-mini) are kept with the turn.
    assert result.usage.provider_tokens > 0
    assert result.usage.cost_usd is not None and result.usage.cost_usd > 0
    [record] = turn_records(sessions)
    assert (record.model, record.prompt_version, record.model_calls) == (
        MODEL,
        result.prompt_version,
        1,
    )
    assert record.provider_tokens == result.usage.provider_tokens


def test_parallel_tool_calls_run_in_order_in_one_model_call(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(
        tool_calls(
            ("create_task", {"title": "Book the venue"}),
            ("create_task", {"title": "Order catering", "priority": "high"}),
        )
    )
    result = turn(sessions, provider_runtime(provider), "book the venue and order catering (high)")
    assert [(t.number, t.title, t.priority) for t in team_tasks(sessions)] == [
        (1, "Book the venue", "normal"),
        (2, "Order catering", "high"),
    ]
    assert result.model_calls == 1
    assert result.reply.splitlines() == [
        "Created #1 “Book the venue”.",
        "Created #2 “Order catering”, high priority.",
    ]


def test_plain_text_is_the_reply(provider: ScriptedProvider, sessions: SessionFactory) -> None:
    provider.push(text("Hi! Tell me what needs doing and I'll track it."))
    result = turn(sessions, provider_runtime(provider), "hey there")
    assert result.reply == "Hi! Tell me what needs doing and I'll track it."
    assert result.tool_calls == [] and team_tasks(sessions) == []


def test_a_list_goes_back_to_the_model_for_the_answer(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(
        tool_calls(("list_tasks", {"assignee": "me"})),
        text("You have nothing open."),
    )
    result = turn(sessions, provider_runtime(provider), "what's on my plate?")
    assert result.reply == "You have nothing open."
    assert result.model_calls == 2
    assert '"tasks":[]' in tool_messages(provider.requests[1])[0].replace(" ", "")


def test_429_with_retry_after_is_waited_out_and_retried(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(rate_limited(retry_after=1), tool_calls(CREATE_DECK))
    result = turn(sessions, provider_runtime(provider), "remind bob to send the Q3 deck by friday")

    assert [t.title for t in team_tasks(sessions)] == ["Send the Q3 deck"]
    assert result.model == MODEL and not result.degraded
    first, second = provider.requests
    # The retry came no sooner than the provider asked for.
    assert second.received_at - first.received_at >= 0.95


def test_500_on_every_call_falls_back_to_the_offline_model_flagged_degraded(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(server_error(), server_error())
    runtime = provider_runtime(provider)
    result = turn(sessions, runtime, "add a task to renew the TLS certificate")

    [task] = team_tasks(sessions)
    assert task.title.lower() == "renew the tls certificate"
    assert result.model == "offline" and result.degraded
    assert result.degraded_reason == "providers_failed"
    assert result.reply.endswith(
        "_Answered by TaskPilot's offline parser: the AI model providers are not answering "
        "right now._"
    )
    # One try and one retry (TASKPILOT_LLM_RETRIES=1): no second retry loop in the SDK.
    assert len(provider.requests) == 2
    [record] = turn_records(sessions)
    assert record.degraded and record.model == "offline" and record.provider_tokens == 0

    # The failing link is cooling down: the next turn does not wait on it at all.
    again = turn(sessions, runtime, "add a task to call the bank")
    assert again.degraded and len(team_tasks(sessions)) == 2
    assert len(provider.requests) == 2


def test_a_hang_past_the_timeout_falls_back(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(hang(5, then=tool_calls(CREATE_DECK)))
    runtime = provider_runtime(provider, TASKPILOT_LLM_TIMEOUT=0.5, TASKPILOT_LLM_RETRIES=0)
    result = turn(sessions, runtime, "add a task to renew the TLS certificate")
    assert result.degraded and result.model == "offline"
    # Only the offline model's task exists: the late answer was never used.
    assert [t.title.lower() for t in team_tasks(sessions)] == ["renew the tls certificate"]
    assert len(provider.requests) == 1


@pytest.mark.parametrize(
    ("bad_call", "error_words"),
    [
        pytest.param(
            ("create_task", '{"title": "Renew the TLS certificate", "priority": '),
            "Invalid JSON",
            id="malformed-json",
        ),
        pytest.param(
            ("make_task", {"title": "Renew the TLS certificate"}),
            "Unknown tool name",
            id="unknown-tool",
        ),
        pytest.param(
            ("create_task", {"title": "Renew the TLS certificate", "priority": "super-high"}),
            "priority",
            id="wrong-type",
        ),
    ],
)
def test_a_bad_tool_call_goes_back_to_the_model_and_the_second_try_succeeds(
    provider: ScriptedProvider,
    sessions: SessionFactory,
    bad_call: tuple[str, object],
    error_words: str,
) -> None:
    name, args = bad_call
    provider.push(
        tool_calls((name, args)),  # type: ignore[arg-type]
        tool_calls(("create_task", {"title": "Renew the TLS certificate", "priority": "high"})),
    )
    result = turn(sessions, provider_runtime(provider), "renew the TLS cert, high priority")

    [task] = team_tasks(sessions)
    assert (task.title, task.priority) == ("Renew the TLS certificate", "high")
    assert result.reply == "Created #1 “Renew the TLS certificate”, high priority."
    assert not result.degraded and result.model_calls == 2
    [feedback] = tool_messages(provider.requests[1])
    assert error_words.lower() in feedback.lower()


def test_insufficient_quota_moves_on_to_the_next_provider(sessions: SessionFactory) -> None:
    # Two links on one server, told apart by the model name each request carries.
    responder = PerModel(
        {"gpt-primary": [insufficient_quota()] * 3, "gpt-backup": [tool_calls(CREATE_DECK)]}
    )
    with ScriptedProvider(default=responder) as server:
        runtime = provider_runtime(server, chain="gpt-primary,gpt-backup,offline")
        result = turn(sessions, runtime, "remind bob to send the Q3 deck by friday")

    assert result.model == "gpt-backup" and not result.degraded
    assert [t.title for t in team_tasks(sessions)] == ["Send the Q3 deck"]
    assert server.requests[0].model == "gpt-primary"
    assert server.requests[-1].model == "gpt-backup"


def test_an_empty_choice_list_falls_back(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(empty_choices(), empty_choices())
    result = turn(sessions, provider_runtime(provider), "add a task to renew the TLS certificate")
    assert result.degraded and result.model == "offline"
    assert len(team_tasks(sessions)) == 1


def test_a_failure_after_a_write_never_repeats_the_write(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    # The model creates a task and lists in the same response, so it is asked again, and that
    # second call fails: the offline model reports what happened instead of redoing it.
    provider.push(
        tool_calls(("create_task", {"title": "Renew the TLS certificate"}), ("list_tasks", {})),
        server_error(),
        server_error(),
    )
    result = turn(sessions, provider_runtime(provider), "add renew the TLS certificate, then list")
    assert [t.title for t in team_tasks(sessions)] == ["Renew the TLS certificate"]
    assert result.degraded
    assert "Created #1 “Renew the TLS certificate”." in result.reply


def test_without_offline_in_the_chain_a_failure_is_an_apology_not_a_traceback(
    provider: ScriptedProvider, sessions: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    provider.push(server_error(), server_error())
    with caplog.at_level(logging.WARNING):
        result = turn(sessions, provider_runtime(provider, chain=MODEL), "add a task to call mom")
    assert result.reply.startswith("Sorry, I couldn't finish that.")
    assert "Traceback" not in result.reply and result.error is not None
    assert team_tasks(sessions) == []
    [record] = turn_records(sessions)
    assert record.outcome == "failed"
    # The log names the provider, the model and the provider's request id.
    failures = [r for r in caplog.records if r.getMessage().startswith("model provider failed")]
    assert failures
    assert failures[0].__dict__["model"] == MODEL
    assert failures[0].__dict__["provider_request_id"] == "req_scripted_2"


def test_a_reply_longer_than_the_limit_is_cut_and_says_so(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(text("\n".join(f"line {n} " + "x" * 60 for n in range(500))))
    runtime = provider_runtime(provider, TASKPILOT_MAX_REPLY_CHARS=3000)
    result = turn(sessions, runtime, "tell me a long story")
    assert len(result.reply) <= 3000
    assert result.reply.endswith("…and more. Ask for fewer at a time, or filter the list.")


def test_arguments_reach_the_tools_exactly_as_the_model_sent_them(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(tool_calls(("create_task", {"title": "Pay rent", "tags": ["home", "money"]})))
    result = turn(sessions, provider_runtime(provider), "pay rent #home #money")
    [call] = result.tool_calls
    assert call.args == {"title": "Pay rent", "tags": ["home", "money"]}
    [task] = team_tasks(sessions)
    assert task.tags == ["home", "money"]
    assert json.loads(json.dumps(call.result))["ok"] is True


def test_a_refused_write_is_answered_from_the_refusal_in_one_call(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    seed(sessions, number=4, title="Bob's report", creator_id="U0002", assignee_id="U0002")
    provider.push(tool_calls(("update_task", {"task_id": 4, "status": "done"})))
    result = turn(sessions, provider_runtime(provider), "mark #4 done")
    assert result.model_calls == 1 and len(provider.requests) == 1
    assert result.reply.startswith("I couldn't update that task: Only Bob Ortiz")
    [task] = team_tasks(sessions)
    assert task.status == "open"


def test_an_unknown_person_goes_back_to_the_model_to_ask(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(
        tool_calls(("create_task", {"title": "Call the bank", "assignee": "zed"})),
        text("I don't know anyone called zed here. Who should do it?"),
    )
    result = turn(sessions, provider_runtime(provider), "have zed call the bank")
    assert result.reply == "I don't know anyone called zed here. Who should do it?"
    assert result.model_calls == 2 and team_tasks(sessions) == []
    [feedback] = tool_messages(provider.requests[1])
    assert '"kind":"unknown_user"' in feedback.replace(" ", "")
