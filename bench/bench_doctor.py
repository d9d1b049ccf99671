"""How long `scada-bridge doctor` takes over a plant where some PLCs are dead.

The doctor probes every PLC at the same time, so a dead PLC (one that accepts
TCP and never answers, the slowest way to fail) costs one timeout, not one per
PLC. Baseline, measured in the same run: the same probes one after the other.

    .venv/bin/python bench/bench_doctor.py --live 8 --dead 4

Live PLCs are a `scada-bridge simulate` process; dead ones are sockets on
127.0.0.1 that accept and stay silent.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scada_bridge.config import load
from scada_bridge.doctor.plc import MIN_TIMEOUT, Probe, plc_checks, probe_plc

PLC = """
[[plc]]
name = "{name}"
host = "127.0.0.1"
port = {port}
timeout = 0.5

  [[plc.condition]]
  equipment = "eq{n}"
  failure_code = "FAULT"
  description = "Equipment {n} fault"
  table = "coil"
  address = 0
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--live", type=int, default=8)
    parser.add_argument("--dead", type=int, default=4)
    args = parser.parse_args()
    # pymodbus logs every unanswered request; the rows say it once.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

    tmp = Path(tempfile.mkdtemp(prefix="bench-doctor-"))
    live_ports = [free_port() for _ in range(args.live)]
    silent = []
    for _ in range(args.dead):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        silent.append(listener)
    dead_ports = [s.getsockname()[1] for s in silent]

    def plant(ports: list[int], prefix: str) -> str:
        return "".join(PLC.format(name=f"{prefix}{i}", port=p, n=i) for i, p in enumerate(ports))

    sim_config = tmp / "sim.toml"
    sim_config.write_text('[database]\nuri = "dbname=unused"\n' + plant(live_ports, "live"))
    config = tmp / "plant.toml"
    config.write_text(
        '[database]\nuri = "dbname=unused"\n'
        + plant(live_ports, "live")
        + plant(dead_ports, "dead")
    )
    sim = subprocess.Popen(
        [sys.executable, "-m", "scada_bridge.cli", "simulate", "--config", str(sim_config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                for port in live_ports:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("simulator did not start") from None
                time.sleep(0.2)
        plcs = load(config).plcs

        started = time.monotonic()
        for plc in plcs:
            asyncio.run(probe_plc(Probe.of(plc)))
        sequential = time.monotonic() - started

        started = time.monotonic()
        rows = plc_checks(plcs)
        concurrent = time.monotonic() - started
    finally:
        sim.terminate()
        sim.wait(10)
        for s in silent:
            s.close()

    good = sum(r.ok for r in rows)
    print(
        f"{len(plcs)} PLCs ({args.live} answering, {args.dead} silent; timeout "
        f"{MIN_TIMEOUT:g} s connect + read):"
    )
    print(f"  baseline, one after the other: {sequential:6.2f} s")
    print(f"  doctor, all at once:           {concurrent:6.2f} s  ({sequential / concurrent:.1f}x)")
    print(f"  rows: {good} ok, {len(rows) - good} with the cause")
    return 0 if good == args.live else 1


if __name__ == "__main__":
    sys.exit(main())
