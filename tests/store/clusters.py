"""Throwaway PostgreSQL clusters for what the shared server must not be used for:
prepared transactions (``max_prepared_transactions`` is 0 there and it must not
be restarted), a hot standby (pg_basebackup of a primary), a restore into a
server whose transaction counter is younger. Trust authentication, 127.0.0.1,
a free port each, removed afterwards. Same approach as tests/pg_password_server.py.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from tests.pg_password_server import PG_BIN, _as_postgres, free_port

_RUN = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=180)


@dataclass(frozen=True)
class Cluster:
    port: int
    data: Path

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"


def _chown(path: Path) -> None:
    import os

    if os.geteuid() == 0:
        shutil.chown(path, "postgres")


def _start(base: Path, data: Path, port: int) -> None:
    opts = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} "
        "-c fsync=off -c max_prepared_transactions=5 -c wal_level=replica "
        "-c max_wal_senders=4 -c hot_standby=on"
    )
    log = base / f"log-{port}"
    ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-t", "120"]
    subprocess.run(_as_postgres([*ctl, "-o", opts, "-l", str(log), "start"]), **_RUN)
    deadline = time.monotonic() + 60
    while True:  # bounded: accepting connections, or fail with the log
        try:
            psycopg2.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres").close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"cluster on port {port} did not start: {log.read_text()}"
                ) from None
            time.sleep(0.2)


def _stop(data: Path) -> None:
    subprocess.run(
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
    )


@contextmanager
def primary_and_standby() -> Iterator[tuple[Cluster, Cluster]]:
    """A primary allowing prepared transactions, and a hot standby streaming from it."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL server binaries not found in {PG_BIN} (set PG_BIN)")
    base = Path(tempfile.mkdtemp(prefix="scada-pgha-"))
    _chown(base)
    primary = Cluster(free_port(), base / "primary")
    standby = Cluster(free_port(), base / "standby")
    started: list[Path] = []
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(primary.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                ]
            ),
            **_RUN,
        )
        with open(primary.data / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        _start(base, primary.data, primary.port)
        started.append(primary.data)
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "pg_basebackup"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(primary.port),
                    "-U",
                    "postgres",
                    "-D",
                    str(standby.data),
                    "-R",
                    "--no-sync",
                    "-X",
                    "stream",
                ]
            ),
            **_RUN,
        )
        _start(base, standby.data, standby.port)
        started.append(standby.data)
        yield primary, standby
    finally:
        for data in reversed(started):
            _stop(data)
        shutil.rmtree(base, ignore_errors=True)
