# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""`systemctl stop` on the poller: SIGTERM, a clean exit, the spool intact (issue 25).

The poller runs as the systemd unit runs it (`scada-bridge poll --config FILE`,
the database URI from the environment) in its own process, against the
simulator in another. The SCADA database is unreachable while a failure is
raised, so the event waits in the spool; SIGTERM must end the poller with exit
status 0 within the unit's TimeoutStopSec, keeping that event; the next start,
with the database back, stores it exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
from scada_bridge.deploy.systemd import STOP_TIMEOUT

from tests.poller_fixtures import free_port

SCADA_BRIDGE = [sys.executable, "-m", "scada_bridge.cli"]

PLANT = """
[database]
uri_env = "PLANT_DB_URI"
connect_timeout = 2
retry_max = 0.2

[poller]
state_dir = "{state}"
backoff_initial = 0.05
backoff_max = 0.2
status_every = 0.1

[[plc]]
name = "line1"
host = "127.0.0.1"
port = {port}
interval = 0.05
timeout = 0.3

  [[plc.condition]]
  equipment = "silo101"
  failure_code = "START_FAILURE"
  description = "Motor did not start"
  table = "coil"
  address = 0
"""

SCENARIO = """
[[step]]
action = "raise"
plc = "line1"
equipment = "silo101"
failure_code = "START_FAILURE"

[[step]]
action = "wait"
seconds = 3600
"""


def wait_for(what: str, check, timeout: float = 60.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the poller exited ({proc.returncode}) first")
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [*SCADA_BRIDGE, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,
        )


def stop(proc: subprocess.Popen) -> tuple[int, float]:
    """SIGTERM, as systemctl stop sends it; the exit status and how long it took."""
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # what systemd does after TimeoutStopSec
        proc.wait(10)
        raise AssertionError(
            f"the poller did not stop within {STOP_TIMEOUT} s of SIGTERM"
        ) from None
    return code, time.monotonic() - started


def spooled(spool: Path) -> list[dict]:
    if not spool.exists():
        return []
    return [json.loads(line) for line in spool.read_text("utf-8").splitlines() if line.strip()]


def stored(uri: str) -> list[tuple[str, str, str]]:
    conn = psycopg2.connect(uri)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT kind, equipment_code, event_uid::text FROM scada.equipment_failure"
                " ORDER BY id"
            )
            return cur.fetchall()
    finally:
        conn.close()


def polled_after_last_event(uri: str) -> bool:
    """True once the poller has polled well after storing its last event."""
    conn = psycopg2.connect(uri)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT s.last_poll_at > max(e.recorded_at) + interval '0.5 s'"
                " FROM scada.plc_status s, scada.equipment_failure e"
                " WHERE s.device = 'line1' GROUP BY s.last_poll_at"
            )
            row = cur.fetchone()
            return bool(row and row[0])
    finally:
        conn.close()


def test_sigterm_stops_the_poller_cleanly_and_its_spool_survives_to_the_next_start(
    tmp_path, scada_uri
):
    state = tmp_path / "state"
    port = free_port()
    config = tmp_path / "plant.toml"
    config.write_text(PLANT.format(state=state, port=port), "utf-8")
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(SCENARIO, "utf-8")
    dead_db = f"host=127.0.0.1 port={free_port()} user=postgres dbname=gone connect_timeout=2"
    spool = state / "spool.jsonl"

    sim = start(
        ["simulate", "--config", str(config), "--scenario", str(scenario)], {}, tmp_path / "sim.log"
    )
    poller = None
    try:
        # 1. The database is down: the raise goes to the spool.
        poller = start(
            ["poll", "--config", str(config)], {"PLANT_DB_URI": dead_db}, tmp_path / "poll1.log"
        )
        (event,) = wait_for("the raise in the spool", lambda: spooled(spool), proc=poller)
        assert (event["kind"], event["equipment_code"]) == ("raised", "silo101")

        code, took = stop(poller)
        log = (tmp_path / "poll1.log").read_text()
        assert code == 0, log
        assert "stopped with 1 event(s) still in the spool" in log, log
        assert "Traceback" not in log, log
        assert [e["event_uid"] for e in spooled(spool)] == [event["event_uid"]]

        # 2. Database back, poller started again: the spooled raise is stored once,
        #    and the still-active condition raises nothing new.
        poller = start(
            ["poll", "--config", str(config)], {"PLANT_DB_URI": scada_uri}, tmp_path / "poll2.log"
        )
        wait_for("the spooled raise in the database", lambda: stored(scada_uri), proc=poller)
        wait_for("polls after it", lambda: polled_after_last_event(scada_uri), proc=poller)
        code, _ = stop(poller)
        log = (tmp_path / "poll2.log").read_text()
        assert code == 0, log
        assert "still in the spool" not in log and "Traceback" not in log, log
        assert stored(scada_uri) == [("raised", "silo101", event["event_uid"])]
        assert spooled(spool) == []
    finally:
        for proc in (poller, sim):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
    assert took < STOP_TIMEOUT
