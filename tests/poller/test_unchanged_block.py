"""The unchanged-block shortcut: a read whose words equal the previous read's evaluates
nothing, unless a debounce is counting; the events are exactly those of evaluating
every condition on every read.

The poll loop's condition handling is driven directly with the words a PLC would
send, one read after the other (no network, no clock: each read is one tick).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scada_bridge.config import COIL, HOLDING_REGISTER, Condition, Plc
from scada_bridge.events import RAISED
from scada_bridge.plc.planning import Snapshot
from scada_bridge.plc.registers import BadBcd, condition_true, condition_value
from scada_bridge.poller import plc_loop
from scada_bridge.poller.plc_loop import PlcLoop
from scada_bridge.store.plc_status import PlcStatus

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _cond(equipment: str, address: int, **kw: object) -> Condition:
    base: dict = dict(
        equipment=equipment,
        failure_code="F",
        description=equipment,
        severity="high",
        table=HOLDING_REGISTER,
        address=address,
    )
    base.update(kw)
    return Condition(**base)


#: Two bits of one status word (one debounced), a BCD word that can be unreadable,
#: an int32 threshold, and a coil in a block of its own.
CONDITIONS = (
    _cond("slow_bit", 0, when="bit", bit=2, debounce=3),
    _cond("fast_bit", 0, when="bit", bit=5),
    _cond("bcd", 1, type="bcd", debounce=2),
    _cond("level", 2, type="int32", when="above", value=100.0),
    _cond("coil", 0, table=COIL, type="bool", debounce=2),
)


class _Writer:
    def __init__(self) -> None:
        self.events: list = []

    def submit(self, events: list) -> None:
        self.events.extend(events)


class _Ticks:
    """The poll loop's clock: one tick per read."""

    def __init__(self) -> None:
        self.tick = 0

    def __call__(self) -> datetime:
        return T0 + timedelta(seconds=self.tick)


@pytest.fixture
def ticks(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Ticks]:
    clock = _Ticks()
    monkeypatch.setattr(plc_loop, "_now", clock)
    yield clock


def _loop(conditions: tuple[Condition, ...] = CONDITIONS) -> tuple[PlcLoop, _Writer]:
    plc = Plc(name="plc1", host="127.0.0.1", port=5020, conditions=conditions)
    writer = _Writer()
    loop = PlcLoop(
        plc,
        writer,  # type: ignore[arg-type]
        PlcStatus(plc.name, plc.host, plc.port),
        {},
        backoff_initial=1,
        backoff_max=1,
    )
    return loop, writer


def _snapshot(loop: PlcLoop, words: list[int], coil: int = 0) -> Snapshot:
    snapshot = Snapshot()
    for read in loop.reads:
        table = words if read.area == HOLDING_REGISTER else [coil]
        snapshot.add(read, table[read.address : read.address + read.count])
    return snapshot


def _read(loop: PlcLoop, words: list[int], coil: int = 0) -> None:
    """One poll's condition handling (it awaits nothing: run to its end in one step)."""
    step = loop._conditions(_snapshot(loop, words, coil))
    try:
        step.send(None)
    except StopIteration:
        return
    step.close()
    raise AssertionError("condition handling now awaits: drive it with an event loop")


def _seen(writer: _Writer) -> list[tuple[str, str, datetime]]:
    return [(e.kind, e.equipment_code, e.occurred_at) for e in writer.events]


def test_unchanged_words_still_count_a_pending_debounce(ticks):
    """The fault appears once and the words never change again: the debounce of 3 reads
    still raises on the third read, dated from the first."""
    loop, writer = _loop((_cond("pump7", 10, when="bit", bit=4, debounce=3),))
    _read(loop, [0] * 11)
    steady = [0] * 10 + [0b1_0000]
    for tick in (1, 2):
        ticks.tick = tick
        _read(loop, steady)
        assert writer.events == []  # the debounce holds: 1, then 2 reads in a row
    ticks.tick = 3
    _read(loop, steady)  # the same words as the read before
    assert _seen(writer) == [(RAISED, "pump7", T0 + timedelta(seconds=1))]
    for tick in range(4, 10):  # settled: nothing more while the words stay
        ticks.tick = tick
        _read(loop, steady)
    assert len(writer.events) == 1


