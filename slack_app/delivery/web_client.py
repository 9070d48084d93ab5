"""Slack Web API clients: the base URL from the settings and retries on 429, 5xx and resets."""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from core.settings import Settings

# A 429 is retried after the `Retry-After` Slack sends; 5xx and dropped connections with
# exponential backoff. Each handler gives up after this many retries and the error surfaces.
WEB_API_RETRIES = 3
WEB_API_TIMEOUT = 15


def retry_handlers() -> list[AsyncRetryHandler]:
    """The retry policy of every Web API call TaskPilot makes."""
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=WEB_API_RETRIES),
        AsyncServerErrorRetryHandler(max_retry_count=WEB_API_RETRIES),
        AsyncConnectionErrorRetryHandler(max_retry_count=WEB_API_RETRIES),
    ]


def api_base_url(settings: Settings) -> str:
    """`SLACK_API_BASE_URL`, ending in a slash as slack_sdk expects."""
    base = settings.slack_api_base_url
    return base if base.endswith("/") else base + "/"


def web_client(settings: Settings, *, token: str | None = None) -> AsyncWebClient:
    """A Web API client on `SLACK_API_BASE_URL` with TaskPilot's retry policy."""
    return AsyncWebClient(
        token=token,
        base_url=api_base_url(settings),
        timeout=WEB_API_TIMEOUT,
        retry_handlers=retry_handlers(),
    )
