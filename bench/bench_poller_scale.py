"""Benchmark: 1,000 PLCs on one poller, next to 50, in one run (issue 12).

Runs :mod:`bench_poller` (its ``--json`` mode, one process per size so memory
figures are not mixed) twice on Modbus TCP: 50 PLCs (the baseline, the figure of
issue 3) and ``--plcs`` PLCs (1,000), each with ``--registers`` words (10) polled
every 1 s, the simulator answering after 5 ms from its own process (one port per
PLC). Prints, side by side: whether every PLC stayed within its interval (the
longest time between two polls of any PLC, the fewest polls of one PLC), CPU of
the poller (% of one core), its peak memory, and one full cycle (every PLC read
once, concurrently).

Run (PostgreSQL on 127.0.0.1:5432)::

    .venv/bin/python bench/bench_poller_scale.py [--plcs 1000] [--registers 10] [--seconds 30]

Exit status 1 when the large poller misses an interval by more than 10 % or uses
more than one core.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(plcs: int, args: argparse.Namespace) -> dict[str, float]:
    argv = [
        sys.executable,
        str(HERE / "bench_poller.py"),
        "--json",
        "--protocol",
        "modbus",
        "--plcs",
        str(plcs),
        "--registers",
        str(args.registers),
        "--seconds",
        str(args.seconds),
        "--rounds",
        "3",
    ]
    out = subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True, timeout=1800)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plcs", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=50, help="PLCs of the baseline run")
    parser.add_argument("--registers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    base, big = measure(args.baseline, args), measure(args.plcs, args)
    print(
        f"Modbus TCP, {args.registers} words per PLC, interval 1 s, simulated answer 5 ms, "
        f"{args.seconds:g} s measured"
    )
    print(f"{'':40}{args.baseline:>10} PLCs{args.plcs:>10} PLCs")
    rows = [
        ("longest time between two polls (s)", "max_period_s", ".3f"),
        ("fewest polls of one PLC", "min_polls", "d"),
        ("expected polls (seconds measured)", "expected_polls", ".0f"),
        ("PLCs not ok", "down", "d"),
        ("poller CPU, % of one core", "cpu_percent", ".1f"),
        ("poller peak RSS (MiB)", "rss_mib", ".1f"),
        ("full cycle, all PLCs at once (ms)", "cycle_ms", ".1f"),
    ]
    for label, key, fmt in rows:
        print(f"{label:40}{format(base[key], fmt):>15}{format(big[key], fmt):>15}")
    per_plc = (big["cpu_percent"] - base["cpu_percent"]) / max(1, args.plcs - args.baseline)
    print(f"CPU per extra PLC: {per_plc * 1000:.1f} % of a core per 1,000 PLCs")
    ok = big["max_period_s"] <= 1.1 and big["down"] == 0 and big["cpu_percent"] < 100
    ok = ok and big["min_polls"] >= 0.9 * big["expected_polls"]
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
