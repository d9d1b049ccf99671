# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""scripts/fetch-odoo.sh: an Odoo 18.0 tree for `make demo` and the Odoo tier (issue 25).

Without the internet: a throwaway local git repository stands for the official
one (SCADA_ODOO_SOURCE). What is tested is the mechanics, not Odoo: the pinned
commit is what is checked out (not the branch head), a fetched tree is reused
without the source, an existing ODOO_PATH is used as it is, and every refusal is
one line naming what failed and the command pointing at an existing tree, within
seconds (a silent server included).
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
FETCH = ROOT / "scripts" / "fetch-odoo.sh"
POINT = "export ODOO_PATH=/path/to/odoo-18.0"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def odoo_tree(path: Path, series: str = "18, 0", marker: str = "pinned") -> None:
    (path / "odoo").mkdir(parents=True, exist_ok=True)
    (path / "odoo" / "release.py").write_text(f"version_info = ({series}, 0, FINAL, 0, '')\n")
    (path / "odoo-bin").write_text(f"# {marker}\n")


@pytest.fixture
def source(tmp_path) -> tuple[Path, str]:
    """A repository on branch 18.0: the commit to pin, then a newer head."""
    repo = tmp_path / "odoo.git"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "18.0")
    odoo_tree(repo, marker="pinned")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "pinned")
    pin = git(repo, "rev-parse", "HEAD")
    odoo_tree(repo, marker="newer head")
    git(repo, "commit", "-q", "-am", "newer")
    return repo, pin


def fetch(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    settings = {
        "ODOO_PATH": str(tmp_path / "no-odoo-here"),
        "SCADA_ODOO_CACHE": str(tmp_path / "cache"),
        **env,
    }
    return subprocess.run(
        ["bash", str(FETCH)],
        capture_output=True,
        text=True,
        env={**os.environ, **settings},
        timeout=120,
    )


def assert_refused(done: subprocess.CompletedProcess[str], why: str) -> None:
    assert done.returncode == 3, done.stderr
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()  # one line, nothing else
    assert why in line, line
    assert line.endswith(POINT), line


def leftovers(tmp_path: Path) -> list[str]:
    cache = tmp_path / "cache"
    return sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock"))


def test_the_pinned_commit_is_fetched_once_then_reused_without_the_source(tmp_path, source):
    repo, pin = source
    first = fetch(tmp_path, SCADA_ODOO_SOURCE=str(repo), SCADA_ODOO_COMMIT=pin)
    assert first.returncode == 0, first.stderr
    tree = Path(first.stdout.strip())
    assert tree == tmp_path / "cache" / f"odoo-18.0-{pin[:12]}"
    # The pin, not the branch's newer head.
    assert (tree / "odoo-bin").read_text() == "# pinned\n"
    assert (tree / ".scada-odoo-commit").read_text().strip() == pin
    assert "fetched Odoo 18.0" in first.stderr and "later runs reuse it" in first.stderr
    assert leftovers(tmp_path) == [tree.name]

    # Next run: the source is gone (no network), the tree is reused as it is.
    (tree / "marker").write_text("kept")
    repo.rename(tmp_path / "gone")
    again = fetch(tmp_path, SCADA_ODOO_SOURCE=str(repo), SCADA_ODOO_COMMIT=pin)
    assert again.returncode == 0, again.stderr
    assert Path(again.stdout.strip()) == tree and (tree / "marker").read_text() == "kept"
    assert again.stderr.splitlines() == [
        f"odoo: using Odoo 18.0 at {tree} (commit {pin[:12]}, fetched by an earlier run)"
    ]


def test_an_odoo_tree_at_odoo_path_is_used_as_it_is_and_nothing_is_fetched(tmp_path, source):
    repo, pin = source
    mine = tmp_path / "my-odoo"
    odoo_tree(mine, marker="mine")
    done = fetch(tmp_path, ODOO_PATH=str(mine), SCADA_ODOO_SOURCE=str(repo))
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, str(mine), "")
    assert not (tmp_path / "cache").exists()
    assert (mine / "odoo-bin").read_text() == "# mine\n"


def test_an_odoo_path_of_another_series_is_not_used(tmp_path, source):
    repo, pin = source
    old = tmp_path / "odoo17"
    odoo_tree(old, series="17, 0")
    done = fetch(tmp_path, ODOO_PATH=str(old), SCADA_ODOO_SOURCE=str(repo), SCADA_ODOO_COMMIT=pin)
    assert done.returncode == 0, done.stderr
    assert "does not say 18.0: not used" in done.stderr
    assert Path(done.stdout.strip()).name == f"odoo-18.0-{pin[:12]}"


