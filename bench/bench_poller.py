"""Benchmark: the asyncio poller against a naive synchronous loop, Modbus and FINS, in one run.

50 simulated PLCs (``scada-bridge simulate``, a separate process, so its CPU is
not counted), 100 words each (Modbus holding registers, or FINS DM words),
polled every 1 s. Modbus and FINS are measured one after the other, each in a
process of its own (so one's memory is not counted in the other's), and printed
side by side. Measured:

* poller: the real :class:`scada_bridge.poller.Poller` for ``--seconds``:
  CPU of this process (user + system, % of one core), peak resident memory,
  the longest time between two polls of any PLC (must stay within its interval),
  and the time of one full cycle (every PLC read once, the poller's own read
  path, concurrently);
* naive: one ``pymodbus.client.ModbusTcpClient`` per PLC, connected once,
  reading the same registers one PLC after the other: time of a full cycle.

Real PLCs take milliseconds to answer; ``--delay`` (default 0.005 s) makes the
simulator do the same. ``--delay 0`` shows the CPU-bound localhost case.

The naive loop is Modbus only; for FINS the poller's figures stand next to the
Modbus poller's.

Run (PostgreSQL on 127.0.0.1:5432, user postgres)::

    .venv/bin/python bench/bench_poller.py [--plcs 50] [--registers 100] [--seconds 20]
    .venv/bin/python bench/bench_poller.py --protocol fins      # one protocol only
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg2
from pymodbus.client import ModbusTcpClient
from scada_bridge import connect, migrate
from scada_bridge.config import load
from scada_bridge.poller import Poller
from scada_bridge.poller.plc_loop import PlcLoop

ADMIN_DSN = os.environ.get("SCADA_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres")


def free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def write_config(
    path: Path, uri: str, ports: list[int], registers: int, protocol: str = "modbus"
) -> None:
    where = 'area = "DM"' if protocol == "fins" else 'table = "holding_register"'
    conditions = "".join(
        f"""
  [[plc.condition]]
  equipment = "eq{a}"
  failure_code = "F{a}"
  description = "register {a} non-zero"
  {where}
  address = {a}
"""
        for a in range(registers)
    )
    plcs = "".join(
        f"""
[[plc]]
name = "plc{i:02d}"
protocol = "{protocol}"
host = "127.0.0.1"
port = {port}
interval = 1.0
timeout = 1.0
{conditions}"""
        for i, port in enumerate(ports)
    )
    path.write_text(
        f'[database]\nuri = "{uri}"\n[poller]\nstate_dir = "{path.parent / "state"}"\n'
        f"status_every = 5.0\n{plcs}",
        encoding="utf-8",
    )


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def measure_poller(config, seconds: float) -> dict[str, float]:
    poller = Poller(config)
    task = asyncio.create_task(poller.run())
    await asyncio.wait_for(poller.started.wait(), 30)
    await asyncio.sleep(2.0)  # connections made, first polls done
    for loop in poller.loops:
        loop.max_period = 0.0
    cycles_before = [loop.cycles for loop in poller.loops]
    cpu0, wall0, peak = time.process_time(), time.monotonic(), rss_kib()
    end = wall0 + seconds
    while time.monotonic() < end:
        await asyncio.sleep(0.5)
        peak = max(peak, rss_kib())
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    cycles = [loop.cycles - b for loop, b in zip(poller.loops, cycles_before, strict=True)]
    max_period = max(loop.max_period for loop in poller.loops)
    down = [s.device for s in poller.statuses if s.state != "ok"]
    poller.stop()
    await task
    return {
        "cpu_percent": 100 * cpu / wall,
        "rss_mib": peak / 1024,
        "max_period_s": max_period,
        "min_polls": min(cycles),
        "expected_polls": wall,
        "down": len(down),
    }


async def measure_async_cycle(config, rounds: int) -> list[float]:
    """One full cycle = every PLC read once, concurrently, with the poller's own read path."""

    class _NoWriter:
        def submit(self, *_a, **_k):  # pragma: no cover - not used by _poll
            raise AssertionError

    from scada_bridge.store.plc_status import PlcStatus

    loops = [
        PlcLoop(
            p, _NoWriter(), PlcStatus(p.name, p.host, p.port), {}, backoff_initial=1, backoff_max=1
        )
        for p in config.plcs
    ]
    await asyncio.gather(*(loop._poll() for loop in loops))  # connect
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        await asyncio.gather(*(loop._poll() for loop in loops))
        times.append(time.perf_counter() - t0)
    for loop in loops:
        loop._close()
    return times


