"""The drivers against hostile peers: whatever bytes come back, only a PlcError (issue 18.7).

Each example starts a tiny server on 127.0.0.1 (:mod:`tests.plc.hostile`) that
answers the driver's request with bytes Hypothesis draws: anything at all, or a
frame echoing what the driver checks (service id, transaction id, command) with
every other field drawn, so the parsers behind those checks are reached too.
The driver must hand back well-formed values or raise the project's
:class:`~scada_bridge.errors.PlcError`; nothing else (``struct.error`` from a
FINS/TCP node of 300 used to escape), and never wait on a declared length it
cannot get (a FINS/TCP header declaring 4 GiB was buffered until the timeout).
"""

from __future__ import annotations

import asyncio
import struct
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scada_bridge.errors import PlcError, PlcRefused
from scada_bridge.plc.fins import FinsDriver
from scada_bridge.plc.fins_frames import MAX_TCP_LENGTH, tcp_frame
from scada_bridge.plc.modbus import ModbusDriver

from tests.plc.hostile import HostileTcp, HostileUdp

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Short enough that an example waiting for an answer that never comes costs 50 ms.
TIMEOUT = 0.05

_U8 = st.integers(0, 0xFF)
_U16 = st.integers(0, 0xFFFF)
_U32 = st.one_of(
    st.sampled_from([0, 1, 8, 16, 20, 2020, 2021, 0xFFFF, 2**31, 2**32 - 1]),
    st.integers(0, 2**32 - 1),
)
_JUNK = st.binary(max_size=48)


async def _call(driver, call: str, area: str, bit_area: str) -> None:
    """One driver call; a result must be well formed, a failure a PlcError."""
    try:
        if call == "read_words":
            words = await driver.read_words(area, 0, 3)
            assert len(words) == 3 and all(0 <= w <= 0xFFFF for w in words)
        elif call == "read_bits":
            bits = await driver.read_bits(bit_area, 3, 2)
            assert len(bits) == 2 and all(isinstance(b, bool) for b in bits)
        else:
            await driver.write_word(area, 10, 1)
    except PlcError as exc:
        assert "\n" not in str(exc), "one line"
    finally:
        driver.close()


_CALLS = st.sampled_from(["read_words", "read_bits", "write_word"])


# -- FINS ------------------------------------------------------------------------------


@st.composite
def _fins_answer(draw):
    """A FINS answer to a request: junk, or a frame echoing its service id and command
    (mostly) with ICF, end code, data and length drawn."""
    if draw(st.integers(0, 4)) == 0:
        junk = draw(_JUNK)
        return lambda request: junk
    icf = draw(st.one_of(st.just(0xC0), _U8))
    echo_sid, echo_command = draw(st.booleans()), draw(st.booleans())
    sid, command = draw(_U8), draw(st.binary(min_size=2, max_size=2))
    end = draw(st.one_of(st.sampled_from([0, 0x0040, 0x0080, 0x1103, 0x8000, 0x2101]), _U16))
    data = draw(st.binary(max_size=12))
    cut = draw(st.one_of(st.none(), st.integers(0, 20)))

    def answer(request: bytes) -> bytes:
        head = bytes([icf, 0, 2, 0, request[7] if len(request) > 7 else 0, 0, 0, 1, 0])
        head += bytes([request[9] if echo_sid and len(request) > 9 else sid])
        frame = head + (request[10:12] if echo_command else command) + end.to_bytes(2, "big")
        frame += data
        return frame if cut is None else frame[:cut]

    return answer


@FUZZ
@given(_fins_answer(), st.lists(_JUNK, max_size=2), _CALLS)
def test_fins_udp_answers_of_any_bytes_raise_only_plc_errors(answer, before, call):
    async def scenario():
        async with HostileUdp(lambda request, n: [*before, answer(request)]) as peer:
            driver = FinsDriver("hostile", "127.0.0.1", peer.port, node=1, timeout=TIMEOUT)
            await _call(driver, call, "DM", "CIO")

    asyncio.run(asyncio.wait_for(scenario(), 10))


@st.composite
def _tcp_message(draw, command: int, data: bytes):
    """A FINS/TCP message around ``data``: mostly well formed, any field possibly drawn."""
    magic = draw(st.one_of(st.just(b"FINS"), st.binary(min_size=4, max_size=4)))
    length = draw(st.one_of(st.just(8 + len(data)), _U32))
    command = draw(st.one_of(st.just(command), st.sampled_from([0, 1, 2, 3, 6]), _U32))
    error = draw(st.one_of(st.just(0), st.sampled_from([1, 2, 3, 0x21, 0x25]), _U32))
    return struct.pack(">4sIII", magic, length, command, error) + data


@st.composite
def _fins_tcp_peer(draw):
    """The handshake answer (a node of any size among others), then frame answers."""
    node = draw(st.one_of(st.sampled_from([0, 1, 2, 254, 255, 256, 300]), _U32))
    handshake = draw(
        st.one_of(
            _tcp_message(1, node.to_bytes(4, "big") + draw(st.binary(min_size=4, max_size=4))),
            _JUNK,
        )
    )
    frame = draw(_fins_answer())
    wrapped = draw(st.booleans())  # a well-formed FINS/TCP header around the frame, or any
    header = draw(_tcp_message(2, b""))
    return handshake, frame, wrapped, header


