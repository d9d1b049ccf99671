"""The package's shape: the public API Odoo imports, and imports that run one way.

``cli -> poller/doctor/simulator -> sources -> plc/store -> config/odoo_url -> events/protocol
frames -> errors``: a module may import only from its own layer or the
layers below it, so no circle can form (``diagnose()`` once imported its hops inside
the function to dodge one).

The protocols apart from I/O (issue 19): ``plc.fins_frames`` and ``plc.modbus_tables``
hold the frames and constants the configuration loader checks against (issue 14: no
protocol constant in the loader), import only ``errors`` and sit in the bottom layer;
the drivers (``plc.fins``, ``plc.modbus``) are ordinary ``plc`` modules above
``config``, so loading a configuration never loads pymodbus.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import scada_bridge

PACKAGE = Path(scada_bridge.__file__).parent

#: Layer of each top-level part; a module may import its own layer or lower ones.
LAYERS = {
    "errors": -1,  # every layer may raise
    "_version": 0,
    "events": 0,
    "plc.protocol": 0,  # frames and constants, no I/O: plc.fins_frames, plc.modbus_tables
    "config": 1,
    "odoo_url": 1,
    "odoo_http": 1.5,  # the HTTP client to Odoo, built on the URL rules of odoo_url
    "plc": 2,
    "store": 2,
    "sources": 2.5,  # OPC UA and MQTT event sources (issue 20): the poller runs them
    "poller": 3,
    "doctor": 3,
    "simulator": 3,
    "deploy": 3,  # the service unit (systemd), built from a configuration
    "cli": 4,
    "__init__": 5,
}


#: Modules of ``plc/`` without I/O that form the ``plc.protocol`` layer (below ``config``).
PROTOCOL_MODULES = {"scada_bridge.plc.fins_frames", "scada_bridge.plc.modbus_tables"}


def _part(module: str) -> str:
    """``scada_bridge.store.reader`` -> ``store``; a protocol module -> ``plc.protocol``."""
    if module in PROTOCOL_MODULES:
        return "plc.protocol"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every scada_bridge module ``path`` imports, resolved to absolute names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("scada_bridge"):
                found.add(target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("scada_bridge"))
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_every_import_points_down_or_sideways_in_its_layer():
    wrong = []
    for path in _modules():
        me = _module_name(path)
        mine = _part(me) if me != "scada_bridge" else "__init__"
        for target in _imports(path):
            theirs = _part(target) if target != "scada_bridge" else "__init__"
            if theirs == mine:
                continue
            if LAYERS.get(theirs, 99) >= LAYERS.get(mine, -1):
                wrong.append(f"{me} imports {target}")
    assert not wrong, "imports against the layers: " + "; ".join(wrong)


def test_no_import_cycle_between_modules():
    graph = {}
    for path in _modules():
        graph[_module_name(path)] = {t for t in _imports(path) if t != _module_name(path)}
    # The package __init__ re-exports: leave it out, every module's parent import goes through it.
    graph.pop("scada_bridge", None)
    for deps in graph.values():
        deps.discard("scada_bridge")
    seen, stack, cycles = set(), [], []

    def visit(node):
        if node in stack:
            cycles.append(" -> ".join(stack[stack.index(node) :] + [node]))
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            # "from .x import y" of a package resolves to the package's __init__ module.
            visit(dep)
        stack.pop()

    for node in sorted(graph):
        visit(node)
    assert not cycles, "import cycles: " + "; ".join(cycles)


def test_loading_a_configuration_loads_no_driver_and_no_pymodbus():
    """The half layer is gone: ``config`` reaches the protocols' constants, never a driver."""
    code = (
        "import sys, scada_bridge.config; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pymodbus' "
        "or m in ('scada_bridge.plc.fins', 'scada_bridge.plc.modbus', "
        "'scada_bridge.plc.driver', 'scada_bridge.plc.registers')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]", f"importing scada_bridge.config loaded {out.stdout}"


def test_every_subpackage_says_its_job_and_what_it_may_import():
    for sub in ("plc", "store", "sources", "poller", "doctor", "simulator"):
        doc = importlib.import_module(f"scada_bridge.{sub}").__doc__ or ""
        assert "import" in doc.lower(), f"scada_bridge.{sub} docstring does not say its imports"


def test_public_api_is_importable_from_the_package():
    for name in scada_bridge.__all__:
        assert hasattr(scada_bridge, name), f"scada_bridge.{name} is in __all__ but missing"
    # What the Odoo module imports, by name: removing one breaks Odoo.
    for name in (
        "Cursor",
        "START",
        "connect",
        "read_events",
        "backlog",
        "check_source",
        "insert_events",
        "migrate",
        "event_fields",
        "EVENT_FIELDS",
        "read_status",
        "PlcStatusRow",
    ):
        assert name in scada_bridge.__all__, name
