"""Hostile PLC peers on 127.0.0.1: tiny asyncio servers that answer whatever a test says.

They stand for a device that is not the PLC the configuration names (another
service on the port, a broken gateway, a fuzzer): each request is answered
with bytes the test computes from it, so a test can echo the parts a driver
checks (service id, transaction id) and fill the rest with anything.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

#: What a peer sends for one request (the request's bytes, its number from 0):
#: bytes to send, or None to close the connection.
Answer = Callable[[bytes, int], "bytes | list[bytes] | None"]


class HostileTcp:
    """A TCP server answering every chunk it reads with ``answer(chunk, n)``. It closes a
    connection when an answer is None, after ``script_end`` answers, or when no request
    comes within ``idle`` seconds (a client waiting for bytes that never come)."""

    def __init__(
        self, answer: Answer, *, script_end: int | None = None, idle: float | None = None
    ) -> None:
        self.answer = answer
        self.script_end = script_end
        self.idle = idle
        self.connections = 0
        self.port = 0
        self._server: asyncio.AbstractServer | None = None

    async def __aenter__(self) -> HostileTcp:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            number = 0
            while self.script_end is None or number < self.script_end:
                try:
                    chunk = await asyncio.wait_for(reader.read(65536), self.idle)
                except asyncio.TimeoutError:
                    return
                if not chunk:
                    return
                reply = self.answer(chunk, number)
                number += 1
                if reply is None:
                    return
                for part in reply if isinstance(reply, list) else [reply]:
                    writer.write(part)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(OSError):
                writer.close()


class HostileUdp(asyncio.DatagramProtocol):
    """A UDP peer answering every datagram with the datagrams ``answer(request, n)`` makes."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests = 0
        self.port = 0
        self._transport: asyncio.DatagramTransport | None = None

    async def __aenter__(self) -> HostileUdp:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: self, local_addr=("127.0.0.1", 0)
        )
        self.port = self._transport.get_extra_info("sockname")[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._transport is not None
        self._transport.close()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.answer(data, self.requests)
        self.requests += 1
        assert self._transport is not None
        for part in reply if isinstance(reply, list) else [reply] if reply is not None else []:
            self._transport.sendto(part, addr)
