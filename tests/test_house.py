# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""House rules of the repository that no linter checks (issue 14).

* No source file (py, xml, js, sh) over :data:`MAX_LINES` lines unless its
  header says why (a line saying ``over 400 lines because ...``).
* The Odoo module's Python imports have no circle.
* Every file of the module that can carry a comment starts with the copyright
  and licence header.
* The module's README.rst is what ``scripts/gen-readme.py`` makes of readme/.
"""

import ast
import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "addons" / "scada_failure_report"
MAX_LINES = 400
#: How far into a file its header may say why it is long.
HEADER_LINES = 40
LONG_REASON = re.compile(r"over 400 lines because \S", re.IGNORECASE)
COPYRIGHT = "Copyright 2026 SCADA Failure Bridge contributors"
LICENCE = "License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)"


def tracked(*patterns: str) -> list[Path]:
    """Files git tracks (and new ones not ignored) matching the patterns."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *patterns],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def test_no_file_is_over_400_lines_without_saying_why():
    long = []
    for path in tracked("*.py", "*.xml", "*.js", "*.sh"):
        lines = path.read_text("utf-8", errors="replace").splitlines()
        if len(lines) > MAX_LINES and not LONG_REASON.search("\n".join(lines[:HEADER_LINES])):
            long.append(f"{path.relative_to(ROOT)} ({len(lines)} lines)")
    assert not long, (
        f"over {MAX_LINES} lines: split them by concern, or say in the header "
        f"'over 400 lines because ...': {', '.join(long)}"
    )


def module_imports(package: Path, name: str) -> dict[str, set[str]]:
    """Module name -> the modules of the same package it imports (by its source)."""
    modules = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join([name, *parts])] = path
    graph: dict[str, set[str]] = {mod: set() for mod in modules}
    for mod, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            targets = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    context = mod if is_package else mod.rpartition(".")[0]
                    relative = "." * node.level + (node.module or "")
                    source = importlib.util.resolve_name(relative, context)
                else:
                    source = re.sub(r"^odoo\.addons\.", "", node.module or "")
                # "from . import x" names a submodule when one exists.
                targets = [f"{source}.{alias.name}" for alias in node.names]
                targets = [t if t in modules else source for t in targets]
            elif isinstance(node, ast.Import):
                targets = [re.sub(r"^odoo\.addons\.", "", alias.name) for alias in node.names]
            graph[mod].update(t for t in targets if t in modules and t != mod)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of the graph, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_module_imports_run_without_a_circle():
    graph = module_imports(MODULE, MODULE.name)
    assert f"{MODULE.name}.models.scada_source" in graph, "the walk found the module's files"
    assert f"{MODULE.name}.models.scada_pull" in graph[f"{MODULE.name}.models.scada_source"]
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_sees_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize(
    "path",
    [p for p in tracked("addons/*") if p.suffix in (".py", ".xml", ".js", ".css", ".scss", ".sh")],
    ids=lambda p: str(p.relative_to(MODULE)),
)
def test_every_module_file_carries_the_copyright_header(path):
    head = "\n".join(path.read_text("utf-8").splitlines()[:6])
    assert COPYRIGHT in head and LICENCE in head, (
        f"{path.relative_to(ROOT)}: start it with '{COPYRIGHT}' and '{LICENCE}' "
        "(as comments of the file's language)"
    )


def test_module_readme_rst_is_generated_from_readme_fragments():
    spec = importlib.util.spec_from_file_location("gen_readme", ROOT / "scripts" / "gen-readme.py")
    gen_readme = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_readme)
    readme = MODULE / "README.rst"
    assert readme.exists(), "README.rst missing: run 'python scripts/gen-readme.py'"
    assert readme.read_text("utf-8") == gen_readme.render(
        MODULE
    ), "README.rst is not what readme/ holds now: run 'python scripts/gen-readme.py'"
