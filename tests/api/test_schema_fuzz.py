"""Schemathesis against the REST API's own OpenAPI document: no 5xx, no schema violations.

Every operation gets generated requests (valid and invalid) with a key that has every scope;
the checks are schemathesis' defaults (status codes, content types, response schemas, headers,
server errors) except `positive_data_acceptance`: some schema-valid values can only be judged
against the database (an unknown person, a due date no one can read) and rightly get 422.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from core.db import make_engine, upgrade
from taskpilot.server import create_app
from tests.api.support import ALL_SCOPES, ApiHarness, api_settings, open_harness

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "taskpilot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    try:
        # A generous key budget: the fuzzer sends many requests with one key.
        with open_harness(
            engine,
            DATABASE_URL=f"sqlite:///{path}",
            TASKPILOT_RATE_LIMIT_KEY="100000/minute",
            TASKPILOT_RATE_LIMIT_AGENT_USER="100000/minute",
            TASKPILOT_RATE_LIMIT_AGENT_TEAM="100000/minute",
        ) as api:
            yield api
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def api_key(harness: ApiHarness) -> str:
    return harness.key(scopes=ALL_SCOPES)


def _operations() -> list[tuple[str, str]]:
    # Building the app connects to nothing (the lifespan does), so the document can be read
    # at collection time to name one test per operation.
    document = create_app(api_settings()).openapi()
    return [
        (method.upper(), path)
        for path, methods in document["paths"].items()
        if path.startswith("/api/")
        for method in methods
    ]


@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_server_errors_and_responses_match_the_schema(
    harness: ApiHarness, api_key: str, method: str, path: str
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", harness.client.app)
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {api_key}"},
            excluded_checks=[positive_data_acceptance],
        )

    run()
