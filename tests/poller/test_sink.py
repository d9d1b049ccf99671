"""The event sink's durability edges, on real PostgreSQL (and a real poller and PLC simulator).

A value the database cannot store is never an outage; a row it refuses for its
content is kept in ``spool.rejected`` and never blocks the rows behind it; the
spool goes to the database in bounded chunks, and the database dying in the
middle of a flush (a trigger that terminates its own session: a real dropped
connection, at an exact row) loses nothing, repeats nothing and keeps the order.
"""

from __future__ import annotations

import asyncio
import json
import math
import struct

import psycopg2
from scada_bridge.config import COIL, HOLDING_REGISTER, Database
from scada_bridge.poller.sink import _ACTIVE_SQL, EventSink
from scada_bridge.poller.spool import Spool

from tests.helpers import raised
from tests.poller_fixtures import (
    Running,
    config_text,
    free_port,
    plc_block,
    rows,
    simulated,
    wait_until,
    write_config,
)

FLOATS = """
[[plc.condition]]
equipment = "oven3"
failure_code = "OVERHEAT"
description = "Oven 3 above 80 C"
table = "holding_register"
address = 20
type = "float32"
when = "above"
value = 80.0

[[plc.condition]]
equipment = "flow9"
failure_code = "FLOW_ALARM"
description = "Flow meter 9 alarm"
table = "holding_register"
address = 30
type = "float32"

[[plc.condition]]
equipment = "silo101"
failure_code = "START_FAILURE"
description = "Motor did not start"
table = "coil"
address = 2
"""


def _float32(value: float) -> list[int]:
    high, low = struct.unpack(">HH", struct.pack(">f", value))
    return [high, low]


def _uids(uri: str) -> list[str]:
    sql = "SELECT event_uid::text FROM scada.equipment_failure ORDER BY id"
    return [r[0] for r in rows(uri, sql)]


def _rejected(state_dir) -> list[dict]:
    path = state_dir / "spool.rejected"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _sink(uri: str, state_dir) -> EventSink:
    return EventSink(Database(uri=uri, connect_timeout=2, retry_max=0.05), state_dir)


def test_inf_and_nan_readings_are_stored_as_null_and_later_events_still_arrive(tmp_path, scada_uri):
    """The poller end to end: float32 registers holding +Inf and NaN, then a coil."""
    port = free_port()
    config = write_config(
        tmp_path / "plant.toml",
        config_text(scada_uri, tmp_path / "state", plc_block("plc1", port, FLOATS)),
    )

    async def scenario():
        async with simulated(config) as sim, Running(config):
            await sim.write("plc1", HOLDING_REGISTER, 20, _float32(math.inf))
            await sim.write("plc1", HOLDING_REGISTER, 30, _float32(math.nan))
            await wait_until(lambda: len(rows(scada_uri)) == 2, what="the Inf and NaN raises")
            await sim.write("plc1", COIL, 2, [1])
            await wait_until(lambda: len(rows(scada_uri)) == 3, what="the event behind them")

    asyncio.run(scenario())
    payloads = {r[1]: r[6] for r in rows(scada_uri)}
    oven, flow = payloads["oven3"], payloads["flow9"]
    assert oven["value"] is None and oven["not_stored"] == {"value": "inf"}
    assert oven["registers"] == _float32(math.inf)  # the raw registers, kept for audit
    assert flow["value"] is None and flow["not_stored"] == {"value": "nan"}
    assert flow["registers"] == _float32(math.nan)
    assert payloads["silo101"]["value"] is True
    assert _rejected(tmp_path / "state") == []
    assert (tmp_path / "state" / "spool.jsonl").read_text() == ""


def test_a_row_the_database_refuses_is_kept_aside_and_the_rest_are_stored(
    tmp_path, scada_uri, scada_conn, caplog
):
    with scada_conn.cursor() as cur:  # the database's own rule refuses one row's content
        cur.execute(
            "ALTER TABLE scada.equipment_failure ADD CONSTRAINT no_refused"
            " CHECK (equipment_code <> 'refused')"
        )
    good1, bad, good2 = raised("eq1", 1), raised("refused", 2), raised("eq3", 3)
    nul = raised("eq4", 4, description="text with a NUL \x00 byte")  # psycopg2 refuses it
    sink = _sink(scada_uri, tmp_path)
    sink.start(["plc1"])
    try:
        assert sink.write([good1, bad, good2]) == "database"
        assert sink.write([nul, raised("eq5", 5)]) == "database"
    finally:
        sink.close()
    stored = _uids(scada_uri)
    assert stored == [good1.event_uid, good2.event_uid, stored[2]] and len(stored) == 3
    kept = _rejected(tmp_path)
    assert [k["event"]["event_uid"] for k in kept] == [bad.event_uid, nul.event_uid]
    assert "no_refused" in kept[0]["reason"]
    assert "NUL" in kept[1]["reason"]
    refusals = [r for r in caplog.records if "refused event" in r.getMessage()]
    assert len(refusals) == 2 and all("\n" not in r.getMessage() for r in refusals)


