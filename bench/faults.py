"""The fault suite: the real parts, real faults, one line per fault with its counts.

Over 400 lines because every fault is one scenario on the same real stack, and
the suite runs as one command that prints one line per fault.

Every fault runs against real processes on this machine: PostgreSQL, ``scada-bridge
simulate`` (Modbus TCP PLCs), ``scada-bridge poll`` and a real Odoo 18 server with 2
prefork workers and 2 cron threads (:mod:`stack`). What each one proves:

1. ``odoo-kill``: Odoo SIGKILLed while the poller stores 200 failures (raised and
   cleared, doorbell on), restarted: every failure in Odoo once, with its clear.
2. ``db-cut``: the SCADA database cut for 30 s (a TCP proxy between the poller and
   PostgreSQL stops) while PLCs raise and clear, the poller restarted during the cut:
   nothing lost, each raise stored before its clear.
3. ``dead-plc``: one of 10 PLCs accepts connections and never answers: the other nine
   keep their poll interval (the worst lateness is printed).
4. ``pull-kill``: Odoo SIGKILLed in the middle of a 30,000-event pull, restarted: every
   event in Odoo exactly once.
5. ``api-fuzz``: 500 random push bodies (valid, invalid, malformed): no 5xx, and a
   refused body writes none of its events while an accepted one writes all of them.
6. ``horizon``: a session that wrote and sits idle in transaction holds the reader's
   horizon: ``scada-bridge doctor`` names it within a minute, and every event waiting
   behind it arrives once it ends.
7. ``prune-readers``: two readers with their own read-only roles, A stored everything,
   B nothing: ``scada-bridge prune`` refuses while B's role registered no reader, keeps
   every event once B is registered (position zero), refuses A's role moving B's
   cursor, and deletes only after B recorded what it stored: B loses nothing.
8. ``poison-rows``: rows a foreign writer can store but Odoo could not use (issue 18
   points 1-3: times past year 9999 in a UTC+7 plant, infinity, a 5,000-deep payload,
   3,200-character codes) among 10,000 good ones, pulled with the maintenance step on:
   0 good rows lost, each bad row stored or rejected with its reason, the source never
   in error.

Run (PostgreSQL running, Odoo 18 at ODOO_PATH, default /opt/odoo18; about 8 minutes)::

    .venv/bin/python bench/faults.py [--only odoo-kill,db-cut,...] [--keep]

Exit status 0 when every fault ends with 0 lost and 0 twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg2
from stack import (
    BRIDGE,
    ROOT,
    DemoError,
    Stack,
    coil_plant,
    free_port,
    query,
    set_coils,
    wait_until,
)

sys.path.insert(0, str(ROOT))
from scada_bridge import NewEvent, connect, insert_events
from scada_bridge.config import load
from scada_bridge.poller import Poller

from tests.poller_fixtures import TcpProxy


@dataclass
class Result:
    fault: str
    ok: bool
    counts: dict[str, object] = field(default_factory=dict)
    seconds: float = 0.0

    def line(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        mark = "PASS" if self.ok else "FAIL"
        return f"{mark}  {self.fault:10} {counts}  ({self.seconds:.0f} s)"


def plant_file(path: Path, uri: str, body: str, *, doorbell_url: str = "") -> Path:
    odoo = (
        f'\n[odoo]\nurl = "{doorbell_url}"\napi_key_env = "ODOO_API_KEY"\n' if doorbell_url else ""
    )
    path.write_text(
        f'[database]\nuri = "{uri}"\nconnect_timeout = 2\nretry_max = 1\n'
        f'[poller]\nstate_dir = "{path.parent / (path.stem + "-state")}"\n'
        f"backoff_initial = 0.2\nbackoff_max = 1.0\nstatus_every = 1.0\n{odoo}\n{body}",
        encoding="utf-8",
    )
    return path


def scada_counts(dbname: str) -> dict[str, int]:
    rows = query(dbname, "SELECT kind, count(*) FROM scada.equipment_failure GROUP BY kind")
    return {kind: count for kind, count in rows}


def odoo_rows(stack: Stack) -> dict[str, tuple[str | None]]:
    """event_uid -> clear_uid of every failure in Odoo."""
    return dict(query(stack.odoo_db, "SELECT event_uid, clear_uid FROM scada_failure_report"))


def reconcile(stack: Stack) -> dict[str, int]:
    """Compare the SCADA events with Odoo's failures: lost and doubled, raises and clears."""
    raises = {
        str(u)
        for (u,) in query(
            stack.scada_db, "SELECT event_uid FROM scada.equipment_failure WHERE kind='raised'"
        )
    }
    clears = dict(
        query(
            stack.scada_db,
            "SELECT raise_uid::text, event_uid::text FROM scada.equipment_failure"
            " WHERE kind = 'cleared'",
        )
    )
    in_odoo = query(stack.odoo_db, "SELECT event_uid, clear_uid FROM scada_failure_report")
    uids = [u for u, _ in in_odoo]
    twice = len(uids) - len(set(uids))
    by_uid = dict(in_odoo)
    lost_raises = len([u for u in raises if u not in by_uid])
    lost_clears = len([r for r, c in clears.items() if by_uid.get(r) != c])
    return {
        "raised": len(raises),
        "cleared": len(clears),
        "in Odoo": len(set(uids) & raises),
        "lost": lost_raises + lost_clears,
        "twice": twice,
    }


