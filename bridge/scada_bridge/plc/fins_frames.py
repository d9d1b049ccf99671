"""Omron FINS frames: constants, end codes, request builders and answer parsers.

No I/O here: what the configuration loader, the simulator, the doctor and the
driver (:mod:`.fins`, the UDP and TCP transports) share. Written from Omron's
public *FINS Commands Reference Manual* (W342); no FINS library on the
registries is both maintained and compatibly licensed.

FINS frame (UDP datagram, or the data of a FINS/TCP "FINS frame send")::

    offset  bytes  field  value here
    0       1      ICF    0x80 command, response required (an answer has 0xC0)
    1       1      RSV    0x00
    2       1      GCT    0x02 gateway count
    3       1      DNA    0x00 destination network (local)
    4       1      DA1    destination node (``fins_node``; default: last octet of host)
    5       1      DA2    0x00 destination unit (CPU)
    6       1      SNA    0x00 source network (local)
    7       1      SA1    source node (``fins_source_node``; FINS/TCP: from the handshake)
    8       1      SA2    0x00 source unit
    9       1      SID    service id, 1..255 per request; the answer must carry it back
    10      2      MRC SRC command: 01 01 memory area read, 01 02 memory area write
    12      ...    parameters

    memory area read  01 01: area code (1), word address (2), bit 00 (1), count (2)
    memory area write 01 02: area code (1), word address (2), bit 00 (1), count (2),
                             then count words, high byte first
    answer: header (10), MRC SRC (2), end code (2: MRES SRES, 0000 = normal), data

    word area codes (CS/CJ/CP/NJ): DM 82, CIO B0, W B1, H B2, A B3
    (30/31/32 are the *bit* codes of CIO/W/H: bits are read here as words).

End code: bit 7 of MRES says a relay (network) error happened; bits 7 and 6 of
SRES flag a fatal / non-fatal CPU error while the command itself completed.
Those flags are masked before the code is looked up (``0x0040`` still brings
data). Every other code becomes a one-line :class:`PlcRefused`, e.g.
``1103 address range exceeded``.

FINS/TCP wraps each frame in a 16-byte header, all big-endian (:func:`tcp_frame`)::

    "FINS" (4) | length of what follows this field (4) | command (4) | error code (4)

Imports only :mod:`scada_bridge.errors`: ``config`` imports the constants below,
and loading a configuration opens no socket.
"""

from __future__ import annotations

import ipaddress
import struct

from ..errors import PlcRefused

PROTOCOL = "fins"
DEFAULT_PORT = 9600
TRANSPORTS = ("udp", "tcp")

#: Word area codes (W342, CS/CJ/CP/NJ memory area designations).
AREA_CODES = {"DM": 0x82, "CIO": 0xB0, "W": 0xB1, "H": 0xB2, "A": 0xB3}
AREAS = tuple(AREA_CODES)
#: Areas whose single bits a condition may read (through word reads).
BIT_AREAS = ("CIO", "W", "H")
#: Words of each area on a CS1/CJ2 CPU (D0-D32767, CIO 0-6143, W0-W511, H0-H1535, A0-A959).
AREA_WORDS = {"DM": 32768, "CIO": 6144, "W": 512, "H": 1536, "A": 960}
#: Most words one memory area read may return (older CPUs: less, ``fins_max_words``).
MAX_WORDS = 999

MEMORY_AREA_READ = b"\x01\x01"
MEMORY_AREA_WRITE = b"\x01\x02"
ICF_COMMAND = 0x80
ICF_RESPONSE = 0x40  # bit 6 set in every answer
GCT = 0x02
HEADER = struct.Struct(">BBBBBBBBBB")

#: Longest FINS frame, 2,012 bytes (W421 7-4): an answer's header, command and end code,
#: then at most 1,998 bytes of data (the 999 words of :data:`MAX_WORDS`).
MAX_FRAME = 2012
#: FINS node addresses on an Ethernet network (W421 7-4: 1 to 254).
NODES = range(1, 255)

