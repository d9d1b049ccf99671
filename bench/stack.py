"""The whole chain on this machine, as separate processes, for benchmarks and the fault suite.

A SCADA database, ``scada-bridge simulate`` (the PLCs), ``scada-bridge poll`` (the
poller) and a real Odoo 18 server (prefork workers and cron threads, the way a plant
runs it), each its own process group so a benchmark can SIGKILL one and start it
again. Process handling is ``scripts/demo.py``'s (:class:`Processes`); this module adds
what a measurement needs: start/stop/kill by name, raise a failure on a simulated PLC,
count what reached Odoo.

Run everything with the dev venv's Python; Odoo runs with Odoo's own Python
(``scripts/odoo-env.sh``) and this clone's bridge first on its PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg2
from psycopg2 import sql
from pymodbus.client import ModbusTcpClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from demo import DemoError, Processes, free_port, port_open  # noqa: E402

ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo18"))
ODOO_SETUP = ROOT / "scripts" / "odoo_setup.py"
BRIDGE = [sys.executable, "-m", "scada_bridge.cli"]


_INTEGRATION_USER = """
import os
group = env.ref("scada_failure_report.group_scada_integration")
user = env["res.users"].create(
    {"name": "Bench integration", "login": "bench-integration", "groups_id": [(6, 0, [group.id])]}
)
key = env["res.users.apikeys"].with_user(user).sudo()._generate(None, "bench push", None)
with open(os.environ["SCADA_PUSH_KEY_FILE"], "w") as handle:
    handle.write(key)
env.cr.commit()
"""


def admin_conn(dbname: str = "postgres"):
    conn = psycopg2.connect(dbname=dbname, connect_timeout=5)
    conn.autocommit = True
    return conn


def create_db(name: str) -> None:
    conn = admin_conn()
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def drop_db(name: str) -> None:
    conn = admin_conn()
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.close()


def query(dbname: str, statement: str, params: tuple = ()) -> list[tuple]:
    conn = admin_conn(dbname)
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()
    finally:
        conn.close()


def wait_until(what: str, ready: Callable[[], object], timeout: float, step: float = 0.2):
    """Poll ``ready`` until truthy; bounded by ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"gave up waiting {timeout:.0f} s for {what}")
        time.sleep(step)


def coil_plant(uri: str, state_dir: Path, port: int, coils: int, *, interval: float, name: str):
    """A PLC with ``coils`` bit conditions (coil i = failure F<i> of equipment eq<i>)."""
    conditions = "".join(
        f'\n  [[plc.condition]]\n  equipment = "eq{i}"\n  failure_code = "F{i}"\n'
        f'  description = "coil {i}"\n  severity = "high"\n  table = "coil"\n  address = {i}\n'
        for i in range(coils)
    )
    return (
        f'[[plc]]\nname = "{name}"\nhost = "127.0.0.1"\nport = {port}\n'
        f"interval = {interval}\ntimeout = 1.0\n{conditions}"
    )


