"""The scada-bridge command as a person runs it: real process, real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from scada_bridge import connect, insert_events

from tests.helpers import cleared, insert_raw, raised
from tests.pg_password_server import free_port


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "SCADA_DB_URI"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "scada_bridge.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=full_env,
    )


def next_cursor(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("next-cursor: ")]
    assert len(lines) == 1, stderr
    return lines[0].removeprefix("next-cursor: ")


def test_migrate_then_rerun_says_nothing_to_do(make_db):
    uri = make_db()
    first = run("migrate", "--db", uri)
    assert first.returncode == 0, first.stderr
    assert "created at version" in first.stdout
    again = run("migrate", env={"SCADA_DB_URI": uri})
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_events_prints_json_lines_and_a_cursor_that_resumes(scada_uri):
    conn = connect(scada_uri, autocommit=True)
    first = raised(payload={"coil": 3})
    insert_events(conn, [first, cleared(first), raised("silo102", n=5)])
    bad_id = insert_raw(conn, kind="bogus")
    insert_events(conn, [raised("silo103", n=9)])

    out = run("events", "--db", scada_uri, "--limit", "2")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["kind"] for r in rows] == ["raised", "cleared"]
    assert set(rows[0]) >= {
        "id", "event_uid", "kind", "raise_uid", "equipment_code", "failure_code",
        "description", "severity", "occurred_at", "recorded_at", "device", "tx", "payload",
    }  # fmt: skip
    assert rows[0]["payload"] == {"coil": 3}
    assert rows[1]["raise_uid"] == first.event_uid

    rest = run("events", "--db", scada_uri, "--after", next_cursor(out.stderr))
    assert [json.loads(line)["equipment_code"] for line in rest.stdout.splitlines()] == [
        "silo102",
        "silo103",
    ]
    assert f"rejected row id={bad_id}" in rest.stderr and "unknown kind 'bogus'" in rest.stderr

    done = run("events", "--db", scada_uri, "--after", next_cursor(rest.stderr))
    assert done.stdout == "" and next_cursor(done.stderr) == next_cursor(rest.stderr)


def test_doctor_on_a_refusing_database_prints_one_line_and_fails():
    port = free_port()
    out = run("doctor", "--db", f"postgresql://scada@127.0.0.1:{port}/scada")
    assert out.returncode != 0
    # Hops not configured (no --config, no --odoo-url) are listed as not checked.
    lines = [line for line in out.stdout.splitlines() if line.startswith("\u2717")]
    assert len(lines) == 1, out.stdout
    assert f"127.0.0.1:{port}" in lines[0] and "connection refused" in lines[0]
    assert "check the server is running" in lines[0]
    assert "Traceback" not in out.stderr


def test_doctor_on_a_healthy_database_is_all_green(scada_uri):
    conn = connect(scada_uri, autocommit=True)
    insert_events(conn, [raised()])
    out = run("doctor", "--db", scada_uri, "--json")
    assert out.returncode == 0, out.stdout
    report = json.loads(out.stdout)
    assert report["ok"] is True
    names = [c["name"] for c in report["checks"] if c["hop"] == "SCADA database"]
    assert names == ["reachable", "schema version", "backlog", "oldest pending event", "horizon"]


def test_every_expected_failure_is_one_line_without_traceback(make_db):
    empty = make_db()
    cases = [
        (["events"], "no SCADA database given"),
        (["events", "--db", "postgresql:/"], "URI is not valid"),
        (["events", "--db", empty], "schema 'scada' is missing"),
        (["events", "--db", empty, "--after", "nope"], "cursor 'nope' is not valid"),
        (
            ["migrate", "--db", f"postgresql://scada@127.0.0.1:{free_port()}/x"],
            "connection refused",
        ),
    ]
    for args, message in cases:
        out = run(*args)
        assert out.returncode == 1, (args, out.stderr)
        assert message in out.stderr, (args, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1, (args, out.stderr)
        assert "Traceback" not in out.stderr
