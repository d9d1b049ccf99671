"""One wording of events held back by an open transaction, for the doctor and Odoo."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from scada_bridge import HELD_BACK_AFTER, Backlog, HorizonHolder
from scada_bridge.doctor.database import horizon_check

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)


def _holder(pid: int, started: datetime) -> HorizonHolder:
    return HorizonHolder(pid, "scada", "ops", "forgotten-script", started, "idle in transaction")


def _backlog(waited: timedelta, *holders: HorizonHolder) -> Backlog:
    return Backlog(3, NOW - waited, None, 2, NOW - waited, tuple(holders))


def test_nothing_behind_the_horizon_is_not_held_back():
    assert Backlog(3, NOW, None).held_back(NOW) is None


def test_a_stuck_holder_is_named_with_since_and_fix_the_same_way_in_odoo_and_the_doctor():
    started = NOW - timedelta(minutes=7)
    held = _backlog(timedelta(minutes=5), _holder(42, started)).held_back(NOW)
    assert held is not None and held.stuck
    assert held.note == (
        "2 event(s) held back by pid 42 (user 'ops', database 'scada', application "
        "'forgotten-script'), idle in transaction since 2026-03-01 09:53:00 UTC: " + held.fix
    )
    assert "pg_terminate_backend(42)" in held.fix
    row = horizon_check(_backlog(timedelta(minutes=5), _holder(42, started)), NOW)
    assert not row.ok and row.fix == held.fix
    assert row.detail == f"2 event(s) wait 5 min behind {held.holding}"


def test_a_hold_shorter_than_the_patience_is_not_stuck():
    held = _backlog(HELD_BACK_AFTER - timedelta(seconds=1), _holder(7, NOW)).held_back(NOW)
    assert held is not None and not held.stuck
    assert horizon_check(_backlog(timedelta(seconds=5), _holder(7, NOW)), NOW).ok


def test_a_hold_that_just_ended_names_no_one():
    held = _backlog(timedelta(minutes=3)).held_back(NOW)
    assert held is not None and held.fix == ""
    assert held.note.startswith("2 event(s) held back by a transaction that just ended since")
    assert horizon_check(_backlog(timedelta(minutes=3)), NOW).detail == (
        "2 event(s) released just now"
    )
