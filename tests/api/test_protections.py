"""HTTP protections: CORS for configured origins only, security headers on every response,
a body size limit (declared and chunked), and trusted hosts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import Engine

from api.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from api.protections import install_protections
from core.settings import Settings
from taskpilot.server import create_app
from tests.api.support import open_harness
from tests.conftest import SeededTeam

ORIGIN = "https://dash.example.com"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


def _settings(**values: object) -> Settings:
    base: dict[str, object] = {
        "TASKPILOT_CORS_ORIGINS": "",
        "TASKPILOT_TRUSTED_HOSTS": "*",
        "TASKPILOT_MAX_BODY_BYTES": 1024,
    }
    base.update(values)
    return Settings.model_validate(base)


class Note(BaseModel):
    text: str


class Seen:
    """How many request bodies the route read to the end."""

    def __init__(self) -> None:
        self.bodies = 0


def _app(settings: Settings, seen: Seen | None = None) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    counter = seen or Seen()

    @app.get("/api/v1/ping")
    async def ping() -> dict[str, bool]:  # pyright: ignore[reportUnusedFunction]
        return {"ok": True}

    @app.post("/api/v1/echo")
    async def echo(request: Request) -> dict[str, int]:  # pyright: ignore[reportUnusedFunction]
        body = await request.body()
        counter.bodies += 1
        return {"length": len(body)}

    @app.post("/api/v1/notes")
    async def notes(note: Note) -> dict[str, int]:  # pyright: ignore[reportUnusedFunction]
        counter.bodies += 1
        return {"length": len(note.text)}

    install_protections(app, settings)
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(_app(_settings(TASKPILOT_CORS_ORIGINS=f"{ORIGIN}/"))) as test_client:
        yield test_client


def test_a_preflight_from_a_configured_origin_is_allowed_without_credentials(
    client: TestClient,
) -> None:
    response = client.options("/api/v1/echo", headers={"Origin": ORIGIN, **PREFLIGHT})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


def test_a_simple_request_exposes_the_rate_limit_headers_to_the_page(client: TestClient) -> None:
    response = client.get("/api/v1/ping", headers={"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "ratelimit-remaining" in response.headers["access-control-expose-headers"].lower()


def test_a_preflight_from_another_origin_is_refused(client: TestClient) -> None:
    response = client.options(
        "/api/v1/echo", headers={"Origin": "https://evil.example", **PREFLIGHT}
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    simple = client.get("/api/v1/ping", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_without_configured_origins_there_is_no_cors_at_all() -> None:
    with TestClient(_app(_settings())) as client:
        response = client.options("/api/v1/echo", headers={"Origin": ORIGIN, **PREFLIGHT})
        simple = client.get("/api/v1/ping", headers={"Origin": ORIGIN})
    assert response.status_code == 405
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in simple.headers


@pytest.mark.parametrize("origins", ["*", "https://ok.example,*", "dash.example.com"])
def test_a_wildcard_or_malformed_origin_is_refused_at_start_up(origins: str) -> None:
    with pytest.raises(ValueError, match="TASKPILOT_CORS_ORIGINS"):
        _app(_settings(TASKPILOT_CORS_ORIGINS=origins))


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for response in (client.get("/api/v1/ping"), client.get("/nowhere")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'"
        )
        assert "strict-transport-security" not in response.headers


def test_hsts_is_sent_only_over_https() -> None:
    app = _app(_settings())
    with TestClient(app, base_url="https://api.example.com") as secure:
        response = secure.get("/api/v1/ping")
    assert response.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize(("peer", "hsts"), [("10.0.0.5", True), ("203.0.113.9", False)])
def test_behind_the_load_balancer_https_is_believed_only_from_forwarded_allow_ips(
    peer: str, hsts: bool
) -> None:
    # `taskpilot serve` runs uvicorn with proxy_headers=True and forwarded_allow_ips from the
    # settings; this is the middleware those arguments install.
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    settings = _settings(TASKPILOT_FORWARDED_ALLOW_IPS="10.0.0.0/8")
    # Uvicorn and Starlette spell the ASGI types differently; the app is the same.
    inner: Any = _app(settings)
    app: Any = ProxyHeadersMiddleware(inner, trusted_hosts=settings.forwarded_allow_ips)
    with TestClient(app, client=(peer, 40000)) as client:
        response = client.get("/api/v1/ping", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert ("strict-transport-security" in response.headers) is hsts


def test_the_interactive_docs_may_load_their_scripts() -> None:
    with TestClient(_app(_settings())) as client:
        response = client.get("/docs")
    assert response.status_code == 200
    assert "cdn.jsdelivr.net" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_a_body_declared_too_large_is_a_413_problem_and_never_reaches_the_route() -> None:
    seen = Seen()
    with TestClient(_app(_settings(), seen)) as client:
        response = client.post("/api/v1/echo", content=b"x" * 2048)
        small = client.post("/api/v1/echo", content=b"x" * 1000)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["status"] == 413
    assert "1024 bytes" in response.json()["detail"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert small.json() == {"length": 1000}
    assert seen.bodies == 1


def test_a_chunked_body_growing_past_the_limit_is_a_413() -> None:
    seen = Seen()

    def chunks(count: int) -> Iterator[bytes]:
        for _ in range(count):
            yield b"y" * 300

    with TestClient(_app(_settings(), seen)) as client:
        big = client.post("/api/v1/echo", content=chunks(5))
        small = client.post("/api/v1/echo", content=chunks(3))
    assert "content-length" not in big.request.headers
    assert big.status_code == 413
    assert big.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert small.json() == {"length": 900}
    assert seen.bodies == 1


def test_a_chunked_json_body_past_the_limit_is_a_413_not_a_parse_error() -> None:
    seen = Seen()

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(5):
            yield b"z" * 300
        yield b'"}'

    with TestClient(_app(_settings(), seen)) as client:
        response = client.post(
            "/api/v1/notes", content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 413
    assert response.json()["title"] == "Content too large"
    assert seen.bodies == 0


def test_an_untrusted_host_is_refused() -> None:
    app = _app(_settings(TASKPILOT_TRUSTED_HOSTS="api.example.com, *.internal.example"))
    with TestClient(app, base_url="http://api.example.com") as client:
        trusted = client.get("/api/v1/ping")
        internal = client.get("/api/v1/ping", headers={"Host": "pod-1.internal.example:8000"})
        untrusted = client.get("/api/v1/ping", headers={"Host": "evil.example"})
    assert trusted.status_code == 200
    assert internal.status_code == 200
    assert untrusted.status_code == 400
    assert untrusted.headers["x-frame-options"] == "DENY"


def test_the_slack_endpoint_is_reached_behind_the_protections(tmp_path: Path) -> None:
    settings = _settings(
        DATABASE_URL=f"sqlite:///{tmp_path / 'taskpilot.db'}",
        SLACK_SIGNING_SECRET=None,
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID=None,
        SLACK_CLIENT_SECRET=None,
        TASKPILOT_TRUSTED_HOSTS="api.example.com",
        TASKPILOT_CORS_ORIGINS=ORIGIN,
    )
    app = create_app(settings)
    install_protections(app, settings)
    with TestClient(app, base_url="https://api.example.com") as client:
        # Without Slack credentials the endpoint answers 503 itself: the request got through.
        response = client.post(
            "/slack/events",
            content=b'{"type": "event_callback", "text": "' + b"z" * 900 + b'"}',
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 503
    assert "SLACK_SIGNING_SECRET" in response.json()["detail"]
    assert response.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize(
    ("settings", "served"),
    [
        ({"TASKPILOT_ENVIRONMENT": "production"}, False),
        ({"TASKPILOT_ENVIRONMENT": "production", "TASKPILOT_API_DOCS": True}, True),
        ({}, True),
    ],
    ids=["production", "production-turned-on", "development"],
)
def test_the_api_docs_are_off_in_production_unless_turned_on(
    engine: Engine, seeded_team: SeededTeam, settings: dict[str, Any], served: bool
) -> None:
    with open_harness(engine, **settings) as harness:
        statuses = {path: harness.client.get(path).status_code for path in _DOC_PATHS}
    assert statuses == {path: (200 if served else 404) for path in _DOC_PATHS}


_DOC_PATHS = ("/docs", "/redoc", "/openapi.json")
