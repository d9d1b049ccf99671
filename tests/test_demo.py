"""`make demo` (scripts/demo.py) as a person runs it: it shows the failures, and
Ctrl-C or SIGTERM leaves no process and no database behind.

The PLC -> SCADA half runs everywhere. The whole chain needs an Odoo 18 tree at
ODOO_PATH (default /opt/odoo18), like the Odoo test tier, and takes about two
minutes: Odoo's database is created, then the scheduled pull runs every minute.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "scripts" / "demo.py"
ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo18"))
READY = "demo: running; press Ctrl-C to stop everything"


class Demo:
    """scripts/demo.py in its own session, its output collected line by line."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-u", str(DEMO), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        self.kill()
        pytest.fail(f"demo never printed {text!r}; output:\n{self.output}")

    def started_pids(self) -> dict[str, int]:
        found = {}
        for line in self.lines:
            match = re.match(r"demo: started (\S+) \(pid (\d+),", line)
            if match:
                found[match[1]] = int(match[2])
        return found

    def stop(self, sig: int, timeout: float = 60) -> int:
        os.kill(self.proc.pid, sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"demo did not exit within {timeout} s of {sig!r}:\n{self.output}")
        self.reader.join(10)
        return code

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in self.started_pids().values():
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(10)


def _alive(pid: int) -> bool:
    """True while the process, or anything in its process group, still exists."""
    try:
        os.killpg(pid, 0)
        return True
    except ProcessLookupError:
        pass
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def _demo_databases(suffix: int) -> list[str]:
    conn = psycopg2.connect("host=127.0.0.1 user=postgres dbname=postgres", connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT datname FROM pg_database WHERE datname IN (%s, %s)",
                (f"scada_demo_{suffix}", f"odoo_demo_{suffix}"),
            )
            return [row[0] for row in cur.fetchall()]
    finally:
        conn.close()


def _assert_nothing_left(demo: Demo, expected: set[str]) -> None:
    pids = demo.started_pids()
    assert expected <= set(pids), demo.output
    left = {name: pid for name, pid in pids.items() if _alive(pid)}
    assert left == {}, f"still running after the demo exited: {left}"
    assert _demo_databases(demo.proc.pid) == []
    assert "demo: nothing left running" in demo.lines[-1]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_without_odoo_runs_plc_to_scada_says_what_is_missing_and_stops_clean(sig, tmp_path):
    # No tree, and a source that cannot be fetched from (as without network).
    demo = Demo(
        env={
            "ODOO_PATH": "/nonexistent/odoo18",
            "SCADA_ODOO_SOURCE": "/nonexistent/odoo.git",
            "SCADA_ODOO_CACHE": str(tmp_path),
        }
    )
    demo.wait_for_line(READY, 120)
    assert re.search(r"PLC -> SCADA works: \d+ event\(s\)", demo.output)
    assert "raised   silo101  START_FAILURE" in demo.output
    (why,) = [line for line in demo.lines if "fetching one failed" in line]
    assert "no Odoo 18.0 tree at ODOO_PATH=/nonexistent/odoo18" in why
    assert why.endswith("export ODOO_PATH=/path/to/odoo-18.0"), why
    assert "so the Odoo half does not run" in demo.output
    assert demo.stop(sig) == 0
    _assert_nothing_left(demo, {"simulator", "poller"})


@pytest.mark.skipif(
    not (ODOO_PATH / "odoo-bin").is_file(),
    reason=f"the Odoo half needs an Odoo 18 tree at ODOO_PATH={ODOO_PATH}",
)
# Its own waits are bounded (900 s to be ready, 150 s for a live failure, 90 s to stop):
# pytest.ini's 300 s for one test would end the whole run first on a busy machine.
@pytest.mark.timeout(1200)
def test_whole_chain_failures_reach_odoo_doctor_all_good_ctrl_c_stops_everything():
    demo = Demo("--timeout", "300")
    demo.wait_for_line(READY, 900)
    out = demo.output
    arrived = re.search(r"demo: (\d+) failure\(s\) in Odoo, (\d+) s after", out)
    assert arrived, out
    assert int(arrived[1]) >= 1
    # The scenario's failures, as Odoo holds them.
    assert re.search(r"(active|cleared)\s+silo101\s+START_FAILURE", out), out
    doctor = [line for line in demo.lines if line[:2] in ("\u2713 ", "\u2717 ", "- ")]
    assert doctor, out
    assert all(line.startswith("\u2713 ") for line in doctor), "\n".join(doctor)
    assert {"config", "PLC", "poller", "SCADA database", "Odoo"} == {
        line[2:].split(":")[0] for line in doctor
    }
    assert "Login:    admin / admin" in out

    # Live: the scenario repeats every 60 s; the poller rings Odoo's doorbell after
    # each write, so every new failure shows up without waiting for the schedule.
    demo.wait_for_line("demo: new in Odoo:", 150)
    live = next(line for line in demo.lines if line.startswith("demo: new in Odoo:"))
    assert re.fullmatch(r"demo: new in Odoo: \S+ \S+ \([\d.]+ s after the poller stored it\)", live)

    # The real module's status route, seen through doctor: a wrong key is one row.
    url = re.search(r"Odoo answers at (http://127\.0\.0\.1:\d+)", out)[1]
    wrong = subprocess.run(
        [sys.executable, "-m", "scada_bridge.cli", "doctor", "--odoo-url", url],
        env={**os.environ, "ODOO_API_KEY": "not-a-key"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 1
    assert "\u2717 Odoo: API key: Odoo refused the API key (401)" in wrong.stdout, wrong.stdout

    assert demo.stop(signal.SIGINT, timeout=90) == 0
    _assert_nothing_left(demo, {"simulator", "poller", "odoo"})
