"""Debounce counted to the poll, for raises and for clears (issue 24).

A condition held one poll short of its debounce must raise nothing; held
exactly ``debounce`` polls it raises once. The same for a clear: a chattering
clear must not end a failure early (and raise it again at the next poll).
The PLC here is a scripted driver answering one value per poll, so the polls
are counted exactly, never timed; the loop is the real ``PlcLoop.run``. Each
test says which mutant of ``poller/plc_loop.py`` it kills (checked by hand).
"""

from __future__ import annotations

import asyncio

import pytest
from scada_bridge.config import load
from scada_bridge.events import CLEARED, RAISED
from scada_bridge.poller.plc_loop import PlcLoop
from scada_bridge.store.plc_status import PlcStatus

from tests.poller_fixtures import config_text, plc_block

DEBOUNCE = 3
CONDITION = f"""
[[plc.condition]]
equipment = "silo101"
failure_code = "START_FAILURE"
description = "Motor did not start"
table = "coil"
address = 2
debounce = {DEBOUNCE}
"""
KEY = ("plc1", "silo101", "START_FAILURE")
RAISE_UID = "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"


class _Script:
    """The PLC: the coil reads ``values[n]`` at poll n; after the last poll, stop."""

    bit_areas = frozenset({"coil", "discrete_input"})
    max_words, max_bits = 125, 2000

    def __init__(self, values: list[int], stop: asyncio.Event) -> None:
        self.values, self.stop, self.polls = values, stop, 0

    async def read_bits(self, area, address, count):
        value = self.values[self.polls]
        self.polls += 1
        if self.polls == len(self.values):
            self.stop.set()  # this poll is handled, then the loop ends
        return [bool(value)] * count

    def close(self):
        pass


class _Writer:
    def __init__(self) -> None:
        self.events: list = []

    def submit(self, events, *, durable=False):
        self.events += events


def _run(tmp_path, values: list[int], *, active: bool) -> list:
    """Poll the scripted values once each; the events the loop submitted."""
    path = tmp_path / "plant.toml"
    path.write_text(
        config_text("dbname=unused", tmp_path / "state", plc_block("plc1", 5020, CONDITION))
    )
    (plc,) = load(path).plcs
    writer = _Writer()
    known = {KEY: RAISE_UID} if active else {}

    async def scenario():
        stop = asyncio.Event()
        loop = PlcLoop(
            plc,
            writer,
            PlcStatus(plc.name, plc.host, plc.port),
            known,
            backoff_initial=0.01,
            backoff_max=0.01,
        )
        loop.driver = driver = _Script(values, stop)
        await asyncio.wait_for(loop.run(stop), 10)
        assert driver.polls == len(values)
        assert loop.status.consecutive_failures == 0  # every poll was a good one

    asyncio.run(scenario())
    return writer.events


@pytest.mark.parametrize(
    "values",
    [
        [1] * (DEBOUNCE - 1),
        [1] * (DEBOUNCE - 1) + [0],
        [1] * (DEBOUNCE - 1) + [0] + [1] * (DEBOUNCE - 1) + [0],
    ],
    ids=["held-debounce-1", "then-released", "chattering"],
)
def test_a_condition_held_one_poll_short_of_its_debounce_raises_nothing(tmp_path, values):
    """Kills: debounce off by one (``edge.streak < cond.debounce - 1``)."""
    assert _run(tmp_path, values, active=False) == []


def test_a_condition_held_exactly_its_debounce_raises_once(tmp_path):
    """Kills: debounce off by one the other way (``<=``), and a raise that skips it."""
    events = _run(tmp_path, [0] + [1] * DEBOUNCE + [0], active=False)
    assert [(e.kind, e.equipment_code) for e in events] == [(RAISED, "silo101")]


@pytest.mark.parametrize(
    "values",
    [
        [0] * (DEBOUNCE - 1),
        [0] * (DEBOUNCE - 1) + [1],
        [0] * (DEBOUNCE - 1) + [1] + [0] * (DEBOUNCE - 1) + [1],
    ],
    ids=["released-debounce-1", "then-held-again", "chattering"],
)
def test_a_clear_one_poll_short_of_the_debounce_does_not_end_the_failure(tmp_path, values):
    """Kills: clears skipping the debounce (a failure ended at the first poll that reads
    the condition false, e.g. ``if edge.streak < cond.debounce and observed``); a
    chattering clear would end the failure early and raise it again."""
    assert _run(tmp_path, values, active=True) == []


def test_a_clear_held_exactly_the_debounce_ends_the_failure_it_belongs_to(tmp_path):
    """Kills: the same mutants from the other side (a clear never sent, or one poll late)."""
    events = _run(tmp_path, [1] + [0] * DEBOUNCE, active=True)
    assert [(e.kind, e.raise_uid) for e in events] == [(CLEARED, RAISE_UID)]
