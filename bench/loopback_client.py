"""A minimal HTTP/1.1 client for open-loop load on loopback: requests go out on kept-alive
connections, one request at a time per connection, and a request finds a free connection in
constant time whatever the number of connections.

Why not httpx: its connection pool scans every connection for every queued request
(`httpcore`'s `_assign_requests_to_connections`). With the hundreds of connections an
open-loop load keeps open, the load generator spent 60 % of a core on that scan with nothing
else to do, and once it fell behind, its queue made each scan longer: a generator that melts
down reports its own delays as the server's. This client only does what a benchmark needs:
`Content-Length` or chunked responses, no TLS, no redirects, no proxies."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["HTTPError", "LoopbackClient"]


class HTTPError(Exception):
    """The request got no complete response: refused, reset, timed out or malformed."""


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def close(self) -> None:
        self.writer.close()


@dataclass
class LoopbackClient:
    """Requests to `http://host:port`; connections are opened on demand and kept."""

    host: str
    port: int
    timeout: float = 10.0
    _idle: deque[_Connection] = field(default_factory=deque[_Connection])
    opened: int = 0

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> int:
        """Send one request and read its whole response; its status code. Raises `HTTPError`."""
        exchange = self._exchange(method, path, body, headers or {})
        try:
            return await asyncio.wait_for(exchange, self.timeout)
        except TimeoutError as error:
            raise HTTPError("TimeoutError") from error
        except (OSError, EOFError, asyncio.LimitOverrunError, ValueError) as error:
            raise HTTPError(f"{type(error).__name__}: {error}") from error

    async def _exchange(
        self, method: str, path: str, body: bytes, headers: Mapping[str, str]
    ) -> int:
        connection = self._idle.pop() if self._idle else await self._open()
        kept = False
        try:
            lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            if body or method in ("POST", "PUT", "PATCH"):
                lines.append(f"Content-Length: {len(body)}")
            connection.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            status, keep_alive = await _read_response(connection.reader)
            kept = keep_alive
            return status
        finally:
            if kept:
                self._idle.append(connection)
            else:
                # A failed, timed-out or closing exchange leaves the connection unusable.
                connection.close()

    async def _open(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.opened += 1
        return _Connection(reader, writer)

    async def aclose(self) -> None:
        while self._idle:
            connection = self._idle.pop()
            connection.close()
            await connection.writer.wait_closed()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    # The status code and whether the connection stays open, after reading the whole body.
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status_line, *header_lines = head.split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    fields: dict[str, str] = {}
    for line in header_lines:
        if ":" in line:
            name, value = line.split(":", 1)
            fields[name.strip().lower()] = value.strip().lower()
    if "chunked" in fields.get("transfer-encoding", ""):
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(fields.get("content-length", "0")))
    return status, fields.get("connection") != "close"
