"""Estimated cost of model calls, from LiteLLM's price table."""

from __future__ import annotations

import logging

from agent.providers import load_litellm

logger = logging.getLogger(__name__)


def estimate_cost(model: str, *, input_tokens: int, output_tokens: int) -> float | None:
    """US dollars for one call by LiteLLM's price table, or None for a model not in it.

    Only provider models have a price; callers never ask for the offline model.
    """
    litellm = load_litellm()
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=input_tokens, completion_tokens=output_tokens
        )
    except Exception:  # Not in the table (a local or proxy model name): no estimate.
        logger.debug("no price for model %s", model)
        return None
    return float(prompt_cost) + float(completion_cost)
