"""Provider keys read through the secrets provider, and a router rebuilt when one rotates.

Each provider link's key is looked up by its usual variable's name (`OPENAI_API_KEY`,
`ANTHROPIC_API_KEY`, ...; `TASKPILOT_LLM_API_KEY` when every link goes to one OpenAI-compatible
server) in the secrets backend `TASKPILOT_SECRETS_BACKEND` names: the environment, mounted files
or AWS Secrets Manager. The lookup goes through the cached provider before every model call, so a
key rotated in the backend is used within `TASKPILOT_SECRETS_TTL_SECONDS`, without a restart:
`RotatingRouter` builds a new LiteLLM router with the new keys when any of them changes.

A provider this table does not name keeps LiteLLM's own lookup in the environment (Bedrock's
and Vertex's credentials, for instance, come from their SDKs' chains); those are not rotated
here.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from core.secrets import SecretsProvider

logger = logging.getLogger(__name__)

# The variable LiteLLM reads each provider's key from, by LiteLLM's provider name.
_KEY_VARIABLES: Mapping[str, str] = {
    "openai": "OPENAI_API_KEY",
    "text-completion-openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "cohere": "COHERE_API_KEY",
    "cohere_chat": "COHERE_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "xai": "XAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
    "perplexity": "PERPLEXITYAI_API_KEY",
    "azure": "AZURE_API_KEY",
}

# With `TASKPILOT_LLM_BASE_URL`, every link uses this one key.
SHARED_KEY_VARIABLE = "TASKPILOT_LLM_API_KEY"

Keys = tuple[str | None, ...]


def key_variable(provider: str) -> str | None:
    """The variable holding the key of LiteLLM's `provider`, when TaskPilot knows it."""
    return _KEY_VARIABLES.get(provider)


class RotatingRouter:
    """A LiteLLM router for the chain's links that is rebuilt when a link's key changes.

    `variables` names, per link, the secret holding its key (None: LiteLLM's own lookup).
    `build` makes a router from the keys found, one per link in the same order.
    """

    def __init__(
        self,
        *,
        variables: Sequence[str | None],
        secrets: SecretsProvider,
        build: Callable[[Keys], Any],
    ) -> None:
        self._variables = tuple(variables)
        self._secrets = secrets
        self._build = build
        self._lock = threading.Lock()
        self._keys: Keys | None = None
        self._router: Any = None

    def _read_keys(self) -> Keys:
        found: list[str | None] = []
        for variable in self._variables:
            value = self._secrets.get(variable) if variable else None
            found.append(value.get_secret_value() if value is not None else None)
        return tuple(found)

    def current(self) -> Any:
        """The router for the keys the secrets provider holds now (blocking: it may ask the
        backend when its cache has expired)."""
        keys = self._read_keys()
        with self._lock:
            if self._router is None or keys != self._keys:
                if self._router is not None:
                    changed = sorted(
                        {
                            variable
                            for variable, old, new in zip(
                                self._variables, self._keys or (), keys, strict=False
                            )
                            if variable and old != new
                        }
                    )
                    logger.info(
                        "provider keys rotated (%s); the model router was rebuilt",
                        ", ".join(changed),
                        extra={"secrets": changed},
                    )
                # A new router starts without the old one's cooldowns: a link that failed
                # with the old key deserves a fresh try with the new one.
                self._router = self._build(keys)
                self._keys = keys
            return self._router

    async def acompletion(self, model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        # The secrets cache may have to ask a remote backend; that must not block the loop.
        router = await asyncio.to_thread(self.current)
        return await router.acompletion(model=model, messages=messages, **kwargs)