def test_an_invalid_line_in_the_middle_of_the_spool_is_kept_once_and_the_rest_flushed(
    tmp_path, scada_uri, caplog
):
    events = [raised(f"eq{i}", i) for i in range(4)]
    spool = Spool(tmp_path)
    spool.append(events[:2])
    with spool.path.open("a", encoding="utf-8") as fh:
        fh.write('{"kind": "raised", "note": "not an event"}\n')
    Spool(tmp_path).append(events[2:])
    assert len(Spool(tmp_path)) == 5
    for _ in range(3):  # reading the spool has no side effect
        assert [e.event_uid for e in Spool(tmp_path).read()] == [e.event_uid for e in events]
    assert _rejected(tmp_path) == []

    sink = _sink(scada_uri, tmp_path)
    sink.start(["plc1"])  # reads the spool for the active failures, then flushes it
    sink.close()
    assert _uids(scada_uri) == [e.event_uid for e in events]  # in order
    (kept,) = _rejected(tmp_path)
    assert json.loads(kept["line"]) == {"kind": "raised", "note": "not an event"}
    assert kept["reason"] == "missing field 'equipment_code'"
    lines = [r.getMessage() for r in caplog.records if "is not an event" in r.getMessage()]
    assert len(lines) == 1 and "line 3" in lines[0]
    # A restart finds an empty spool, and spool.rejected does not grow.
    again = _sink(scada_uri, tmp_path)
    again.start(["plc1"])
    again.close()
    assert len(Spool(tmp_path)) == 0 and len(_rejected(tmp_path)) == 1


def test_the_spool_is_read_in_bounded_chunks(tmp_path):
    spool = Spool(tmp_path)
    events = [raised(f"eq{i}", i) for i in range(25)]
    spool.append(events)
    chunks = list(spool.chunks(max_events=10))
    assert [len(c.events) for c in chunks] == [10, 10, 5]
    assert [e for c in chunks for e in c.events] == events
    small = list(spool.chunks(max_events=1000, max_bytes=1))  # one line already exceeds it
    assert len(small) == 25
    spool.consume(chunks[0])
    assert len(Spool(tmp_path)) == 15  # progress is on disk
    assert Spool(tmp_path).read() == events[10:]


_KILL_AT_BOOM = """
CREATE SEQUENCE public.boom_seen;
CREATE FUNCTION public.boom() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- nextval is not rolled back: the session dies at the first 'boom' row only.
    IF NEW.equipment_code = 'boom' AND nextval('public.boom_seen') = 1 THEN
        PERFORM pg_terminate_backend(pg_backend_pid());
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER boom BEFORE INSERT ON scada.equipment_failure
    FOR EACH ROW EXECUTE FUNCTION public.boom();
"""


def test_the_database_dying_during_a_flush_loses_and_repeats_nothing(
    tmp_path, scada_uri, scada_conn
):
    with scada_conn.cursor() as cur:
        cur.execute(_KILL_AT_BOOM)
    events = [raised("boom" if i == 1500 else f"eq{i}", i) for i in range(2500)]
    Spool(tmp_path).append(events)
    sink = _sink(scada_uri, tmp_path)
    try:
        first = sink.flush()  # chunk 1 (events 0-999) commits; chunk 2 dies at event 1500
        assert first == 1000
        assert not sink.connected
        assert len(_uids(scada_uri)) == 1000
        assert len(Spool(tmp_path)) == 1500  # what is left is on disk, for a restart too
        second = asyncio.run(_flush_until_empty(sink))
    finally:
        sink.close()
    assert second == 1500
    stored = _uids(scada_uri)
    assert stored == [e.event_uid for e in events]  # every one, once, in spool order
    assert len(Spool(tmp_path)) == 0
    assert _rejected(tmp_path) == []


