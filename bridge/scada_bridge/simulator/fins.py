"""Simulated Omron PLCs over FINS/UDP and FINS/TCP (the same port for both, 9600 by default).

Each PLC holds the word areas DM, CIO, W, H and A at their CS1/CJ2 sizes; any
FINS client reads them (memory area read, 01 01) and writes them (memory area
write, 01 02), so a test or a person sets a failure with an ordinary FINS
write. Several PLCs may share a port: a request goes to the PLC whose
``fins_node`` is the frame's destination node (DA1); a frame for a node nobody
has is dropped, as a real Ethernet unit does, so the client times out. Like a
CS/CJ CPU, A0-A447 are read-only (end code 2101), an address outside an area
answers 1103/1104 and any other command 0401.

Imports ``plc.fins_frames`` (the frame layout and constants) and ``errors``.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from array import array
from collections.abc import Sequence

from ..plc.fins_frames import (
    AREA_CODES,
    AREA_WORDS,
    GCT,
    HEADER,
    ICF_COMMAND,
    ICF_RESPONSE,
    MAX_WORDS,
    MEMORY_AREA_READ,
    MEMORY_AREA_WRITE,
    TCP_FRAME,
    TCP_HEADER,
    TCP_MAGIC,
    TCP_NODE_ANSWER,
    TCP_NODE_REQUEST,
    tcp_frame,
)

_logger = logging.getLogger(__name__)

_AREA_BY_CODE = {code: name for name, code in AREA_CODES.items()}
#: A0..A447 are read-only on CS/CJ CPUs.
A_READ_ONLY = 448


class FinsMemory:
    """The word areas of one simulated Omron PLC."""

    def __init__(self, node: int) -> None:
        self.node = node
        self.areas = {name: array("H", bytes(2 * size)) for name, size in AREA_WORDS.items()}

    def read(self, area: str, address: int, count: int) -> list[int]:
        return list(self.areas[area][address : address + count])

    def write(self, area: str, address: int, words: Sequence[int]) -> None:
        self.areas[area][address : address + len(words)] = array("H", [w & 0xFFFF for w in words])


def _answer(request: bytes, end: int, data: bytes = b"") -> bytes:
    """The answer to ``request``: header with source and destination swapped."""
    _icf, _rsv, _gct, dna, da1, da2, sna, sa1, sa2, sid = HEADER.unpack(request[:10])
    head = HEADER.pack(ICF_COMMAND | ICF_RESPONSE, 0, GCT, sna, sa1, sa2, dna, da1, da2, sid)
    return head + request[10:12] + end.to_bytes(2, "big") + data


def handle(memories: dict[int, FinsMemory], request: bytes) -> bytes | None:
    """The answer to one FINS frame, or None when no simulated PLC would answer."""
    if len(request) < 12 or request[0] & ICF_RESPONSE:
        return None
    memory = memories.get(request[4])
    if memory is None:
        return None
    command = request[10:12]
    if command not in (MEMORY_AREA_READ, MEMORY_AREA_WRITE):
        return _answer(request, 0x0401)
    if len(request) < 18:
        return _answer(request, 0x1002)  # command too short
    code, address, bit, count = struct.unpack(">BHBH", request[12:18])
    area = _AREA_BY_CODE.get(code)
    if area is None:
        return _answer(request, 0x1101)
    size = AREA_WORDS[area]
    if bit or address >= size or not 1 <= count <= MAX_WORDS:
        return _answer(request, 0x1103)
    if address + count > size:
        return _answer(request, 0x1104)
    if command == MEMORY_AREA_READ:
        words = memory.read(area, address, count)
        return _answer(request, 0, b"".join(w.to_bytes(2, "big") for w in words))
    data = request[18:]
    if len(data) != 2 * count:
        return _answer(request, 0x1003)
    if area == "A" and address < A_READ_ONLY:
        return _answer(request, 0x2101)
    memory.write(
        area, address, [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    )
    return _answer(request, 0)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: FinsServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        asyncio.ensure_future(self._reply(data, addr))

    async def _reply(self, data: bytes, addr: tuple[str, int]) -> None:
        answer = await self.server.answer(data)
        if answer is not None and self.transport is not None:
            self.transport.sendto(answer, addr)


class FinsServer:
    """FINS/UDP and FINS/TCP on one port, for the PLCs (by node) that share it."""

    def __init__(self, memories: dict[int, FinsMemory], delay: float = 0.0) -> None:
        self.memories = memories
        self.delay = delay
        self.requests = 0
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._assigned: set[int] = set()
        self._connections: set[asyncio.StreamWriter] = set()

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(
            lambda: _Udp(self), local_addr=(host, port)
        )
        try:
            self._tcp = await asyncio.start_server(self._client, host, port)
        except OSError:
            self._udp.close()
            raise

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            for writer in list(self._connections):
                writer.close()
            await self._tcp.wait_closed()

    async def answer(self, request: bytes) -> bytes | None:
        self.requests += 1
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        return handle(self.memories, request)

    def _assign(self, wanted: int, server_node: int) -> int:
        if wanted:
            return wanted
        for node in range(239, 0, -1):  # automatic allocation, from the top
            if node != server_node and node not in self._assigned and node not in self.memories:
                self._assigned.add(node)
                return node
        return 0

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        server_node = next(iter(self.memories))
        client_node = 0
        try:
            while True:
                head = await reader.readexactly(TCP_HEADER.size)
                magic, length, command, _error = TCP_HEADER.unpack(head)
                if magic != TCP_MAGIC:
                    writer.write(tcp_frame(command, b"", error=0x01))
                    break
                data = await reader.readexactly(length - 8) if length > 8 else b""
                if command == TCP_NODE_REQUEST:
                    client_node = self._assign(int.from_bytes(data[:4], "big"), server_node)
                    writer.write(
                        tcp_frame(
                            TCP_NODE_ANSWER,
                            client_node.to_bytes(4, "big") + server_node.to_bytes(4, "big"),
                        )
                    )
                elif command == TCP_FRAME:
                    answer = await self.answer(data)
                    if answer is not None:
                        writer.write(tcp_frame(TCP_FRAME, answer))
                else:
                    writer.write(tcp_frame(command, b"", error=0x03))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._assigned.discard(client_node)
            self._connections.discard(writer)
            writer.close()
