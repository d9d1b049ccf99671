"""Benchmark: our poller next to Node-RED on the same simulated plant, in one run (issue 23).

N simulated Modbus PLCs (``scada-bridge simulate``, one port per PLC, answering
after 5 ms, in a process of its own whose CPU is not counted), 100 holding
registers each, polled every 1 s, first by our poller (``scada-bridge poll``'s
:class:`Poller`, 100 conditions per PLC, status rows into a throwaway SCADA
database), then by Node-RED 3.1.15 with node-red-contrib-modbus 5.23.3: one
``modbus-read`` node per PLC (its own ``modbus-client``) at 1 s, all feeding one
function node that compares the 100 words with the PLC's previous read. Node-RED
listens on 127.0.0.1 only, with its editor and admin API switched off
(``httpAdminRoot: false``); one local HTTP endpoint hands the bench the poll
counts kept by the function node.

Both are measured the same way, from outside, over the same ``--seconds`` after
every PLC has been polled twice: CPU of the process (user + system from
``/proc``, % of one core), peak resident memory (``VmRSS`` sampled every 0.5 s),
the longest time between two polls of any PLC, and polls per PLC.

Node-RED and the node are installed once with npm into
``~/.cache/scada-failure-bridge/node-red`` (Node.js 18+ and npm on the PATH).

Run (PostgreSQL on 127.0.0.1:5432)::

    .venv/bin/python bench/bench_poller_peer.py [--plcs 1000] [--registers 100] [--seconds 60]

Exit status 1 when a target of issue 23 is missed: our CPU and memory at most
half of Node-RED's, our longest time between two polls of one PLC at most 1.1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
from bench_poller import ADMIN_DSN, free_ports, write_config
from node_red import NODE_RED_SETTINGS, ensure_node_red, node_red_flow, stats, stats_or_none

WARM_UP_LIMIT = 240.0  # seconds for every PLC to be polled twice, either poller

# -- measuring a process from outside ------------------------------------------


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(pid: int, seconds: float) -> dict[str, float]:
    """CPU (% of one core) and peak RSS of ``pid`` over ``seconds``."""
    cpu0, wall0, peak = cpu_seconds(pid), time.monotonic(), rss_kib(pid)
    end = wall0 + seconds
    while time.monotonic() < end:
        time.sleep(0.5)
        peak = max(peak, rss_kib(pid))
    cpu, wall = cpu_seconds(pid) - cpu0, time.monotonic() - wall0
    return {"cpu_percent": 100 * cpu / wall, "rss_mib": peak / 1024, "seconds": wall}


def wait_for(ready: Callable[[], bool], what: str, limit: float = WARM_UP_LIMIT) -> None:
    deadline = time.monotonic() + limit
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} not within {limit:g} s")
        time.sleep(1.0)


def polls(gaps_s: list[float], counts: list[int]) -> dict[str, float]:
    return {
        "max_gap_s": max(gaps_s),
        "late": sum(g > 1.1 for g in gaps_s),
        "min_polls": min(counts),
        "mean_polls": sum(counts) / len(counts),
    }


# -- ours ----------------------------------------------------------------------


async def _ours_child(config_path: Path) -> None:
    """In the child: warm up, say 'ready', count polls until told 'stop', print them."""
    from scada_bridge.config import load
    from scada_bridge.poller import Poller

    poller = Poller(load(config_path))
    task = asyncio.create_task(poller.run())
    await asyncio.wait_for(poller.started.wait(), 60)
    deadline = time.monotonic() + WARM_UP_LIMIT
    while min(loop.cycles for loop in poller.loops) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    for loop in poller.loops:
        loop.max_period = 0.0
    before = [loop.cycles for loop in poller.loops]
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    counts = [loop.cycles - b for loop, b in zip(poller.loops, before, strict=True)]
    result = polls([loop.max_period for loop in poller.loops], counts)
    result["down"] = sum(s.state != "ok" for s in poller.statuses)
    poller.stop()
    await task
    print(json.dumps(result), flush=True)


def run_ours(config_path: Path, seconds: float) -> dict[str, float]:
    child = subprocess.Popen(
        [sys.executable, __file__, "--ours-child", str(config_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        line = child.stdout.readline()  # the child bounds its warm-up itself
        if line.strip() != "ready":
            raise SystemExit(f"our poller did not start: {line!r}")
        result = measure(child.pid, seconds)
        child.stdin.write("stop\n")
        child.stdin.flush()
        out, _ = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    result.update(json.loads(out.strip().splitlines()[-1]))
    return result


# -- Node-RED ------------------------------------------------------------------


def run_node_red(red: Path, ports: list[int], registers: int, seconds: float) -> dict[str, float]:
    (http_port,) = free_ports(1)
    with tempfile.TemporaryDirectory(prefix="bench-node-red-") as tmp:
        user_dir = Path(tmp)
        (user_dir / "settings.js").write_text(NODE_RED_SETTINGS.format(port=http_port), "utf-8")
        (user_dir / "flows.json").write_text(json.dumps(node_red_flow(ports, registers)), "utf-8")
        argv = ["node", str(red), "--userDir", str(user_dir), "--settings"]
        argv += [str(user_dir / "settings.js"), "flows.json"]
        with _process(argv, user_dir / "node-red.log") as node:

            def warm() -> bool:
                if node.poll() is not None:
                    log = (user_dir / "node-red.log").read_text("utf-8", "replace")
                    raise SystemExit(f"Node-RED exited; the end of its log:\n{log[-2000:]}")
                now = stats_or_none(http_port)
                ready = bool(now) and len(now) == len(ports)
                return ready and all(s["polls"] >= 2 for s in now.values())

            wait_for(warm, "Node-RED polling every PLC")
            stats(http_port, reset=True)
            result = measure(node.pid, seconds)
            counted = stats(http_port)
    names = [f"plc{i:02d}" for i in range(len(ports))]
    result.update(
        polls([counted[n]["gap"] / 1000 for n in names], [int(counted[n]["polls"]) for n in names])
    )
    return result


@contextlib.contextmanager
def _process(argv: list[str], log: Path) -> Iterator[subprocess.Popen]:
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


# -- the plant -----------------------------------------------------------------


@contextlib.contextmanager
def plant(plcs: int, registers: int, delay: float) -> Iterator[tuple[Path, list[int]]]:
    """A throwaway SCADA database, a config and the simulator serving it."""
    from scada_bridge import connect, migrate

    dbname = f"bench_peer_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(ADMIN_DSN + " dbname=postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{dbname}"')
    try:
        uri = f"{ADMIN_DSN} dbname={dbname}"
        conn = connect(uri)
        migrate(conn)
        conn.close()
        with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
            path = Path(tmp) / "plant.toml"
            ports = free_ports(plcs)
            write_config(path, uri, ports, registers)
            argv = [sys.executable, "-m", "scada_bridge.cli", "simulate", "--config", str(path)]
            argv += ["--response-delay", str(delay)]
            with _process(argv, Path(tmp) / "simulator.log"):
                for port in ports:
                    wait_for(lambda p=port: _listening(p), f"simulator on port {port}", 120)
                yield path, ports
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.close()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plcs", type=int, default=1000)
    parser.add_argument("--registers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--delay", type=float, default=0.005, help="simulated PLC answer time")
    parser.add_argument("--ours-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours_child:
        logging.basicConfig(level=logging.WARNING)
        logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
        asyncio.run(_ours_child(args.ours_child))
        return 0
    red = ensure_node_red()
    with plant(args.plcs, args.registers, args.delay) as (path, ports):
        ours = run_ours(path, args.seconds)
        peer = run_node_red(red, ports, args.registers, args.seconds)
    report(args, ours, peer)
    ok = ours["cpu_percent"] <= 0.5 * peer["cpu_percent"]
    ok = ok and ours["rss_mib"] <= 0.5 * peer["rss_mib"] and ours["max_gap_s"] <= 1.1
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


def report(args: argparse.Namespace, ours: dict[str, float], peer: dict[str, float]) -> None:
    print(
        f"{args.plcs} Modbus PLCs x {args.registers} words at 1 s, simulated answer "
        f"{args.delay * 1000:g} ms, {args.seconds:g} s measured each, one after the other"
    )
    print(f"{'':40}{'ours':>12}{'Node-RED':>12}{'ours/NR':>10}  target")
    rows = [
        ("CPU, % of one core", "cpu_percent", ".1f", "<= 0.5x"),
        ("peak RSS (MiB)", "rss_mib", ".1f", "<= 0.5x"),
        ("longest time between two polls (s)", "max_gap_s", ".3f", "ours <= 1.1 s"),
        ("PLCs with a gap over 1.1 s", "late", "d", ""),
        ("polls per PLC, fewest", "min_polls", "d", f"~{args.seconds:.0f}"),
        ("polls per PLC, mean", "mean_polls", ".1f", ""),
    ]
    for label, key, fmt, target in rows:
        ratio = f"{ours[key] / peer[key]:.2f}x" if peer[key] else "-"
        cells = f"{format(ours[key], fmt):>12}{format(peer[key], fmt):>12}{ratio:>10}"
        print(f"{label:40}{cells}  {target}")
    print(f"{'our PLCs not ok at the end':40}{ours['down']:>12d}")


if __name__ == "__main__":
    sys.exit(main())