TCP_MAGIC = b"FINS"
TCP_HEADER = struct.Struct(">4sIII")
#: Largest FINS/TCP length field: command and error code (8) plus the longest frame.
MAX_TCP_LENGTH = 8 + MAX_FRAME
TCP_NODE_REQUEST = 0
TCP_NODE_ANSWER = 1
TCP_FRAME = 2

#: End codes (MRES SRES, flags masked) and their meaning, from W342 section 5.
END_CODES = {
    0x0000: "normal completion",
    0x0001: "service canceled",
    0x0101: "local node not in network",
    0x0102: "token timeout",
    0x0103: "retries failed",
    0x0104: "too many send frames",
    0x0105: "node address range error",
    0x0106: "node address duplication",
    0x0201: "destination node not in network",
    0x0202: "unit missing",
    0x0203: "third node missing",
    0x0204: "destination node busy",
    0x0205: "response timeout",
    0x0301: "communications controller error",
    0x0302: "CPU unit error",
    0x0303: "controller error",
    0x0304: "unit number error",
    0x0401: "command not supported",
    0x0402: "command not supported by this model or version",
    0x0501: "destination address setting error",
    0x0502: "no routing tables",
    0x0503: "routing table error",
    0x0504: "too many relays",
    0x1001: "command too long",
    0x1002: "command too short",
    0x1003: "elements and data do not match",
    0x1004: "command format error",
    0x1005: "header error",
    0x1101: "area does not exist",
    0x1102: "access size error",
    0x1103: "address range exceeded",
    0x1104: "address range exceeded (runs past the end of the area)",
    0x1106: "program missing",
    0x1109: "relational error",
    0x110A: "duplicate data access",
    0x110B: "response too long",
    0x110C: "parameter error",
    0x2002: "protected",
    0x2003: "table missing",
    0x2004: "data missing",
    0x2005: "program missing",
    0x2006: "file missing",
    0x2007: "data mismatch",
    0x2101: "read only",
    0x2102: "protected: cannot write data link table",
    0x2103: "cannot register",
    0x2105: "program missing",
    0x2106: "file missing",
    0x2107: "file name already exists",
    0x2108: "cannot change",
    0x2201: "not possible during execution",
    0x2202: "not possible while running",
    0x2203: "wrong PLC mode (PROGRAM)",
    0x2204: "wrong PLC mode (DEBUG)",
    0x2205: "wrong PLC mode (MONITOR)",
    0x2206: "wrong PLC mode (RUN)",
    0x2207: "specified node not polling node",
    0x2208: "step cannot be executed",
    0x2301: "file device missing",
    0x2302: "memory missing",
    0x2303: "clock missing",
    0x2401: "table missing",
    0x2502: "memory error",
    0x2503: "I/O setting error",
    0x2504: "too many I/O points",
    0x2505: "CPU bus error",
    0x2506: "I/O duplication",
    0x2507: "I/O bus error",
    0x250A: "CPU bus unit error",
    0x250F: "memory error",
    0x2601: "no protection",
    0x2602: "incorrect password",
    0x2604: "protected",
    0x2605: "service already executing",
    0x2606: "service stopped",
    0x2607: "no execution right",
    0x2608: "settings not complete",
    0x2609: "necessary items not set",
    0x3001: "no access right",
    0x4001: "service aborted",
}

#: FINS/TCP header error codes (the server's answer to a bad frame or handshake).
TCP_ERRORS = {
    0x01: "the header is not 'FINS'",
    0x02: "data length too long",
    0x03: "command not supported",
    0x20: "all connections are in use",
    0x21: "the specified node is already connected",
    0x22: "attempt to access a protected node from an unspecified IP address",
    0x23: "the client FINS node address is out of range",
    0x24: "the client and the server use the same FINS node address",
    0x25: "all node addresses available for allocation are in use",
}


def end_code_text(code: int) -> str:
    """``0x1103`` -> ``"1103 address range exceeded"``."""
    return f"{code:04X} {END_CODES.get(code, 'unknown end code')}"


