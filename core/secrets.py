"""Where secrets come from: the environment, mounted files or AWS Secrets Manager.

`secrets_from_settings(settings)` builds the provider `TASKPILOT_SECRETS_BACKEND` names, cached
for `TASKPILOT_SECRETS_TTL_SECONDS`, so that a rotated secret (the Slack signing secret, a
provider key, the database password) is picked up within that time without a restart. A name
the chosen backend does not hold is looked up in the environment next.

Secrets travel as `SecretStr`, whose `repr` and `str` hide the value; every value handed out is
remembered by `core.redaction`, which keeps it out of the logs. Errors name the secret and the
backend, never the value. Nothing here connects or reads anything until a secret is asked for.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import threading
import time
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from dotenv import dotenv_values
from pydantic import SecretStr

from core.redaction import remember_secret
from core.settings import Settings

logger = logging.getLogger(__name__)

# A secret's name is an environment variable's name; anything else (a path, say) is refused.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class SecretsError(Exception):
    """A secret could not be read. The message names the secret and the backend, never a value."""


class SecretsProvider(Protocol):
    """Hands out secrets by their environment variable's name (`SLACK_SIGNING_SECRET`)."""

    @property
    def backend(self) -> str:
        """The backend's name, for error messages: `env`, `file` or `aws`."""
        ...

    def get(self, name: str) -> SecretStr | None:
        """The secret called `name`, or None when this provider has none by that name."""
        ...


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a secret's name (letters, digits and _ . -)")


def _handed_out(value: str | None) -> SecretStr | None:
    """`value` as a `SecretStr` (None when empty), remembered for redaction."""
    if value is None or not value.strip():
        return None
    remember_secret(value)
    return SecretStr(value)


class EnvSecrets:
    """Secrets from the settings (which read the environment and `.env`), and for names the
    settings do not know (`SLACK_SIGNING_SECRET_PREVIOUS`) from the environment, then `.env`."""

    backend = "env"

    def __init__(
        self,
        *,
        settings: Settings,
        environ: Mapping[str, str] | None = None,
        env_file: Path | None = None,
    ) -> None:
        self._settings = settings
        self._environ = environ
        configured = settings.model_config.get("env_file")
        default = Path(configured) if isinstance(configured, str | os.PathLike) else None
        self._env_file = env_file if env_file is not None else default
        self._fields = {
            (info.alias or field).upper(): field
            for field, info in type(settings).model_fields.items()
        }

    def get(self, name: str) -> SecretStr | None:
        _check_name(name)
        field = self._fields.get(name.upper())
        if field is not None:
            value: object = getattr(self._settings, field)
            if isinstance(value, SecretStr):
                return _handed_out(value.get_secret_value())
            if isinstance(value, str):
                return _handed_out(value)
        environ = os.environ if self._environ is None else self._environ
        for candidate in (name, name.upper()):
            if candidate in environ:
                return _handed_out(environ[candidate])
        if self._env_file is not None and self._env_file.is_file():
            values = dotenv_values(self._env_file)
            for candidate in (name, name.upper()):
                if values.get(candidate) is not None:
                    return _handed_out(values[candidate])
        return None


class FileSecrets:
    """One file per secret under a directory, named as the variable (`SLACK_SIGNING_SECRET`) or
    in lower case (`slack_signing_secret`), as Docker and Kubernetes mount them. Trailing line
    breaks are dropped; an empty file counts as no secret."""

    backend = "file"

    def __init__(self, *, directory: Path) -> None:
        self._directory = directory

    def get(self, name: str) -> SecretStr | None:
        _check_name(name)
        for candidate in (name, name.lower()):
            path = self._directory / candidate
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as error:
                raise SecretsError(
                    f"secret {name} could not be read from the file backend "
                    f"({path}: {error.strerror or type(error).__name__})"
                ) from None
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise SecretsError(
                    f"secret {name} in the file backend ({path}) is not UTF-8 text"
                ) from None
            return _handed_out(text.rstrip("\r\n"))
        return None


class AwsSecrets:
    """One AWS Secrets Manager secret (`secret_id`) holding a JSON object of names to values.

    The boto3 client is built on first use, from the usual AWS credential chain."""

    backend = "aws"

    def __init__(
        self,
        *,
        secret_id: str,
        region: str | None = None,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self._secret_id = secret_id
        self._region = region
        self._client_factory = client_factory
        self._client: Any = None
        self._lock = threading.Lock()

    def _secretsmanager(self) -> Any:
        with self._lock:
            if self._client is None:
                if self._client_factory is not None:
                    self._client = self._client_factory()
                else:
                    boto3: Any = importlib.import_module("boto3")
                    self._client = boto3.client("secretsmanager", region_name=self._region)
            client: Any = self._client
            return client

    def _where(self, name: str) -> str:
        return f"secret {name} in the aws backend (secret id {self._secret_id!r})"

    def _document(self, name: str) -> dict[str, Any]:
        errors: Any = importlib.import_module("botocore.exceptions")
        try:
            response: Mapping[str, Any] = self._secretsmanager().get_secret_value(
                SecretId=self._secret_id
            )
        except errors.ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "error"))
            raise SecretsError(f"{self._where(name)} could not be read: {code}") from None
        except errors.BotoCoreError as error:
            raise SecretsError(
                f"{self._where(name)} could not be read: {type(error).__name__}"
            ) from None
        raw = response.get("SecretString")
        if raw is None and isinstance(response.get("SecretBinary"), bytes | bytearray):
            raw = bytes(response["SecretBinary"]).decode("utf-8", errors="replace")
        try:
            document: object = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise SecretsError(f"{self._where(name)}: the secret is not a JSON object") from None
        return {str(key): value for key, value in document.items()}  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]

    def get(self, name: str) -> SecretStr | None:
        _check_name(name)
        document = self._document(name)
        for candidate in (name, name.lower()):
            if candidate not in document:
                continue
            value = document[candidate]
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise SecretsError(f"{self._where(name)} is not a string")
            return _handed_out(str(value))
        return None


