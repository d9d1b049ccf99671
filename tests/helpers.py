"""Small builders shared by the bridge tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from scada_bridge import NewEvent

T0 = datetime(2026, 2, 23, 20, 22, 35, tzinfo=timezone.utc)


def raised(equipment: str = "silo101", n: int = 0, **kw) -> NewEvent:
    """A raise at T0 + n seconds."""
    kw.setdefault("failure_code", "START_FAILURE")
    kw.setdefault("description", "Motor did not start")
    kw.setdefault("severity", "high")
    kw.setdefault("device", "plc1")
    return NewEvent(
        kind="raised", equipment_code=equipment, occurred_at=T0 + timedelta(seconds=n), **kw
    )


def cleared(of: NewEvent, n: int = 60) -> NewEvent:
    return NewEvent(
        kind="cleared",
        equipment_code=of.equipment_code,
        occurred_at=of.occurred_at + timedelta(seconds=n),
        raise_uid=of.event_uid,
        failure_code=of.failure_code,
        device=of.device,
    )


def insert_raw(conn, **columns) -> int:
    """Insert one row as a foreign writer would, bypassing every check; returns its id."""
    columns.setdefault("event_uid", __import__("uuid").uuid4().hex)
    columns.setdefault("kind", "raised")
    columns.setdefault("equipment_code", "silo101")
    columns.setdefault("occurred_at", T0)
    names = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO scada.equipment_failure ({names}) VALUES ({marks}) RETURNING id",
            list(columns.values()),
        )
        return cur.fetchone()[0]


def without_tx_stamp(statement: str) -> str:
    """``statement`` run with migration 0004's tx trigger off, in one transaction: how a
    restore (rows loaded before the trigger exists) or a test's back-dating looks."""
    return (
        "ALTER TABLE scada.equipment_failure DISABLE TRIGGER equipment_failure_stamp_tx; "
        f"{statement}; "
        "ALTER TABLE scada.equipment_failure ENABLE ALWAYS TRIGGER equipment_failure_stamp_tx"
    )
