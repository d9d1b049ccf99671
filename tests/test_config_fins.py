"""FINS PLCs and the mailbox's failure code in the configuration: defaults, the plant's
example, and every mistake one line naming the file and the key (a `table` on a FINS PLC)."""

from __future__ import annotations

import textwrap
from dataclasses import fields
from pathlib import Path

import pytest
from scada_bridge.cli import main
from scada_bridge.config import (
    DEFAULT_IGNORE,
    Condition,
    Mailbox,
    Plc,
    Span,
    config_keys,
    load,
)
from scada_bridge.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "omron-fins.toml"

FINS = """
[database]
uri = "postgresql://scada@127.0.0.1:5432/scada"

[[plc]]
name = "omron1"
protocol = "fins"
host = "192.168.250.1"
{plc}

  [[plc.condition]]
  equipment = "silo101"
  failure_code = "START_FAILURE"
  description = "motor did not start"
  area = "CIO"
  address = 100
  when = "bit"
  bit = 3
{cond}

  [plc.mailbox]
  flag = 8022
  equipment = {{ address = 8000, registers = 8 }}
  failure_code = {{ address = 8008, registers = 8 }}
  time = 8016
{box}
"""


def _write(tmp_path: Path, plc: str = "", cond: str = "", box: str = "") -> Path:
    path = tmp_path / "plant.toml"
    path.write_text(textwrap.dedent(FINS.format(plc=plc, cond=cond, box=box)), encoding="utf-8")
    return path


def test_the_plant_example_holds_exactly_the_omron_mailbox(monkeypatch):
    monkeypatch.setenv("SCADA_DB_URI", "postgresql://scada@127.0.0.1/scada")
    (plc,) = load(EXAMPLE).plcs
    assert (plc.protocol, plc.port, plc.fins_transport) == ("fins", 9600, "udp")
    assert plc.mailbox == Mailbox(
        flag=8022,
        equipment=Span(8000, 8),
        time=8016,
        failure_code=Span(8008, 8),
        clock_timezone="Asia/Jakarta",
        area="DM",
    )
    assert plc.mailbox.block() == Span(8000, 23)  # one request: D8000-D8022


def test_fins_defaults(tmp_path):
    (plc,) = load(_write(tmp_path)).plcs
    assert plc.port == 9600
    assert plc.fins_node == 1  # last octet of 192.168.250.1
    assert plc.fins_source_node is None  # the driver's default: 254
    assert plc.fins_max_words == 999 and plc.max_gap == 999
    assert plc.conditions[0].table == "CIO"
    box = plc.mailbox
    assert box is not None
    assert (box.area, box.text, box.ignore) == ("DM", None, DEFAULT_IGNORE)
    assert DEFAULT_IGNORE == ("", "0", "NONE", "NO_FAILURE", "NO_ERROR", "NO ERROR")


def test_allowed_keys_come_from_the_dataclass_fields():
    assert config_keys(Condition, "modbus")[:6] == (
        "equipment",
        "failure_code",
        "description",
        "severity",
        "table",
        "address",
    )
    assert "area" in config_keys(Condition, "fins") and "table" not in config_keys(
        Condition, "fins"
    )
    assert "where" not in config_keys(Condition)
    assert "device_id" not in config_keys(Plc, "fins")
    assert "fins_node" not in config_keys(Plc, "modbus")
    assert "condition" in config_keys(Plc) and "conditions" not in config_keys(Plc)
    # Every field of Plc is a key of at least one protocol (nothing listed twice by hand).
    every = set(config_keys(Plc, "modbus")) | set(config_keys(Plc, "fins"))
    assert len(every) == len(fields(Plc))


BAD = {
    "table on a FINS condition": (
        {"cond": 'table = "coil"'},
        "condition[0].table: is a key of protocol = 'modbus' PLCs; this PLC has protocol = 'fins'",
    ),
    "device_id on a FINS PLC": (
        {"plc": "device_id = 3"},
        "plc[0].device_id: is a key of protocol = 'modbus' PLCs",
    ),
    "unknown area": (
        {"box": 'area = "D"'},
        "mailbox.area: 'D' is not one of DM, CIO, W, H, A",
    ),
    "address past the area": (
        {"box": 'area = "W"'},
        "mailbox.flag: 8022 is out of range 0..511",
    ),
    "source node is the PLC's node": (
        {"plc": "fins_source_node = 1"},
        "fins_source_node: 1 is the PLC's own node (fins_node)",
    ),
    "max words above the FINS limit": (
        {"plc": "fins_max_words = 1000"},
        "fins_max_words: 1000 is out of range 1..999",
    ),
    "mailbox wider than one request": (
        {"plc": "fins_max_words = 20"},
        "mailbox.flag: the mailbox spans 23 words (8000..8022); one request reads at most 20",
    ),
    "unknown transport": (
        {"plc": 'fins_transport = "serial"'},
        "fins_transport: 'serial' is not one of udp, tcp",
    ),
    "ignore not a list of strings": (
        {"box": "ignore = [0]"},
        "mailbox.ignore: must be an array of strings",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_fins_mistakes_are_one_line_naming_file_and_key(tmp_path, case, capsys):
    parts, expected = BAD[case]
    path = _write(tmp_path, **parts)
    with pytest.raises(ConfigError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and expected in message, message
    assert "\n" not in message
    assert main(["poll", "--config", str(path)]) == 1
    assert capsys.readouterr().err == f"scada-bridge poll: {message}\n"


def test_a_host_name_needs_fins_node(tmp_path):
    path = _write(tmp_path)
    path.write_text(path.read_text().replace("192.168.250.1", "plc-omron.local"))
    with pytest.raises(ConfigError, match="fins_node: missing: host 'plc-omron.local'"):
        load(path)
    path.write_text(
        path.read_text().replace('"plc-omron.local"', '"plc-omron.local"\nfins_node = 5')
    )
    assert load(path).plcs[0].fins_node == 5


def test_fins_keys_on_a_modbus_plc_and_ignore_with_a_fixed_code_are_refused(tmp_path):
    modbus = tmp_path / "modbus.toml"
    modbus.write_text(
        '[database]\nuri = "postgresql://x@h/db"\n[[plc]]\nname = "m"\nhost = "127.0.0.1"\n'
        "fins_node = 3\n[plc.mailbox]\nflag = 0\nequipment = { address = 1, registers = 2 }\n"
        "time = 3\n"
    )
    with pytest.raises(ConfigError, match="fins_node: is a key of protocol = 'fins' PLCs"):
        load(modbus)
    modbus.write_text(
        modbus.read_text()
        .replace("fins_node = 3\n", "")
        .replace("time = 3\n", 'time = 3\nignore = ["NONE"]\n')
    )
    with pytest.raises(ConfigError, match="mailbox.ignore: lists failure codes read from the PLC"):
        load(modbus)
    modbus.write_text(modbus.read_text().replace('ignore = ["NONE"]\n', 'area = "DM"\n'))
    with pytest.raises(ConfigError, match="mailbox.area: is a key of protocol = 'fins' PLCs"):
        load(modbus)


def test_the_plant_demo_scenario_loads_against_the_example(monkeypatch):
    from scada_bridge.simulator import load_scenario

    monkeypatch.setenv("SCADA_DB_URI", "postgresql://scada@127.0.0.1/scada")
    scenario = load_scenario(EXAMPLE.with_name("omron-fins-scenario.toml"), load(EXAMPLE))
    codes = [s.failure_code for s in scenario.steps if s.action == "mailbox"]
    assert codes == ["START_FAILURE", "NO_FAILURE"] and scenario.repeat
