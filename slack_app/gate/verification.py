"""Verifying that a request comes from Slack, with more than one signing secret while it rotates.

Slack signs every HTTP request with the app's signing secret: `X-Slack-Signature` is
`v0=HMAC-SHA256(secret, "v0:{X-Slack-Request-Timestamp}:{body}")`. During a rotation Slack may
sign with the new secret while requests signed with the old one are still on their way, so a
request passes when it verifies against any currently valid secret:

- `SLACK_SIGNING_SECRET`, which may hold "new,old" (comma-separated) during the rotation;
- `SLACK_SIGNING_SECRET_PREVIOUS`, when set.

The secrets are read through the cached provider on each request, so rotating them in the
secrets backend (and later dropping the old one) takes effect within the cache's TTL, without a
restart. A request signed more than five minutes away from now is refused, and signatures are
compared in constant time. Socket Mode requests come over the app's own WebSocket, unsigned,
and pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import Clock, SignatureVerifier

from core.secrets import SecretsError, SecretsProvider

logger = logging.getLogger(__name__)

# Set in a request's Bolt context by the HTTP route once it has checked the signature on the
# raw bytes (`check_raw`), so that the middleware does not check it again. Only the server sets
# context properties; nothing in a request can.
VERIFIED = "taskpilot_signature_verified"

CURRENT = "SLACK_SIGNING_SECRET"
PREVIOUS = "SLACK_SIGNING_SECRET_PREVIOUS"


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _verified(context: Mapping[str, object]) -> bool:
    """Whether the HTTP route has already checked this request's signature (`VERIFIED`)."""
    return context.get(VERIFIED) is True


class SigningSecretVerification(AsyncMiddleware):
    """Bolt middleware: 401 (as Bolt's own verification answers) unless the request's signature
    matches one of the valid signing secrets; 503 when no secret can be read at all."""

    def __init__(self, *, secrets: SecretsProvider, clock: Clock | None = None) -> None:
        self._secrets = secrets
        self._clock = clock or Clock()

    def _valid_secrets(self) -> list[str]:
        """Every signing secret valid now, newest first, without repeats."""
        found: list[str] = []
        for name in (CURRENT, PREVIOUS):
            value = self._secrets.get(name)
            if value is not None:
                found += [s for s in _split(value.get_secret_value()) if s not in found]
        return found

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        del resp
        if req.mode == "socket_mode" or _verified(req.context):
            # Socket Mode has no signature; the HTTP route checked the raw bytes already.
            return await next()
        secrets = await self._secrets_now()
        if isinstance(secrets, BoltResponse):
            return secrets
        refused = self._check(
            secrets,
            body=req.raw_body,
            timestamp=req.headers.get("x-slack-request-timestamp", [""])[0],
            signature=req.headers.get("x-slack-signature", [""])[0],
        )
        return refused if refused is not None else await next()

    async def check_raw(
        self, *, body: bytes, timestamp: str, signature: str
    ) -> BoltResponse | None:
        """The refusal for a request whose raw bytes are not signed by a valid secret, or None
        when they are. Run on the bytes as they arrived, before anything parses them."""
        secrets = await self._secrets_now()
        if isinstance(secrets, BoltResponse):
            return secrets
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # Slack signs text; bytes that are not UTF-8 were never signed by it.
            return self._refuse(reason="the body is not UTF-8")
        return self._check(secrets, body=text, timestamp=timestamp, signature=signature)

    async def _secrets_now(self) -> list[str] | BoltResponse:
        """The valid secrets, or the 503 to answer when none can be read."""
        try:
            # A backend such as Secrets Manager blocks; it must not hold up the event loop.
            secrets = await asyncio.to_thread(self._valid_secrets)
        except SecretsError as error:
            logger.error("cannot verify Slack requests: %s", error)
            return BoltResponse(status=503, body={"error": "signing secret unavailable"})
        if not secrets:
            logger.error("cannot verify Slack requests: no %s is set", CURRENT)
            return BoltResponse(status=503, body={"error": "signing secret unavailable"})
        return secrets

    def _check(
        self, secrets: list[str], *, body: str, timestamp: str, signature: str
    ) -> BoltResponse | None:
        if not timestamp.isdigit() or not signature:
            return self._refuse(reason="missing or malformed signature headers")
        # Every secret is tried, so the time taken does not tell which one (if any) matched.
        matches = [
            SignatureVerifier(signing_secret=secret, clock=self._clock).is_valid(
                body=body, timestamp=timestamp, signature=signature
            )
            for secret in secrets
        ]
        if not any(matches):
            return self._refuse(reason="signature does not match or is too old")
        if not matches[0]:
            logger.debug("a Slack request was signed with an older signing secret")
        return None

    @staticmethod
    def _refuse(*, reason: str) -> BoltResponse:
        logger.warning("refused a Slack request: %s", reason)
        return BoltResponse(status=401, body={"error": "invalid request"})


def install_verification(
    app: AsyncApp, *, secrets: SecretsProvider, clock: Clock | None = None
) -> SigningSecretVerification:
    """Put the verification in front of every other middleware of `app` (built with
    `request_verification_enabled=False`), so that nothing runs for an unsigned request."""
    middleware = SigningSecretVerification(secrets=secrets, clock=clock)
    # Bolt's `middleware()` can only append, after its own built-in middleware.
    app._async_middleware_list.insert(0, middleware)  # pyright: ignore[reportPrivateUsage]
    return middleware


def installed_verification(app: AsyncApp) -> SigningSecretVerification | None:
    """The verification `install_verification` put in front of `app`, if any."""
    for middleware in app._async_middleware_list:  # pyright: ignore[reportPrivateUsage]
        if isinstance(middleware, SigningSecretVerification):
            return middleware
    return None
