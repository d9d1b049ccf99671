#!/usr/bin/env python3
# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""JUnit XML for the test command: every tier is counted from these files.

    junit.py case FILE SUITE NAME [--skip-exit N] -- COMMAND [ARG...]
        run COMMAND (its output goes to stderr), add one test case NAME to the
        suite in FILE: passed when COMMAND exits 0, skipped when it exits N
        (the output's last line is the reason), failed otherwise (the output is
        the failure's text); exits with COMMAND's status.
    junit.py skip FILE SUITE NAME MESSAGE
        add one skipped test case.
    junit.py fail FILE SUITE NAME MESSAGE
        add one failed test case (a step that could not even run).
    junit.py count FILE [FILE...]
        print "PASSED FAILED SKIPPED" summed over the files' test cases; a
        missing or unreadable file counts as one failure, a file without any
        test case too (a tier that ran nothing did not pass).

Standard library only: it runs in the dev venv and in Odoo's.
"""

from __future__ import annotations

import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

#: Longest command output kept in a failure's text (its tail).
MAX_OUTPUT = 20_000


def _suite(path: Path, name: str) -> tuple[ET.ElementTree, ET.Element]:
    if path.exists():
        tree = ET.parse(path)
        root = tree.getroot()
    else:
        root = ET.Element("testsuites")
        tree = ET.ElementTree(root)
    suites = [root] if root.tag == "testsuite" else list(root)
    for suite in suites:
        if suite.get("name") == name:
            return tree, suite
    suite = ET.SubElement(root, "testsuite", name=name)
    return tree, suite


def _add(path: Path, suite_name: str, case: str, seconds: float, outcome: str, text: str) -> None:
    tree, suite = _suite(path, suite_name)
    element = ET.SubElement(
        suite, "testcase", classname=suite_name, name=case, time=f"{seconds:.3f}"
    )
    if outcome != "passed":
        tag = "skipped" if outcome == "skipped" else "failure"
        detail = ET.SubElement(
            element, tag, message=text.strip().splitlines()[-1][:300] if text.strip() else outcome
        )
        detail.text = text[-MAX_OUTPUT:]
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", "0")
    suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _case(
    path: Path, suite: str, name: str, command: list[str], skip_exit: int | None = None
) -> int:
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False
        )
    except OSError as exc:
        _add(path, suite, name, 0.0, "failed", f"{command[0]}: {exc}")
        print(f"{name}: {command[0]}: {exc}", file=sys.stderr)
        return 127
    output = done.stdout.decode("utf-8", "replace")
    sys.stderr.write(output)
    outcome = "passed" if done.returncode == 0 else "failed"
    if skip_exit is not None and done.returncode == skip_exit:
        outcome = "skipped"
    _add(path, suite, name, time.monotonic() - started, outcome, output)
    return done.returncode


def count(paths: list[str]) -> tuple[int, int, int]:
    """(passed, failed, skipped) over the test cases of JUnit XML files."""
    passed = failed = skipped = 0
    for name in paths:
        try:
            root = ET.parse(name).getroot()
        except (OSError, ET.ParseError):
            failed += 1
            continue
        cases = list(root.iter("testcase"))
        if not cases:
            failed += 1
        for case in cases:
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "count":
        print(*count(argv[1:]))
        return 0
    if len(argv) >= 6 and argv[0] == "case" and argv[4] == "--":
        return _case(Path(argv[1]), argv[2], argv[3], argv[5:])
    if len(argv) >= 8 and argv[0] == "case" and argv[4] == "--skip-exit" and argv[6] == "--":
        return _case(Path(argv[1]), argv[2], argv[3], argv[7:], skip_exit=int(argv[5]))
    if len(argv) == 5 and argv[0] in ("skip", "fail"):
        outcome = "skipped" if argv[0] == "skip" else "failed"
        _add(Path(argv[1]), argv[2], argv[3], 0.0, outcome, argv[4])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
