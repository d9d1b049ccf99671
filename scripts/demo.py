#!/usr/bin/env python3
"""The whole pipeline on this machine, without Docker: `make demo`.

Over 400 lines because it is one runnable walk through the whole stack, each
step a function, so that `make demo` stays one command.

PLC simulator --Modbus TCP--> poller --> SCADA PostgreSQL <-- Odoo 18 (scheduled pull)

1. creates and migrates a SCADA database, starts `scada-bridge simulate` with a
   scenario (failures happen by themselves) and `scada-bridge poll`;
2. with an Odoo 18 tree (at ODOO_PATH, else fetched once by scripts/fetch-odoo.sh
   into ~/.cache/scada-failure-bridge): creates an Odoo database with the module
   and a source pointing at the SCADA database, starts Odoo on a free port,
   waits (bounded) until the failures are in Odoo, prints them with the URL and
   the login, and runs `scada-bridge doctor` against it all;
3. runs until Ctrl-C (or SIGTERM), then stops every process it started (each in
   its own process group), drops its databases and leaves nothing running.

Without an Odoo tree, and none could be fetched, it runs the PLC -> SCADA half
and says in one line what failed and how to point it at an existing tree.

PostgreSQL is reached the libpq way (PGHOST, PGPORT, PGUSER; default the local
socket as your OS user, which must be allowed to create databases). Odoo
refuses to run as the PostgreSQL superuser "postgres": use another role.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLANT = ROOT / "examples" / "docker-plant.toml"
SCENARIO = ROOT / "examples" / "demo-scenario.toml"
ODOO_SETUP = ROOT / "scripts" / "odoo_setup.py"
DEFAULT_ODOO_PATH = "/opt/odoo18"
#: Maintenance equipment for the plant's codes, so the failures link to it.
PLANT_EQUIPMENT = "silo101=Silo 101 discharge motor;pump7=Pump 7;conv12=Conveyor 12;mix02=Mixer 2"
LOGIN = "admin"
PASSWORD = "admin"


class Stop(Exception):
    """SIGINT or SIGTERM arrived: unwind and clean up."""


class DemoError(Exception):
    """Something a person must fix; printed as one line."""


def say(text: str) -> None:
    print(f"demo: {text}", flush=True)


# -- processes ---------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the demo itself is killed (Linux)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Processes:
    """Every process the demo starts, each leading its own process group."""

    def __init__(self, logdir: Path) -> None:
        self.logdir = logdir
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], **kw) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "ab")  # closed below, the child keeps its copy
        proc = subprocess.Popen(
            argv,
            stdin=kw.pop("stdin", subprocess.DEVNULL),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            **kw,
        )
        log.close()
        self.started.append((name, proc))
        say(f"started {name} (pid {proc.pid}, log {self.logdir / (name + '.log')})")
        return proc

    def run(self, name: str, argv: list[str], *, timeout: float, **kw) -> None:
        """Start, wait (bounded), and fail with the log's tail on a non-zero exit."""
        proc = self.start(name, argv, **kw)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise DemoError(f"{name} did not finish within {timeout:.0f} s: see its log") from None
        if code != 0:
            raise DemoError(f"{name} failed (exit {code}): {self.tail(name)}")

    def tail(self, name: str, lines: int = 3) -> str:
        try:
            text = (self.logdir / f"{name}.log").read_text(errors="replace").strip()
        except OSError:
            return "(no log)"
        return " | ".join(text.splitlines()[-lines:])

    def check_alive(self) -> None:
        for name, proc in self.started:
            if proc.poll() is not None and name in ("simulator", "poller", "odoo"):
                raise DemoError(f"{name} exited (code {proc.returncode}): {self.tail(name)}")

    def stop(self, name: str, grace: float = 10.0) -> None:
        """Stop one process group and forget it (to start it again differently)."""
        for entry in [e for e in self.started if e[0] == name]:
            proc = entry[1]
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(grace)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
            self.started.remove(entry)

    def stop_all(self, grace: float = 10.0) -> None:
        """SIGTERM every group, then SIGKILL what is left after ``grace`` seconds."""
        running = [(n, p) for n, p in self.started if p.poll() is None]
        for _, proc in running:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        for name, proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} ignored SIGTERM for {grace:.0f} s: killing it")
        # Anything left in the groups (children of children) goes too.
        for _, proc in self.started:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if running:
            say("stopped " + ", ".join(f"{n} (pid {p.pid})" for n, p in running))


