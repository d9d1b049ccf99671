"""A throwaway PostgreSQL cluster that checks passwords (scram-sha-256).

The machine's own server trusts every local connection, so it can never say
"wrong password". This starts a real second server for the tests that need it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass(frozen=True)
class PasswordServer:
    port: int
    user: str
    password: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; CI runs as root.
    if os.geteuid() == 0:
        # runuser lives in /usr/sbin, which a minimal PATH (cron, env -i) leaves out.
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        return [runuser, "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def password_server() -> Iterator[PasswordServer]:
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL server binaries not found in {PG_BIN} (set PG_BIN)")
    base = Path(tempfile.mkdtemp(prefix="scada-pgpw-"))
    data = base / "data"
    pwfile = base / "pw"
    password = "right-password"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(pwfile, "postgres")
    port = free_port()
    run = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "scada",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--no-sync",
            ]
        ),
        **run,
    )
    ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-t", "30"]
    opts = (
        f"-c listen_addresses=127.0.0.1 -c port={port} "
        f"-c unix_socket_directories={base} -c fsync=off"
    )
    subprocess.run(_as_postgres([*ctl, "-o", opts, "-l", str(base / "log"), "start"]), **run)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield PasswordServer(port, "scada", password)
    finally:
        subprocess.run(_as_postgres([*ctl, "-m", "immediate", "stop"]), **run)
        shutil.rmtree(base, ignore_errors=True)