def test_an_unreachable_source_is_one_line_and_leaves_nothing(tmp_path):
    done = fetch(tmp_path, SCADA_ODOO_SOURCE=str(tmp_path / "nowhere.git"))
    assert_refused(done, "fetching one failed: git cannot reach")
    assert "no Odoo 18.0 tree at ODOO_PATH=" in done.stderr
    assert leftovers(tmp_path) == []


def test_a_closed_port_is_refused_at_once(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    done = fetch(tmp_path, SCADA_ODOO_SOURCE=f"http://127.0.0.1:{port}/odoo/odoo.git")
    assert_refused(done, f"git cannot reach http://127.0.0.1:{port}/odoo/odoo.git (fatal:")
    assert time.monotonic() - started < 10


def test_a_server_that_never_answers_is_given_up_on_after_the_connect_timeout(tmp_path):
    """The failure mode that would hang CI: a host that accepts and then says nothing."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/odoo/odoo.git"
    try:
        started = time.monotonic()
        done = fetch(tmp_path, SCADA_ODOO_SOURCE=url, SCADA_ODOO_CONNECT_TIMEOUT="2")
        took = time.monotonic() - started
    finally:
        listener.close()
        for conn in held:
            conn.close()
    assert_refused(done, f"fetching one failed: {url} did not answer within 2 s")
    assert took < 15
    assert leftovers(tmp_path) == []


def test_a_commit_the_source_does_not_have_is_one_line_and_leaves_nothing(tmp_path, source):
    repo, _ = source
    missing = "0123456789abcdef0123456789abcdef01234567"
    done = fetch(tmp_path, SCADA_ODOO_SOURCE=str(repo), SCADA_ODOO_COMMIT=missing)
    # The announcement, then the refusal: the refusal is the last line.
    assert done.returncode == 3
    *_, line = done.stderr.splitlines()
    assert f"fetching commit {missing} from {repo} failed (fatal:" in line
    assert line.endswith(POINT)
    assert leftovers(tmp_path) == []


def test_a_commit_that_is_not_odoo_18_is_refused(tmp_path, source):
    repo, _ = source
    odoo_tree(repo, series="17, 0")
    git(repo, "commit", "-q", "-am", "an older series")
    head = git(repo, "rev-parse", "HEAD")
    done = fetch(tmp_path, SCADA_ODOO_SOURCE=str(repo), SCADA_ODOO_COMMIT=head)
    assert done.returncode == 3
    assert done.stderr.splitlines()[-1].startswith("odoo: no Odoo 18.0 tree at ODOO_PATH=")
    assert f"commit {head} of {repo} is not an Odoo 18.0 tree" in done.stderr
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("commit", ["18.0", "14b53e0", "HEAD"], ids=repr)
def test_the_pin_must_be_a_full_commit_id(tmp_path, source, commit):
    repo, _ = source
    done = fetch(tmp_path, SCADA_ODOO_SOURCE=str(repo), SCADA_ODOO_COMMIT=commit)
    assert_refused(done, f"SCADA_ODOO_COMMIT='{commit}' is not a full 40-character commit id")


def test_fetching_can_be_turned_off(tmp_path, source):
    repo, pin = source
    done = fetch(tmp_path, SCADA_ODOO_SOURCE=str(repo), SCADA_ODOO_COMMIT=pin, SCADA_ODOO_FETCH="0")
    assert_refused(done, "fetching one is off (SCADA_ODOO_FETCH=0)")


def test_the_odoo_tier_fetches_from_the_source_or_skips_loudly_in_one_line(tmp_path):
    """scripts/test-odoo.sh: a refused fetch is the tier's one skipped case, with the line."""
    junit = tmp_path / "odoo.xml"
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "test-odoo.sh")],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "ODOO_PATH": str(tmp_path / "no-odoo-here"),
            "SCADA_ODOO_SOURCE": str(tmp_path / "nowhere.git"),
            "SCADA_ODOO_CACHE": str(tmp_path / "cache"),
            "SCADA_ODOO_JUNIT": str(junit),
        },
        timeout=120,
    )
    assert done.returncode == 4
    assert done.stdout == "odoo: 0 passed, 0 failed, 1 skipped\n"
    assert "ODOO TIER SKIPPED" in done.stderr
    (why,) = [line for line in done.stderr.splitlines() if "fetching one failed" in line]
    assert why.endswith(POINT)
    assert "fetching one failed: git cannot reach" in junit.read_text()
