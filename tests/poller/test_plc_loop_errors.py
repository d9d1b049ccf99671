"""No exception of any type ends a PLC's poll loop (issue 18.7).

A FINS/TCP handshake assigning node 300 made ``struct.pack`` raise
``struct.error`` out of ``PlcLoop.run``: the task ended, the status kept its
last value, nothing was logged, and that PLC was never polled again. Now a
poll that fails in any way is counted in ``scada.plc_status`` (state 'error',
consecutive failures, last error), logged once with the PLC's name (then at
debug level while it repeats) and retried with backoff.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import struct
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scada_bridge.config import load
from scada_bridge.plc.fins_frames import tcp_frame
from scada_bridge.poller.plc_loop import PlcLoop
from scada_bridge.store.plc_status import PlcStatus

from tests.plc.hostile import HostileTcp
from tests.poller_fixtures import Running, config_text, rows, wait_until

FINS_TCP_PLC = """
[[plc]]
name = "omron1"
protocol = "fins"
fins_transport = "tcp"
fins_node = 1
host = "127.0.0.1"
port = {port}
interval = 0.02
timeout = 0.2

  [[plc.condition]]
  equipment = "silo101"
  failure_code = "START_FAILURE"
  description = "motor did not start"
  area = "CIO"
  address = 10
  when = "bit"
  bit = 3
