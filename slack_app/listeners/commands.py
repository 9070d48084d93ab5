"""The `/task` slash command: add, list, done, assign, help, and anything else for the agent.

Bolt acknowledges at once with an empty body; the answer then goes to the command's
response_url. A change the channel should see (a task created, done or reassigned) is posted
`in_channel` with the task's card; lists, help and mistakes are shown to the person alone.
`list`, `done` and `assign` run against `TaskService` directly, without the model.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from agent.result import TurnResult
from agent.speaker import deps_for_speaker
from core.context import REQUEST_ID, current_ids
from slack_app.delivery import notify
from slack_app.delivery.database_failure import DatabaseUnavailable
from slack_app.delivery.request_ids import request_id_of
from slack_app.delivery.turn_queue import SlackJob, submit
from slack_app.delivery.turns import SlackTurn, reply_blocks, run_slack_turn
from slack_app.delivery.web_client import WEB_API_TIMEOUT, retry_handlers
from slack_app.jobs import directory_sync
from slack_app.listeners.command_words import (
    CommandError,
    ListFilters,
    describe,
    parse_list_filters,
    parse_number,
    split_command,
)
from slack_app.services import SlackServices, services_of
from slack_app.views import blocks
from slack_app.views.block_kit import Block
from slack_app.views.text import (
    BLOCKS_MAX,
    escape_keeping_mentions,
    escape_mrkdwn,
    normalize_mentions,
)
from tasks.cards import task_card, task_cards
from tasks.errors import TaskError
from tasks.models import Task, TaskStatus
from tasks.service import OPEN_STATUSES, TaskService
from tools.task_tools import WRITE_TOOLS

logger = logging.getLogger(__name__)

COMMAND = "/task"
LIST_LIMIT = 20
"""Cards one `/task list` shows; Slack allows 50 blocks and a card takes two."""

HELP = (
    "*TaskPilot* keeps your team's tasks. Try:\n"
    "• `/task add renew the TLS cert for @bob tomorrow` – create a task; the channel sees "
    "its card\n"
    "• `/task list` – open tasks. Add `mine`, `@person`, `overdue`, `done`, `all`, `#tag` or "
    "words to search, e.g. `/task list mine overdue`\n"
    "• `/task done 12` – mark #12 done\n"
    "• `/task assign 12 @bob` – give #12 to bob\n"
    "• `/task help` – this message\n"
    "Anything else goes to the assistant: `/task what's due this week?`, "
    "`/task move #3 to friday`."
)
_ADD_WHAT = (
    "What should the task say? For example: `/task add renew the TLS cert for @bob tomorrow`."
)
_FAILED = (
    "Sorry, something went wrong on my side. `/task list mine` shows where things stand; "
    "please try again."
)

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """Who ran the command, where, and the request it came in."""

    team_id: str
    user_id: str
    channel_id: str
    request_id: str
    """The id the command's changes are audited under (see `slack_app.delivery.request_ids`)."""
    replayable: bool = False
    """Whether the command may run again in full under the same `request_id` (a queued job a
    turn worker may take over), so that its creates must be idempotent."""


@dataclass(kw_only=True)
class Answer:
    """What to tell the person, and what changed (for the notifications)."""

    text: str
    """The notification text (mrkdwn, already escaped)."""
    blocks: list[Block] = field(default_factory=list[Block])
    in_channel: bool = False
    changed: int | None = None
    """The number of the task this command changed, if any."""
    previous_assignee_id: str | None = None


def ephemeral(text: str) -> Answer:
    """A sentence (mrkdwn, already escaped) for the person alone."""
    return Answer(text=text, blocks=[blocks.text_section(text)])


# -- list -----------------------------------------------------------------------------------


def _speaker_now(services: SlackServices, invocation: Invocation) -> datetime:
    """The speaker's wall clock, in their own zone."""
    deps = deps_for_speaker(
        services.session_factory,
        team_id=invocation.team_id,
        user_id=invocation.user_id,
        source="slack",
        default_timezone=services.settings.effective_timezone(),
    )
    return deps.now


