"""`taskpilot serve --workers N` shares one listening socket between its worker processes;
the connections those workers accept must send a response's body without waiting for the
client to acknowledge its headers (TCP_NODELAY), as a single process's do."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket

import uvicorn

from api.server_runner import listening_socket


def _nodelay_of_accepted_connection(listener: socket.socket) -> int:
    """In this process, serve one connection on `listener` with asyncio (as a uvicorn worker
    does) and return its TCP_NODELAY."""

    async def accept_one() -> int:
        loop = asyncio.get_running_loop()
        seen: asyncio.Future[int] = loop.create_future()

        class Report(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                accepted = transport.get_extra_info("socket")
                seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await loop.create_server(Report, sock=listener)
        async with server:
            host, port = listener.getsockname()[:2]
            _, writer = await asyncio.open_connection(host, port)
            try:
                return await asyncio.wait_for(seen, timeout=10)
            finally:
                writer.close()

    return asyncio.run(accept_one())


def _worker_config() -> uvicorn.Config:
    return uvicorn.Config(
        "taskpilot.server:create_app_from_env", host="127.0.0.1", port=0, workers=2
    )


def test_a_worker_process_accepts_connections_with_nagle_off() -> None:
    listener = listening_socket(_worker_config())
    try:
        # A spawned process, as uvicorn's supervisor starts its workers: the socket reaches
        # it pickled, as a descriptor plus the family, type and protocol recorded here.
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            nodelay = pool.apply(_nodelay_of_accepted_connection, (listener,))
    finally:
        listener.close()
    assert nodelay != 0


def test_the_shared_socket_is_bound_and_can_be_inherited() -> None:
    listener = listening_socket(_worker_config())
    try:
        host, port = listener.getsockname()[:2]
        assert (host, listener.proto) == ("127.0.0.1", socket.IPPROTO_TCP)
        assert port > 0
        assert listener.get_inheritable()
    finally:
        listener.close()
