"""``scada_bridge``'s public surface is exactly ``__all__``, documented, and all Odoo uses.

As httpx's ``tests/test_exported_members.py``: every exported name exists and says
what it is, nothing private is exported, and the Odoo module imports only exported
names, so a change inside the package cannot break Odoo unnoticed.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import scada_bridge

ROOT = Path(__file__).resolve().parents[1]
ADDON = ROOT / "addons" / "scada_failure_report"
PACKAGE = Path(scada_bridge.__file__).parent


def _defining_modules() -> dict[str, str]:
    """Exported name -> the module the package ``__init__`` imports it from."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text("utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            for alias in node.names:
                found[alias.asname or alias.name] = node.module or ""
    return found


def _has_doc_comment(module: str, name: str) -> bool:
    """True when ``name = ...`` at the top of ``module`` follows a ``#:`` comment."""
    path = PACKAGE.joinpath(*module.split(".")).with_suffix(".py")
    lines = path.read_text("utf-8").splitlines()
    for node in ast.parse("\n".join(lines)).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return lines[node.lineno - 2].lstrip().startswith("#:")
    return False


def test_every_exported_name_exists_and_is_not_private():
    assert len(set(scada_bridge.__all__)) == len(scada_bridge.__all__), "a name twice"
    for name in scada_bridge.__all__:
        assert hasattr(scada_bridge, name), f"scada_bridge.{name} is in __all__ but missing"
        assert not name.startswith("_"), f"scada_bridge.{name} is private but exported"


def test_every_exported_name_is_documented():
    """Classes and functions by their own docstring, constants by a ``#:`` comment."""
    modules = _defining_modules()
    undocumented = []
    for name in scada_bridge.__all__:
        member = getattr(scada_bridge, name)
        if inspect.isclass(member) or inspect.isfunction(member):
            # A class's own docstring: inspect.getdoc would borrow its base class's.
            own = member.__dict__.get("__doc__") if inspect.isclass(member) else member.__doc__
            if not (own or "").strip():
                undocumented.append(name)
        elif not _has_doc_comment(modules[name], name):
            undocumented.append(name)
    assert not undocumented, "exported without a docstring or '#:' comment: " + ", ".join(
        undocumented
    )


def test_exported_classes_and_functions_come_from_the_package():
    for name in scada_bridge.__all__:
        member = getattr(scada_bridge, name)
        if inspect.isclass(member) or inspect.isfunction(member):
            assert member.__module__.startswith("scada_bridge."), (name, member.__module__)


def _bridge_imports(path: Path) -> list[tuple[int, str, str]]:
    """``(line, module, name)`` of every use of scada_bridge in ``path``: ``from
    scada_bridge[.sub] import name``, ``import scada_bridge[.sub]`` (name ""),
    and ``scada_bridge.name`` attribute reads."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and not node.level:
            module = node.module or ""
            if module.split(".")[0] == "scada_bridge":
                found += [(node.lineno, module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, alias.name, "")
                for alias in node.names
                if alias.name.split(".")[0] == "scada_bridge"
            ]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "scada_bridge"
        ):
            found.append((node.lineno, "scada_bridge", node.attr))
    return found


def test_the_odoo_module_imports_only_public_names():
    """The module's code imports ``scada_bridge``'s ``__all__`` and nothing else. Its
    tests, which run the bridge's own parts (the doctor, the doorbell, the poller's
    status writes) against a real Odoo, may also reach a submodule's public names."""
    wrong = []
    files = sorted(ADDON.rglob("*.py"))
    assert len(files) > 10, f"no Odoo module at {ADDON}"
    for path in files:
        is_test = "tests" in path.relative_to(ADDON).parts
        where = path.relative_to(ROOT)
        for line, module, name in _bridge_imports(path):
            if module == "scada_bridge":
                if name and name not in scada_bridge.__all__:
                    wrong.append(f"{where}:{line} scada_bridge.{name} is not in __all__")
            elif not is_test:
                wrong.append(f"{where}:{line} {module}.{name}: import it from scada_bridge")
            elif name.startswith("_") or (name and name != "*" and not name[0].isalpha()):
                wrong.append(f"{where}:{line} {module}.{name} is private")
    assert not wrong, "the Odoo module imports past the public surface:\n" + "\n".join(wrong)


def test_what_the_odoo_module_uses_is_exported():
    """Removing one of these breaks Odoo: it must stay in ``__all__``."""
    used = set()
    for path in ADDON.rglob("*.py"):
        if "tests" in path.relative_to(ADDON).parts:
            continue
        used |= {
            name for _, module, name in _bridge_imports(path) if name and module == "scada_bridge"
        }
    assert used, "the module imports nothing from scada_bridge?"
    assert used <= set(scada_bridge.__all__), sorted(used - set(scada_bridge.__all__))
    for name in ("connect", "Keepalives", "first_line", "READ_LIMIT", "time_from_json"):
        assert name in used, f"the module no longer uses scada_bridge.{name}: update this test"
