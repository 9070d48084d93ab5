"""One agent turn for a Slack message: run it after the ack, answer in the thread."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.sql.elements import TextClause
from sqlmodel import Session

from agent.result import TurnResult
from agent.runtime import run_turn
from agent.speaker import deps_for_speaker
from slack_app.delivery import notify, web_api
from slack_app.delivery.database_failure import DatabaseUnavailable
from slack_app.gate.over_limit import SLOW_DOWN_REPLY, slack_turn_allowed
from slack_app.jobs import directory_sync
from slack_app.services import SlackServices
from slack_app.views import blocks
from slack_app.views.block_kit import Block
from slack_app.views.text import (
    BLOCKS_MAX,
    escape_keeping_mentions,
    normalize_mentions,
    split_message,
    strip_leading_mention,
)

logger = logging.getLogger(__name__)


class KeyedLocks:
    """One lock per key, forgotten when nobody holds or waits for it (so that a long-running
    server does not keep a lock for every thread it ever saw)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncGenerator[None]:
        """Hold the lock of `key` for the enclosed block."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


# One turn at a time per conversation in this process, so that two quick messages in one
# thread do not both read the same history and overwrite each other's.
_conversation_locks = KeyedLocks()


def conversation_id(*, team_id: str, channel_id: str, thread_ts: str) -> str:
    """The memory key of a Slack thread."""
    return f"slack:{team_id}:{channel_id}:{thread_ts}"


@dataclass(frozen=True, kw_only=True)
class SlackTurn:
    """One message to answer, as the listener read it from Slack's request: who said what and
    where, the conversation it continues, and the request it came in."""

    team_id: str
    user_id: str
    channel_id: str
    thread_ts: str | None
    """The thread the answer goes to; None outside a thread (a slash command)."""
    text: str
    conversation_key: str
    """Where the agent remembers the conversation: the thread's, or the person's `/task`."""
    request_id: str | None = None
    """The Slack request the audit log names."""
    replayable: bool = False
    """Whether the turn may run again under `request_id` (a Slack event Slack may redeliver, a
    queued command a worker may take over), which makes its creates idempotent."""

    @classmethod
    def in_thread(
        cls,
        *,
        team_id: str,
        user_id: str,
        channel_id: str,
        thread_ts: str,
        text: str,
        request_id: str | None = None,
        replayable: bool = False,
    ) -> SlackTurn:
        """A message answered in its thread, remembered as that thread's conversation."""
        return cls(
            team_id=team_id,
            user_id=user_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
            text=text,
            conversation_key=conversation_id(
                team_id=team_id, channel_id=channel_id, thread_ts=thread_ts
            ),
            request_id=request_id,
            replayable=replayable,
        )


# Database errors that say "not reachable right now" (a dropped or refused connection, a pool
# with no connection to spare) rather than "this is wrong": worth another attempt.
TRANSIENT_DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeoutError,
)

# The pauses between attempts of a Slack turn that could not reach the database before it
# ran: four attempts in all, within 1.7 s of waiting, well inside Slack's patience.
RETRY_DELAYS: tuple[float, ...] = (0.2, 0.5, 1.0)


class _WriteWatch:
    """The session factory of one turn attempt, noting whether any of its sessions tried to
    write.

    A write is a flush with pending changes or an INSERT, UPDATE or DELETE statement; a
    textual statement other than a SELECT counts too. The note is taken before the write is
    sent, so that a write that failed on its way (which may still have been committed) counts
    as well: the watch errs towards "wrote".
    """

    def __init__(self, factory: Callable[[], Session]) -> None:
        self._factory = factory
        self.wrote = False

    def __call__(self) -> Session:
        session = self._factory()
        event.listen(session, "before_flush", self._on_flush)
        event.listen(session, "do_orm_execute", self._on_execute)
        return session

    def _on_flush(self, session: Session, flush_context: Any, instances: Any) -> None:
        self.wrote = True

    def _on_execute(self, state: ORMExecuteState) -> None:
        statement = state.statement
        textual_write = isinstance(statement, TextClause) and not (
            statement.text.lstrip().upper().startswith("SELECT")
        )
        if state.is_insert or state.is_update or state.is_delete or textual_write:
            self.wrote = True


async def run_slack_turn(
    services: SlackServices, turn: SlackTurn, *, client: AsyncWebClient
) -> TurnResult:
    """Run the agent on the turn's message; the reply is not posted yet. The database is
    tried again while the turn has written nothing; past that, `DatabaseUnavailable`."""
    team_id, user_id = turn.team_id, turn.user_id
    # Counted once, before the attempts: a retry is not another message from the person.
    if not await slack_turn_allowed(services.turn_limiter(), team_id=team_id, user_id=user_id):
        return TurnResult(
            reply=SLOW_DOWN_REPLY, model="none", prompt_version=services.settings.prompt_version
        )
    message = normalize_mentions(
        strip_leading_mention(turn.text, bot_user_id=services.bot_user_ids.get(team_id))
    )
    attempt = 0
    while True:
        watch = _WriteWatch(services.session_factory)
        try:
            result = await _attempt_turn(
                services, turn, client=client, watch=watch, message=message
            )
        except TRANSIENT_DATABASE_ERRORS as error:
            # Where "before the turn ran" ends: at the first write of a session the turn
            # itself opened (through `deps.session_factory`: the conversation, the tools, the
            # turn record). Up to there the attempt only read (the directory, the history,
            # the budget) or upserted the speaker into the directory, which is the same row
            # again, so running it once more repeats nothing. From there on a task may exist
            # already; running the turn again could create it twice, so it is not retried.
            # `run_turn` never raises for a model or provider failure, so what arrives here
            # is the database's.
            extra = {"team": team_id, "user": user_id, "attempt": attempt + 1}
            if watch.wrote:
                logger.error(
                    "the database failed after the Slack turn began writing",
                    exc_info=error,
                    extra=extra,
                )
                raise DatabaseUnavailable(wrote=True) from error
            if attempt >= len(RETRY_DELAYS):
                logger.error(
                    "the database failed before the Slack turn ran, attempts exhausted",
                    exc_info=error,
                    extra=extra,
                )
                raise DatabaseUnavailable(wrote=False) from error
            logger.warning(
                "the database failed before the Slack turn ran; trying again: %s",
                error.__class__.__name__,
                extra=extra,
            )
            await asyncio.sleep(RETRY_DELAYS[attempt])
            attempt += 1
            continue
        if result.error:
            logger.warning(
                "agent turn failed",
                extra={"team": team_id, "user": user_id, "error": result.error},
            )
        return result


