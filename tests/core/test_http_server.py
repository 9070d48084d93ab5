"""The threaded HTTP server behind the scripted provider, the local Slack Web API and the turn
worker's health endpoint: it takes hundreds of connections at once, and sends a response's
body without waiting for the client to acknowledge its headers."""

from __future__ import annotations

import http.client
import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from core.http_server import ThreadedHTTPServer


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@contextmanager
def _server() -> Iterator[ThreadedHTTPServer]:
    server = ThreadedHTTPServer(("127.0.0.1", 0), _Hello)
    try:
        yield server
    finally:
        server.server_close()


def test_hundreds_of_connections_wait_for_a_busy_server_instead_of_being_dropped() -> None:
    with _server() as server:
        # The server accepts nothing yet, as when all its threads are busy: the kernel
        # completes each handshake only while the listen backlog has room for it.
        address = server.server_address[:2]
        clients = [socket.socket() for _ in range(200)]
        try:
            for client in clients:
                client.setblocking(False)
                client.connect_ex(address)
            pending = set(clients)
            # A dropped handshake stays pending: its retries find the backlog still full.
            while pending:
                _, writable, _ = select.select([], list(pending), [], 3)
                if not writable:
                    break
                pending -= set(writable)
            assert f"{len(pending)} of 200 still waiting" == "0 of 200 still waiting"
        finally:
            for client in clients:
                client.close()


def test_accepted_connections_have_nagle_off() -> None:
    with _server() as server:
        host, port = server.server_address[:2]
        client = socket.create_connection((str(host), int(port)))
        try:
            connection, _ = server.get_request()
            try:
                assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            finally:
                connection.close()
        finally:
            client.close()


def test_it_answers_requests_on_a_kept_alive_connection() -> None:
    with _server() as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            host, port = server.server_address[:2]
            client = http.client.HTTPConnection(str(host), int(port), timeout=10)
            bodies: list[bytes] = []
            for _ in range(3):
                client.request("GET", "/")
                bodies.append(client.getresponse().read())
            client.close()
            assert bodies == [b"hello"] * 3
        finally:
            server.shutdown()
