"""Run uvicorn, one process or several, on a listening socket whose connections send small
responses at once (`TCP_NODELAY`)."""

from __future__ import annotations

import contextlib
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

__all__ = ["listening_socket", "run_server"]


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """`config.bind_socket()`, with a TCP socket's protocol recorded as TCP.

    uvicorn binds the socket that its worker processes share with the protocol left at 0, and
    asyncio only turns Nagle's algorithm off (`TCP_NODELAY`) on accepted sockets whose
    protocol reads `IPPROTO_TCP`. With Nagle on, a response written as headers, then body,
    holds the body until the client acknowledges the headers, and a client delays that
    acknowledgement by up to 40 ms on Linux: every keep-alive request after a connection's
    first paid about 43 ms with `--workers 2` (uvicorn issue 3149). One process is unaffected,
    since asyncio builds that listener itself."""
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
        # The same descriptor (bound, inheritable) under a socket object that says TCP;
        # worker processes receive the family, type and protocol along with the descriptor.
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        sock.set_inheritable(True)
    return sock


def run_server(config: uvicorn.Config) -> bool:
    """Serve until stopped, as `uvicorn.run` does; whether the server started (always true
    for several workers, whose supervisor restarts those that fail)."""
    if config.workers > 1:
        with contextlib.suppress(KeyboardInterrupt):
            Multiprocess(config, sockets=[listening_socket(config)]).run()
        return True
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return server.started