"""

_NODE_300 = tcp_frame(1, (300).to_bytes(4, "big") + (1).to_bytes(4, "big"))


def _status(uri):
    return rows(
        uri,
        "SELECT state, consecutive_failures, last_error FROM scada.plc_status"
        " WHERE device = 'omron1'",
    )


def test_a_fins_tcp_handshake_assigning_node_300_is_counted_in_plc_status(
    tmp_path, scada_uri, caplog
):
    """Before: struct.error ended the loop silently; the row stayed 'unknown'."""
    caplog.set_level(logging.DEBUG, logger="scada_bridge")

    async def scenario():
        async with HostileTcp(lambda request, n: _NODE_300 if n == 0 else None) as peer:
            path = tmp_path / "plant.toml"
            path.write_text(
                config_text(scada_uri, tmp_path / "state", FINS_TCP_PLC.format(port=peer.port))
            )
            async with Running(load(path)):
                found = await wait_until(
                    lambda: [r for r in _status(scada_uri) if r[0] == "error" and r[1] >= 3],
                    timeout=20,
                    what="3 failed polls in scada.plc_status",
                )
                (task,) = [t for t in asyncio.all_tasks() if t.get_name() == "omron1"]
                assert not task.done(), "the PLC's loop ended"
                await wait_until(lambda: peer.connections >= 4, timeout=20, what="retries")
                return found

    ((state, failures, error),) = asyncio.run(scenario())
    assert error == "FINS/TCP handshake assigned client node 300, outside 1..254: check the " + (
        "FINS/TCP settings of the PLC's Ethernet unit (automatic node allocation)"
    )
    said = [r for r in caplog.records if "node 300" in r.getMessage()]
    loud = [r.getMessage() for r in said if r.levelno >= logging.WARNING]
    assert len(loud) == 1, loud  # said once ...
    assert loud[0].startswith("PLC 'omron1' at 127.0.0.1:")  # ... with the PLC's name
    assert loud[0].endswith(
        f"(FINS/TCP node 1) is error: {error}; retrying with backoff up to 0.2 s"
    )
    assert len(said) > len(loud), "the repeats are at debug level"


# -- any exception, from the driver or from handling a poll --------------------------


class _Writer:
    def submit(self, events, *, durable=False):
        return None


class _Driver:
    """Raises ``exc`` for the first ``failures`` reads, then reads zeros."""

    bit_areas = frozenset()
    max_words = max_bits = 999

    def __init__(self, exc: Exception, failures: int) -> None:
        self.exc, self.failures, self.reads = exc, failures, 0

    async def read_words(self, area, address, count):
        self.reads += 1
        if self.reads <= self.failures:
            raise self.exc
        return [0] * count

    def close(self):
        pass


def _plc(tmp_path, port=9600):
    path = tmp_path / "plant.toml"
    path.write_text(
        config_text("dbname=unused", tmp_path / "state", FINS_TCP_PLC.format(port=port))
    )
    return load(path).plcs[0]


def _loop(plc) -> PlcLoop:
    status = PlcStatus(plc.name, plc.host, plc.port)
    return PlcLoop(plc, _Writer(), status, {}, backoff_initial=0.01, backoff_max=0.04)


async def _run_until(loop: PlcLoop, done, timeout: float = 10.0) -> asyncio.Task:
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    deadline = time.monotonic() + timeout
    try:
        while not done():
            assert not task.done(), f"the loop ended: {task.exception()!r}"
            assert time.monotonic() < deadline, "condition not reached in time"
            await asyncio.sleep(0.005)
        assert not task.done()
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    return task


class _Odd(Exception):
    """An exception type nobody catches by name."""


@pytest.mark.parametrize(
    "exc,named",
    [
        (struct.error("ubyte format requires 0 <= number <= 255"), "struct.error"),
        (KeyError("CIO"), "KeyError"),
        (ZeroDivisionError("division by zero"), "ZeroDivisionError"),
        (OverflowError("date value out of range"), "OverflowError"),
        (_Odd("odd"), f"{__name__}._Odd"),
    ],
)
def test_any_exception_from_the_driver_is_counted_logged_once_and_retried(
    tmp_path, caplog, exc, named
):
    caplog.set_level(logging.DEBUG, logger="scada_bridge")
    loop = _loop(_plc(tmp_path))
    loop.driver = driver = _Driver(exc, failures=4)
    seen = []

    def recovered():
        seen.append((loop.status.state, loop.status.consecutive_failures))
        return loop.cycles >= 2

    asyncio.run(_run_until(loop, recovered))
    assert ("error", 4) in seen, seen  # counted: every failed poll, state 'error'
    assert loop.status.state == "ok" and loop.status.consecutive_failures == 0
    assert driver.reads >= 6
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1, [r.getMessage() for r in errors]  # once, not once per poll
    message = errors[0].getMessage()
    assert message.startswith(
        f"PLC 'omron1' at 127.0.0.1:9600 (FINS/TCP node 1): unexpected {named} polling"
    )
    assert errors[0].exc_info is not None  # the traceback of the bug, once
    repeats = [r for r in caplog.records if r.getMessage().endswith("(again)")]
    assert len(repeats) == 3 and all(r.levelno == logging.DEBUG for r in repeats)
    assert any("is ok again after 4 failed poll(s)" in r.getMessage() for r in caplog.records)


def test_a_failure_handling_good_polls_stays_one_error_state_not_a_flapping_one(
    tmp_path, caplog, monkeypatch
):
    """A bug after the read (conditions, mailbox) counts like a failed poll: the state
    stays 'error' with the failures counting up, not ok/error at every poll."""
    caplog.set_level(logging.INFO, logger="scada_bridge")
    loop = _loop(_plc(tmp_path))
    loop.driver = _Driver(RuntimeError("unused"), failures=0)

    async def broken(snapshot):
        raise ValueError("bad snapshot")

    monkeypatch.setattr(loop, "_conditions", broken)
    asyncio.run(_run_until(loop, lambda: loop.status.consecutive_failures >= 4))
    assert loop.status.state == "error"
    assert loop.status.last_error == "unexpected ValueError handling a poll: bad snapshot"
    messages = [r.getMessage() for r in caplog.records]
    assert not any("is ok" in m for m in messages), messages
    assert sum("unexpected ValueError" in m for m in messages) == 1


# -- a PlcLoop against a hostile peer --------------------------------------------------


@st.composite
def _hostile_answers(draw):
    """What the peer says at each connection: a node of any size, a length of any size,
    or junk; a connection closes after its answers."""
    node = draw(st.integers(0, 2**32 - 1))
    handshake = tcp_frame(1, node.to_bytes(4, "big") + (1).to_bytes(4, "big"))
    length = draw(st.integers(0, 2**32 - 1))
    frame = struct.pack(">4sIII", b"FINS", length, 2, 0) + draw(st.binary(max_size=24))
    junk = draw(st.binary(max_size=24))
    return draw(
        st.lists(
            st.sampled_from([[handshake, frame], [junk], [handshake, junk]]), min_size=1, max_size=4
        )
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(_hostile_answers())
def test_a_plc_loop_against_a_hostile_fins_tcp_peer_stays_alive_and_reports(tmp_path, answers):
    plc = _plc(tmp_path)

    async def scenario():
        connection = {}

        def answer(request: bytes, number: int):
            if number == 0:
                connection["n"] = connection.get("n", -1) + 1
            script = answers[connection["n"] % len(answers)]
            return script[number] if number < len(script) else None

        async with HostileTcp(answer, idle=0.1) as peer:
            loop = _loop(dataclasses.replace(plc, port=peer.port, timeout=0.05))
            await _run_until(loop, lambda: peer.connections >= 4)
            return loop.status

    status = asyncio.run(scenario())
    assert status.state in ("error", "unreachable") and status.consecutive_failures >= 3
    assert status.last_error and "\n" not in status.last_error