def wait_reconciled(stack: Stack, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        counts = reconcile(stack)
        if counts["lost"] == 0 or time.monotonic() > deadline:
            return counts
        stack.ring()
        time.sleep(1.0)


# -- 1. Odoo killed -9 while the poller stores 200 failures -----------------------


def toggle_rounds(stack: Stack, port: int, coils: int, rounds: int, between=None) -> int:
    """Raise every coil, wait until stored, clear every coil, wait: ``rounds`` times."""
    done = 0
    for r in range(rounds):
        base = scada_counts(stack.scada_db)
        set_coils(port, {i: True for i in range(coils)})
        wait_until(
            f"round {r + 1}: {coils} raises stored",
            lambda b=base: scada_counts(stack.scada_db).get("raised", 0)
            >= b.get("raised", 0) + coils,
            120,
        )
        set_coils(port, {i: False for i in range(coils)})
        wait_until(
            f"round {r + 1}: {coils} clears stored",
            lambda b=base: scada_counts(stack.scada_db).get("cleared", 0)
            >= b.get("cleared", 0) + coils,
            120,
        )
        done += coils
        if between:
            between(r)
    return done


def start_rung_plant(stack: Stack, tmp: Path, name: str, coils: int, plc: str) -> int:
    """A simulated PLC of ``coils`` fault coils polled every 0.25 s by a poller that rings
    Odoo's doorbell; the PLC's port."""
    port = free_port()
    config = plant_file(
        tmp / f"{name}.toml",
        stack.scada_uri,
        coil_plant(stack.scada_uri, tmp, port, coils, interval=0.25, name=plc),
        doorbell_url=stack.odoo_url,
    )
    stack.start_simulator(config, [port])
    stack.start_poller(config, doorbell=True)
    return port


def fault_odoo_kill(stack: Stack, tmp: Path) -> Result:
    t0 = time.monotonic()
    port = start_rung_plant(stack, tmp, "odoo-kill", 50, "line_k")
    before = reconcile(stack)

    def between(r: int) -> None:
        if r == 0:
            stack.kill("odoo")  # the poller keeps storing; rings fail, nothing waits for Odoo
        if r == 2:
            stack.start_odoo()

    toggle_rounds(stack, port, 50, 4, between)
    counts = wait_reconciled(stack, 300)
    stack.stop("poller")
    stack.stop("simulator")
    counts["raised"] -= before["raised"]
    counts["in Odoo"] -= before["in Odoo"]
    ok = counts["lost"] == 0 and counts["twice"] == 0 and counts["raised"] == 200
    return Result("odoo-kill", ok, counts, time.monotonic() - t0)


# -- 2. SCADA database cut for 30 s, poller restarted during the cut ---------------


def fault_db_cut(stack: Stack, tmp: Path, cut_seconds: float = 30.0) -> Result:
    t0 = time.monotonic()
    port = free_port()
    proxy = TcpProxy(5432)
    proxy.start()
    via = f"host=127.0.0.1 port={proxy.port} dbname={stack.scada_db} user=postgres"
    config = plant_file(
        tmp / "db-cut.toml", via, coil_plant(via, tmp, port, 10, interval=0.25, name="line_c")
    )
    stack.start_simulator(config, [port])
    stack.start_poller(config)
    before = scada_counts(stack.scada_db)
    transitions = 0
    hold = 1.5  # six poll intervals: the poller sees each state although the run is busy
    proxy.stop()
    cut_end = time.monotonic() + cut_seconds
    restarted = False
    rounds = 0
    while time.monotonic() < cut_end:
        set_coils(port, {i: True for i in range(10)})
        time.sleep(hold)
        set_coils(port, {i: False for i in range(10)})
        time.sleep(hold)
        transitions += 20
        rounds += 1
        if not restarted and time.monotonic() > cut_end - cut_seconds / 2:
            stack.stop("poller")  # SIGTERM while the database is away: the spool keeps it all
            stack.start_poller(config)
            restarted = True
    proxy.start()
    expected_raises = before.get("raised", 0) + 10 * rounds
    try:
        wait_until(
            "the spool flushed after the cut",
            lambda: scada_counts(stack.scada_db).get("cleared", 0)
            >= before.get("cleared", 0) + 10 * rounds,
            180,
        )
    except DemoError:
        pass
    stack.stop("poller")
    stack.stop("simulator")
    proxy.stop()
    after = scada_counts(stack.scada_db)
    stored = after.get("raised", 0) - before.get("raised", 0)
    stored += after.get("cleared", 0) - before.get("cleared", 0)
    # Order: every clear was committed after its raise (tx, id order).
    misordered = query(
        stack.scada_db,
        """SELECT count(*) FROM scada.equipment_failure c
             JOIN scada.equipment_failure r ON r.event_uid = c.raise_uid
            WHERE c.kind = 'cleared' AND c.device = 'line_c' AND (c.tx, c.id) < (r.tx, r.id)""",
    )[0][0]
    lost = transitions - stored
    counts = {
        "transitions": transitions,
        "stored": stored,
        "lost": max(lost, 0),
        "twice": max(-lost, 0),
        "out of order": misordered,
        "poller restarted in cut": "yes" if restarted else "no",
    }
    ok = lost == 0 and misordered == 0 and expected_raises == after.get("raised", 0)
    return Result("db-cut", ok, counts, time.monotonic() - t0)


# -- 3. One of ten PLCs dead -------------------------------------------------------


class _Silent:
    """Accepts TCP connections and never answers (a PLC that hangs)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.sock.close()


def fault_dead_plc(stack: Stack, tmp: Path, seconds: float = 20.0) -> Result:
    t0 = time.monotonic()
    ports = [free_port() for _ in range(9)]
    silent = _Silent()
    interval = 1.0
    body = "".join(
        coil_plant(stack.scada_uri, tmp, p, 4, interval=interval, name=f"live{i}")
        for i, p in enumerate(ports)
    ).replace("interval = 1.0\ntimeout = 1.0", "interval = 1.0\ntimeout = 0.5")
    body += coil_plant(
        stack.scada_uri, tmp, silent.port, 4, interval=interval, name="dead"
    ).replace("timeout = 1.0", "timeout = 0.5")
    config_path = plant_file(tmp / "dead-plc.toml", stack.scada_uri, body)
    sim_config = plant_file(
        tmp / "dead-plc-sim.toml",
        stack.scada_uri,
        "".join(
            coil_plant(stack.scada_uri, tmp, p, 4, interval=1.0, name=f"live{i}")
            for i, p in enumerate(ports)
        ),
    )
    stack.start_simulator(sim_config, ports)

    async def run() -> tuple[float, int, str]:
        poller = Poller(load(str(config_path)))
        task = asyncio.create_task(poller.run())
        await asyncio.wait_for(poller.started.wait(), 60)
        await asyncio.sleep(3.0)
        live = [loop for loop in poller.loops if loop.plc.name != "dead"]
        for loop in live:
            loop.max_period = 0.0
        before = [loop.cycles for loop in live]
        await asyncio.sleep(seconds)
        worst = max(loop.max_period for loop in live)
        polls = min(loop.cycles - b for loop, b in zip(live, before, strict=True))
        dead_state = next(s.state for s in poller.statuses if s.device == "dead")
        poller.stop()
        await task
        return worst, polls, dead_state

    worst, polls, dead_state = asyncio.run(run())
    silent.close()
    stack.stop("simulator")
    lateness = max(0.0, worst - interval)
    counts = {
        "live PLCs": 9,
        "worst period": f"{worst:.3f} s",
        "max lateness": f"{lateness * 1000:.0f} ms",
        "fewest polls": f"{polls} in {seconds:.0f} s",
        "dead PLC": dead_state,
    }
    ok = lateness < interval and polls >= seconds * 0.8 and dead_state != "ok"
    return Result("dead-plc", ok, counts, time.monotonic() - t0)


# -- 4. Odoo killed -9 in the middle of a 30,000-event pull -------------------------


def fault_pull_kill(stack: Stack, tmp: Path, events: int = 30_000) -> Result:
    t0 = time.monotonic()
    now = datetime.now(timezone.utc)
    conn = connect(stack.scada_uri)
    try:
        for start in range(0, events, 5000):
            batch = [
                NewEvent(
                    kind="raised",
                    equipment_code=f"bulk{i % 97}",
                    failure_code="BULK",
                    description=f"bulk event {i}",
                    severity="low",
                    occurred_at=now - timedelta(seconds=events - i),
                    device="bulk",
                    event_uid=str(uuid.uuid4()),
                )
                for i in range(start, min(events, start + 5000))
            ]
            insert_events(conn, batch)
            conn.commit()
    finally:
        conn.close()
    before = len(odoo_rows(stack))
    stack.ring()
    wait_until(
        "the pull to be well under way",
        lambda: len(odoo_rows(stack)) >= before + events // 4,
        600,
        0.05,
    )
    mid = len(odoo_rows(stack)) - before
    stack.kill("odoo")
    stack.start_odoo()
    counts = wait_reconciled(stack, 900)
    counts = {
        "events": events,
        "in Odoo when killed": mid,
        "lost": counts["lost"],
        "twice": counts["twice"],
    }
    ok = counts["lost"] == 0 and counts["twice"] == 0 and mid < events
    return Result("pull-kill", ok, counts, time.monotonic() - t0)


# -- 5. 500 random API bodies ------------------------------------------------------


def _random_event(rng: random.Random) -> dict:
    event = {
        "event_uid": str(uuid.uuid4()),
        "kind": "raised",
        "equipment_code": f"fz{rng.randrange(20)}",
        "failure_code": rng.choice(["MOTOR", "SENSOR", "START_FAILURE"]),
        "description": rng.choice(["motor tripped", "ünïcode ✓", "x" * 200]),
        "severity": rng.choice(["low", "medium", "high", "critical"]),
        "occurred_at": (
            datetime.now(timezone.utc) - timedelta(seconds=rng.randrange(10**6))
        ).isoformat(),
    }
    if rng.random() < 0.3:
        damage = rng.choice(
            [
                ("severity", "apocalyptic"),
                ("equipment_code", ""),
                ("equipment_code", None),
                ("occurred_at", "yesterday-ish"),
                ("occurred_at", "10000-01-01T00:00:00Z"),
                ("event_uid", "not-a-uuid"),
                ("kind", "exploded"),
                ("description", "nul\x00byte"),
                ("failure_code", {"nested": [1, 2]}),
                ("equipment_code", 12345),
                ("severity", float("1e308")),
            ]
        )
        event[damage[0]] = damage[1]
    if rng.random() < 0.1:
        event.pop(rng.choice(list(event)))
    return event


def fault_api_fuzz(stack: Stack, tmp: Path, bodies: int = 500) -> Result:
    t0 = time.monotonic()
    rng = random.Random(20261129)
    statuses: dict[int, int] = {}
    partial = wrong = 0
    for _ in range(bodies):
        shape = rng.random()
        if shape < 0.1:
            body: object = rng.choice([[], {}, "text", 42, None, [[1]], {"events": "no"}])
            sent = []
        else:
            sent = [_random_event(rng) for _ in range(rng.randrange(1, 6))]
            body = sent[0] if len(sent) == 1 and rng.random() < 0.5 else {"events": sent}
        status, _ = stack.push(body)
        statuses[status] = statuses.get(status, 0) + 1
        uids = [e["event_uid"] for e in sent if isinstance(e.get("event_uid"), str)]
        uids = [u for u in uids if len(u) == 36]
        if not uids:
            continue
        found = query(
            stack.odoo_db,
            "SELECT count(*) FROM scada_failure_report WHERE event_uid = ANY(%s)",
            (uids,),
        )[0][0]
        if 200 <= status < 300:
            wrong += found != len(uids)
        elif found:
            partial += 1
    five = sum(n for s, n in statuses.items() if s >= 500 or s == 0)
    counts = {
        "bodies": bodies,
        "answers": " ".join(f"{s}x{n}" for s, n in sorted(statuses.items())),
        "5xx": five,
        "partial writes": partial,
        "accepted but missing": wrong,
    }
    accepted = sum(n for s, n in statuses.items() if 200 <= s < 300)
    refused = sum(n for s, n in statuses.items() if 400 <= s < 500)
    # Both kinds must occur, or the run proved nothing (e.g. a key refused every time).
    ok = five == 0 and partial == 0 and wrong == 0 and accepted > 0 and refused > 0
    return Result("api-fuzz", ok, counts, time.monotonic() - t0)


# -- 6. The horizon held by an idle-in-transaction session ---------------------------


def doctor_rows(stack: Stack) -> list[dict]:
    out = subprocess.run(
        [*BRIDGE, "doctor", "--db", stack.scada_uri, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        return json.loads(out.stdout)["checks"]
    except (ValueError, KeyError):
        return []


def fault_horizon(stack: Stack, tmp: Path) -> Result:
    t0 = time.monotonic()
    port = start_rung_plant(stack, tmp, "horizon", 10, "line_h")
    holder = psycopg2.connect(dbname=stack.scada_db, application_name="forgotten-console")
    with holder.cursor() as cur:  # wrote something, then nobody committed
        cur.execute("SELECT pg_current_xact_id()")
    before = scada_counts(stack.scada_db)
    set_coils(port, {i: True for i in range(10)})
    wait_until(
        "10 raises stored behind the held horizon",
        lambda: scada_counts(stack.scada_db).get("raised", 0) >= before.get("raised", 0) + 10,
        120,
    )
    stalled_at = time.monotonic()  # events wait from here on
    pid = str(holder.get_backend_pid())

    def doctor_names() -> bool:
        rows = doctor_rows(stack)
        return any(
            "horizon" in r.get("name", "")
            and not r.get("ok")
            and ("forgotten-console" in r.get("detail", "") or pid in r.get("detail", ""))
            for r in rows
        )

    def odoo_says() -> bool:
        stack.ring()  # a pull sets the source's note
        notes = query(stack.odoo_db, "SELECT held_back FROM scada_source WHERE active")
        return any(note and ("forgotten-console" in note or pid in note) for (note,) in notes)

    seen: dict[str, float] = {}
    deadline = stalled_at + 150
    while len(seen) < 2 and time.monotonic() < deadline:
        for name, check in (("doctor", doctor_names), ("Odoo", odoo_says)):
            if name not in seen and check():
                seen[name] = time.monotonic() - stalled_at
        time.sleep(2.0)
    waiting = reconcile(stack)["lost"]
    holder.rollback()
    holder.close()
    counts = wait_reconciled(stack, 180)
    stack.stop("poller")
    stack.stop("simulator")
    said = {name: f"{seen[name]:.0f} s" if name in seen else "never" for name in ("doctor", "Odoo")}
    result = {
        "held back": waiting,
        "doctor names the holder after": said["doctor"],
        "Odoo's source says held back after": said["Odoo"],
        "lost after release": counts["lost"],
        "twice": counts["twice"],
    }
    # Stalls under a minute are normal (a long write): both flag it once it passes a
    # minute, give or take one doctor run and one pull.
    reported = len(seen) == 2 and max(seen.values()) <= 75
    ok = reported and counts["lost"] == 0 and counts["twice"] == 0 and waiting > 0
    return Result("horizon", ok, result, time.monotonic() - t0)


# -- 7. prune with two readers, one of which has stored nothing ---------------------


def _prune_cli(stack: Stack) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*BRIDGE, "prune", "--db", stack.scada_uri, "--older-than", "30"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def fault_prune_readers(stack: Stack, tmp: Path, events: int = 10) -> Result:
    from scada_bridge import (
        ReaderNotOwned,
        migrate,
        read_events,
        record_reader_cursor,
        register_reader,
    )

    t0 = time.monotonic()
    tag = uuid.uuid4().hex[:6]
    roles = {name: f"fault_reader_{name.lower()}_{tag}" for name in ("A", "B")}
    owner = connect(stack.scada_uri, autocommit=True)
    readers = {}
    counts: dict[str, object] = {"events": events}
    try:
        now = datetime.now(timezone.utc)
        old = [
            NewEvent(kind="raised", equipment_code=f"old{i}", occurred_at=now, device="prune")
            for i in range(events)
        ]
        insert_events(owner, old)
        with owner.cursor() as cur:  # recorded 40 days ago, keeping their tx (trigger off)
            cur.execute(
                "ALTER TABLE scada.equipment_failure DISABLE TRIGGER equipment_failure_stamp_tx;"
                "UPDATE scada.equipment_failure SET recorded_at = now() - interval '40 days'"
                " WHERE device = 'prune';"
                "ALTER TABLE scada.equipment_failure ENABLE ALWAYS TRIGGER "
                "equipment_failure_stamp_tx"
            )
        for name, role in roles.items():
            migrate(owner, readonly_role=role)
            uri = f"{stack.scada_uri} host=127.0.0.1 port=5432 user={role}"
            readers[name] = connect(uri, autocommit=True)
        a, b = readers["A"], readers["B"]
        register_reader(a, "A")
        record_reader_cursor(a, "A", read_events(a, limit=events + 1000).cursor)

        refused = _prune_cli(stack)  # B's role never registered a reader
        counts["refused while B unregistered"] = (
            refused.returncode == 1 and roles["B"] in refused.stderr
        )
        register_reader(b, "B")  # registered at position zero, nothing stored yet
        kept = _prune_cli(stack)
        left = scada_counts(stack.scada_db).get("raised", 0)
        counts["kept for B at zero"] = left if kept.returncode == 0 else kept.stderr.strip()
        try:  # A's role pushes B's cursor to the end
            record_reader_cursor(a, "B", read_events(a, limit=events + 1000).cursor)
            counts["A moved B's cursor"] = "yes"
        except ReaderNotOwned:
            counts["A moved B's cursor"] = "refused"
        stored_by_b = read_events(b, limit=events + 1000)
        counts["B read"] = len(stored_by_b.events)
        record_reader_cursor(b, "B", stored_by_b.cursor)
        _prune_cli(stack)
        counts["left after B stored"] = scada_counts(stack.scada_db).get("raised", 0)
    finally:
        for conn in readers.values():
            conn.close()
        with owner.cursor() as cur:
            for role in roles.values():
                cur.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")
        owner.close()
    ok = (
        counts["refused while B unregistered"] is True
        and counts["kept for B at zero"] == events
        and counts["A moved B's cursor"] == "refused"
        and counts["B read"] == events
        and counts["left after B stored"] == 0
    )
    counts["lost"] = events - counts["B read"] if isinstance(counts["B read"], int) else "?"
    return Result("prune-readers", ok, counts, time.monotonic() - t0)


# -- 8. Poison rows among 10,000 good ones, the maintenance step on -----------------

#: Rows of issue 18 points 1-3 a foreign writer can store: (what, columns, expected
#: outcome). Times past year 9999 in the plant's zone are stored (and shown in UTC);
#: what Odoo cannot hold is rejected with its reason.
POISON = [
    ("year 9999 in a UTC+7 plant", {"occurred_at": "9999-12-31 23:00:00+00"}, "stored"),
    ("year 1", {"occurred_at": "0001-01-01 00:00:00+00"}, "stored"),
    ("infinity", {"occurred_at": "infinity"}, "rejected"),
    ("-infinity", {"occurred_at": "-infinity"}, "rejected"),
    ("5,000-deep payload", {"payload": "[" * 5000 + "]" * 5000}, "rejected"),
    ("3,200-char failure code", {"failure_code": "poison-code"}, "rejected"),
    ("3,200-char equipment code", {"equipment_code": "poison-code"}, "rejected"),
]


def _poison_row(conn, columns: dict) -> str:
    rng = random.Random(7)
    row = {
        "event_uid": str(uuid.uuid4()),
        "kind": "raised",
        "equipment_code": "poison1",
        "failure_code": "POISON",
        "severity": "critical",
        "occurred_at": datetime.now(timezone.utc),
        **columns,
    }
    for name, value in row.items():
        if value == "poison-code":  # incompressible: past a btree entry's 2,704 bytes
            row[name] = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=3200))
    names = list(row)
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO scada.equipment_failure ({', '.join(names)}) VALUES "
            f"({', '.join('%s::jsonb' if n == 'payload' else '%s' for n in names)})",
            [row[n] for n in names],
        )
    return row["event_uid"]


def fault_poison_rows(stack: Stack, tmp: Path, good: int = 10_000) -> Result:
    t0 = time.monotonic()
    # The plant in Asia/Jakarta (UTC+7), a request and an alert for every failure.
    query(
        stack.odoo_db,
        "UPDATE ir_config_parameter SET value = 'Asia/Jakarta'"
        " WHERE key = 'scada_failure_report.plant_tz' RETURNING id",
    ) or query(
        stack.odoo_db,
        "INSERT INTO ir_config_parameter (key, value)"
        " VALUES ('scada_failure_report.plant_tz', 'Asia/Jakarta') RETURNING id",
    )
    query(
        stack.odoo_db,
        "UPDATE res_company SET scada_request_min_severity = 'low',"
        " scada_alert_min_severity = 'low' RETURNING id",
    )
    stack.stop("odoo")  # the workers' caches
    stack.start_odoo()
    now = datetime.now(timezone.utc)
    conn = connect(stack.scada_uri)
    expected: dict[str, str] = {}
    good_uids: list[str] = []
    try:
        for start in range(0, good, 2000):
            events = [
                NewEvent(
                    kind="raised",
                    equipment_code=f"good{i % 50}",
                    failure_code="GOOD",
                    description=f"good event {i}",
                    severity="low",
                    occurred_at=now - timedelta(seconds=good - i),
                    device="good",
                )
                for i in range(start, min(good, start + 2000))
            ]
            insert_events(conn, events)
            good_uids += [e.event_uid for e in events]
            conn.commit()
            # The poison among them: one kind per slice, each its own writer transaction.
            _what, columns, outcome = POISON[(start // 2000) % len(POISON)]
            expected[_poison_row(conn, columns)] = outcome
            conn.commit()
        for _what, columns, outcome in POISON[good // 2000 :]:
            expected[_poison_row(conn, columns)] = outcome
            conn.commit()
    finally:
        conn.close()
    states: set[str] = set()

    def done() -> bool:
        stack.ring()
        states.update(s for (s,) in query(stack.odoo_db, "SELECT state FROM scada_source"))
        read = (
            query(
                stack.odoo_db,
                "SELECT count(*) FROM scada_failure_report WHERE event_uid = ANY(%s)",
                (good_uids + list(expected),),
            )[0][0]
            + query(stack.odoo_db, "SELECT count(*) FROM scada_rejected_row")[0][0]
        )
        return read >= good + len(expected)

    wait_until("10,000 good rows and the poison pulled", done, 900, 1.0)

    def run_ended() -> bool:  # its state is written when the run ends
        states.update(s for (s,) in query(stack.odoo_db, "SELECT state FROM scada_source"))
        return "ok" in states or "error" in states

    wait_until("the pull run to end", run_ended, 300, 1.0)
    stored = {u for (u,) in query(stack.odoo_db, "SELECT event_uid FROM scada_failure_report")}
    rejected = dict(query(stack.odoo_db, "SELECT event_uid, reason FROM scada_rejected_row"))
    lost = len([u for u in good_uids if u not in stored])
    wrong = [
        u
        for u, outcome in expected.items()
        if (outcome == "stored" and u not in stored)
        or (outcome == "rejected" and not rejected.get(u))
    ]
    counts = {
        "good": good,
        "poison": len(expected),
        "good lost": lost,
        "poison stored": len([u for u in expected if u in stored]),
        "poison rejected with a reason": len([u for u in expected if rejected.get(u)]),
        "not as expected": len(wrong),
        "source states seen": "/".join(sorted(states)),
    }
    ok = lost == 0 and not wrong and "error" not in states
    return Result("poison-rows", ok, counts, time.monotonic() - t0)


NEEDS_ODOO = {"odoo-kill", "pull-kill", "api-fuzz", "horizon", "poison-rows"}

FAULTS = {
    "odoo-kill": fault_odoo_kill,
    "db-cut": fault_db_cut,
    "dead-plc": fault_dead_plc,
    "pull-kill": fault_pull_kill,
    "api-fuzz": fault_api_fuzz,
    "horizon": fault_horizon,
    "poison-rows": fault_poison_rows,
    "prune-readers": fault_prune_readers,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated faults: " + ", ".join(FAULTS))
    parser.add_argument("--keep", action="store_true", help="keep logs in the temporary folder")
    args = parser.parse_args(argv)
    chosen = [f for f in (args.only.split(",") if args.only else FAULTS) if f]
    unknown = [f for f in chosen if f not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s): {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    # The in-process poller of 'dead-plc': pymodbus would log every timeout of the dead PLC.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    tmp = Path(tempfile.mkdtemp(prefix="scada-faults-"))
    stack = Stack(tmp, "faults")
    results: list[Result] = []
    try:
        stack.scada()
        if set(chosen) & NEEDS_ODOO:
            # The poison rows' equipment: requests and alerts are opened for it.
            stack.odoo(workers=2, cron_threads=2, equipment="poison1=Poison line")
        print(
            f"faults: Odoo at {stack.odoo_url} (2 workers, 2 cron threads), logs in {tmp}",
            flush=True,
        )
        for name in chosen:
            try:
                result = FAULTS[name](stack, tmp)
            except DemoError as exc:
                result = Result(name, False, {"error": str(exc)})
            results.append(result)
            print(result.line(), flush=True)
    finally:
        stack.close()
    print(f"faults: {sum(r.ok for r in results)} of {len(results)} passed")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