class Stack:
    """Every process of one chain; ``close()`` stops them all and drops the databases."""

    def __init__(self, tmp: Path, tag: str) -> None:
        self.tmp = tmp
        self.procs = Processes(tmp)
        self.scada_db = f"scada_bench_{tag}_{os.getpid()}"
        self.odoo_db = f"odoo_bench_{tag}_{os.getpid()}"
        self.scada_uri = f"dbname={self.scada_db}"
        self.odoo_url = ""
        self.api_key = ""
        self.push_key = ""
        self._odoo_argv: list[str] = []
        self._dbs: list[str] = []

    # -- SCADA side ------------------------------------------------------------

    def scada(self) -> str:
        create_db(self.scada_db)
        self._dbs.append(self.scada_db)
        self.procs.run("migrate", [*BRIDGE, "migrate", "--db", self.scada_uri], timeout=120)
        return self.scada_uri

    def start_simulator(self, config: Path, ports: list[int]) -> None:
        self.procs.start("simulator", [*BRIDGE, "simulate", "--config", str(config)])
        wait_until("the simulated PLCs", lambda: all(port_open(p) for p in ports), 60, 0.5)

    def start_poller(self, config: Path, *, db: str | None = None, doorbell: bool = False) -> None:
        env = dict(os.environ)
        if doorbell:
            env["ODOO_API_KEY"] = self.api_key
        argv = [*BRIDGE, "poll", "--config", str(config)]
        if db:
            argv += ["--db", db]
        self.procs.start("poller", argv, env=env)

    # -- Odoo side ---------------------------------------------------------------

    def odoo(self, *, workers: int = 2, cron_threads: int = 2, equipment: str = "") -> str:
        """Create Odoo's database with the module and a source, start the server; its URL."""
        if not (ODOO_PATH / "odoo-bin").is_file():
            raise DemoError(f"no Odoo 18 tree at ODOO_PATH={ODOO_PATH}")
        odoo_python = subprocess.run(
            ["bash", str(ROOT / "scripts" / "odoo-env.sh")],
            capture_output=True,
            text=True,
            check=True,
            timeout=1800,
        ).stdout.split()[-1]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "bridge")}
        odoo_bin = [odoo_python, str(ODOO_PATH / "odoo-bin")]
        base = [
            *odoo_bin,
            f"--addons-path={ODOO_PATH / 'addons'},{ROOT / 'addons'}",
            "-d",
            self.odoo_db,
        ]
        self._dbs.append(self.odoo_db)
        self.procs.run(
            "odoo-init",
            [*base, "-i", "scada_failure_report", "--without-demo=all", "--stop-after-init"]
            + ["--no-http"],
            timeout=900,
            cwd=ODOO_PATH,
            env=env,
        )
        key_file = self.tmp / "api-key"
        with open(ODOO_SETUP, "rb") as script:
            self.procs.run(
                "odoo-setup",
                [*odoo_bin, "shell", *base[2:], "--no-http", "--log-level=warn"],
                timeout=300,
                cwd=ODOO_PATH,
                stdin=script,
                env={
                    **env,
                    "SCADA_SOURCE_NAME": "Bench plant",
                    "SCADA_SOURCE_URI": self.scada_uri,
                    "SCADA_API_KEY_FILE": str(key_file),
                    "SCADA_EQUIPMENT": equipment,
                },
            )
        self.api_key = key_file.read_text().strip()
        # The push API is for the integration group only: a user in it, with its own key.
        push_key_file = self.tmp / "push-key"
        script = self.tmp / "integration_user.py"
        script.write_text(_INTEGRATION_USER)
        with open(script, "rb") as handle:
            self.procs.run(
                "odoo-integration-user",
                [*odoo_bin, "shell", *base[2:], "--no-http", "--log-level=warn"],
                timeout=300,
                cwd=ODOO_PATH,
                stdin=handle,
                env={**env, "SCADA_PUSH_KEY_FILE": str(push_key_file)},
            )
        self.push_key = push_key_file.read_text().strip()
        port = free_port()
        self.odoo_url = f"http://127.0.0.1:{port}"
        self._odoo_argv = [
            *base,
            f"--db-filter=^{self.odoo_db}$",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            f"--gevent-port={free_port()}",
            f"--workers={workers}",
            f"--max-cron-threads={cron_threads}",
            "--limit-time-real-cron=900",
            "--log-level=warn",
        ]
        self._odoo_env = env
        self.start_odoo()
        return self.odoo_url

    def start_odoo(self) -> None:
        self.procs.start("odoo", self._odoo_argv, cwd=ODOO_PATH, env=self._odoo_env)
        wait_until(f"Odoo at {self.odoo_url}", self.odoo_up, 300, 0.5)

    def odoo_up(self) -> bool:
        try:
            with urllib.request.urlopen(self.odoo_url + "/web/health", timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    def ring(self) -> int:
        """Ask Odoo to pull now (the doorbell route); the HTTP status."""
        request = urllib.request.Request(
            self.odoo_url + "/api/scada/pull",
            data=b"{}",
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return 0

    def push(self, body: object) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.odoo_url + "/api/scada/equipment-failure",
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.push_key}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, json.loads(reply.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, json.loads(exc.read() or b"{}")
            except ValueError:
                return exc.code, {}

    # -- control ---------------------------------------------------------------

    def kill(self, name: str) -> None:
        """SIGKILL one process group (no clean shutdown) and forget it."""
        for entry in [e for e in self.procs.started if e[0] == name]:
            try:
                os.killpg(entry[1].pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            entry[1].wait(30)
            self.procs.started.remove(entry)

    def stop(self, name: str) -> None:
        self.procs.stop(name)

    def close(self) -> None:
        self.procs.stop_all(grace=10)
        for name in self._dbs:
            drop_db(name)


def set_coils(port: int, values: dict[int, bool]) -> None:
    """Write coils of a simulated PLC (what a machine's fault bit does)."""
    client = ModbusTcpClient("127.0.0.1", port=port, timeout=5)
    if not client.connect():
        raise DemoError(f"simulated PLC on 127.0.0.1:{port} does not answer")
    try:
        for address, value in sorted(values.items()):
            reply = client.write_coil(address, value, device_id=1)
            if reply.isError():
                raise DemoError(f"writing coil {address} on port {port}: {reply}")
    finally:
        client.close()
