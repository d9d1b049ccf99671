"""Omron FINS over UDP and TCP: the transports and the driver.

The frames (layout, constants, end codes, builders and parsers) are
:mod:`.fins_frames`; this module sends them and waits for the answers.

FINS/TCP (port 9600 too) wraps each frame in a 16-byte header, all big-endian::

    "FINS" (4) | length of what follows this field (4) | command (4) | error code (4)

    command 0: client -> server node address request, data: client node (4; 0 = assign one)
    command 1: server -> client, data: client node (4), server node (4)
    command 2: FINS frame send (either way), data: a FINS frame (:mod:`.fins_frames`)

The handshake (0, then 1) comes first; the client node it assigns goes into
the frames' SA1 (DA1 stays ``fins_node``). A node outside 1..254, or a length
field beyond the 2,020 bytes of the longest frame, is refused at once
(:class:`MalformedAnswer`, never buffered) and the link closed. Answers with
another service id (a late answer to a request that timed out) are skipped,
never taken for the current one. A request that gets no matching answer
within ``timeout`` is sent again ``retries`` times, then the PLC is
:class:`PlcUnreachable`.

Imports :mod:`scada_bridge.errors`, :mod:`.driver` and :mod:`.fins_frames`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable

from ..errors import PlcError, PlcRefused, PlcUnreachable, first_line
from .driver import Driver
from .fins_frames import (
    BIT_AREAS,
    DEFAULT_PORT,
    MAX_TCP_LENGTH,
    MAX_WORDS,
    MEMORY_AREA_READ,
    MEMORY_AREA_WRITE,
    NODES,
    PROTOCOL,
    TCP_ERRORS,
    TCP_FRAME,
    TCP_HEADER,
    TCP_MAGIC,
    TCP_NODE_ANSWER,
    TCP_NODE_REQUEST,
    MalformedAnswer,
    OtherAnswer,
    default_node,
    default_source_node,
    end_code_hint,
    parse_response,
    read_request,
    tcp_frame,
    words_of,
    write_request,
)

_logger = logging.getLogger(__name__)


# -- transports ------------------------------------------------------------------


class _Transport:
    """Sends one FINS frame and hands back every frame that arrives."""

    destination: int
    source: int

    async def open(self) -> None:
        raise NotImplementedError

    def send(self, frame: bytes) -> None:
        raise NotImplementedError

    async def receive(self) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _Udp(_Transport, asyncio.DatagramProtocol):
    def __init__(self, host: str, port: int, destination: int, source: int) -> None:
        self.host, self.port = host, port
        self.destination, self.source = destination, source
        self._frames: asyncio.Queue[bytes] = asyncio.Queue()
        self._transport: asyncio.DatagramTransport | None = None
        self._error: OSError | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: self, remote_addr=(self.host, self.port)
        )

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._frames.put_nowait(data)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable arrives here on Linux: nothing listens at host:port.
        self._error = exc if isinstance(exc, OSError) else OSError(str(exc))
        self._frames.put_nowait(b"")

    def send(self, frame: bytes) -> None:
        assert self._transport is not None
        self._transport.sendto(frame)

    async def receive(self) -> bytes:
        frame = await self._frames.get()
        if not frame and self._error is not None:
            error, self._error = self._error, None
            raise error
        return frame

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None


class _Tcp(_Transport):
    def __init__(self, host: str, port: int, destination: int, source: int) -> None:
        self.host, self.port = host, port
        self.destination, self.source = destination, source
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._writer.write(tcp_frame(TCP_NODE_REQUEST, self.source.to_bytes(4, "big")))
        command, data = await self._message()
        if command != TCP_NODE_ANSWER or len(data) < 8:
            raise MalformedAnswer(
                f"FINS/TCP handshake answered with command {command} and {len(data)} bytes "
                "instead of the node addresses (command 1, 8 bytes)"
            )
        # Frames must carry the node the server assigned us; the destination stays the
        # configured PLC node (the server's own node is the Ethernet unit's).
        client = int.from_bytes(data[0:4], "big")
        if client not in NODES:
            raise MalformedAnswer(
                f"FINS/TCP handshake assigned client node {client}, outside 1..254: check the "
                "FINS/TCP settings of the PLC's Ethernet unit (automatic node allocation)"
            )
        self.source = client
        self.server_node = int.from_bytes(data[4:8], "big")

    async def _message(self) -> tuple[int, bytes]:
        assert self._reader is not None
        head = await self._reader.readexactly(TCP_HEADER.size)
        magic, length, command, error = TCP_HEADER.unpack(head)
        if magic != TCP_MAGIC or length < 8:
            raise MalformedAnswer(f"not a FINS/TCP server (header {head.hex()})")
        if length > MAX_TCP_LENGTH:  # refused at once, never buffered
            raise MalformedAnswer(
                f"FINS/TCP header declares {length} bytes, more than the {MAX_TCP_LENGTH} a "
                f"FINS frame can fill (header {head.hex()})"
            )
        data = await self._reader.readexactly(length - 8)
        if error:
            raise PlcRefused(
                f"FINS/TCP error {error}: {TCP_ERRORS.get(error, 'unknown error')}", code=error
            )
        return command, data

    def send(self, frame: bytes) -> None:
        assert self._writer is not None
        self._writer.write(tcp_frame(TCP_FRAME, frame))

    async def receive(self) -> bytes:
        while True:
            command, data = await self._message()
            if command == TCP_FRAME:
                return data

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._reader = None


# -- the driver --------------------------------------------------------------------


class FinsDriver(Driver):
    """One Omron PLC (CS/CJ/CP/NJ) over FINS/UDP or FINS/TCP."""

    protocol = PROTOCOL
    bit_areas = frozenset()  # the planner reads words; bits are cut from them

    def __init__(
        self,
        name: str,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        transport: str = "udp",
        node: int | None = None,
        source_node: int | None = None,
        max_words: int = MAX_WORDS,
        timeout: float = 1.0,
        retries: int = 0,
    ) -> None:
        super().__init__(name, host, port, timeout, retries)
        self.transport = transport
        self.node = default_node(host) if node is None else node
        # FINS/TCP: 0 asks the PLC to assign a node in the handshake.
        auto = 0 if transport == "tcp" else default_source_node(self.node)
        self.source_node = auto if source_node is None else source_node
        self.max_words = max_words
        self.max_bits = max_words * 16
        self._link: _Transport | None = None
        self._sid = 0
        self._lock = asyncio.Lock()

    @property
    def where(self) -> str:
        return (
            f"PLC {self.name!r} at {self.host}:{self.port} "
            f"(FINS/{self.transport.upper()} node {self.node})"
        )

    @property
    def nodes(self) -> str:
        """``node 1 <- 254``: the PLC's node and ours, as used in the frames."""
        link = self._link
        if link is None:
            return f"node {self.node}, source node {self.source_node}"
        return f"node {link.destination}, source node {link.source}"

    async def connect(self) -> None:
        if self._link is not None:
            return
        make = _Tcp if self.transport == "tcp" else _Udp
        link = make(self.host, self.port, self.node, self.source_node)
        try:
            await asyncio.wait_for(link.open(), self.timeout + 1)
        except PlcError:
            link.close()
            raise
        except socket.gaierror:
            link.close()
            raise PlcUnreachable(f"host {self.host!r} of {self.where} does not resolve") from None
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
            link.close()
            raise PlcUnreachable(
                f"no FINS/{self.transport.upper()} connection to {self.host}:{self.port} "
                f"within {self.timeout:g} s ({first_line(exc)}): PLC "
                "off, wrong host/port, or a firewall"
            ) from None
        self._link = link

    def close(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None

    def _next_sid(self) -> int:
        self._sid = self._sid % 255 + 1
        return self._sid

    async def _request(
        self, what: str, command: bytes, build: Callable[[int, int, int], bytes]
    ) -> bytes:
        async with self._lock:
            for _attempt in range(self.retries + 1):
                await self.connect()
                link = self._link
                assert link is not None
                sid = self._next_sid()
                link.send(build(link.destination, link.source, sid))
                try:
                    return await asyncio.wait_for(self._answer(link, sid, command), self.timeout)
                except asyncio.TimeoutError:
                    _logger.debug("%s: no answer to %s (service id %d)", self.where, what, sid)
                    if self.transport == "tcp":
                        self.close()  # a late answer must not be read as the next one's
                except MalformedAnswer as exc:
                    self.close()  # the bytes after these cannot be trusted
                    raise PlcRefused(
                        f"{self.where} answered {what} with bytes that are not FINS ({exc}): "
                        "check host, port and fins_transport (another service may listen there)"
                    ) from None
                except PlcRefused as exc:
                    raise PlcRefused(
                        f"{self.where} answered {what} with end code {exc}: "
                        f"{end_code_hint(exc.code)}",
                        code=exc.code,
                    ) from None
                except (OSError, asyncio.IncompleteReadError) as exc:
                    self.close()
                    raise PlcUnreachable(
                        f"{what} at {self.host}:{self.port} failed: "
                        f"{first_line(exc)} (PLC off, wrong host/port, "
                        "or a firewall)"
                    ) from None
            self.close()
            raise PlcUnreachable(
                f"no answer on FINS/{self.transport.upper()} {self.host}:{self.port} to {what} "
                f"within {self.timeout:g} s x {self.retries + 1}: wrong IP, FINS node "
                f"(fins_node = {self.node}) or a firewall"
            )

    async def _answer(self, link: _Transport, sid: int, command: bytes) -> bytes:
        while True:
            frame = await link.receive()
            try:
                return parse_response(frame, sid, command)
            except OtherAnswer as exc:
                _logger.debug("%s: skipped an answer: %s", self.where, exc)

    async def read_words(self, area: str, address: int, count: int) -> list[int]:
        what = f"reading {area} {address}..{address + count - 1}"
        data = await self._request(
            what,
            MEMORY_AREA_READ,
            lambda dst, src, sid: read_request(dst, src, sid, area, address, count),
        )
        return words_of(data, count)

    async def read_bits(self, area: str, address: int, count: int) -> list[bool]:
        """Bits ``address`` (word * 16 + bit: CIO 10.03 is 163) onwards, read as words."""
        if area not in BIT_AREAS:
            raise PlcRefused(f"{self.where}: bits are read from {', '.join(BIT_AREAS)}, not {area}")
        first, last = address // 16, (address + count - 1) // 16
        words = await self.read_words(area, first, last - first + 1)
        bits = [bool(w >> b & 1) for w in words for b in range(16)]
        return bits[address - first * 16 : address - first * 16 + count]

    async def write_word(self, area: str, address: int, value: int) -> None:
        await self._request(
            f"writing {value} to {area} {address}",
            MEMORY_AREA_WRITE,
            lambda dst, src, sid: write_request(dst, src, sid, area, address, [value]),
        )