def _find_tasks(
    service: TaskService, filters: ListFilters, *, person_id: str | None, now: datetime
) -> tuple[list[Task], bool]:
    """The tasks to show (at most `LIST_LIMIT`), and whether more matched."""
    statuses: tuple[TaskStatus, ...] | None = {
        "open": OPEN_STATUSES,
        "done": (TaskStatus.done,),
        "all": None,
    }[filters.status]
    # Tags are matched here, so a tag filter reads every other match first.
    tasks = service.list_tasks(
        assignee_id=person_id,
        status=None if filters.overdue else statuses,
        overdue_at=now if filters.overdue else None,
        unassigned=filters.unassigned,
        query=" ".join(filters.words) or None,
        limit=None if filters.tags else LIST_LIMIT + 1,
    )
    if filters.tags:
        tasks = [task for task in tasks if all(tag in task.tags for tag in filters.tags)]
    return tasks[:LIST_LIMIT], len(tasks) > LIST_LIMIT


def list_answer(services: SlackServices, invocation: Invocation, rest: str) -> Answer:
    """`/task list [filters]`: cards with buttons, for the person alone."""
    filters = parse_list_filters(rest)
    now = _speaker_now(services, invocation)
    with services.session_factory() as session:
        service = TaskService(
            session,
            team_id=invocation.team_id,
            actor_id=invocation.user_id,
            source="slack",
            request_id=invocation.request_id,
        )
        person_id = (
            service.directory.resolve(filters.person, actor_id=invocation.user_id).user_id
            if filters.person
            else None
        )
        tasks, more = _find_tasks(service, filters, person_id=person_id, now=now)
        cards = task_cards(tasks, tz=now.tzinfo, directory=service.directory)
    what = describe(filters, person_id=person_id, actor_id=invocation.user_id)
    if not cards:
        return ephemeral(f"No {what}. `/task list all` shows every task.")
    count = f"{len(cards)}+" if more else str(len(cards))
    header = f"*{count}* {what}:"
    shown: list[Block] = [blocks.text_section(header)]
    for card in cards:
        shown.extend(blocks.task_card_blocks(card, team_id=invocation.team_id))
    if more:
        shown.append(
            blocks.context_line(
                f"Showing the first {LIST_LIMIT}. Narrow the list with `mine`, `@person`, "
                "`overdue`, `#tag` or a word from the title."
            )
        )
    return Answer(text=header, blocks=shown[:BLOCKS_MAX])


# -- done and assign ------------------------------------------------------------------------


def _card_answer(
    invocation: Invocation,
    service: TaskService,
    task: Task,
    *,
    tz: tzinfo | None,
    line: str,
    previous_assignee_id: str | None,
) -> Answer:
    card = task_card(task, tz=tz, directory=service.directory)
    return Answer(
        text=line,
        blocks=[
            blocks.text_section(line),
            *blocks.task_card_blocks(card, team_id=invocation.team_id),
        ],
        in_channel=True,
        changed=task.number,
        previous_assignee_id=previous_assignee_id,
    )


def done_answer(services: SlackServices, invocation: Invocation, rest: str) -> Answer:
    """`/task done 12`: mark the task done; the channel sees its card."""
    words = rest.split()
    if len(words) != 1:
        raise CommandError(
            "Which task is done? Give its number, like `/task done 12`."
            if not words
            else "Give one task number, like `/task done 12`."
        )
    number = parse_number(words[0])
    tz = _speaker_now(services, invocation).tzinfo
    with services.session_factory() as session, session.begin():
        service = TaskService(
            session,
            team_id=invocation.team_id,
            actor_id=invocation.user_id,
            source="slack",
            request_id=invocation.request_id,
        )
        task = service.get_task(number=number)
        if task.status == TaskStatus.done:
            return ephemeral(f"#{number} “{escape_mrkdwn(task.title)}” is already done.")
        previous = task.assignee_id
        task = service.update_task(number=number, status=TaskStatus.done)
        line = f"✅ <@{invocation.user_id}> marked #{number} done."
        return _card_answer(
            invocation, service, task, tz=tz, line=line, previous_assignee_id=previous
        )


