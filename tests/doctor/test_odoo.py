"""`scada-bridge doctor`, Odoo hop: what a person sees for each way Odoo can be wrong.

Over 400 lines because each way Odoo can be wrong needs its stand-in answer
beside the check of what a person sees.

"Nothing listens" and "not HTTP" run against real sockets on 127.0.0.1. The
answers of the module's ``GET /api/scada/status`` come from a small stand-in
HTTP server speaking that route's documented contract (issue 5 builds the real
route; a real Odoo takes a minute to start, so the end-to-end run against the
real module is `make demo` followed by doctor, see README "Embedded demo").
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scada_bridge import Cursor, insert_events
from scada_bridge.doctor import Settings, diagnose, report
from scada_bridge.doctor.odoo import odoo_checks

from tests.helpers import raised

NOW = datetime(2026, 11, 29, 5, 0, 0, tzinfo=timezone.utc)
KEY = "k3y-that-must-never-be-printed-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _odoo_time(moment: datetime) -> str:
    """A time as the module's ``_iso`` sends it: Odoo's naive UTC datetime + '+00:00'."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0).isoformat() + (
        "+00:00"
    )


def _status(now: datetime = NOW, **overrides) -> dict:
    """A healthy status as of ``now`` (pulled a minute ago, next pull in 30 s), in the
    shape ``scada.source._status_json()`` answers (models/scada_source.py): the cron
    interval as "N type" text, times in ISO 8601 with their offset, null for no value
    (never Odoo's False), and the plant time zone."""
    last = _odoo_time(now - timedelta(minutes=1))
    body = {
        "module": {"name": "scada_failure_report", "version": "18.0.1.0.0"},
        "cron": {
            "active": True,
            "interval": "1 minutes",
            "lastcall": last,
            "nextcall": _odoo_time(now + timedelta(seconds=30)),
            "failure_count": 0,
        },
        "sources": [
            {
                "id": 1,
                "name": "Plant",
                "active": True,
                "state": "ok",
                "last_pull_at": last,
                "last_success_at": last,
                "last_error": None,
                "cursor": "0:0",
            }
        ],
        "plant_tz": {"name": "UTC", "set": True, "users": {"UTC": 2}},
        "user": "scada-integration",
    }
    body.update(overrides)
    return body


