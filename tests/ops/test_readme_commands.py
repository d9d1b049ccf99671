# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Every command in the README is run by a test or says why not (issue 25).

Every shell block of README.md and docs/deploy.md (```sh, ```powershell) follows
a note the reader can see in the source, ``<!-- commands: run by PATH ... -->``
naming the test or script that runs those commands (each path named must exist),
or ``<!-- commands: not run by a test: REASON -->``. Output samples (blocks
without a language) are not commands. The two commands of "Start here" are
checked further: `make demo` runs the scripts/demo.py that tests/test_demo.py
runs, and .ci/run is `bash scripts/test.sh`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SHELL = ("sh", "bash", "shell", "console", "powershell")
#: The files whose commands a reader copies.
DOCUMENTS = ("README.md", "docs/deploy.md")
BLOCK = re.compile(r"^ *```(?P<lang>[\w-]*)\n(?P<body>.*?)^ *```$", re.M | re.S)
NOTE = re.compile(r"<!-- commands: (?P<note>(?:(?!-->).)+) -->\s*\Z", re.S)
#: Paths a note may name: tests, scripts, the CI entry point.
PATH = re.compile(r"(?:\.ci/run|(?:tests|scripts|bench)/[\w./-]*[\w/])")


def shell_blocks(text: str) -> list[tuple[int, str, str]]:
    """(line, note or '', commands) of every shell block."""
    found = []
    for block in BLOCK.finditer(text):
        if block["lang"] not in SHELL:
            continue
        before = text[: block.start()]
        note = NOTE.search(before[-600:])
        found.append((before.count("\n") + 1, note["note"] if note else "", block["body"]))
    return found


def problems(text: str, name: str = "README.md") -> list[str]:
    """What is wrong with the notes of ``text``'s shell blocks, one line each."""
    wrong = []
    for line, note, body in shell_blocks(text):
        first = body.strip().splitlines()[0] if body.strip() else ""
        if not note:
            wrong.append(
                f"{name}:{line}: `{first}`: no <!-- commands: run by ... --> or "
                "<!-- commands: not run by a test: why --> before the block"
            )
        elif note.startswith("not run by a test:"):
            if len(note.split(":", 1)[1].strip()) < 10:
                wrong.append(f"{name}:{line}: `{first}`: say why it is not run")
        elif note.startswith("run by "):
            named = PATH.findall(note)
            if not named:
                wrong.append(f"{name}:{line}: `{first}`: 'run by' names no test or script")
            wrong += [
                f"{name}:{line}: `{first}`: {path} does not exist"
                for path in named
                if not (ROOT / path).exists()
            ]
        else:
            wrong.append(f"{name}:{line}: `{first}`: a note starts 'run by' or 'not run by'")
    return wrong


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_shell_block_is_run_by_a_test_or_says_why_not(name):
    text = (ROOT / name).read_text("utf-8")
    assert len(shell_blocks(text)) >= 5, f"the walk found the shell blocks of {name}"
    assert problems(text, name) == []


def test_the_checker_sees_a_block_without_a_note_and_a_test_that_is_not_there():
    text = (
        "intro\n\n```sh\nrm -rf /\n```\n\n"
        "<!-- commands: run by tests/ops/no_such_test.py -->\n```sh\nmake it\n```\n\n"
        "<!-- commands: not run by a test: -->\n```bash\nx\n```\n\n"
        "```\nsample output, not a command\n```\n"
    )
    assert problems(text) == [
        "README.md:3: `rm -rf /`: no <!-- commands: run by ... --> or "
        "<!-- commands: not run by a test: why --> before the block",
        "README.md:8: `make it`: tests/ops/no_such_test.py does not exist",
        "README.md:13: `x`: say why it is not run",
    ]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_runs_the_demo_tests_test_demo_runs():
    dry = subprocess.run(
        ["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert "scripts/demo.py" in dry.stdout.splitlines()[-1], dry.stdout
    assert 'DEMO = ROOT / "scripts" / "demo.py"' in (ROOT / "tests" / "test_demo.py").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert [line for line in lines if line and not line.startswith("#")] == ["bash scripts/test.sh"]
