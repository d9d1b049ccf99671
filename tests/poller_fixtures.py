"""Helpers for the poller tests: a real TCP proxy to PostgreSQL, configs, bounded waits.

The proxy is how the tests take the SCADA database away for real: stopping it
closes the listening socket and every forwarded connection (the poller sees
the same errors as when a server or a network link dies); pausing it stops
forwarding bytes, so a statement in flight hangs like on a stalled link.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
from scada_bridge.config import Config, load
from scada_bridge.poller import Poller
from scada_bridge.simulator.server import Simulator

FAST_POLLER = """
[poller]
state_dir = "{state_dir}"
backoff_initial = 0.05
backoff_max = 0.2
status_every = 0.1
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dbname(uri: str) -> str:
    return psycopg2.extensions.parse_dsn(uri)["dbname"]


#: The smallest valid plant file: one PLC, one condition.
MINIMAL_PLANT = """
[database]
uri = "postgresql://scada@127.0.0.1:5432/scada"

[[plc]]
name = "line1"
host = "127.0.0.1"
port = 5020

  [[plc.condition]]
  equipment = "silo101"
  failure_code = "START_FAILURE"
  description = "Motor did not start"
  table = "coil"
  address = 0
"""


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; stop()/start() and pause()/resume() it."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        #: Chunks of bytes that arrived while paused (held until resume()).
        self.held = 0

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def via(self, uri: str) -> str:
        """The libpq DSN reaching ``uri``'s database through this proxy."""
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname(uri)}"

    def stop(self) -> None:
        """Refuse new connections and cut every open one."""
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not,
            # and the port would keep listening.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def pause(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if not self._flowing.is_set():
                    self.held += 1
                while not self._flowing.wait(0.05):
                    if src.fileno() < 0:
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def write_config(path: Path, text: str) -> Config:
    path.write_text(text, encoding="utf-8")
    return load(path)


def plc_block(
    name: str,
    port: int,
    body: str,
    *,
    interval: float = 0.05,
    timeout: float = 0.3,
    device_id: int = 1,
) -> str:
    return f"""
[[plc]]
name = "{name}"
host = "127.0.0.1"
port = {port}
device_id = {device_id}
interval = {interval}
timeout = {timeout}
{body}
"""


def config_text(uri: str, state_dir: Path, *plcs: str) -> str:
    head = f'[database]\nuri = "{uri}"\nconnect_timeout = 2\nretry_max = 0.2\n'
    return head + FAST_POLLER.format(state_dir=state_dir) + "".join(plcs)


async def wait_until(
    check: Callable[[], Any], *, timeout: float = 60.0, every: float = 0.05, what: str = ""
) -> Any:
    """Await until ``check()`` (run in a thread: it may query PostgreSQL) is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = await asyncio.to_thread(check)
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
        await asyncio.sleep(every)


async def settle(running: Running, polls: int = 5, *, timeout: float = 60.0) -> None:
    """Wait until every PLC loop has completed ``polls`` more polls and the writer has
    handled what they queued: after this, "nothing new" means nothing happened, not
    "the poller has not looked yet". Counters, not sleeps; bounded by ``timeout``."""
    poller = running.poller
    loops, writer = poller.loops, poller.writer
    assert loops and writer is not None, "the poller is not running"
    targets = [loop.cycles + polls for loop in loops]
    deadline = time.monotonic() + timeout
    while any(loop.cycles < target for loop, target in zip(loops, targets, strict=True)):
        if time.monotonic() > deadline:
            done = [loop.cycles - t + polls for loop, t in zip(loops, targets, strict=True)]
            raise AssertionError(f"PLC loops did only {done} of {polls} polls in {timeout} s")
        await asyncio.sleep(0.01)
    rounds = writer.rounds + 2  # a whole writer round begun after the last poll
    while writer.rounds < rounds:
        if time.monotonic() > deadline:
            raise AssertionError(f"the writer did not finish a round within {timeout} s")
        await asyncio.sleep(0.01)


async def polls_of(loop: Any, polls: int, *, timeout: float = 60.0) -> None:
    """Wait until one PLC loop has completed ``polls`` more polls (bounded)."""
    target = loop.cycles + polls
    deadline = time.monotonic() + timeout
    while loop.cycles < target:
        if time.monotonic() > deadline:
            raise AssertionError(f"{loop.plc.name}: {polls} polls not done within {timeout} s")
        await asyncio.sleep(0.01)


class Running:
    """A poller running as a task of the current event loop."""

    def __init__(self, config: Config) -> None:
        self.poller = Poller(config)
        self.task: asyncio.Task[int] | None = None

    async def __aenter__(self) -> Running:
        self.task = asyncio.create_task(self.poller.run())
        started = asyncio.create_task(self.poller.started.wait())
        done, _ = await asyncio.wait(
            {self.task, started}, timeout=60, return_when=asyncio.FIRST_COMPLETED
        )
        if self.task in done:
            started.cancel()
            self.task.result()  # raises what made run() fail
        assert started in done, "poller did not start within 60 s"
        return self

    async def stop(self) -> int:
        assert self.task is not None
        self.poller.stop()
        return await asyncio.wait_for(self.task, 60)

    async def __aexit__(self, *exc: object) -> None:
        if self.task is not None and not self.task.done():
            await self.stop()


@contextlib.asynccontextmanager
async def simulated(config: Config) -> AsyncIterator[Simulator]:
    sim = Simulator(config)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def rows(uri: str, sql: str = "", params: tuple = ()) -> list[tuple]:
    """Rows of scada.equipment_failure (default columns), oldest first."""
    sql = sql or (
        "SELECT kind, equipment_code, failure_code, event_uid::text, raise_uid::text, device,"
        " payload FROM scada.equipment_failure ORDER BY id"
    )
    conn = psycopg2.connect(uri)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


#: Modbus function codes that write (coil, register, coils, registers).
_WRITE_CODES = frozenset({5, 6, 15, 16})


class ModbusWriteFault:
    """A Modbus TCP hop between the poller and a PLC that can make writes fail.

    ``mode``: 'pass' forwards everything; 'refuse' answers every write itself with
    Modbus exception 4 (device failure), as a PLC refusing it would; 'cut' drops
    the connection when a write arrives, as a dying link would. Reads always pass.
    Runs in the test's event loop.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.mode = "pass"
        self.faulted = 0  # writes refused or cut
        self.passed = 0  # writes forwarded to the PLC
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        lock = asyncio.Lock()  # one frame at a time towards the poller

        async def answers() -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while True:
                    header = await up_reader.readexactly(7)
                    body = await up_reader.readexactly(int.from_bytes(header[4:6], "big") - 1)
                    async with lock:
                        writer.write(header + body)
                        await writer.drain()

        pump = asyncio.create_task(answers())
        try:
            while True:
                header = await reader.readexactly(7)
                pdu = await reader.readexactly(int.from_bytes(header[4:6], "big") - 1)
                if pdu[0] in _WRITE_CODES and self.mode != "pass":
                    self.faulted += 1
                    if self.mode == "cut":
                        return
                    async with lock:  # exception response: same transaction id and unit
                        writer.write(
                            header[:4] + b"\x00\x03" + header[6:7] + bytes([pdu[0] | 0x80, 4])
                        )
                        await writer.drain()
                    continue
                if pdu[0] in _WRITE_CODES:
                    self.passed += 1
                up_writer.write(header + pdu)
                await up_writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            pump.cancel()
            for w in (writer, up_writer):
                w.close()
