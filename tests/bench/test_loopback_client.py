"""The ack benchmark's load generator client: it must read whole responses, reuse connections,
and report failures as failures, or the benchmark would measure the wrong thing."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import pytest
from loopback_client import HTTPError, LoopbackClient  # pyright: ignore[reportMissingImports]

from core.http_server import ThreadedHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"world"):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        body = b"gone" if self.path == "/close" else b"ok"
        self.send_response(404 if self.path == "/missing" else 200)
        self.send_header("Content-Length", str(len(body)))
        if self.path == "/close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.send_response(201 if body == b"payload" else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@contextmanager
def _server() -> Iterator[tuple[str, int]]:
    server = ThreadedHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield str(host), int(port)
    finally:
        server.shutdown()
        server.server_close()


def _statuses(host: str, port: int, *paths: str) -> tuple[list[int], int]:
    async def run() -> tuple[list[int], int]:
        client = LoopbackClient(host, port)
        try:
            statuses = [await client.request("GET", path) for path in paths]
        finally:
            await client.aclose()
        return statuses, client.opened

    return asyncio.run(run())


def test_requests_in_sequence_share_one_kept_alive_connection() -> None:
    with _server() as (host, port):
        assert _statuses(host, port, "/", "/missing", "/chunked", "/") == ([200, 404, 200, 200], 1)


def test_a_connection_the_server_closes_is_not_reused() -> None:
    with _server() as (host, port):
        assert _statuses(host, port, "/close", "/", "/") == ([200, 200, 200], 2)


def test_a_body_is_sent_with_its_length() -> None:
    async def run(host: str, port: int) -> int:
        client = LoopbackClient(host, port)
        try:
            return await client.request("POST", "/", body=b"payload", headers={"X-Test": "1"})
        finally:
            await client.aclose()

    with _server() as (host, port):
        assert asyncio.run(run(host, port)) == 201


def test_a_refused_connection_is_an_error_not_a_status() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    # Nothing listens on `port` now.
    with pytest.raises(HTTPError, match="ConnectionRefusedError"):
        _statuses("127.0.0.1", port, "/")
