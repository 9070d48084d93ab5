"""The small threaded HTTP server behind the local stand-ins (the scripted model provider, the
local Slack Web API) and the turn worker's health endpoint."""

from __future__ import annotations

import socket
from http.server import ThreadingHTTPServer
from typing import Any

__all__ = ["ThreadedHTTPServer"]


class ThreadedHTTPServer(ThreadingHTTPServer):
    """`ThreadingHTTPServer` that holds hundreds of waiting connections and answers each
    request without waiting on the client's acknowledgements.

    The standard library's listen backlog is 5. Under load (hundreds of model requests held at
    once by a scripted provider) the kernel dropped the connections beyond it, and each waited
    a whole second for its retransmission, which benchmarks then reported as the server's own
    latency. The kernel caps the value at `net.core.somaxconn`.

    `BaseHTTPRequestHandler` writes a response's headers and its body separately. With Nagle's
    algorithm on, the body waits until the client acknowledges the headers, which a client
    delays by up to 40 ms on Linux: every keep-alive request after a connection's first paid
    that. Accepted connections therefore set `TCP_NODELAY`."""

    request_queue_size = 1024
    daemon_threads = True

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address
