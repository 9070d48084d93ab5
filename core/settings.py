"""Application settings, read from the environment and a `.env` file when asked for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/taskpilot.db"

_URL_FIELDS = frozenset({"database_url", "redis_url", "sentry_dsn"})


def masked_url(url: str) -> str:
    """`url` with its user and password replaced by `***` (they may be credentials)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class Settings(BaseSettings):
    """Every setting TaskPilot reads. Build one with `Settings()`; nothing builds it at import."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    models: str = Field(default="", alias="TASKPILOT_MODELS")
    prompt_version: str = Field(default="v3", alias="TASKPILOT_PROMPT_VERSION")
    llm_base_url: str | None = Field(default=None, alias="TASKPILOT_LLM_BASE_URL")
    llm_api_key: SecretStr | None = Field(default=None, alias="TASKPILOT_LLM_API_KEY")
    llm_timeout: float = Field(default=20.0, alias="TASKPILOT_LLM_TIMEOUT", gt=0)
    llm_retries: int = Field(default=2, alias="TASKPILOT_LLM_RETRIES", ge=0, le=10)
    llm_allowed_fails: int = Field(default=2, alias="TASKPILOT_LLM_ALLOWED_FAILS", ge=0)
    llm_cooldown: float = Field(default=30.0, alias="TASKPILOT_LLM_COOLDOWN", ge=0)
    turn_max_tokens: int = Field(default=30_000, alias="TASKPILOT_TURN_MAX_TOKENS", ge=1)
    daily_tokens_per_user: int = Field(
        default=200_000, alias="TASKPILOT_DAILY_TOKENS_PER_USER", ge=0
    )
    daily_tokens_per_team: int = Field(
        default=2_000_000, alias="TASKPILOT_DAILY_TOKENS_PER_TEAM", ge=0
    )
    max_reply_chars: int = Field(default=3_000, alias="TASKPILOT_MAX_REPLY_CHARS", ge=200)
    history_max_messages: int = Field(default=20, alias="TASKPILOT_HISTORY_MAX_MESSAGES", ge=0)
    max_input_chars: int = Field(default=4000, alias="TASKPILOT_MAX_INPUT_CHARS", ge=1)
    default_team: str = Field(default="T0DEMO", alias="TASKPILOT_TEAM")
    default_user: str = Field(default="U0ALICE", alias="TASKPILOT_USER")
    timezone: str | None = Field(default=None, alias="TASKPILOT_TIMEZONE")
    seed_demo: bool = Field(default=True, alias="TASKPILOT_SEED_DEMO")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    # The workspace `SLACK_BOT_TOKEN` belongs to. Unset, it is learned from Slack's auth.test
    # on the first request; set, requests of any other workspace are ignored without asking.
    slack_team_id: str | None = Field(
        default=None, alias="SLACK_TEAM_ID", pattern=r"^T[A-Z0-9]{2,31}$"
    )
    slack_api_base_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_BASE_URL")
    # Multi-workspace installs (OAuth): the app's credentials and the key tokens are encrypted
    # with (Fernet keys, comma-separated, newest first, so that the key can be rotated).
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    slack_token_key: SecretStr | None = Field(default=None, alias="SLACK_TOKEN_ENCRYPTION_KEY")
    slack_redirect_uri: str | None = Field(default=None, alias="SLACK_REDIRECT_URI")
    # Messages from other bots are ignored unless this is on; the app's own always are.
    slack_allow_bot_messages: bool = Field(default=False, alias="SLACK_ALLOW_BOT_MESSAGES")
    # A claimed Slack event whose replica has not renewed its claim for this many seconds may
    # be taken over by Slack's next retry (the replica is presumed dead); a live replica
    # renews it three times per lease while the turn runs.
    slack_delivery_lease: float = Field(default=120.0, alias="SLACK_DELIVERY_LEASE_SECONDS", gt=0)
    # Agent turns one process runs at once for Slack; more wait for a free slot.
    slack_max_concurrent_turns: int = Field(default=256, alias="SLACK_MAX_CONCURRENT_TURNS", ge=1)
    # Where Slack's agent turns run: "inline" in the process that acknowledged them, or
    # "redis": queued on REDIS_URL for `taskpilot slack worker` processes.
    turn_queue: Literal["inline", "redis"] = Field(default="inline", alias="TASKPILOT_TURN_QUEUE")
    reminders_enabled: bool = Field(default=True, alias="TASKPILOT_REMINDERS")
    reminder_interval: float = Field(
        default=60.0, alias="TASKPILOT_REMINDER_INTERVAL_SECONDS", gt=0
    )
    reminder_lead_minutes: int = Field(default=120, alias="TASKPILOT_REMINDER_LEAD_MINUTES", ge=0)
    directory_sync_minutes: int = Field(default=360, alias="TASKPILOT_DIRECTORY_SYNC_MINUTES", ge=0)
    # The REST API and its protections.
    cors_origins: str = Field(default="", alias="TASKPILOT_CORS_ORIGINS")
    trusted_hosts: str = Field(default="*", alias="TASKPILOT_TRUSTED_HOSTS")
    forwarded_allow_ips: str = Field(default="127.0.0.1", alias="TASKPILOT_FORWARDED_ALLOW_IPS")
    max_body_bytes: int = Field(default=1_048_576, alias="TASKPILOT_MAX_BODY_BYTES", ge=1024)
    rate_limit_key: str = Field(default="600/minute", alias="TASKPILOT_RATE_LIMIT_KEY")
    rate_limit_agent_user: str = Field(default="30/minute", alias="TASKPILOT_RATE_LIMIT_AGENT_USER")
    rate_limit_agent_team: str = Field(default="600/hour", alias="TASKPILOT_RATE_LIMIT_AGENT_TEAM")
    rate_limit_agent_key: str = Field(default="600/hour", alias="TASKPILOT_RATE_LIMIT_AGENT_KEY")
    api_key_rotation_grace_hours: float = Field(
        default=24.0, alias="TASKPILOT_API_KEY_ROTATION_GRACE_HOURS", ge=0
    )
    idempotency_ttl_hours: float = Field(
        default=24.0, alias="TASKPILOT_IDEMPOTENCY_TTL_HOURS", gt=0
    )
    # Where secrets come from: `env` (the environment and .env), `file` (one file per secret
    # under TASKPILOT_SECRETS_DIR, as Docker and Kubernetes mount them) or `aws` (AWS Secrets
    # Manager, one JSON secret named TASKPILOT_AWS_SECRET_ID).
    secrets_backend: Literal["env", "file", "aws"] = Field(
        default="env", alias="TASKPILOT_SECRETS_BACKEND"
    )
    secrets_dir: str = Field(default="/run/secrets", alias="TASKPILOT_SECRETS_DIR")
    aws_secret_id: str | None = Field(default=None, alias="TASKPILOT_AWS_SECRET_ID")
    aws_region: str | None = Field(default=None, alias="AWS_REGION")
    secrets_ttl: float = Field(default=300.0, alias="TASKPILOT_SECRETS_TTL_SECONDS", ge=0)
    host: str = Field(default="127.0.0.1", alias="TASKPILOT_HOST")
    port: int = Field(default=8000, alias="TASKPILOT_PORT", ge=0, le=65535)
    # Observability. LOG_LEVEL is a level ("INFO") optionally followed by per-logger levels
    # ("INFO,slack_app=DEBUG,sqlalchemy.engine=INFO").
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_format: Literal["json", "console"] = Field(default="console", alias="LOG_FORMAT")
    # People's message text stays out of logs, spans and error reports unless this is on.
    log_message_text: bool = Field(default=False, alias="TASKPILOT_LOG_MESSAGE_TEXT")
    environment: str = Field(default="development", alias="TASKPILOT_ENVIRONMENT")
    # The interactive API docs (`/docs`, `/redoc`) and `/openapi.json`: on outside production,
    # off in production unless this turns them on.
    api_docs: bool | None = Field(default=None, alias="TASKPILOT_API_DOCS")
    # The bearer token a Prometheus scraper sends for `/metrics`. Unset, the page is open
    # outside production and off in production (`core.metrics_access`).
    metrics_token: SecretStr | None = Field(default=None, alias="TASKPILOT_METRICS_TOKEN")
    release: str | None = Field(default=None, alias="TASKPILOT_RELEASE")
    service_name: str = Field(default="taskpilot", alias="OTEL_SERVICE_NAME")
    # Spans go to Logfire only when a token is set, and to any OTLP collector (Jaeger,
    # Tempo, an OpenTelemetry collector) when an endpoint is.
    logfire_token: SecretStr | None = Field(default=None, alias="LOGFIRE_TOKEN")
    otlp_endpoint: str | None = Field(default=None, alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    sentry_dsn: str | None = Field(default=None, alias="SENTRY_DSN")
    sentry_traces_sample_rate: float = Field(
        default=0.0, alias="SENTRY_TRACES_SAMPLE_RATE", ge=0, le=1
    )
    # Serve a database that a newer version has migrated (rolling deployments whose
    # migrations only add); off by default, so that a stale replica is noticed.
    allow_newer_schema: bool = Field(default=False, alias="TASKPILOT_ALLOW_NEWER_SCHEMA")
    # Idle keep-alive of HTTP connections; above a load balancer's idle timeout (AWS ALB: 60 s)
    # so that the balancer, not the server, closes idle connections (no 502 on a race).
    keep_alive: float = Field(default=75.0, alias="TASKPILOT_KEEP_ALIVE_SECONDS", gt=0)
    # How long the server waits on SIGTERM for acknowledged Slack work and agent turns.
    shutdown_grace: float = Field(default=25.0, alias="TASKPILOT_SHUTDOWN_GRACE_SECONDS", ge=0)

    @field_validator("log_level")
    @classmethod
    def _check_levels(cls, value: str) -> str:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not parts:
            return "INFO"
        known = {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "NOTSET"}
        cleaned: list[str] = []
        for index, part in enumerate(parts):
            name, _, level = part.rpartition("=")
            if (index == 0) != (name == "") or level.strip().upper() not in known:
                raise ValueError(
                    f"LOG_LEVEL: {part!r} is not a level; write e.g. "
                    "'INFO' or 'INFO,slack_app=DEBUG' (levels: DEBUG, INFO, WARNING, ERROR)"
                )
            level = level.strip().upper()
            cleaned.append(f"{name.strip()}={level}" if name else level)
        return ",".join(cleaned)

    def running_release(self) -> str:
        """The running release: `TASKPILOT_RELEASE`, else the installed package's version."""
        if self.release:
            return self.release
        import importlib.metadata

        try:
            return importlib.metadata.version("taskpilot")
        except importlib.metadata.PackageNotFoundError:
            return "unknown"

    @property
    def root_log_level(self) -> str:
        """The level of every logger not named in `LOG_LEVEL`."""
        return self.log_level.split(",", 1)[0]

    @property
    def logger_levels(self) -> dict[str, str]:
        """Per-logger levels named in `LOG_LEVEL` after the first item."""
        items = self.log_level.split(",")[1:]
        return dict(item.split("=", 1) for item in items)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # URLs may carry a password (the database, Redis) or a key (Sentry's DSN): a repr in a
        # log line or a traceback must not show them.
        for name, value in super().__repr_args__():
            if name in _URL_FIELDS and isinstance(value, str):
                yield name, masked_url(value)
            else:
                yield name, value

    @staticmethod
    def _listed(value: str) -> list[str]:
        return [item.strip() for item in value.split(",") if item.strip()]

    @property
    def cors_origin_list(self) -> list[str]:
        """Origins allowed to call the REST API from a browser; none by default."""
        return self._listed(self.cors_origins)

    @property
    def trusted_host_list(self) -> list[str]:
        """Host headers the server answers; `*` (any) by default."""
        return self._listed(self.trusted_hosts) or ["*"]

    @property
    def slack_oauth_enabled(self) -> bool:
        """True when the app is set up for multi-workspace installs through OAuth."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def model_chain(self) -> list[str]:
        """The fallback chain, in order; `offline` alone when nothing is configured."""
        names = [name.strip() for name in self.models.split(",") if name.strip()]
        return names or ["offline"]

    def effective_timezone(self) -> str:
        """The zone for speakers whose own zone is unknown: the setting, else this machine's."""
        if self.timezone:
            return self.timezone
        try:
            import tzlocal

            return tzlocal.get_localzone_name() or "UTC"
        except Exception:  # The machine's zone is a convenience; UTC is a safe answer.
            return "UTC"


def load_settings(**overrides: object) -> Settings:
    """Build the settings now, from the environment, `.env` and the given overrides."""
    return Settings.model_validate(overrides) if overrides else Settings()