def test_a_failed_poll_restarts_a_debounce_that_the_same_words_then_complete(ticks):
    """A failed poll resets debounce counts (polls in a row); the PLC answering again
    with the words it sent before the failure must count from there, not be skipped."""
    loop, writer = _loop((_cond("pump7", 0, when="bit", bit=0, debounce=2),))
    _read(loop, [1])  # streak 1 of 2
    for edge in loop.edges.values():  # what the poll loop does when a poll fails
        edge.streak, edge.since = 0, None
    ticks.tick = 1
    _read(loop, [1])  # streak 1 again
    assert writer.events == []
    ticks.tick = 2
    _read(loop, [1])
    assert _seen(writer) == [(RAISED, "pump7", T0 + timedelta(seconds=1))]


def test_an_edge_lasting_one_read_is_seen(ticks):
    loop, writer = _loop((_cond("pump7", 0, when="bit", bit=0),))
    _read(loop, [0])
    ticks.tick = 1
    _read(loop, [1])
    ticks.tick = 2
    _read(loop, [0])
    assert [(k, e) for k, e, _ in _seen(writer)] == [(RAISED, "pump7"), ("cleared", "pump7")]


def _reference(reads: list) -> list[tuple[str, str, datetime]]:
    """Every condition evaluated on every read: the poll loop as it was before the shortcut."""
    active: set[str] = set()
    streak = {c.equipment: 0 for c in CONDITIONS}
    since: dict[str, int] = {}
    seen = []
    for tick, read in enumerate(reads):
        if read is None:  # a failed poll
            streak = dict.fromkeys(streak, 0)
            continue
        words, coil = read
        for cond in CONDITIONS:
            regs = [coil] if cond.table == COIL else words[cond.address : cond.address + cond.width]
            try:
                observed = condition_true(cond, condition_value(cond, regs))
            except BadBcd:
                continue
            name = cond.equipment
            if observed == (name in active):
                streak[name] = 0
                continue
            if streak[name] == 0:
                since[name] = tick
            streak[name] += 1
            if streak[name] < cond.debounce:
                continue
            seen.append(("raised" if observed else "cleared", name, since[name]))
            active.symmetric_difference_update({name})
            streak[name] = 0
    return [(k, e, T0 + timedelta(seconds=t)) for k, e, t in seen]


_WORDS = st.tuples(
    st.sampled_from([0, 0b100, 0b10_0000, 0b10_0100]),  # status word: the two bits
    st.sampled_from([0, 0x0012, 0x00A0]),  # BCD: 0, 12, unreadable
    st.sampled_from([0, 0xFFFF]),  # int32 high word: 200 or a negative number
    st.sampled_from([0, 200]),
).map(list)
#: A read repeats the previous one more often than not, as on a real plant; None is a failed poll.
_READS = st.lists(st.one_of(st.none(), st.tuples(_WORDS, st.sampled_from([0, 1]))), max_size=40)


@settings(max_examples=200, deadline=None)
@given(reads=_READS, repeats=st.lists(st.integers(0, 3), min_size=40, max_size=40))
def test_events_are_those_of_evaluating_everything_on_every_read(reads, repeats):
    # Each read is repeated 0-3 times more: runs of identical words, with and without
    # a debounce counting through them.
    polls = [read for read, n in zip(reads, repeats, strict=False) for _ in range(1 + n)]
    clock = _Ticks()
    saved = plc_loop._now
    plc_loop._now = clock
    try:
        loop, writer = _loop()
        for tick, read in enumerate(polls):
            clock.tick = tick
            if read is None:
                for edge in loop.edges.values():  # what the poll loop does when a poll fails
                    edge.streak, edge.since = 0, None
                continue
            _read(loop, *read)
    finally:
        plc_loop._now = saved
    assert _seen(writer) == _reference(polls)
