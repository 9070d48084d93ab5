"""The provider links of the model chain: checking their names and keys, and the LiteLLM router.

`TASKPILOT_MODELS` names the chain, e.g. "openai/gpt-4.1-mini,anthropic/claude-haiku-4-5,offline".
Every link but `offline` is a LiteLLM model name and goes into one in-process `litellm.Router`
(retries with backoff and jitter that honour `Retry-After`, a per-call timeout, a cooldown for a
failing link, then the next link). The router is exposed to pydantic-ai as an `OpenAIChatModel`
whose HTTP transport is the router (see `agent.router_transport`).

With `TASKPILOT_LLM_BASE_URL` every provider link goes to that one OpenAI-compatible server
instead (a LiteLLM proxy, Ollama's `/v1`, llama.cpp's server, vLLM), with the link's name sent
as the model name and `TASKPILOT_LLM_API_KEY` as the key.

LiteLLM is imported only here and only when a chain has provider links: it takes seconds to
import, and the offline default must not pay for it.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent.provider_keys import SHARED_KEY_VARIABLE, RotatingRouter, key_variable
from core.secrets import SecretsProvider, secrets_from_settings
from core.settings import Settings

if TYPE_CHECKING:
    from pydantic_ai.models import Model

logger = logging.getLogger(__name__)

OFFLINE = "offline"
# The base URL the OpenAI SDK is given; nothing connects to it, the router transport answers.
_ROUTER_URL = "http://litellm-router.invalid/v1"


class UnknownModel(ValueError):
    """A model name that this build cannot serve, or a chain with no link left."""


@dataclass(frozen=True)
class ChainPlan:
    """The chain as it will run: provider links in order, and whether `offline` ends it."""

    providers: tuple[str, ...]
    offline: bool

    @property
    def name(self) -> str:
        links = [*self.providers, *([OFFLINE] if self.offline else [])]
        return ",".join(links)


def parse_chain(text: str) -> list[str]:
    """The link names of a comma-separated chain, in order, without blanks or repeats."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    return list(dict.fromkeys(names))


def plan_chain(
    names: Sequence[str], *, settings: Settings, secrets: SecretsProvider | None = None
) -> ChainPlan:
    """Check each link and drop the ones that cannot work, with one warning each.

    A link's key counts as set when LiteLLM finds it in the environment or `secrets` holds it.
    Raises `UnknownModel` for a name LiteLLM cannot route and for a chain with nothing left.
    """
    providers: list[str] = []
    removed: list[tuple[str, str]] = []
    offline = False
    for name in names:
        if name == OFFLINE:
            offline = True
            break  # The offline model always answers, so later links would never serve.
        if settings.llm_base_url:
            providers.append(name)
            continue
        _check_routable(name)
        missing = _missing_keys(name, secrets=secrets)
        if missing:
            reason = f"{', '.join(missing)} is not set"
            removed.append((name, reason))
            logger.warning(
                "model %s left out of the chain: %s", name, reason, extra={"model": name}
            )
            continue
        providers.append(name)
    ignored: list[str] = list(names[names.index(OFFLINE) + 1 :]) if OFFLINE in names else []
    if ignored:
        logger.warning(
            "models after 'offline' in TASKPILOT_MODELS never serve: %s", ", ".join(ignored)
        )
    if not providers and not offline:
        detail = "; ".join(f"{name}: {reason}" for name, reason in removed) or "it is empty"
        raise UnknownModel(
            f"No model can serve turns ({detail}). Set the provider's key, add 'offline' to "
            "TASKPILOT_MODELS, or unset TASKPILOT_MODELS to use the offline model."
        )
    return ChainPlan(providers=tuple(providers), offline=offline)


@functools.cache
def load_litellm() -> Any:
    """LiteLLM, imported and set up once: local price map, quiet, logging through ours."""
    # LiteLLM fetches its price map from the internet at import unless told not to.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    _adopt_litellm_loggers()
    # LiteLLM's cooldown cache type trips this pydantic notice on first use; it is harmless.
    warnings.filterwarnings("ignore", message=r".*`ReadOnly` qualifier", category=UserWarning)
    return litellm


_LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")


def _adopt_litellm_loggers() -> None:
    """Route LiteLLM's loggers through ours: it attaches handlers that print to stdout, which
    would corrupt `--json` output, and narrates every retry at INFO."""
    debug = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    for name in _LITELLM_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
        library_logger.setLevel(logging.DEBUG if debug else logging.WARNING)


def _check_routable(name: str) -> None:
    litellm = load_litellm()
    try:
        litellm.get_llm_provider(name)
    except Exception as error:
        raise UnknownModel(
            f"The model {name!r} is not a model LiteLLM can route: name it with its provider, "
            "such as 'openai/gpt-4.1-mini' or 'anthropic/claude-haiku-4-5', or use 'offline'. "
            "With a LiteLLM proxy or a local server, set TASKPILOT_LLM_BASE_URL."
        ) from error
    if name not in litellm.model_cost and name.split("/", 1)[-1] not in litellm.model_cost:
        logger.warning(
            "model %s is not in LiteLLM's price table; its cost per turn is not estimated",
            name,
            extra={"model": name},
        )


def _missing_keys(name: str, *, secrets: SecretsProvider | None) -> list[str]:
    """The variables LiteLLM needs for this model and finds neither in the environment nor
    in `secrets`."""
    litellm = load_litellm()
    found: dict[str, list[str]] = litellm.validate_environment(model=name)
    missing = [str(key) for key in found.get("missing_keys") or ()]
    if secrets is None:
        return missing
    return [key for key in missing if secrets.get(key) is None]


