"""A local HTTP server acting as a Sentry DSN: it accepts real envelopes and keeps their events.

`SentryReceiver.start()` listens on 127.0.0.1 on a free port; `dsn` is the DSN to give the SDK.
Each `POST /api/<project>/envelope/` body is decompressed (gzip, as the SDK sends it without
Brotli) and parsed in the envelope format: a JSON header line, then items, each a JSON header
line and a payload of `length` bytes (or up to the next newline when no length is given).
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

_ENVELOPE_PATH = re.compile(r"^/api/(\d+)/envelope/?$")


@dataclass
class Envelope:
    """One envelope as it arrived: its raw (decompressed) bytes, header and items."""

    raw: bytes
    header: dict[str, Any]
    items: list[tuple[dict[str, Any], bytes]] = field(
        default_factory=list[tuple[dict[str, Any], bytes]]
    )


def parse_envelope(body: bytes) -> Envelope:
    """An envelope's header and items, by the format's rules."""
    header_line, _, rest = body.partition(b"\n")
    envelope = Envelope(raw=body, header=json.loads(header_line))
    while rest.strip():
        item_line, _, rest = rest.partition(b"\n")
        item_header = cast("dict[str, Any]", json.loads(item_line))
        length = item_header.get("length")
        if isinstance(length, int):
            payload, rest = rest[:length], rest[length:]
            rest = rest.removeprefix(b"\n")
        else:
            payload, _, rest = rest.partition(b"\n")
        envelope.items.append((item_header, payload))
    return envelope


class SentryReceiver:
    """The envelopes and events received so far, and the server that receives them."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def dsn(self) -> str:
        assert self._server is not None, "start the receiver first"
        return f"http://public@127.0.0.1:{self._server.server_address[1]}/1"

    @property
    def events(self) -> list[dict[str, Any]]:
        """The payloads of the `event` items (errors and logged errors), in arrival order."""
        with self._lock:
            return [
                cast("dict[str, Any]", json.loads(payload))
                for envelope in self.envelopes
                for header, payload in envelope.items
                if header.get("type") == "event"
            ]

    @property
    def raw(self) -> bytes:
        """Every received envelope's bytes, to search for what must not be there."""
        with self._lock:
            return b"\n".join(envelope.raw for envelope in self.envelopes)

    def start(self) -> SentryReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if not _ENVELOPE_PATH.match(self.path.split("?", 1)[0]):
                    self.send_response(404)
                    self.end_headers()
                    return
                envelope = parse_envelope(body)
                with receiver._lock:  # pyright: ignore[reportPrivateUsage]
                    receiver.envelopes.append(envelope)
                    receiver.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                del format, args  # The test output stays quiet.

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
