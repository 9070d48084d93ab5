"""Secrets come from the environment, mounted files or AWS Secrets Manager, cached with a TTL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from pydantic import SecretStr

from core.secrets import (
    AwsSecrets,
    CachedSecrets,
    EnvSecrets,
    FileSecrets,
    SecretsError,
    secrets_from_settings,
    settings_with_secrets,
)
from core.settings import Settings

SECRET_ID = "taskpilot/production"
REGION = "eu-west-1"


def _settings(**values: object) -> Settings:
    return Settings.model_validate(values)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingProvider:
    """A backend whose value the test changes, counting how often it is asked."""

    backend = "fake"

    def __init__(self, value: str | None) -> None:
        self.value = value
        self.calls = 0
        self.fail = False

    def get(self, name: str) -> SecretStr | None:
        del name
        self.calls += 1
        if self.fail:
            raise SecretsError("secret X could not be read from the fake backend")
        return SecretStr(self.value) if self.value is not None else None


# -- environment -----------------------------------------------------------------------------


def test_env_backend_reads_settings_fields_and_other_variables(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("OPENAI_API_KEY=sk-from-dotenv-file\n")
    provider = EnvSecrets(
        settings=_settings(SLACK_SIGNING_SECRET="signing-from-settings"),
        environ={"SLACK_SIGNING_SECRET_PREVIOUS": "previous-from-environ"},
        env_file=env_file,
    )
    signing = provider.get("SLACK_SIGNING_SECRET")
    previous = provider.get("SLACK_SIGNING_SECRET_PREVIOUS")
    openai = provider.get("OPENAI_API_KEY")
    assert signing is not None and signing.get_secret_value() == "signing-from-settings"
    assert previous is not None and previous.get_secret_value() == "previous-from-environ"
    assert openai is not None and openai.get_secret_value() == "sk-from-dotenv-file"
    assert provider.get("ANTHROPIC_API_KEY") is None


def test_env_backend_treats_empty_value_as_missing(tmp_path: Path) -> None:
    provider = EnvSecrets(
        settings=_settings(), environ={"SOME_TOKEN": "  "}, env_file=tmp_path / "none"
    )
    assert provider.get("SOME_TOKEN") is None


def test_secrets_are_hidden_in_repr_and_str() -> None:
    provider = EnvSecrets(
        settings=_settings(), environ={"API_TOKEN": "hunter2-very-secret"}, env_file=None
    )
    value = provider.get("API_TOKEN")
    assert value is not None
    assert "hunter2-very-secret" not in repr(value)
    assert "hunter2-very-secret" not in str(value)
    assert "hunter2-very-secret" not in repr(provider)


# -- files -----------------------------------------------------------------------------------


def test_file_backend_reads_one_file_per_secret(tmp_path: Path) -> None:
    (tmp_path / "SLACK_SIGNING_SECRET").write_text("file-signing-secret\n")
    (tmp_path / "openai_api_key").write_text("sk-lowercase-file-name\r\n")
    provider = FileSecrets(directory=tmp_path)
    signing = provider.get("SLACK_SIGNING_SECRET")
    openai = provider.get("OPENAI_API_KEY")
    assert signing is not None and signing.get_secret_value() == "file-signing-secret"
    assert openai is not None and openai.get_secret_value() == "sk-lowercase-file-name"
    assert provider.get("SLACK_BOT_TOKEN") is None


def test_file_backend_keeps_inner_whitespace_and_drops_only_line_breaks(tmp_path: Path) -> None:
    (tmp_path / "DB_PASSWORD").write_text(" pass word \n\n")
    value = FileSecrets(directory=tmp_path).get("DB_PASSWORD")
    assert value is not None and value.get_secret_value() == " pass word "


def test_file_backend_refuses_names_that_are_paths(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a secret's name"):
        FileSecrets(directory=tmp_path / "secrets").get("../etc/passwd")


def test_file_backend_error_names_secret_and_backend_not_value(tmp_path: Path) -> None:
    # A directory where the file should be cannot be read as one.
    (tmp_path / "SLACK_BOT_TOKEN").mkdir()
    with pytest.raises(SecretsError) as raised:
        FileSecrets(directory=tmp_path).get("SLACK_BOT_TOKEN")
    assert "SLACK_BOT_TOKEN" in str(raised.value)
    assert "file backend" in str(raised.value)


def test_file_backend_error_on_binary_content_shows_no_bytes(tmp_path: Path) -> None:
    (tmp_path / "SIGNING_KEY").write_bytes(b"\xffsecret-bytes\xfe")
    with pytest.raises(SecretsError) as raised:
        FileSecrets(directory=tmp_path).get("SIGNING_KEY")
    message = str(raised.value)
    assert "SIGNING_KEY" in message and "file backend" in message
    assert "secret-bytes" not in message and "0xff" not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_file_backend_settings_fall_back_to_environment(tmp_path: Path) -> None:
    (tmp_path / "SLACK_SIGNING_SECRET").write_text("from-the-mounted-file\n")
    provider = secrets_from_settings(
        _settings(
            TASKPILOT_SECRETS_BACKEND="file",
            TASKPILOT_SECRETS_DIR=str(tmp_path),
            SLACK_SIGNING_SECRET="from-the-environment",
            SLACK_BOT_TOKEN="xoxb-from-the-environment",
        )
    )
    signing = provider.get("SLACK_SIGNING_SECRET")
    bot = provider.get("SLACK_BOT_TOKEN")
    assert signing is not None and signing.get_secret_value() == "from-the-mounted-file"
    assert bot is not None and bot.get_secret_value() == "xoxb-from-the-environment"
    assert provider.backend == "file+env"


# -- AWS Secrets Manager ---------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Moto's in-process Secrets Manager, with fake credentials (no network)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def _put_secret(document: object, *, create: bool = True) -> None:
    client = boto3.client("secretsmanager", region_name=REGION)
    body = json.dumps(document) if not isinstance(document, str) else document
    if create:
        client.create_secret(Name=SECRET_ID, SecretString=body)
    else:
        client.put_secret_value(SecretId=SECRET_ID, SecretString=body)


@pytest.mark.usefixtures("aws")
def test_aws_backend_reads_names_from_one_json_secret() -> None:
    _put_secret({"SLACK_SIGNING_SECRET": "aws-signing-secret", "openai_api_key": "sk-aws-key"})
    provider = AwsSecrets(secret_id=SECRET_ID, region=REGION)
    signing = provider.get("SLACK_SIGNING_SECRET")
    openai = provider.get("OPENAI_API_KEY")
    assert signing is not None and signing.get_secret_value() == "aws-signing-secret"
    assert openai is not None and openai.get_secret_value() == "sk-aws-key"
    assert provider.get("SLACK_BOT_TOKEN") is None


@pytest.mark.usefixtures("aws")
def test_aws_backend_through_settings_sees_a_new_version_after_the_ttl() -> None:
    _put_secret({"SLACK_SIGNING_SECRET": "first-version"})
    clock = FakeClock()
    provider = secrets_from_settings(
        _settings(
            TASKPILOT_SECRETS_BACKEND="aws",
            TASKPILOT_AWS_SECRET_ID=SECRET_ID,
            AWS_REGION=REGION,
            TASKPILOT_SECRETS_TTL_SECONDS=60,
        ),
        clock=clock,
    )
    first = provider.get("SLACK_SIGNING_SECRET")
    assert first is not None and first.get_secret_value() == "first-version"
    _put_secret({"SLACK_SIGNING_SECRET": "second-version"}, create=False)
    clock.now += 59
    cached = provider.get("SLACK_SIGNING_SECRET")
    assert cached is not None and cached.get_secret_value() == "first-version"
    clock.now += 1
    rotated = provider.get("SLACK_SIGNING_SECRET")
    assert rotated is not None and rotated.get_secret_value() == "second-version"


@pytest.mark.usefixtures("aws")
def test_aws_backend_missing_secret_error_names_secret_and_backend() -> None:
    with pytest.raises(SecretsError) as raised:
        AwsSecrets(secret_id=SECRET_ID, region=REGION).get("SLACK_SIGNING_SECRET")
    message = str(raised.value)
    assert "SLACK_SIGNING_SECRET" in message
    assert "aws backend" in message
    assert "ResourceNotFoundException" in message


@pytest.mark.usefixtures("aws")
def test_aws_backend_error_on_a_non_json_secret_does_not_show_it() -> None:
    _put_secret("plain-text-secret-value")
    with pytest.raises(SecretsError) as raised:
        AwsSecrets(secret_id=SECRET_ID, region=REGION).get("SLACK_SIGNING_SECRET")
    assert "not a JSON object" in str(raised.value)
    assert "plain-text-secret-value" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_aws_backend_builds_no_client_until_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []

    def client(*args: object, **kwargs: object) -> object:
        built.append("client")
        raise RuntimeError("no client may be built yet")

    monkeypatch.setattr(boto3, "client", client)
    settings = _settings(TASKPILOT_SECRETS_BACKEND="aws", TASKPILOT_AWS_SECRET_ID=SECRET_ID)
    provider = secrets_from_settings(settings)
    assert built == []
    with pytest.raises(RuntimeError):
        provider.get("SLACK_SIGNING_SECRET")
    assert built == ["client"]


def test_aws_backend_without_secret_id_says_what_to_set() -> None:
    with pytest.raises(SecretsError, match="TASKPILOT_AWS_SECRET_ID"):
        secrets_from_settings(_settings(TASKPILOT_SECRETS_BACKEND="aws"))


# -- the TTL cache ---------------------------------------------------------------------------


def test_cache_serves_the_old_value_until_the_ttl_then_the_new_one() -> None:
    inner = CountingProvider("old-secret")
    clock = FakeClock()
    cache = CachedSecrets(inner, ttl=300, clock=clock)
    first = cache.get("SLACK_SIGNING_SECRET")
    assert first is not None and first.get_secret_value() == "old-secret"
    inner.value = "new-secret"
    clock.now += 299.9
    before = cache.get("SLACK_SIGNING_SECRET")
    assert before is not None and before.get_secret_value() == "old-secret"
    assert inner.calls == 1
    clock.now += 0.1
    after = cache.get("SLACK_SIGNING_SECRET")
    assert after is not None and after.get_secret_value() == "new-secret"
    assert inner.calls == 2


def test_cache_remembers_a_missing_secret_for_the_ttl_too() -> None:
    inner = CountingProvider(None)
    clock = FakeClock()
    cache = CachedSecrets(inner, ttl=10, clock=clock)
    assert cache.get("SLACK_SIGNING_SECRET_PREVIOUS") is None
    inner.value = "appeared-later"
    assert cache.get("SLACK_SIGNING_SECRET_PREVIOUS") is None
    clock.now += 10
    appeared = cache.get("SLACK_SIGNING_SECRET_PREVIOUS")
    assert appeared is not None and appeared.get_secret_value() == "appeared-later"


def test_cache_with_zero_ttl_asks_every_time() -> None:
    inner = CountingProvider("value-one")
    cache = CachedSecrets(inner, ttl=0, clock=FakeClock())
    cache.get("X")
    inner.value = "value-two"
    second = cache.get("X")
    assert second is not None and second.get_secret_value() == "value-two"


def test_cache_keeps_serving_the_last_value_while_the_backend_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inner = CountingProvider("still-good-secret")
    clock = FakeClock()
    cache = CachedSecrets(inner, ttl=5, clock=clock)
    cache.get("SLACK_SIGNING_SECRET")
    inner.fail = True
    clock.now += 6
    with caplog.at_level("WARNING", logger="core.secrets"):
        served = cache.get("SLACK_SIGNING_SECRET")
    assert served is not None and served.get_secret_value() == "still-good-secret"
    assert "SLACK_SIGNING_SECRET" in caplog.text
    assert "still-good-secret" not in caplog.text


def test_cache_raises_when_the_backend_fails_and_nothing_is_cached() -> None:
    inner = CountingProvider("never-served")
    inner.fail = True
    with pytest.raises(SecretsError):
        CachedSecrets(inner, ttl=5, clock=FakeClock()).get("SLACK_SIGNING_SECRET")


def test_invalidate_makes_the_next_get_ask_the_backend() -> None:
    inner = CountingProvider("before-invalidate")
    cache = CachedSecrets(inner, ttl=300, clock=FakeClock())
    cache.get("X")
    inner.value = "after-invalidate"
    cache.invalidate("X")
    value = cache.get("X")
    assert value is not None and value.get_secret_value() == "after-invalidate"


# -- settings --------------------------------------------------------------------------------


def test_settings_repr_shows_no_secret_field() -> None:
    settings = _settings(
        SLACK_SIGNING_SECRET="repr-signing-secret",
        SLACK_BOT_TOKEN="xoxb-repr-bot-token",
        SLACK_APP_TOKEN="xapp-repr-app-token",
        SLACK_CLIENT_SECRET="repr-client-secret",
        SLACK_TOKEN_ENCRYPTION_KEY="repr-fernet-key",
        TASKPILOT_LLM_API_KEY="sk-repr-llm-key",
    )
    shown = repr(settings) + str(settings) + str(settings.model_dump())
    for value in (
        "repr-signing-secret",
        "xoxb-repr-bot-token",
        "xapp-repr-app-token",
        "repr-client-secret",
        "repr-fernet-key",
        "sk-repr-llm-key",
    ):
        assert value not in shown


def test_settings_with_secrets_leaves_env_backed_settings_as_they_are() -> None:
    settings = _settings(SLACK_BOT_TOKEN="xoxb-env")
    assert settings_with_secrets(settings) is settings


@pytest.mark.usefixtures("aws")
def test_settings_with_secrets_takes_start_up_secrets_from_aws() -> None:
    _put_secret({"SLACK_BOT_TOKEN": "xoxb-aws", "slack_client_secret": "client-aws"})
    settings = settings_with_secrets(
        _settings(
            TASKPILOT_SECRETS_BACKEND="aws",
            TASKPILOT_AWS_SECRET_ID=SECRET_ID,
            AWS_REGION=REGION,
            SLACK_BOT_TOKEN="xoxb-stale-env",
            SLACK_APP_TOKEN="xapp-env-only",
        )
    )
    assert settings.slack_bot_token == SecretStr("xoxb-aws")
    assert settings.slack_client_secret == SecretStr("client-aws")
    # A secret the backend does not hold keeps the environment's value.
    assert settings.slack_app_token == SecretStr("xapp-env-only")
    assert "xoxb-aws" not in repr(settings)


def test_settings_with_secrets_logs_an_unreadable_secret_by_name_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "SLACK_BOT_TOKEN").write_bytes(b"\xff\xfe")
    (tmp_path / "SLACK_APP_TOKEN").write_text("xapp-mounted")
    settings = settings_with_secrets(
        _settings(TASKPILOT_SECRETS_BACKEND="file", TASKPILOT_SECRETS_DIR=str(tmp_path))
    )
    assert settings.slack_app_token == SecretStr("xapp-mounted")
    assert settings.slack_bot_token is None
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "SLACK_BOT_TOKEN" in warning.getMessage() and "not UTF-8" in warning.getMessage()
    assert "\\xff" not in caplog.text


def test_urls_that_carry_credentials_come_from_the_secrets_backend_too(tmp_path: Path) -> None:
    """In Kubernetes REDIS_URL holds Redis's AUTH token, so it is mounted with the secrets
    rather than set in the ConfigMap; the settings take it (and SENTRY_DSN) from there."""
    (tmp_path / "REDIS_URL").write_text("rediss://:s3cret-token@cache.internal:6379/0\n")
    (tmp_path / "SENTRY_DSN").write_text("https://key@sentry.example/1\n")
    settings = settings_with_secrets(
        _settings(
            TASKPILOT_SECRETS_BACKEND="file",
            TASKPILOT_SECRETS_DIR=str(tmp_path),
            REDIS_URL="rediss://placeholder:6379/0",
        )
    )
    assert settings.redis_url == "rediss://:s3cret-token@cache.internal:6379/0"
    assert settings.sentry_dsn == "https://key@sentry.example/1"
    assert "s3cret-token" not in repr(settings)