def measure_naive(config, registers: int, rounds: int) -> list[float]:
    clients = []
    for plc in config.plcs:
        client = ModbusTcpClient(plc.host, port=plc.port, timeout=plc.timeout)
        if not client.connect():
            raise SystemExit(f"naive loop cannot connect to {plc.host}:{plc.port}")
        clients.append((plc, client))
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for plc, client in clients:
            rr = client.read_holding_registers(0, count=registers, device_id=plc.device_id)
            if rr.isError():
                raise SystemExit(f"naive read failed on {plc.name}: {rr}")
        times.append(time.perf_counter() - t0)
    for _, client in clients:
        client.close()
    return times


def run_one(args: argparse.Namespace) -> dict[str, float]:
    """Simulator process, poller and cycles for one protocol; the figures as a dict."""
    dbname = f"bench_poller_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(ADMIN_DSN + " dbname=postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{dbname}"')
    uri = f"{ADMIN_DSN} dbname={dbname}"
    conn = connect(uri)
    migrate(conn)
    conn.close()
    sim = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.toml"
            ports = free_ports(args.plcs)
            write_config(path, uri, ports, args.registers, args.protocol)
            config = load(path)
            sim = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "scada_bridge.cli",
                    "simulate",
                    "--config",
                    str(path),
                    "--response-delay",
                    str(args.delay),
                ],
                stdout=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 30
            for port in ports:  # FINS is served on TCP too: the same readiness check
                while True:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise SystemExit("simulator did not start within 30 s") from None
                        time.sleep(0.1)

            result = asyncio.run(measure_poller(config, args.seconds))
            cycle = asyncio.run(measure_async_cycle(config, args.rounds))
            result["cycle_ms"] = statistics.median(cycle) * 1000
            if args.protocol == "modbus":
                naive = measure_naive(config, args.registers, args.rounds)
                result["naive_ms"] = statistics.median(naive) * 1000
    finally:
        if sim is not None:
            sim.terminate()
            sim.wait(10)
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.close()
    result["ru_maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plcs", type=int, default=50)
    parser.add_argument("--registers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--delay", type=float, default=0.005, help="simulated PLC answer time")
    parser.add_argument("--rounds", type=int, default=10, help="full cycles timed per method")
    parser.add_argument("--protocol", choices=("both", "modbus", "fins"), default="both")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

    if args.json:
        print(json.dumps(run_one(args)))
        return 0
    protocols = ("modbus", "fins") if args.protocol == "both" else (args.protocol,)
    results = {}
    for protocol in protocols:  # a process each: memory figures of one protocol alone
        argv = [__file__, "--protocol", protocol, "--json"]
        for name in ("plcs", "registers", "seconds", "delay", "rounds"):
            argv += [f"--{name}", str(getattr(args, name))]
        out = subprocess.run(
            [sys.executable, *argv],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        results[protocol] = json.loads(out.strip().splitlines()[-1])

    print(
        f"{args.plcs} PLCs x {args.registers} words, interval 1 s, "
        f"simulated answer time {args.delay * 1000:g} ms, {args.seconds:g} s measured"
    )
    print(f"{'':36}" + "".join(f"{p:>12}" for p in protocols) + "  target")

    def row(label: str, key: str, fmt: str, target: str = "") -> None:
        cells = "".join(
            f"{format(results[p][key], fmt):>12}" if key in results[p] else f"{'-':>12}"
            for p in protocols
        )
        print(f"{label:36}{cells}  {target}")

    row("full cycle, asyncio poller (ms)", "cycle_ms", ".1f")
    row("full cycle, naive sync loop (ms)", "naive_ms", ".1f")
    row("poller CPU, % of one core", "cpu_percent", ".1f", "< 25 %")
    row("poller peak RSS (MiB)", "rss_mib", ".1f")
    row("longest time between two polls (s)", "max_period_s", ".3f", "~1 s (the interval)")
    row("fewest polls of one PLC", "min_polls", "d", f"~{args.seconds:.0f} expected")
    row("PLCs not ok", "down", "d", "0")
    row("peak RSS, whole process (MiB)", "ru_maxrss_mib", ".1f")
    ok = True
    for p in protocols:
        r = results[p]
        ok = ok and r["cpu_percent"] < 25 and r["max_period_s"] <= 1.05 and r["down"] == 0
        if "naive_ms" in r:
            print(
                f"{'speed-up over the naive loop':36}{r['naive_ms'] / r['cycle_ms']:>11.1f}x"
                "  >= 10x (Modbus)"
            )
            ok = ok and r["naive_ms"] / r["cycle_ms"] >= 10
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
