"""The Slack side of agent-turn limits: a person over their budget gets a friendly reply and no
agent call. The limiter and the budgets are `core.rate_limiter`'s.
"""

from __future__ import annotations

import logging

from core.rate_limiter import RateLimiter, count_rejection, hit_agent_turn

logger = logging.getLogger(__name__)

# What a Slack user over the limit reads instead of an answer.
SLOW_DOWN_REPLY = (
    "You're sending messages faster than I can keep up with — give me a minute and try again."
)


async def slack_turn_allowed(limiter: RateLimiter, *, team_id: str, user_id: str) -> bool:
    """Whether a Slack user may have an agent turn now; a refusal is logged (ids only)."""
    decision = await hit_agent_turn(limiter, team_id=team_id, user_id=user_id)
    if not decision.allowed:
        count_rejection(decision, surface="slack")
        logger.info(
            "agent turn refused: rate limit",
            extra={
                "team": team_id,
                "user": user_id,
                "bucket": decision.bucket,
                "retry_after": decision.retry_after,
            },
        )
    return decision.allowed