def end_code_hint(code: int) -> str:
    """What to do about an end code, by its main code (W342 section 5)."""
    main = code >> 8
    if main == 0x11:
        return "check area and address in the configuration against the PLC's memory map"
    if main == 0x04:
        return "the device does not take FINS memory area commands: check the PLC model"
    if main in (0x01, 0x02, 0x05):
        return "check fins_node and the PLC's FINS node and routing settings"
    if main in (0x20, 0x21, 0x22, 0x26, 0x30):
        return "check the PLC's operating mode and its write protection"
    return "see the PLC's error log (Omron W342 lists every end code)"


def default_node(host: str) -> int:
    """The PLC's node number when ``fins_node`` is not set: the last octet of its IP."""
    try:
        return int(ipaddress.IPv4Address(host).packed[3])
    except ValueError:
        return 0  # a host name: the config loader asks for fins_node


def default_source_node(destination: int) -> int:
    """A source node in 1..254 that differs from the PLC's node (254, or 253)."""
    return 254 if destination != 254 else 253


# -- frames --------------------------------------------------------------------


def header(destination: int, source: int, sid: int, *, response: bool = False) -> bytes:
    """The 10-byte FINS header (network and unit 0 on both sides)."""
    icf = ICF_COMMAND | ICF_RESPONSE if response else ICF_COMMAND
    return HEADER.pack(icf, 0, GCT, 0, destination, 0, 0, source, 0, sid)


def _area(area: str) -> int:
    try:
        return AREA_CODES[area]
    except KeyError:
        raise PlcRefused(
            f"{area!r} is not a FINS word area (use one of {', '.join(AREAS)})"
        ) from None


def read_request(
    destination: int, source: int, sid: int, area: str, address: int, count: int
) -> bytes:
    """Memory area read (01 01) of ``count`` words of ``area`` from word ``address``."""
    return (
        header(destination, source, sid)
        + MEMORY_AREA_READ
        + struct.pack(">BHBH", _area(area), address, 0, count)
    )


def write_request(
    destination: int, source: int, sid: int, area: str, address: int, words: list[int]
) -> bytes:
    """Memory area write (01 02) of ``words`` into ``area`` from word ``address``."""
    data = b"".join((w & 0xFFFF).to_bytes(2, "big") for w in words)
    return (
        header(destination, source, sid)
        + MEMORY_AREA_WRITE
        + struct.pack(">BHBH", _area(area), address, 0, len(words))
        + data
    )


class OtherAnswer(Exception):
    """A well-formed answer that is not the one awaited (another service id or command)."""


class MalformedAnswer(PlcRefused):
    """Bytes that are not a FINS answer: a frame too short, a FINS/TCP header that is not
    one (magic, a length beyond :data:`MAX_TCP_LENGTH`), a handshake assigning a node
    outside :data:`NODES`. Nothing after them can be trusted: the driver closes the link."""


def parse_response(frame: bytes, sid: int, command: bytes) -> bytes:
    """The data of the answer to request ``sid``; raises :class:`OtherAnswer` for another
    request's answer, :class:`PlcRefused` for an error end code or a malformed frame."""
    if len(frame) < 14:
        raise MalformedAnswer(f"FINS answer too short ({len(frame)} bytes): {frame.hex()}")
    if not frame[0] & ICF_RESPONSE:
        raise OtherAnswer(f"not an answer (ICF {frame[0]:02X})")
    if frame[9] != sid:
        raise OtherAnswer(f"service id {frame[9]} while waiting for {sid}")
    if frame[10:12] != command:
        raise OtherAnswer(f"command {frame[10:12].hex()} while waiting for {command.hex()}")
    code = int.from_bytes(frame[12:14], "big") & 0x7F3F  # relay and CPU error flags off
    if code:
        raise PlcRefused(end_code_text(code), code=code)
    return frame[14:]


def words_of(data: bytes, count: int) -> list[int]:
    if len(data) < 2 * count:
        raise PlcRefused(f"FINS answer holds {len(data) // 2} words, {count} were asked")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, 2 * count, 2)]


def tcp_frame(command: int, data: bytes, error: int = 0) -> bytes:
    """A FINS/TCP message: the 16-byte header, then ``data``."""
    return TCP_HEADER.pack(TCP_MAGIC, 8 + len(data), command, error) + data
