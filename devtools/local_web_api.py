"""A local stand-in for Slack's Web API, for tests and drills: not Slack.

It listens on loopback, records every call (method, arguments, token) and answers in Slack's
wire format: `{"ok": true, ...}` with HTTP 200, `{"ok": false, "error": "invalid_auth"}` for a
token it was not given, and scripted faults: 429 with `Retry-After`, 5xx, or a call held until
the test releases it. Point `SLACK_API_BASE_URL` at `base_url`. Posts to a `response_url` made
by `response_url()` are recorded as method `response_url`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from core.http_server import ThreadedHTTPServer

Json = dict[str, Any]
Answer = Callable[["RecordedCall"], Json]


@dataclass
class RecordedCall:
    """One call the app made."""

    method: str
    args: Json
    token: str | None
    path: str
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    """What the next matching call gets instead of a normal answer."""

    status: int = 200
    body: Json = field(default_factory=dict[str, Any])
    headers: dict[str, str] = field(default_factory=dict[str, str])
    hold: threading.Event | None = None


def _user(team_id: str, user_id: str, name: str, real: str, tz: str) -> Json:
    return {
        "id": user_id,
        "team_id": team_id,
        "name": name,
        "real_name": real,
        "tz": tz,
        "deleted": False,
        "is_bot": False,
        "profile": {"display_name": name, "real_name": real},
    }


class LocalSlackWebAPI:
    """The recording server. Use as a context manager, or `start()` and `stop()`."""

    def __init__(
        self,
        *,
        team_id: str = "T0TEST",
        bot_token: str = "xoxb-test-token",  # noqa: S107 (a made-up token for tests)
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        users: Iterable[Json] | None = None,
    ) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.tokens: dict[str, str] = {bot_token: team_id}
        self.users: list[Json] = list(
            users
            if users is not None
            else [
                _user(team_id, "U0ALICE", "alice", "Alice Moreau", "Europe/Paris"),
                _user(team_id, "U0BOB", "bob", "Bob Ortiz", "America/New_York"),
                _user(team_id, "U0CAROL", "carol", "Carol Tanaka", "Asia/Tokyo"),
            ]
        )
        self.calls: list[RecordedCall] = []
        self.answers: dict[str, Answer] = {}
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server: ThreadedHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.oauth_access: Json | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the server first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The value for `SLACK_API_BASE_URL`."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A `response_url` for a payload; posts to it are recorded as `response_url`."""
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def start(self) -> Self:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                api._handle(self)

            def do_GET(self) -> None:
                api._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        self._server = ThreadedHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            for faults in self._faults.values():
                for fault in faults:
                    if fault.hold is not None:
                        fault.hold.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting -------------------------------------------------------------------------

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` get 429 with `Retry-After`, as Slack sends it."""
        self._add(
            method,
            [
                Fault(
                    status=429,
                    body={"ok": False, "error": "ratelimited"},
                    headers={"Retry-After": str(retry_after)},
                )
                for _ in range(times)
            ],
        )

    def server_error(self, method: str, *, status: int = 503, times: int = 1) -> None:
        """The next `times` calls of `method` get an HTTP `status` error."""
        self._add(
            method,
            [
                Fault(status=status, body={"ok": False, "error": "fatal_error"})
                for _ in range(times)
            ],
        )

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        self._add(method, [Fault(body={"ok": False, "error": error}) for _ in range(times)])

    def hold(self, method: str) -> threading.Event:
        """The next call of `method` waits until the returned event is set."""
        release = threading.Event()
        self._add(method, [Fault(hold=release)])
        return release

    def _add(self, method: str, faults: list[Fault]) -> None:
        with self._lock:
            self._faults.setdefault(method, []).extend(faults)

    # -- reading what happened -------------------------------------------------------------

    def calls_to(self, method: str) -> list[RecordedCall]:
        """The recorded calls of one method, oldest first."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, *, count: int = 1, timeout: float = 10.0) -> list[RecordedCall]:
        """Wait until `method` was called `count` times; the calls (raises on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.calls_to(method)
            if len(calls) >= count:
                return calls
            time.sleep(0.01)
        seen = sorted({call.method for call in self.calls})
        raise AssertionError(
            f"{method} was called {len(self.calls_to(method))} times, wanted {count}; "
            f"methods called: {seen}"
        )

    # -- serving ---------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        args: Json = dict(parse_qsl(split.query))
        content_type = handler.headers.get("Content-Type") or ""
        if raw:
            if "json" in content_type:
                parsed = json.loads(raw)
                if isinstance(parsed, dict):
                    args.update(parsed)
            else:
                args.update(dict(parse_qsl(raw.decode())))
        auth = handler.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ").strip() or args.get("token")
        if split.path.startswith("/response/"):
            method = "response_url"
        else:
            method = split.path.removeprefix("/api/").strip("/")
        call = RecordedCall(method=method, args=args, token=token, path=split.path)
        with self._lock:
            self.calls.append(call)
            faults = self._faults.get(method) or []
            fault = faults.pop(0) if faults else None
        if fault is not None and fault.hold is not None:
            fault.hold.wait(timeout=30)
            fault = None
        if fault is not None:
            self._send(handler, fault.status, fault.body, fault.headers)
            return
        self._send(handler, 200, self._answer(call), {})

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, body: Json, headers: dict[str, str]
    ) -> None:
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _answer(self, call: RecordedCall) -> Json:
        custom = self.answers.get(call.method)
        if custom is not None:
            return custom(call)
        if call.method == "response_url":
            return {"ok": True}
        if call.method in ("oauth.v2.access", "oauth.v2.exchange"):
            return self.oauth_access or {"ok": False, "error": "invalid_code"}
        if call.token not in self.tokens:
            return {"ok": False, "error": "not_authed" if not call.token else "invalid_auth"}
        team_id = self.tokens[call.token]
        method = call.method
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://taskpilot-test.slack.com/",
                "team": "TaskPilot Test",
                "user": "taskpilot",
                "team_id": team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            return {
                "ok": True,
                "channel": call.args.get("channel"),
                "ts": ts,
                "message": {
                    "type": "message",
                    "text": call.args.get("text"),
                    "user": self.bot_user_id,
                    "bot_id": self.bot_id,
                    "ts": ts,
                },
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.update":
            return {"ok": True, "channel": call.args.get("channel"), "ts": call.args.get("ts")}
        if method == "chat.getPermalink":
            channel = call.args.get("channel")
            ts = str(call.args.get("message_ts", "")).replace(".", "")
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://taskpilot-test.slack.com/archives/{channel}/p{ts}",
            }
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            view = call.args.get("view")
            if isinstance(view, str):
                view = json.loads(view)
            return {"ok": True, "view": {"id": "V0VIEW", "hash": "h1", **(view or {})}}
        if method == "users.list":
            return self._users_page(call, team_id)
        if method == "users.info":
            wanted = call.args.get("user")
            for user in self.users:
                if user["id"] == wanted:
                    return {"ok": True, "user": user}
            return {"ok": False, "error": "user_not_found"}
        if method == "conversations.open":
            users = str(call.args.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}
        if method == "conversations.replies":
            return {"ok": True, "messages": [], "has_more": False}
        return {"ok": True}

    def _users_page(self, call: RecordedCall, team_id: str) -> Json:
        members = [user for user in self.users if user.get("team_id", team_id) == team_id]
        limit = int(call.args.get("limit") or 200)
        start = int(call.args.get("cursor") or 0)
        page = members[start : start + limit]
        following = start + limit
        cursor = str(following) if following < len(members) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}


def slack_user(
    user_id: str, name: str, real_name: str, *, tz: str = "UTC", team_id: str = "T0TEST"
) -> Json:
    """A `users.list` member as Slack sends one."""
    return _user(team_id, user_id, name, real_name, tz)