def assign_answer(services: SlackServices, invocation: Invocation, rest: str) -> Answer:
    """`/task assign 12 @bob`: give the task to someone; the channel sees its card."""
    first, _, who = normalize_mentions(rest).strip().partition(" ")
    if not first:
        raise CommandError("Which task, and to whom? For example: `/task assign 12 @bob`.")
    number = parse_number(first)
    if not who.strip():
        raise CommandError(f"Who should take #{number}? For example: `/task assign {number} @bob`.")
    tz = _speaker_now(services, invocation).tzinfo
    with services.session_factory() as session, session.begin():
        service = TaskService(
            session,
            team_id=invocation.team_id,
            actor_id=invocation.user_id,
            source="slack",
            request_id=invocation.request_id,
        )
        # The task first: "there is no #999" helps more than a question about the person.
        task = service.get_task(number=number)
        person = service.directory.resolve(who, actor_id=invocation.user_id)
        previous = task.assignee_id
        if previous == person.user_id:
            return ephemeral(f"#{number} is already assigned to <@{person.user_id}>.")
        task = service.assign_task(number=number, assignee_id=person.user_id)
        line = f"👤 <@{invocation.user_id}> gave #{number} to <@{person.user_id}>."
        return _card_answer(
            invocation, service, task, tz=tz, line=line, previous_assignee_id=previous
        )


# -- the agent ------------------------------------------------------------------------------


def conversation_key(invocation: Invocation) -> str:
    """The agent's memory of one person's `/task` conversation in one channel."""
    return f"slack:{invocation.team_id}:{invocation.channel_id}:command:{invocation.user_id}"


def changed_tasks(result: TurnResult) -> bool:
    """Whether the turn created, changed or deleted a task."""
    return any(call.ok and call.tool in WRITE_TOOLS for call in result.tool_calls)


def turn_answers(result: TurnResult, *, team_id: str) -> list[Answer]:
    """The turn's reply and cards as messages; in the channel when a task changed."""
    in_channel = changed_tasks(result)
    fallback = escape_keeping_mentions(result.reply)[:2900] or " "
    return [
        Answer(text=fallback, blocks=message, in_channel=in_channel)
        for message in reply_blocks(result, team_id=team_id)
    ]


async def agent_answers(
    services: SlackServices,
    *,
    client: AsyncWebClient,
    invocation: Invocation,
    text: str,
) -> tuple[TurnResult, list[Answer]]:
    """Run one agent turn on `text` in the person's `/task` conversation."""
    turn = SlackTurn(
        team_id=invocation.team_id,
        user_id=invocation.user_id,
        channel_id=invocation.channel_id,
        thread_ts=None,
        text=text,
        conversation_key=conversation_key(invocation),
        request_id=invocation.request_id,
        replayable=invocation.replayable,
    )
    result = await run_slack_turn(services, turn, client=client)
    return result, turn_answers(result, team_id=invocation.team_id)


# -- answering ------------------------------------------------------------------------------


async def send(response_url: str, answer: Answer) -> bool:
    """Post `answer` to the command's response_url, retried on 429, 5xx and dropped
    connections; False (and logged) when it still failed."""
    message: dict[str, Any] = {
        "text": answer.text,
        "blocks": answer.blocks,
        "response_type": "in_channel" if answer.in_channel else "ephemeral",
        "unfurl_links": False,
    }
    webhook = AsyncWebhookClient(
        url=response_url, timeout=WEB_API_TIMEOUT, retry_handlers=retry_handlers()
    )
    try:
        response = await webhook.send_dict(message)
    except Exception:
        logger.exception("could not reach Slack to answer a /task command")
        return False
    if response.status_code != 200:
        logger.error(
            "Slack refused the answer to a /task command",
            extra={"status": response.status_code, "body": response.body[:200]},
        )
        return False
    return True