async def _attempt_turn(
    services: SlackServices,
    turn: SlackTurn,
    *,
    client: AsyncWebClient,
    watch: _WriteWatch,
    message: str,
) -> TurnResult:
    """One attempt of a Slack turn; the turn's own sessions come from `watch`."""
    await directory_sync.ensure_user(
        services, client=client, team_id=turn.team_id, user_id=turn.user_id
    )
    deps = await asyncio.to_thread(
        deps_for_speaker,
        watch,
        team_id=turn.team_id,
        user_id=turn.user_id,
        source="slack",
        default_timezone=services.settings.effective_timezone(),
        channel_id=turn.channel_id,
        thread_ts=turn.thread_ts,
        request_id=turn.request_id,
        replayable=turn.replayable,
    )
    key = turn.conversation_key
    async with services.inflight.slot(), _conversation_locks.hold(key):
        return await services.agent_loop.run(
            run_turn(message, runtime=services.runtime, deps=deps, conversation_id=key)
        )


def reply_blocks(result: TurnResult, *, team_id: str) -> list[list[Block]]:
    """The reply as messages of Block Kit blocks: the text, then a card per task touched.

    Long replies are split across messages; cards past Slack's 50-block limit are summarised
    in a closing line instead of being dropped silently.
    """
    messages: list[list[Block]] = [
        [blocks.text_section(piece)]
        for piece in split_message(escape_keeping_mentions(result.reply), limit=2900)
    ] or [[blocks.text_section(" ")]]
    last = messages[-1]
    shown = 0
    for card in result.cards:
        card_blocks = blocks.task_card_blocks(card, team_id=team_id)
        if len(last) + len(card_blocks) > BLOCKS_MAX - 1:
            break
        last.extend(card_blocks)
        shown += 1
    hidden = len(result.cards) - shown
    if hidden:
        last.append(blocks.context_line(f"…and {hidden} more. Narrow the list to see them."))
    return messages


async def post_reply(
    services: SlackServices,
    *,
    client: AsyncWebClient,
    result: TurnResult,
    team_id: str,
    channel_id: str,
    thread_ts: str | None,
) -> bool:
    """Post the turn's reply (and cards) in the thread; False when Slack refused it even after
    the client's retries. The tasks are saved either way; the failure is logged."""
    texts = split_message(escape_keeping_mentions(result.reply), limit=2900) or [" "]
    for index, message_blocks in enumerate(reply_blocks(result, team_id=team_id)):
        fallback = texts[index] if index < len(texts) else texts[-1]
        try:
            await web_api.post_message(
                client,
                channel=channel_id,
                thread_ts=thread_ts,
                text=fallback,
                blocks=message_blocks,
                unfurl_links=False,
            )
        except SlackApiError as error:
            logger.error(
                "could not post the reply to Slack",
                extra={
                    "team": team_id,
                    "channel": channel_id,
                    "error": web_api.error_code(error),
                },
            )
            return False
        except Exception:
            logger.exception(
                "could not reach Slack to post the reply",
                extra={"team": team_id, "channel": channel_id},
            )
            return False
    return True


async def answer_in_thread(
    services: SlackServices,
    turn: SlackTurn,
    *,
    client: AsyncWebClient,
    on_replied: Callable[[], Awaitable[None]] | None = None,
) -> TurnResult:
    """Run the turn, post the reply in its thread, then tell the people the change concerns.

    `on_replied` is awaited as soon as the reply is posted, before the notifications: the
    caller marks the event answered there, so that a crash while notifying does not make a
    retry answer it twice. When the database failed the turn (`DatabaseUnavailable`), an
    apology is posted in the thread and the error raised again, for the caller to settle the
    delivery.
    """
    team_id, channel_id, thread_ts = turn.team_id, turn.channel_id, turn.thread_ts or ""
    try:
        result = await run_slack_turn(services, turn, client=client)
    except DatabaseUnavailable as error:
        apology = TurnResult(
            reply=error.apology, model="none", prompt_version=services.settings.prompt_version
        )
        await post_reply(
            services,
            client=client,
            result=apology,
            team_id=team_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
        )
        raise
    await post_reply(
        services,
        client=client,
        result=result,
        team_id=team_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
    )
    if on_replied is not None:
        await on_replied()
    await notify.after_turn(
        services, client=client, team_id=team_id, actor_id=turn.user_id, result=result
    )
    return result