async def _flush_until_empty(sink: EventSink) -> int:
    sent = 0
    for _ in range(200):  # the sink's retry delay is 0.05 s here
        sent += sink.flush()
        if len(sink.spool) == 0:
            return sent
        await asyncio.sleep(0.05)
    raise AssertionError(f"spool not flushed: {len(sink.spool)} left")


def test_a_failed_connection_is_not_a_refused_row(tmp_path, scada_uri, db_proxy):
    """A database outage spools (nothing in spool.rejected); only content is refused."""
    sink = _sink(db_proxy.via(scada_uri), tmp_path)
    sink.start(["plc1"])
    db_proxy.stop()
    try:
        assert sink.write([raised("eq1", 1)]) == "spool"
    finally:
        sink.close()
    assert _rejected(tmp_path) == []
    assert len(Spool(tmp_path)) == 1
    with psycopg2.connect(scada_uri) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM scada.equipment_failure")
        assert cur.fetchone()[0] == 0
    conn.close()


def _plan_nodes(plan: dict) -> list[dict]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _plan_nodes(child))]


def test_start_finds_the_active_failures_through_the_index(tmp_path, scada_uri, scada_conn):
    """The poller's start reads its devices' open raises from scada.active_condition
    (migration 0004), never by scanning every event (a plant's history grows for years)."""
    with scada_conn.cursor() as cur:
        # History: 20,000 condition raise/clear pairs of other PLCs, 200 of this one,
        # mailbox records, and one raise of this PLC still active.
        cur.execute(
            """
            INSERT INTO scada.equipment_failure
                (event_uid, kind, raise_uid, equipment_code, failure_code, occurred_at,
                 device, payload)
            SELECT v.uid, v.kind, v.raise_uid, 'eq' || (i % 40), 'F', now(),
                   CASE WHEN i <= 200 THEN 'plc1' ELSE 'plc' || (2 + i % 8) END,
                   jsonb_build_object('source', CASE WHEN i % 7 = 0 THEN 'mailbox'
                                                     ELSE 'condition' END)
              FROM (SELECT i, gen_random_uuid() AS raise FROM generate_series(1, 20200) i) s,
                   LATERAL (VALUES (s.raise, 'raised', NULL::uuid),
                                   (gen_random_uuid(), 'cleared', s.raise)) v(uid, kind, raise_uid)
             WHERE v.kind = 'raised' OR s.i % 7 <> 0
            """
        )
        cur.execute(
            "INSERT INTO scada.equipment_failure (event_uid, kind, equipment_code, failure_code,"
            " occurred_at, device, payload) VALUES (gen_random_uuid(), 'raised', 'oven3',"
            " 'OVERHEAT', now(), 'plc1', '{\"source\": \"condition\"}') RETURNING event_uid::text"
        )
        (active_uid,) = cur.fetchone()
        cur.execute("ANALYZE scada.equipment_failure")
        cur.execute("EXPLAIN (FORMAT JSON) " + _ACTIVE_SQL, (["plc1"],))
        plan = cur.fetchone()[0][0]["Plan"]
    nodes = _plan_nodes(plan)
    relations = {n.get("Relation Name") for n in nodes}
    assert "active_condition" in relations, plan
    history = [n for n in nodes if n.get("Relation Name") == "equipment_failure"]
    assert not [n for n in history if n["Node Type"] == "Seq Scan"], plan
    sink = _sink(scada_uri, tmp_path)
    sink.start(["plc1"])
    sink.close()
    assert sink.active == {("plc1", "oven3", "OVERHEAT"): active_uid}


def test_a_status_row_the_database_refuses_is_not_an_outage(tmp_path, scada_uri):
    """Odd bytes in a PLC's error text (a NUL) make the status row unstorable: logged,
    and the events still go straight to the database, not to the spool."""
    from scada_bridge.store.plc_status import PlcStatus

    sink = _sink(scada_uri, tmp_path)
    sink.start(["plc1"])
    try:
        bad = PlcStatus("plc1", "127.0.0.1", 502, state="error", last_error="garbage \x00 here")
        assert sink.write_status([bad]) is False
        assert sink.connected
        assert sink.write([raised("eq1", 1)]) == "database"
        assert sink.write_status([PlcStatus("plc1", "127.0.0.1", 502, state="ok")]) is True
    finally:
        sink.close()
    assert len(_uids(scada_uri)) == 1