def key_variables(plan: ChainPlan, *, settings: Settings) -> list[str | None]:
    """The secret holding each provider link's key, in the chain's order (None: LiteLLM
    looks the key up itself)."""
    if settings.llm_base_url:
        return [SHARED_KEY_VARIABLE for _ in plan.providers]
    litellm = load_litellm()
    variables: list[str | None] = []
    for name in plan.providers:
        provider = str(litellm.get_llm_provider(name)[1])
        variables.append(key_variable(provider))
    return variables


def _deployment(name: str, settings: Settings, *, key: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"model": name}
    if settings.llm_base_url:
        # Any OpenAI-compatible server: LiteLLM's `openai/` route sends the rest verbatim.
        params["model"] = f"openai/{name}"
        params["api_base"] = settings.llm_base_url
        params["api_key"] = key or "none"
    elif key:
        params["api_key"] = key
    return {"model_name": name, "litellm_params": params}


def build_router(
    plan: ChainPlan, *, settings: Settings, keys: Sequence[str | None] | None = None
) -> Any:
    """The LiteLLM router for the chain's provider links, with `keys[i]` as link i's key
    (None, or no `keys`: LiteLLM's own lookup; with a base URL, the settings' key)."""
    litellm = load_litellm()
    from litellm.types.router import (  # pyright: ignore[reportMissingTypeStubs]
        AllowedFailsPolicy,
        RetryPolicy,
    )

    retries = settings.llm_retries
    allowed = settings.llm_allowed_fails
    links = list(plan.providers)
    if keys is None:
        shared = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        chosen: list[str | None] = [shared for _ in links]
    else:
        chosen = list(keys)
    return litellm.Router(
        model_list=[
            _deployment(name, settings, key=chosen[index]) for index, name in enumerate(links)
        ],
        num_retries=retries,
        timeout=settings.llm_timeout,
        cooldown_time=settings.llm_cooldown,
        # Named per error type so that a link that is alone in its group still cools down.
        allowed_fails_policy=AllowedFailsPolicy(
            RateLimitErrorAllowedFails=allowed,
            InternalServerErrorAllowedFails=allowed,
            ServiceUnavailableErrorAllowedFails=allowed,
            BadGatewayErrorAllowedFails=allowed,
            TimeoutErrorAllowedFails=allowed,
            AuthenticationErrorAllowedFails=0,
            NotFoundErrorAllowedFails=0,
        ),
        # A bad key, an unknown model or a rejected request fails the same way every time.
        retry_policy=RetryPolicy(
            AuthenticationErrorRetries=0,
            NotFoundErrorRetries=0,
            BadRequestErrorRetries=0,
            ContentPolicyViolationErrorRetries=0,
            RateLimitErrorRetries=retries,
            InternalServerErrorRetries=retries,
            ServiceUnavailableErrorRetries=retries,
            TimeoutErrorRetries=retries,
        ),
        fallbacks=[{links[0]: links[1:]}] if len(links) > 1 else [],
    )


async def close_provider_clients() -> None:
    """Close the HTTP clients LiteLLM cached for the running event loop.

    LiteLLM keeps one client per provider and event loop. A caller that runs each turn in its
    own loop (`asyncio.run`, as the CLI does) calls this before the loop ends, so that no
    connection outlives its loop. Nothing to do when no provider was ever used.
    """
    if "litellm" not in sys.modules:
        return
    litellm = load_litellm()
    await litellm.close_litellm_async_clients()


def build_provider_model(
    plan: ChainPlan, *, settings: Settings, secrets: SecretsProvider | None = None
) -> Model:
    """The chain's provider links as one pydantic-ai model, served through the router.

    Each link's key is read through `secrets` (by default the provider the settings name)
    before every call, and the router is rebuilt when one has rotated."""
    import httpx2
    from openai import AsyncOpenAI
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.profiles.openai import OpenAIModelProfile
    from pydantic_ai.providers.openai import OpenAIProvider

    from agent.router_transport import RouterTransport
    from tools.schema import StrictToolSchema

    router = RotatingRouter(
        variables=key_variables(plan, settings=settings),
        secrets=secrets if secrets is not None else secrets_from_settings(settings),
        build=lambda keys: build_router(plan, settings=settings, keys=keys),
    )
    transport = RouterTransport(router=router, group=plan.providers[0])
    # The router bounds each attempt; this outer limit only guards against a stuck router.
    attempts = (settings.llm_retries + 1) * len(plan.providers)
    client = AsyncOpenAI(
        api_key="litellm-router",
        base_url=_ROUTER_URL,
        max_retries=0,
        timeout=settings.llm_timeout * attempts + 60,
        http_client=httpx2.AsyncClient(transport=transport),
    )
    # Every tool goes out with `"strict": true` and a schema in strict mode's shape (every
    # argument required, the optional ones nullable; `tools.schema`), so that a provider that
    # enforces it never sends arguments the tools cannot read. Where LiteLLM maps the request
    # to a provider without strict tools, the schema goes without the flag (its Anthropic
    # mapping, for one, leaves `strict` out).
    return OpenAIChatModel(
        plan.providers[0],
        provider=OpenAIProvider(openai_client=client),
        profile=OpenAIModelProfile(json_schema_transformer=StrictToolSchema),
    )
