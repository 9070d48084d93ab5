"""`POST /api/v1/agent/turns`: one agent turn for the key's team, spoken as a member.

Who the turn speaks as is `tasks.api_keys.turn_speaker`'s rule: the member the key is bound
to, or with `agent:act_as` the person the request names. The turn's tools may do only what the
key's scopes allow as well as what the member may, and its audit events name the key.

The turn runs on the `AgentLoop` thread, away from the server's event loop. Its conversation
ids live in an `api:` namespace of their own, per speaker, so a key cannot continue (or
confirm a delete in) a conversation held in Slack or one of another person.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from agent.assembly import TURN_REQUEST_LIMIT
from agent.runtime import run_turn
from agent.speaker import deps_for_speaker
from api.auth import ApiContext, Principal, authenticate, context_of, request_id_of
from api.idempotency import (
    HEADER,
    KEY_MAX_CHARS,
    REPLAYED_HEADER_DOC,
    claim,
    complete,
    release,
    request_hash,
)
from api.problems import problem_responses
from api.rate_limit_http import check_agent_turn
from api.schemas import AgentTurnCreate, AgentTurnPublic
from core.settings import Settings
from tasks.api_keys import TASKS_READ, TASKS_WRITE, turn_speaker

router = APIRouter(prefix="/agent", tags=["agent"])

CONVERSATION_NAMESPACE = "api:"


def turn_time_bound(settings: Settings) -> timedelta:
    """The longest an agent turn can run: each of its model calls timing out on every
    attempt of every provider link."""
    links = max(1, sum(1 for name in settings.model_chain if name != "offline"))
    per_call = settings.llm_timeout * (settings.llm_retries + 1) * links
    return timedelta(seconds=TURN_REQUEST_LIMIT * per_call + 60)


def public_conversation_id(payload: AgentTurnCreate, *, speaker: str) -> str:
    """The conversation id the caller sees: its own, or one per person."""
    return payload.conversation_id or f"user:{speaker}"


def conversation_for(payload: AgentTurnCreate, *, speaker: str) -> str:
    """The stored conversation id of a turn, within the speaker's own: the caller's id, or one
    per person."""
    if payload.conversation_id:
        return f"{CONVERSATION_NAMESPACE}{speaker}:{payload.conversation_id}"
    return CONVERSATION_NAMESPACE + public_conversation_id(payload, speaker=speaker)


def _speaker(context: ApiContext, principal: Principal, stated: str | None) -> str:
    with context.session_factory() as session:
        return turn_speaker(
            session,
            team_id=principal.team_id,
            scopes=principal.scopes,
            member_id=principal.member_id,
            stated=stated,
        )


@router.post(
    "/turns",
    operation_id="runAgentTurn",
    response_model=AgentTurnPublic,
    responses={
        200: {"description": "What the turn did and said.", "headers": REPLAYED_HEADER_DOC},
        **problem_responses(400, 401, 403, 409, 422),
    },
)
async def run_agent_turn(
    payload: AgentTurnCreate,
    request: Request,
    principal: Annotated[Principal, Security(authenticate, scopes=["agent:run"])],
    context: Annotated[ApiContext, Depends(context_of)],
    idempotency_key: Annotated[
        str | None, Header(alias=HEADER, min_length=1, max_length=KEY_MAX_CHARS)
    ] = None,
) -> Response:
    """Run one turn of the agent as a member of the key's team (the key's own member, or with
    `agent:act_as` the `user` named); returns what it did and said."""
    speaker = await run_in_threadpool(_speaker, context, principal, payload.user)
    # The speaker's, the key's and the team's budgets of API turns; over one, a 429.
    await check_agent_turn(
        request, team_id=principal.team_id, key_id=principal.key_id, user_id=speaker
    )
    fingerprint = request_hash(
        method=request.method, path=request.url.path, payload=payload.model_dump(mode="json")
    )
    claimed = await run_in_threadpool(
        claim,
        context.session_factory,
        api_key_id=principal.key_id,
        key=idempotency_key,
        fingerprint=fingerprint,
        ttl=timedelta(hours=context.settings.idempotency_ttl_hours),
        wait_seconds=context.idempotency_wait_seconds,
        # A turn writes outside the transaction that stores its response, so its key may only
        # be taken over once the turn cannot still be running: every model call of every
        # link timed out, plus a minute of slack.
        abandon_after=turn_time_bound(context.settings),
    )
    if isinstance(claimed, Response):
        return claimed
    conversation_id = conversation_for(payload, speaker=speaker)
    try:
        runtime = await run_in_threadpool(context.agent_runtime)
        deps = await run_in_threadpool(
            deps_for_speaker,
            context.session_factory,
            team_id=principal.team_id,
            user_id=speaker,
            source="api",
            default_timezone=context.settings.effective_timezone(),
            request_id=request_id_of(request),
            replayable=False,
            grants=principal.scopes & {TASKS_READ, TASKS_WRITE},
            api_key=principal.prefix,
        )
        result = await context.agent_loop.run(
            run_turn(payload.text, runtime=runtime, deps=deps, conversation_id=conversation_id)
        )
        body: dict[str, Any] = AgentTurnPublic(
            **result.contract_json(),
            cards=result.cards,
            conversation_id=public_conversation_id(payload, speaker=speaker),
            pending_confirmation=(
                result.pending_confirmation.question if result.pending_confirmation else None
            ),
        ).model_dump(mode="json")

        def store() -> Response:
            with context.session_factory() as session, session.begin():
                return complete(session, claimed, status_code=200, body=body)

        return await run_in_threadpool(store)
    except BaseException:
        await run_in_threadpool(release, context.session_factory, claimed)
        raise