# -- helpers -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, ready: Callable[[], object], timeout: float, procs: Processes) -> object:
    """Call ``ready`` until it returns something truthy; bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        procs.check_alive()
        value = ready()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"gave up waiting {timeout:.0f} s for {what}")
        time.sleep(1.0)


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def pg_admin():
    import psycopg2

    try:
        conn = psycopg2.connect(dbname="postgres", connect_timeout=5)
    except psycopg2.OperationalError as exc:
        first = str(exc).strip().splitlines()[0]
        raise DemoError(
            f"PostgreSQL is not reachable ({first}): start it (pg_ctlcluster 15 main start) "
            "or point PGHOST/PGPORT/PGUSER at a server where you may create databases"
        ) from None
    conn.autocommit = True
    return conn


def plant_config(tmp: Path, ports: tuple[int, int]) -> Path:
    """examples/docker-plant.toml on 127.0.0.1, free ports, a state dir in ``tmp``."""
    text = PLANT.read_text()
    text = text.replace('host = "plc-sim"', 'host = "127.0.0.1"')
    text = re.sub(r"(?m)^port = 5020$", f"port = {ports[0]}", text)
    text = re.sub(r"(?m)^port = 5021$", f"port = {ports[1]}", text)
    text = re.sub(r"(?m)^state_dir = .*$", f'state_dir = "{tmp / "poller-state"}"', text)
    path = tmp / "plant.toml"
    path.write_text(text)
    return path


def opcua_config(tmp: Path, port: int) -> Path:
    """examples/opcua-plant.toml on a free port, a state dir in ``tmp`` (``--opcua``)."""
    text = (ROOT / "examples" / "opcua-plant.toml").read_text()
    text = text.replace("opc.tcp://127.0.0.1:4840", f"opc.tcp://127.0.0.1:{port}")
    text = re.sub(r"(?m)^state_dir = .*$", f'state_dir = "{tmp / "poller-state"}"', text)
    path = tmp / "opcua-plant.toml"
    path.write_text(text)
    return path


def scada_events(uri: str) -> list[tuple]:
    import psycopg2

    try:
        with psycopg2.connect(uri, connect_timeout=5) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT kind, equipment_code, failure_code, description, device, recorded_at"
                " FROM scada.equipment_failure ORDER BY id"
            )
            rows = cur.fetchall()
        conn.close()
        return rows
    except psycopg2.Error:
        return []


def recorded_at(uri: str, event_uid: str):
    """When the poller stored the event ``event_uid`` in the SCADA database."""
    import psycopg2

    try:
        conn = psycopg2.connect(uri, connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT recorded_at FROM scada.equipment_failure WHERE event_uid = %s",
                    (event_uid,),
                )
                row = cur.fetchone()
        finally:
            conn.close()
    except psycopg2.Error:
        return None
    return row[0] if row else None


def jsonrpc(url: str, service: str, method: str, *args):
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": list(args)},
        }
    ).encode()
    request = urllib.request.Request(f"{url}/jsonrpc", body, {"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as resp:
        reply = json.load(resp)
    if reply.get("error"):
        data = reply["error"].get("data") or {}
        raise DemoError(f"Odoo JSON-RPC {method} failed: {data.get('message') or reply['error']}")
    return reply["result"]


def odoo_healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/web/health", timeout=5) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


# -- the demo ------------------------------------------------------------------


def run(args: argparse.Namespace, procs: Processes, tmp: Path, cleanup: list) -> int:
    try:
        import scada_bridge  # noqa: F401 - the simulator, poller and doctor run from it
        from psycopg2 import sql
    except ImportError as exc:
        raise DemoError(
            f"{exc.name} is not installed for {sys.executable}: run 'make demo' (it builds "
            ".venv) or pip install -r requirements.txt"
        ) from None

    bridge = [sys.executable, "-m", "scada_bridge.cli"]
    suffix = f"{os.getpid()}"
    scada_db = f"scada_demo_{suffix}"
    odoo_db = f"odoo_demo_{suffix}"
    admin = pg_admin()
    user = admin.get_dsn_parameters().get("user")

    def drop(name: str) -> None:
        conn = pg_admin()
        try:
            with conn.cursor() as cur:
                cur.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        finally:
            conn.close()
        say(f"dropped database {name}")

    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scada_db)))
    if not args.keep:
        cleanup.append(lambda: drop(scada_db))
    dsn = admin.get_dsn_parameters()
    host = dsn.get("host", "")
    scada_uri = (
        f"dbname={scada_db}"
        + (f" host={host}" if host else "")
        + (f" port={dsn['port']}" if dsn.get("port") else "")
        + (f" user={user}" if user else "")
    )
    admin.close()
    say(f"SCADA database {scada_db} created")
    procs.run("migrate", [*bridge, "migrate", "--db", scada_uri], timeout=60)

    ports = (free_port(), free_port())
    config, scenario = plant_config(tmp, ports), SCENARIO
    if args.opcua:  # an OPC UA server's alarms instead of PLCs (issue 20)
        ports = (ports[0],)
        config = opcua_config(tmp, ports[0])
        scenario = ROOT / "examples" / "opcua-scenario.toml"
    procs.start(
        "simulator",
        [*bridge, "simulate", "--config", str(config), "--scenario", str(scenario)],
        env={**os.environ, "SCADA_DB_URI": scada_uri},
    )
    wait_for("the simulated PLCs", lambda: all(port_open(p) for p in ports), 30, procs)
    procs.start("poller", [*bridge, "poll", "--config", str(config), "--db", scada_uri])
    rows = wait_for(
        "the first failures in the SCADA database", lambda: scada_events(scada_uri), 60, procs
    )
    first_recorded = rows[0][5]
    say(f"PLC -> SCADA works: {len(rows)} event(s) in {scada_db}:")
    for kind, equipment, code, description, device, _ in rows:
        print(f"    {kind:8} {equipment:8} {code or '':16} {device or '':6} {description or ''}")

    odoo_path = find_odoo(Path(args.odoo_path))
    if odoo_path is None:
        shown = [len(rows)]

        def print_new_events() -> None:
            now = scada_events(scada_uri)
            for kind, equipment, code, description, device, _ in now[shown[0] :]:
                print(f"    {kind:8} {equipment:8} {code or '':16} {device or '':6} {description}")
            shown[0] = max(shown[0], len(now))

        return _hold(args, procs, print_new_events)
    if user == "postgres":
        raise DemoError(
            "Odoo refuses to run as the PostgreSQL superuser 'postgres': run the demo as "
            "another role that may create databases (PGUSER=..., createuser -s $USER)"
        )

    say("preparing Odoo's Python (scripts/odoo-env.sh; the first run takes minutes)")
    env_sh = subprocess.run(
        ["bash", str(ROOT / "scripts" / "odoo-env.sh")],
        capture_output=True,
        text=True,
        env={**os.environ, "ODOO_PATH": str(odoo_path)},
        timeout=1800,
    )
    if env_sh.returncode != 0:
        raise DemoError(f"scripts/odoo-env.sh failed: {env_sh.stderr.strip()[-300:]}")
    odoo_python = env_sh.stdout.strip().splitlines()[-1]
    odoo = [
        odoo_python,
        str(odoo_path / "odoo-bin"),
        f"--addons-path={odoo_path / 'addons'},{ROOT / 'addons'}",
    ]

    if not args.keep:
        cleanup.append(lambda: drop(odoo_db))
    say(f"creating Odoo database {odoo_db} with scada_failure_report (about a minute)")
    started = time.monotonic()
    procs.run(
        "odoo-init",
        [
            *odoo,
            "-d",
            odoo_db,
            "-i",
            "scada_failure_report",
            "--without-demo=all",
            "--stop-after-init",
            "--no-http",
        ],
        timeout=900,
        cwd=odoo_path,
    )
    say(f"Odoo database ready in {time.monotonic() - started:.0f} s")
    key_file = tmp / "odoo-api-key"
    with open(ODOO_SETUP, "rb") as script:
        procs.run(
            "odoo-setup",
            [*odoo, "shell", "-d", odoo_db, "--no-http", "--log-level=warn"],
            timeout=300,
            cwd=odoo_path,
            stdin=script,
            env={
                **os.environ,
                "SCADA_SOURCE_NAME": "Demo plant",
                "SCADA_SOURCE_URI": scada_uri,
                "ODOO_ADMIN_PASSWORD": PASSWORD,
                "SCADA_API_KEY_FILE": str(key_file),
                "SCADA_PULL_SOON": "1",
                "SCADA_EQUIPMENT": PLANT_EQUIPMENT,
            },
        )
    key = key_file.read_text().strip()

    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    procs.start(
        "odoo",
        [
            *odoo,
            "-d",
            odoo_db,
            f"--db-filter=^{odoo_db}$",
            "--http-interface",
            "127.0.0.1",
            "--http-port",
            str(port),
            "--gevent-port",
            str(free_port()),
            "--workers=0",
            "--max-cron-threads=1",
            "--without-demo=all",
        ],
        cwd=odoo_path,
    )
    wait_for(f"Odoo at {url}", lambda: odoo_healthy(url), 180, procs)
    say(f"Odoo answers at {url}")
    uid = jsonrpc(url, "common", "authenticate", odoo_db, LOGIN, key, {})
    if not uid:
        raise DemoError("Odoo refused the demo's API key for login admin")
    # Now that Odoo and a key exist, the poller rings Odoo's doorbell after each
    # write (POST /api/scada/pull), so a failure need not wait for the next
    # scheduled pull. Restarting the poller loses nothing: events are in the
    # database or its spool.
    doorbell_config = tmp / "plant-doorbell.toml"
    doorbell_config.write_text(
        config.read_text() + f'\n[odoo]\nurl = "{url}"\napi_key_env = "ODOO_API_KEY"\n'
    )
    procs.stop("poller")
    procs.start(
        "poller",
        [*bridge, "poll", "--config", str(doorbell_config), "--db", scada_uri],
        env={**os.environ, "ODOO_API_KEY": key},
    )

    def failures_in_odoo():
        return jsonrpc(
            url,
            "object",
            "execute_kw",
            odoo_db,
            uid,
            key,
            "scada.failure.report",
            "search_read",
            [[]],
            {
                "fields": [
                    "equipment_code",
                    "failure_code",
                    "state",
                    "severity",
                    "started_at",
                    "cleared_at",
                    "description",
                    "device",
                    "event_uid",
                ]
            },
        )

    reported: set[str] = set()

    def failures_or_pull_error():
        found = failures_in_odoo()
        if found:
            return found
        # Say at once why nothing arrives, instead of only after the timeout.
        for source in jsonrpc(
            url,
            "object",
            "execute_kw",
            odoo_db,
            uid,
            key,
            "scada.source",
            "search_read",
            [[]],
            {"fields": ["name", "state", "last_error"]},
        ):
            error = source["last_error"]
            if source["state"] == "error" and error and error not in reported:
                reported.add(error)
                say(f"Odoo's pull of {source['name']!r} failed: {error.splitlines()[0]}")
        return None

    try:
        found = wait_for(
            "the failures to arrive in Odoo (scheduled pull every minute)",
            failures_or_pull_error,
            args.timeout,
            procs,
        )
    except DemoError as exc:
        hint = f"; the pull said: {sorted(reported)[-1]}" if reported else ""
        raise DemoError(f"{exc}{hint} (Odoo's log: {tmp / 'odoo.log'})") from None
    delay = time.time() - first_recorded.timestamp()
    say(
        f"{len(found)} failure(s) in Odoo, {delay:.0f} s after the first one was recorded "
        "in the SCADA database:"
    )
    for rec in found:
        print(
            f"    {rec['state']:8} {rec['equipment_code']:8} {rec['failure_code'] or '':16} "
            f"{rec['severity'] or '':8} since {rec['started_at']}  {rec['description'] or ''}"
        )

    say("scada-bridge doctor, pointed at everything the demo runs:")
    doctor = subprocess.run(
        [*bridge, "doctor", "--config", str(config), "--db", scada_uri, "--odoo-url", url],
        env={**os.environ, "ODOO_API_KEY": key},
        capture_output=True,
        text=True,
        timeout=120,
    )
    sys.stdout.write(doctor.stdout)
    sys.stdout.flush()

    print(
        f"\n  Odoo:     {url}/odoo/action-scada_failure_report.scada_failure_report_action\n"
        f"  Login:    {LOGIN} / {PASSWORD}\n"
        f"  Doctor:   ODOO_API_KEY=$(cat {key_file}) scada-bridge doctor --config {config} "
        f"--db '{scada_uri}' --odoo-url {url}\n"
        f"  Logs:     {tmp}\n",
        flush=True,
    )
    if doctor.returncode != 0:
        say("doctor found a problem (rows with \u2717 above)")
    seen = {rec["id"] for rec in failures_in_odoo()}

    def print_new_failures() -> None:
        """Each failure new in Odoo, with how long after the poller stored it."""
        for rec in failures_in_odoo():
            if rec["id"] in seen:
                continue
            seen.add(rec["id"])
            stored = recorded_at(scada_uri, rec["event_uid"])
            lag = f"{time.time() - stored.timestamp():.1f} s" if stored else "?"
            say(
                f"new in Odoo: {rec['equipment_code']} {rec['failure_code']} "
                f"({lag} after the poller stored it)"
            )

    return _hold(args, procs, print_new_failures, code=0 if doctor.returncode == 0 else 1)


def find_odoo(odoo_path: Path) -> Path | None:
    """The Odoo 18.0 tree to run: ``odoo_path``, else one scripts/fetch-odoo.sh
    fetched (now or earlier); None, after its one line saying why, when there is none."""
    if not (odoo_path / "odoo-bin").is_file():
        say(
            f"no Odoo tree at ODOO_PATH={odoo_path}: looking for one fetched earlier, "
            "else fetching it"
        )
    found = subprocess.run(
        ["bash", str(ROOT / "scripts" / "fetch-odoo.sh")],
        capture_output=True,
        text=True,
        env={**os.environ, "ODOO_PATH": str(odoo_path)},
        timeout=3600,
    )
    for line in found.stderr.strip().splitlines():
        say(line.removeprefix("odoo: "))
    if found.returncode != 0:
        say("so the Odoo half does not run (scripts/odoo-env.sh builds Odoo's Python on first use)")
        return None
    return Path(found.stdout.strip().splitlines()[-1])


def _hold(args: argparse.Namespace, procs: Processes, tick: Callable[[], None], code: int = 0):
    if args.once:
        return code
    say("running; press Ctrl-C to stop everything")
    while True:
        procs.check_alive()
        tick()
        time.sleep(1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--odoo-path",
        default=os.environ.get("ODOO_PATH", DEFAULT_ODOO_PATH),
        help="Odoo 18 source tree (env ODOO_PATH, default /opt/odoo18)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="Odoo's HTTP port (default: a free one)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=240,
        help="seconds to wait for the failures in Odoo (default 240)",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="stop everything as soon as the failures are shown (for tests)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases and logs after stopping"
    )
    parser.add_argument(
        "--opcua",
        action="store_true",
        help="an OPC UA server's alarms instead of PLCs (examples/opcua-plant.toml)",
    )
    args = parser.parse_args(argv)

    def on_signal(signum, _frame):
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    tmp = Path(tempfile.mkdtemp(prefix="scada-demo-"))
    procs = Processes(tmp)
    cleanup: list[Callable[[], None]] = []
    code = 1
    try:
        code = run(args, procs, tmp, cleanup)
    except Stop as why:
        say(f"{why}: stopping")
        code = 0
    except DemoError as exc:
        say(f"error: {exc}")
        code = 1
    finally:
        # A second Ctrl-C must not interrupt the cleanup half-way.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        procs.stop_all()
        for step in reversed(cleanup):
            try:
                step()
            except Exception as exc:  # report it and go on cleaning
                say(f"cleanup step failed: {exc}")
        if args.keep:
            say(f"kept databases and logs ({tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        say("nothing left running")
    return code


if __name__ == "__main__":
    sys.exit(main())
