"""Keeping secrets out of logs: a logging filter that replaces them with `[redacted]`.

Two kinds of text are replaced. Known secret values: every value the secrets provider hands out
and every secret field of the settings is remembered here (`remember_secret`). Token-looking
strings: Slack tokens (`xoxb-...`, `xapp-...`), the secret part of TaskPilot API keys
(`tp_<prefix>_<secret>`; the prefix stays, to tell which key it was), provider keys (`sk-...`),
`Bearer ...` credentials and the password of a URL (`postgresql://user:password@host`).

The filter sits on the log handler, so it sees every record before any formatter writes it: the
message and its arguments, the `extra=` fields, the stack and the exception's traceback.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Iterable, Mapping
from typing import cast

from pydantic import SecretStr

from core.settings import Settings

REDACTED = "[redacted]"

# Values shorter than this are not remembered: replacing every occurrence of a short word would
# garble the logs, and a secret this short protects nothing anyway.
MIN_SECRET_LENGTH = 6

# Attributes every LogRecord has; anything else was passed in `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

_TOKEN_PATTERNS: tuple[re.Pattern[str], ...] = (
    # Slack bot, user, app-configuration and refresh tokens, and app-level tokens.
    re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{6,}"),
    re.compile(r"\bxapp-[A-Za-z0-9-]{6,}"),
    # OpenAI, Anthropic and similar provider keys.
    re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"),
)
# `Bearer <token>` keeps the word, so the line still says what kind of credential it was. The
# token must hold a digit or punctuation, so that prose ("the bearer tokens expire") stays.
_BEARER = re.compile(
    r"\b(Bearer\s+)(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE
)
# TaskPilot API keys, `tp_<prefix>_<secret>`: the prefix is not secret and names the key.
_API_KEY = re.compile(r"(\btp_[A-Za-z0-9]{2,}_)[A-Za-z0-9_-]{8,}")
# The password in `scheme://user:password@host`.
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s/@]+(@)")


class _KnownSecrets:
    """The secret values seen so far in this process, with one pattern that matches any of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        candidates = {value.strip(), *(part.strip() for part in value.split(","))}
        with self._lock:
            fresh = {c for c in candidates if len(c) >= MIN_SECRET_LENGTH} - self._values
            if not fresh:
                return
            self._values |= fresh
            # Longest first, so that a secret which contains another is replaced whole.
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def pattern(self) -> re.Pattern[str] | None:
        return self._pattern


_KNOWN = _KnownSecrets()


def remember_secret(value: str | SecretStr | None) -> None:
    """Redact `value` from every log line from now on (and each part of a comma-separated
    list, as rotations hold "new,old")."""
    if value is None:
        return
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    _KNOWN.add(text)


def remember_settings_secrets(settings: Settings) -> None:
    """Remember every secret the settings hold: each `SecretStr` field, and the passwords of the
    database and Redis URLs."""
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            remember_secret(value)
    for url in (settings.database_url, settings.redis_url):
        if url and (match := _URL_PASSWORD.search(url)):
            remember_secret(url[match.end(1) : match.start(2)])


def redact(text: str) -> str:
    """`text` with every known secret and token-looking string replaced by `[redacted]`."""
    known = _KNOWN.pattern()
    if known is not None:
        text = known.sub(REDACTED, text)
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(REDACTED, text)
    text = _API_KEY.sub(lambda match: match.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda match: match.group(1) + REDACTED, text)
    return _URL_PASSWORD.sub(lambda match: match.group(1) + REDACTED + match.group(2), text)


def redact_value(value: object) -> object:
    """A copy of `value` with secrets redacted: strings directly, containers item by item, and
    any other object by its `str()` when that shows a secret."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bytes):
        return redact(value.decode("utf-8", errors="replace"))
    if isinstance(value, Mapping):
        items = cast("Iterable[tuple[object, object]]", value.items())
        return {redact_value(key): redact_value(item) for key, item in items}
    if isinstance(value, list | tuple | set | frozenset):
        copied = [redact_value(member) for member in cast("Iterable[object]", value)]
        return tuple(copied) if isinstance(value, tuple) else copied
    shown = str(value)
    cleaned = redact(shown)
    return cleaned if cleaned != shown else value


class RedactionFilter(logging.Filter):
    """Replaces secrets in each record before it is formatted; never drops a record.

    The message is rendered with its arguments and redacted as a whole (an argument may hold
    only part of a token, or a container that does), so the record leaves with no arguments.
    An exception's traceback is rendered and redacted too; it travels on as `exc_text` (which
    `logging.Formatter` prints) and the `exception` field (which the JSON formatter writes).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # A broken format string still deserves a line, without its args.
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and not key.startswith("_"):
                record.__dict__[key] = redact_value(value)
        if record.exc_info and record.exc_info[0] is not None:
            trace = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
            record.exc_info = None
            record.exc_text = trace
            record.__dict__["exception"] = trace
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def redaction_filter(settings: Settings) -> RedactionFilter:
    """The filter for the log handler, with the settings' secrets remembered."""
    remember_settings_secrets(settings)
    return RedactionFilter()
