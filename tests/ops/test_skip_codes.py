# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Skips the test command counts as skips, not passes or failures (issue 25).

`scripts/junit.py case ... --skip-exit N` records a command that exits N as a
skipped case with its last line as the reason; `scripts/check-compose.sh --up`
exits 4 with one line when no Docker engine answers (a stand-in `docker` here,
so the test never starts a real stack).
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
JUNIT = [sys.executable, str(ROOT / "scripts" / "junit.py")]


def case(xml: Path, name: str, code: int) -> int:
    script = f"echo working; echo 'why: reason {code}'; exit {code}"
    return subprocess.run(
        [*JUNIT, "case", str(xml), "tier", name, "--skip-exit", "4", "--", "bash", "-c", script],
        capture_output=True,
        timeout=60,
    ).returncode


def test_the_skip_exit_code_is_a_skipped_case_others_pass_or_fail(tmp_path):
    xml = tmp_path / "tier.xml"
    assert [case(xml, "skips", 4), case(xml, "passes", 0), case(xml, "fails", 1)] == [4, 0, 1]
    counted = subprocess.run(
        [*JUNIT, "count", str(xml)], capture_output=True, text=True, timeout=60, check=True
    )
    assert counted.stdout.split() == ["1", "1", "1"]  # passed, failed, skipped
    skipped = ET.parse(xml).find(".//testcase[@name='skips']/skipped")
    assert skipped is not None and skipped.get("message") == "why: reason 4"


def test_compose_up_without_a_docker_engine_is_a_one_line_skip(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "docker").write_text(
        "#!/bin/sh\n"
        "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2\n"
        "exit 1\n"
    )
    (fake / "docker").chmod(0o755)
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "check-compose.sh"), "--up"],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"},
        timeout=60,
    )
    assert done.returncode == 4
    assert done.stderr == ""
    (line,) = done.stdout.splitlines()
    assert line.startswith("check-compose --up: SKIPPED: no Docker engine answers here")
    assert "Cannot connect to the Docker daemon" in line
    assert line.endswith("run it where Docker runs: bash scripts/check-compose.sh --up")