async def _direct(
    services: SlackServices, invocation: Invocation, subcommand: str, rest: str
) -> Answer:
    handlers = {"list": list_answer, "done": done_answer, "assign": assign_answer}
    try:
        return await asyncio.to_thread(handlers[subcommand], services, invocation, rest)
    except CommandError as error:
        return ephemeral(str(error))
    except TaskError as error:
        # Unknown task or person, no permission: the domain's sentence, mentions kept.
        return ephemeral(escape_keeping_mentions(str(error)))


async def handle_command(
    services: SlackServices,
    *,
    command: dict[str, Any],
    client: AsyncWebClient,
    request_id: str,
    replayable: bool = False,
) -> None:
    """Answer one `/task` command (after the ack); its changes are audited under
    `request_id`. `replayable`: the command may be run again under the same id (a turn
    worker's job), so the tasks it creates are created once however often it runs."""
    invocation = Invocation(
        team_id=str(command.get("team_id") or ""),
        user_id=str(command.get("user_id") or ""),
        channel_id=str(command.get("channel_id") or ""),
        request_id=request_id,
        replayable=replayable,
    )
    response_url = str(command.get("response_url") or "")
    if not (invocation.team_id and invocation.user_id and response_url):
        logger.warning("a /task command without team, user or response_url was skipped")
        return
    subcommand, rest = split_command(str(command.get("text") or ""))
    try:
        if subcommand in ("", "help"):
            await send(response_url, ephemeral(HELP))
            return
        if subcommand in ("list", "done", "assign"):
            # The speaker and the people the command names, so that they resolve.
            for user_id in (invocation.user_id, *_MENTION.findall(rest)):
                await directory_sync.ensure_user(
                    services, client=client, team_id=invocation.team_id, user_id=user_id
                )
            answer = await _direct(services, invocation, subcommand, rest)
            await send(response_url, answer)
            if answer.changed is not None:
                await notify.task_changed(
                    services,
                    client=client,
                    team_id=invocation.team_id,
                    actor_id=invocation.user_id,
                    number=answer.changed,
                    previous_assignee_id=answer.previous_assignee_id,
                )
            return
        if subcommand == "add" and not rest:
            await send(response_url, ephemeral(_ADD_WHAT))
            return
        # "add ..." says plainly that a task is wanted; anything else is the person's words.
        text = f"add {rest}" if subcommand == "add" else str(command.get("text") or "")
        result, answers = await agent_answers(
            services, client=client, invocation=invocation, text=text
        )
        for answer in answers:
            await send(response_url, answer)
        await notify.after_turn(
            services,
            client=client,
            team_id=invocation.team_id,
            actor_id=invocation.user_id,
            result=result,
        )
    except DatabaseUnavailable as error:
        # The agent turn retried the database and gave up (logged where it happened); the
        # person learns whether anything may have been saved.
        await send(response_url, ephemeral(error.apology))
    except Exception:
        logger.exception("a /task command failed", extra={"team": invocation.team_id})
        await send(response_url, ephemeral(_FAILED))


async def on_task_command(
    ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """`/task`: acknowledged at once; answered here, or by a turn worker when queued."""
    services = services_of(context)
    async with services.inflight.track():
        # Slack wants the ack within 3 seconds; the answer follows on the response_url.
        await ack()
        request_id = request_id_of(context, command)
        queue = services.turn_queue
        if queue is not None:
            ids = current_ids()
            job = SlackJob(
                kind="command",
                team_id=str(command.get("team_id") or ""),
                user_id=str(command.get("user_id") or ""),
                payload=command,
                request_id=ids.get(REQUEST_ID),
                audit_id=request_id,
            )
            if await submit(queue, job):
                return
        await handle_command(services, command=command, client=client, request_id=request_id)


def register(app: AsyncApp) -> None:
    """Add the `/task` listener to `app`."""
    # Bolt names `re.Pattern` and listener middleware without type arguments.
    app.command(COMMAND)(on_task_command)  # pyright: ignore[reportUnknownMemberType]