class ChainedSecrets:
    """The first provider that has a secret answers for it."""

    def __init__(self, *providers: SecretsProvider) -> None:
        if not providers:
            raise ValueError("ChainedSecrets needs at least one provider")
        self._providers = providers

    @property
    def backend(self) -> str:
        return "+".join(provider.backend for provider in self._providers)

    def get(self, name: str) -> SecretStr | None:
        for provider in self._providers:
            value = provider.get(name)
            if value is not None:
                return value
        return None


@dataclass
class _Entry:
    value: SecretStr | None
    fetched_at: float


def monotonic() -> float:
    """The cache's default clock (seconds, never going back)."""
    return time.monotonic()


class CachedSecrets:
    """Remembers each answer of `inner` for `ttl` seconds, so that a rotated secret is seen
    within `ttl` and the backend is not asked on every request.

    When the backend fails and an older answer is at hand, the older answer is served (and the
    failure logged) until the backend answers again: a Secrets Manager outage must not turn
    every Slack request away. Safe to share between threads.
    """

    def __init__(
        self,
        inner: SecretsProvider,
        *,
        ttl: float,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if ttl < 0:
            raise ValueError("ttl must not be negative")
        self._inner = inner
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        return self._inner.backend

    def _now(self) -> float:
        # The module's `monotonic` is looked up on each call, so that tests of a running server
        # can move time forward without reaching the cache itself.
        return self._clock() if self._clock is not None else monotonic()

    def get(self, name: str) -> SecretStr | None:
        now = self._now()
        with self._lock:
            entry = self._entries.get(name)
            if entry is not None and now - entry.fetched_at < self._ttl:
                return entry.value
        try:
            value = self._inner.get(name)
        except SecretsError as error:
            if entry is None:
                raise
            logger.warning(
                "serving the cached secret %s: its backend failed (%s)",
                name,
                error,
                extra={"secret": name, "backend": self.backend},
            )
            return entry.value
        with self._lock:
            self._entries[name] = _Entry(value=value, fetched_at=now)
        return value

    def invalidate(self, name: str | None = None) -> None:
        """Forget `name` (every secret when None), so that the next `get` asks the backend."""
        with self._lock:
            if name is None:
                self._entries.clear()
            else:
                self._entries.pop(name, None)


def backend_from_settings(settings: Settings) -> SecretsProvider:
    """The uncached provider `TASKPILOT_SECRETS_BACKEND` names, the environment behind it."""
    env = EnvSecrets(settings=settings)
    if settings.secrets_backend == "file":
        return ChainedSecrets(FileSecrets(directory=Path(settings.secrets_dir)), env)
    if settings.secrets_backend == "aws":
        if not settings.aws_secret_id:
            raise SecretsError(
                "the aws secrets backend needs TASKPILOT_AWS_SECRET_ID (the Secrets Manager "
                "secret holding a JSON object of names to values)"
            )
        return ChainedSecrets(
            AwsSecrets(secret_id=settings.aws_secret_id, region=settings.aws_region), env
        )
    return env


def secrets_from_settings(
    settings: Settings, *, clock: Callable[[], float] | None = None
) -> CachedSecrets:
    """The provider the settings ask for, cached for `secrets_ttl` seconds."""
    return CachedSecrets(backend_from_settings(settings), ttl=settings.secrets_ttl, clock=clock)


def _holds_secret(annotation: object) -> bool:
    return annotation is SecretStr or SecretStr in typing.get_args(annotation)


# Settings kept as plain URLs (they are shown masked) that may carry a credential: Redis's
# AUTH token, Sentry's key. Where secrets are mounted, these are mounted with them.
_CREDENTIAL_URLS = ("redis_url", "sentry_dsn")


def settings_with_secrets(
    settings: Settings, *, secrets: SecretsProvider | None = None
) -> Settings:
    """The settings with every secret field (`SLACK_BOT_TOKEN`, `SLACK_CLIENT_SECRET`, ...),
    and the URLs that may carry a credential (`REDIS_URL`, `SENTRY_DSN`), taken from the
    secrets backend when it holds one, read once.

    For the secrets a process reads only when it starts; the ones that rotate without a
    restart (the Slack signing secret, provider keys, the database password) are read through
    the cached provider on each use instead. With the `env` backend the settings already hold
    every secret, and are returned as they are. A secret the backend cannot read is logged
    (by name) and left as the settings have it.
    """
    if secrets is None:
        if settings.secrets_backend == "env":
            return settings
        secrets = backend_from_settings(settings)
    updates: dict[str, SecretStr | str] = {}
    for field, info in type(settings).model_fields.items():
        as_url = field in _CREDENTIAL_URLS
        if not (as_url or _holds_secret(info.annotation)):
            continue
        try:
            value = secrets.get(info.alias or field)
        except SecretsError as error:
            # One unreadable secret must not stop the server: what needs it says so when
            # used (the Slack endpoint answers 503 naming what is missing).
            logger.warning("%s; the settings' value is kept", error, extra={"secret": field})
            continue
        if value is None:
            continue
        new: SecretStr | str = value.get_secret_value().strip() if as_url else value
        if new != getattr(settings, field):
            updates[field] = new
    return settings.model_copy(update=updates) if updates else settings