@FUZZ
@given(_fins_tcp_peer(), _CALLS)
def test_fins_tcp_handshakes_and_answers_of_any_bytes_raise_only_plc_errors(peer, call):
    handshake, frame, wrapped, header = peer

    def answer(request: bytes, number: int) -> bytes:
        if number == 0:
            return handshake
        reply = frame(request[16:])
        return tcp_frame(2, reply) if wrapped else header + reply

    async def scenario():
        # The peer closes once it has answered twice, or after 0.1 s without a request
        # (the driver waiting for bytes a declared length promised): never a long wait.
        async with HostileTcp(answer, script_end=2, idle=0.1) as server:
            driver = FinsDriver(
                "hostile", "127.0.0.1", server.port, transport="tcp", node=1, timeout=TIMEOUT
            )
            await _call(driver, call, "DM", "CIO")

    asyncio.run(asyncio.wait_for(scenario(), 10))


@pytest.mark.parametrize(
    "node,message",
    [
        (300, "FINS/TCP handshake assigned client node 300, outside 1..254"),
        (0, "FINS/TCP handshake assigned client node 0, outside 1..254"),
    ],
)
def test_a_fins_tcp_node_out_of_range_is_a_plc_refusal(node, message):
    """The node goes into every frame's one-byte SA1: 300 made struct.pack raise."""

    async def scenario():
        hello = tcp_frame(1, node.to_bytes(4, "big") + (1).to_bytes(4, "big"))
        async with HostileTcp(lambda request, n: hello if n == 0 else None) as server:
            driver = FinsDriver("p", "127.0.0.1", server.port, transport="tcp", timeout=2)
            try:
                with pytest.raises(PlcRefused, match=message):
                    await driver.read_words("DM", 0, 1)
            finally:
                driver.close()

    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_a_fins_tcp_length_beyond_a_fins_frame_is_refused_at_once():
    """A header declaring 4 GiB (or anything past 2,020 bytes) is refused when it arrives,
    not buffered until the timeout; the link is closed, the next request reconnects."""

    def answer(request: bytes, number: int) -> bytes | None:
        if number == 0:
            return tcp_frame(1, (5).to_bytes(4, "big") + (1).to_bytes(4, "big"))
        return struct.pack(">4sIII", b"FINS", 2**32 - 1, 2, 0) + b"\xc0" * 64

    async def scenario():
        async with HostileTcp(answer) as server:
            driver = FinsDriver("p", "127.0.0.1", server.port, transport="tcp", timeout=5)
            try:
                for _ in range(2):
                    started = time.monotonic()
                    with pytest.raises(PlcRefused) as caught:
                        await driver.read_words("DM", 0, 1)
                    assert time.monotonic() - started < 1.0, "refused at once"
            finally:
                driver.close()
            assert server.connections == 2  # closed after the bad header, opened again
            return str(caught.value)

    message = asyncio.run(asyncio.wait_for(scenario(), 20))
    assert f"declares {2**32 - 1} bytes, more than the {MAX_TCP_LENGTH}" in message
    assert "with bytes that are not FINS" in message and "check host, port" in message


# -- Modbus -----------------------------------------------------------------------------


@st.composite
def _modbus_answer(draw):
    """A Modbus TCP answer: junk, or an MBAP frame echoing the transaction id (mostly)
    with protocol, length, unit, function code and body drawn."""
    if draw(st.integers(0, 4)) == 0:
        junk = draw(_JUNK)
        return lambda request: junk
    echo_tid, tid = draw(st.booleans()), draw(_U16)
    protocol = draw(st.one_of(st.just(0), _U16))
    unit = draw(st.one_of(st.just(None), _U8))
    function = draw(st.one_of(st.just(None), st.sampled_from([1, 2, 3, 4, 6, 0x83, 0x86]), _U8))
    body = draw(st.binary(max_size=12))
    count = draw(st.one_of(st.none(), _U8))  # a byte count that lies, or none
    length = draw(st.one_of(st.none(), _U16))

    def answer(request: bytes) -> bytes:
        fc = request[7] if function is None and len(request) > 7 else (function or 0)
        pdu = bytes([fc]) + (bytes([count]) if count is not None else b"") + body
        unit_id = request[6] if unit is None and len(request) > 6 else (unit or 0)
        size = len(pdu) + 1 if length is None else length
        ident = request[0:2] if echo_tid and len(request) >= 2 else tid.to_bytes(2, "big")
        return ident + struct.pack(">HHB", protocol, size, unit_id) + pdu

    return answer


@FUZZ
@given(st.lists(_modbus_answer(), min_size=1, max_size=2), _CALLS)
def test_modbus_answers_of_any_bytes_raise_only_plc_errors(answers, call):
    async def scenario():
        def answer(request: bytes, number: int) -> list[bytes]:
            return [make(request) for make in answers]

        async with HostileTcp(answer, script_end=2, idle=0.1) as server:
            driver = ModbusDriver("hostile", "127.0.0.1", server.port, timeout=TIMEOUT)
            await _call(driver, call, "holding_register", "coil")

    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_a_modbus_answer_of_another_function_is_not_taken_for_the_values():
    """pymodbus hands back an input-register answer (function 4) to a holding-register
    read (function 3) with the same transaction id: its words are not the PLC's."""

    def answer(request: bytes, number: int) -> bytes:
        return request[0:4] + struct.pack(">HB", 7, request[6]) + bytes([4, 4, 0, 1, 0, 2])

    async def scenario():
        async with HostileTcp(answer) as server:
            driver = ModbusDriver("p", "127.0.0.1", server.port, timeout=1)
            try:
                with pytest.raises(PlcRefused) as caught:
                    await driver.read_words("holding_register", 0, 2)
            finally:
                driver.close()
            return str(caught.value)

    message = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert message.endswith(
        "answered reading holding_register 0..1 with function code 4 instead of 3: not a "
        "Modbus TCP device at this port, or a gateway mixing up answers"
    )