class FakeOdoo:
    """Answers /web/health like Odoo 18 and /api/scada/status per the module's contract."""

    def __init__(self) -> None:
        self.status: dict | None = _status()
        self.key = KEY
        self.forbidden = False
        self.redirect: str | None = None
        #: Every request received: (path, Authorization header).
        self.requests: list[tuple[str, str | None]] = []
        self.seen_auth: list[str | None] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def _json(self, code: int, body: dict, extra: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                fake.requests.append((self.path, self.headers.get("Authorization")))
                if fake.redirect and self.path != "/web/health":
                    fake.seen_auth.append(self.headers.get("Authorization"))
                    self.send_response(303)
                    self.send_header("Location", fake.redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if self.path == "/web/health":
                    return self._json(200, {"status": "pass"})
                if self.path == "/api/scada/status" and fake.status is not None:
                    auth = self.headers.get("Authorization")
                    fake.seen_auth.append(auth)
                    if auth != f"Bearer {fake.key}":
                        return self._json(
                            401, {"error": "invalid key"}, {"WWW-Authenticate": "Bearer"}
                        )
                    if fake.forbidden:
                        return self._json(403, {"error": "forbidden"})
                    return self._json(200, fake.status)
                return self._json(404, {"error": "not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOdoo:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    with FakeOdoo() as fake:
        yield fake


def _rows(checks) -> dict[str, object]:
    return {c.name: c for c in checks}


def _run_cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("ODOO_URL", "ODOO_API_KEY")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "scada_bridge.cli", "doctor", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_nothing_listening_is_one_row_with_the_fix_and_exit_1():
    port = _free_port()
    proc = _run_cli("--odoo-url", f"http://127.0.0.1:{port}", "--odoo-key", KEY)
    assert proc.returncode == 1
    odoo_rows = [line for line in proc.stdout.splitlines() if "Odoo" in line]
    assert len(odoo_rows) == 1, proc.stdout
    row = odoo_rows[0]
    assert row.startswith(f"\u2717 Odoo: reachable: nothing listens at 127.0.0.1:{port}")
    for cause in ("start Odoo", "8069 is Odoo's default", "published"):
        assert cause in row
    assert "Traceback" not in proc.stderr
    assert KEY not in proc.stdout + proc.stderr


def test_a_port_that_is_not_http_is_named_as_such():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def accept_and_hang_up() -> None:
        conn, _ = listener.accept()
        conn.recv(100)
        conn.close()

    threading.Thread(target=accept_and_hang_up, daemon=True).start()
    try:
        (row,) = odoo_checks(f"http://127.0.0.1:{port}", KEY, timeout=5).checks
    finally:
        listener.close()
    assert not row.ok
    assert "does not answer HTTP" in row.detail
    assert "not Odoo's" in row.fix


def test_an_invalid_url_says_how_to_write_it():
    (row,) = odoo_checks("localhost:8069", KEY).checks
    assert not row.ok
    assert "http://HOST:PORT" in row.detail + row.fix


def test_all_good_is_all_ticks_and_exit_0(odoo):
    result = odoo_checks(odoo.url, KEY, now=NOW)
    rows = _rows(result.checks)
    assert all(c.ok for c in result.checks), [c.line() for c in result.checks]
    assert "scada-integration" in rows["API key"].detail
    assert "18.0.1.0.0" in rows["module"].detail
    assert "every 1 minute, last run 60 s ago" in rows["scheduled pull"].detail
    assert "source 'Plant'" in rows
    assert odoo.seen_auth == [f"Bearer {KEY}"]


def test_missing_key_stops_after_reachable(odoo):
    checks = odoo_checks(odoo.url, None, now=NOW).checks
    assert [(c.name, c.ok) for c in checks] == [("reachable", True), ("API key", False)]
    assert "ODOO_API_KEY" in checks[1].fix
    assert odoo.seen_auth == []


def test_wrong_key_is_refused(odoo):
    checks = odoo_checks(odoo.url, "wrong-key", now=NOW).checks
    assert not _rows(checks)["API key"].ok
    assert "401" in _rows(checks)["API key"].detail
    assert "New API Key" in _rows(checks)["API key"].fix


def test_user_without_the_groups(odoo):
    odoo.forbidden = True
    row = _rows(odoo_checks(odoo.url, KEY, now=NOW).checks)["API key"]
    assert not row.ok and "403" in row.detail and "SCADA Manager" in row.fix


def test_module_not_installed(odoo):
    odoo.status = None  # the route is unknown: Odoo answers 404
    rows = _rows(odoo_checks(odoo.url, KEY, now=NOW).checks)
    assert not rows["module"].ok
    assert "not installed" in rows["module"].detail
    assert "-i scada_failure_report" in rows["module"].fix
    assert rows["API key"].skipped


def test_inactive_cron(odoo):
    odoo.status = _status(cron={**_status()["cron"], "active": False})
    row = _rows(odoo_checks(odoo.url, KEY, now=NOW).checks)["scheduled pull"]
    assert not row.ok and "inactive" in row.detail and "Scheduled Actions" in row.fix


def test_failing_cron_shows_its_failure_count(odoo):
    odoo.status = _status(cron={**_status()["cron"], "failure_count": 3})
    row = _rows(odoo_checks(odoo.url, KEY, now=NOW).checks)["scheduled pull"]
    assert not row.ok and "3 failure(s) in a row" in row.detail


def test_overdue_cron_points_at_cron_threads(odoo):
    cron = {
        **_status()["cron"],
        "lastcall": "2026-11-29T03:00:00+00:00",
        "nextcall": "2026-11-29T03:01:00+00:00",
    }
    odoo.status = _status(cron=cron)
    row = _rows(odoo_checks(odoo.url, KEY, now=NOW).checks)["scheduled pull"]
    assert not row.ok
    assert "overdue" in row.detail
    assert "max_cron_threads" in row.fix


def test_source_error_is_shown_with_its_fix(odoo):
    source = {
        **_status()["sources"][0],
        "state": "error",
        "last_error": "connection refused at scada-db:5432: no PostgreSQL listens there: "
        "check the server is running",
        "last_success_at": "2026-11-29T04:00:00+00:00",
    }
    odoo.status = _status(sources=[source])
    row = _rows(odoo_checks(odoo.url, KEY, now=NOW).checks)["source 'Plant'"]
    assert not row.ok
    assert "state error" in row.detail
    assert "last success 60 min ago" in row.detail
    assert "connection refused at scada-db:5432" in row.detail
    assert row.fix == "check the server is running"


def test_no_source_configured(odoo):
    odoo.status = _status(sources=[])
    row = _rows(odoo_checks(odoo.url, KEY, now=NOW).checks)["sources"]
    assert not row.ok and "Sources > New" in row.fix


def test_inactive_source_is_not_an_error(odoo):
    odoo.status = _status(sources=[{**_status()["sources"][0], "active": False}])
    checks = odoo_checks(odoo.url, KEY, now=NOW).checks
    row = _rows(checks)["source 'Plant'"]
    assert row.skipped and report(checks, out=open("/dev/null", "w")) == 0


def test_backlog_counts_from_the_odoo_sources_cursor(odoo, scada_conn, scada_uri):
    insert_events(scada_conn, [raised(n=i) for i in range(3)])
    insert_events(scada_conn, [raised(n=10)])
    # Odoo has pulled the first two rows. (Not read_events: other sessions' open
    # transactions on this shared server would hold the visible horizon back.)
    with scada_conn.cursor() as cur:
        cur.execute("SELECT tx::text, id FROM scada.equipment_failure ORDER BY tx, id")
        second = cur.fetchall()[1]
    pulled = Cursor(int(second[0]), second[1])
    odoo.status = _status(sources=[{**_status()["sources"][0], "cursor": str(pulled)}])

    checks = diagnose(Settings(db_uri=scada_uri, odoo_url=odoo.url, odoo_key=KEY))

    backlog = next(c for c in checks if c.name == "backlog")
    assert backlog.detail == f"2 event(s) after the cursor {pulled} of source 'Plant' in Odoo"
    oldest = next(c for c in checks if c.name == "oldest pending event")
    assert oldest.ok  # just recorded: within the default 15 minutes


def test_old_backlog_behind_odoo_is_flagged(odoo, scada_conn, scada_uri):
    insert_events(scada_conn, [raised()])
    checks = diagnose(
        Settings(db_uri=scada_uri, odoo_url=odoo.url, odoo_key=KEY),
        now=datetime.now(timezone.utc) + timedelta(hours=1),
    )
    oldest = next(c for c in checks if c.name == "oldest pending event")
    assert not oldest.ok and "not pulling" in oldest.fix


def test_cli_all_good_json_exit_0_and_key_never_printed(odoo, scada_uri):
    odoo.status = _status(now=datetime.now(timezone.utc))
    proc = _run_cli(
        "--db",
        scada_uri,
        "--json",
        env_extra={"ODOO_URL": odoo.url, "ODOO_API_KEY": KEY},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report_ = json.loads(proc.stdout)
    assert report_["ok"] is True
    hops = {c["hop"] for c in report_["checks"] if not c["skipped"]}
    assert hops == {"SCADA database", "Odoo"}
    assert KEY not in proc.stdout + proc.stderr


def test_a_redirect_is_reported_and_the_key_never_follows_it(odoo):
    catcher = FakeOdoo()  # where the redirect points: must never see the key
    with catcher:
        odoo.redirect = f"{catcher.url}/web/login"
        checks = odoo_checks(odoo.url, KEY, now=NOW).checks
    row = _rows(checks)["module"]
    assert not row.ok
    assert f"redirects to {catcher.url}/web/login (HTTP 303)" in row.detail
    assert "dbfilter" in row.fix
    assert catcher.requests == []  # not followed: neither the request nor the key
    assert odoo.requests[-1] == ("/api/scada/status", f"Bearer {KEY}")


def test_plant_time_zone_left_at_utc_while_users_are_in_jakarta(odoo):
    odoo.status = _status(
        plant_tz={"name": "UTC", "set": True, "users": {"Asia/Jakarta": 3, "": 1, "UTC": 1}}
    )
    row = _rows(odoo_checks(odoo.url, KEY, now=NOW).checks)["plant time zone"]
    assert not row.ok
    assert "UTC while 3 of 5 Odoo user(s) are in Asia/Jakarta" in row.detail
    assert "Settings > SCADA > Plant time zone" in row.fix


def test_plant_time_zone_of_the_plant_is_fine(odoo):
    odoo.status = _status(plant_tz={"name": "Asia/Jakarta", "set": False, "users": {"UTC": 2}})
    row = _rows(odoo_checks(odoo.url, KEY, now=NOW).checks)["plant time zone"]
    assert row.ok
    assert row.detail == "Asia/Jakarta (from the administrator's time zone)"
    odoo.status = _status(plant_tz={"name": "UTC", "set": True, "users": {"UTC": 2, "": 4}})
    assert _rows(odoo_checks(odoo.url, KEY, now=NOW).checks)["plant time zone"].ok


def test_module_without_plant_time_zone_adds_no_row(odoo):
    """An older module's status has no plant_tz: no row rather than a false alarm."""
    odoo.status = {k: v for k, v in _status().items() if k != "plant_tz"}
    assert "plant time zone" not in _rows(odoo_checks(odoo.url, KEY, now=NOW).checks)


def test_a_fresh_install_with_nulls_everywhere_reads_as_such(odoo):
    """Right after installing: the cron never ran, the source never pulled, no version
    recorded yet. Nulls are facts to show, not errors and never a crash."""
    cron = {**_status()["cron"], "lastcall": None, "nextcall": _odoo_time(NOW)}
    source = {
        **_status()["sources"][0],
        "state": "new",
        "last_pull_at": None,
        "last_success_at": None,
        "last_error": None,
        "cursor": None,
    }
    odoo.status = _status(
        module={"name": "scada_failure_report", "version": None}, cron=cron, sources=[source]
    )
    result = odoo_checks(odoo.url, KEY, now=NOW)
    rows = _rows(result.checks)
    assert rows["scheduled pull"].ok
    assert "every 1 minute, never run yet" in rows["scheduled pull"].detail
    assert rows["source 'Plant'"].ok
    assert rows["source 'Plant'"].detail == "state new, no successful pull yet"
    assert result.cursor is None  # no cursor: the backlog is not counted from one


def test_times_with_an_offset_are_read_as_such(odoo):
    """The module sends UTC with '+00:00'; a proxy or a later version may send another
    offset or 'Z': the age is the same instant either way."""
    plus_seven = (NOW - timedelta(hours=2)).astimezone(timezone(timedelta(hours=7)))
    source = {
        **_status()["sources"][0],
        "state": "error",
        "last_error": "connection refused at scada-db:5432",
        "last_success_at": plus_seven.isoformat(),
        "last_pull_at": (NOW - timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
    }
    odoo.status = _status(sources=[source])
    row = _rows(odoo_checks(odoo.url, KEY, now=NOW).checks)["source 'Plant'"]
    assert "last success 2 h" in row.detail
    assert "(last pull 60 s ago)" in row.detail
