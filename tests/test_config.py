"""The configuration file: the shipped example loads, and every mistake is one clear line.

Each bad configuration is run through the real command line too, to prove it
stops at start with the file, the key and what is wrong (exit 1, no traceback).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from scada_bridge.cli import main
from scada_bridge.config import COIL, HOLDING_REGISTER, load
from scada_bridge.errors import ConfigError

from tests.poller_fixtures import MINIMAL_PLANT

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "plant.toml"

GOOD = MINIMAL_PLANT


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plant.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_shipped_example_loads_and_uses_every_feature(monkeypatch):
    monkeypatch.setenv("SCADA_DB_URI", "postgresql://scada@127.0.0.1/scada")
    config = load(EXAMPLE)
    assert [p.name for p in config.plcs] == ["line1", "line2"]
    conditions = [c for p in config.plcs for c in p.conditions]
    assert {c.table for c in conditions} == {
        "coil",
        "discrete_input",
        "holding_register",
        "input_register",
    }
    assert {c.when for c in conditions} == {"nonzero", "bit", "equal", "above", "below"}
    assert {c.type for c in conditions} >= {"bool", "uint16", "int16", "uint32", "float32", "bcd"}
    assert any(c.debounce > 1 for c in conditions)
    assert any(c.word_order == "little" for c in conditions)
    assert any(c.scale != 1 for c in conditions)
    assert config.plc("line2").mailbox is not None
    assert config.plc("line2").byte_order == "little"
    assert config.database.uri == "postgresql://scada@127.0.0.1/scada"
    assert config.poller.state_dir == EXAMPLE.parent / "state"


def test_defaults(tmp_path):
    config = load(_write(tmp_path, GOOD))
    plc = config.plcs[0]
    assert (plc.device_id, plc.interval, plc.retries, plc.byte_order) == (1, 1.0, 0, "big")
    cond = plc.conditions[0]
    assert (cond.table, cond.type, cond.when, cond.severity, cond.debounce) == (
        COIL,
        "bool",
        "nonzero",
        "medium",
        1,
    )


def test_db_flag_beats_the_file_and_env_names_the_variable(tmp_path, monkeypatch):
    path = _write(tmp_path, GOOD)
    assert load(path, db_uri="postgresql://x@h/db").database.uri == "postgresql://x@h/db"
    no_uri = GOOD.replace('uri = "postgresql://scada@127.0.0.1:5432/scada"', 'uri_env = "MY_DB"')
    monkeypatch.setenv("MY_DB", "postgresql://from-env@h/db")
    assert load(_write(tmp_path, no_uri)).database.uri == "postgresql://from-env@h/db"


def _cond(**changes: object) -> str:
    """GOOD with the condition's keys changed (None removes a key)."""
    keys: dict[str, object] = {
        "equipment": '"silo101"',
        "failure_code": '"START_FAILURE"',
        "description": '"Motor did not start"',
        "table": '"coil"',
        "address": "0",
    }
    for key, value in changes.items():
        if value is None:
            keys.pop(key, None)
        else:
            keys[key] = value
    body = "\n".join(f"  {k} = {v}" for k, v in keys.items())
    head = GOOD.split("  [[plc.condition]]")[0]
    return head + "  [[plc.condition]]\n" + body + "\n"


SECOND_CONDITION = """
  [[plc.condition]]
  equipment = "silo102"
  failure_code = "X"
  description = "x"
  table = "holding_register"
  address = {address}
  type = "{type}"
"""

MAILBOX = """
  [plc.mailbox]
  flag = 100
  equipment = {{ address = 101, registers = 4 }}
  text = {{ address = {text}, registers = 10 }}
  time = 115
"""

BAD = {
    "unknown top-level key": (
        GOOD + "\n[plcs]\nx = 1\n",
        "plcs: unknown key",
    ),
    "unknown key with a suggestion": (
        _cond(adress="3"),
        "plc[0] 'line1'.condition[0].adress: unknown key (did you mean 'address'?)",
    ),
    "missing field": (
        _cond(address=None),
        "plc[0] 'line1'.condition[0].address: missing (required)",
    ),
    "missing host": (
        GOOD.replace('host = "127.0.0.1"\n', ""),
        "plc[0] 'line1'.host: missing (required)",
    ),
    "address out of range": (
        _cond(address="70000"),
        "condition[0].address: 70000 is out of range 0..65535",
    ),
    "value runs past the end": (
        _cond(table='"input_register"', type='"float32"', address="65535"),
        "condition[0].address: float32 at 65535 runs past the last address 65535",
    ),
    "port out of range": (
        GOOD.replace("port = 5020", "port = 0"),
        "plc[0] 'line1'.port: 0 is out of range 1..65535",
    ),
    "wrong type of value": (
        _cond(address='"ten"'),
        "condition[0].address: must be an integer, got 'ten'",
    ),
    "unknown table": (
        _cond(table='"holding"'),
        "condition[0].table: 'holding' is not one of coil, discrete_input, "
        "holding_register, input_register",
    ),
    "bit without when": (
        _cond(table='"holding_register"', bit="3"),
        "condition[0].bit: only used with when = 'bit'",
    ),
    "bit out of range": (
        _cond(table='"holding_register"', when='"bit"', bit="16"),
        "condition[0].bit: 16 is out of range 0..15",
    ),
    "threshold missing": (
        _cond(table='"input_register"', when='"above"'),
        "condition[0].value: missing (required)",
    ),
    "bool type on a register": (
        _cond(table='"holding_register"', type='"bool"'),
        "condition[0].type: holding_register holds 16-bit registers",
    ),
    "partial overlap": (
        _cond(table='"holding_register"', type='"int32"', address="10")
        + SECOND_CONDITION.format(address=11, type="uint16"),
        "condition[1].address: holding_register 11...11 (uint16) partly overlaps "
        "plc[0] 'line1'.condition[0] (10..11, int32)",
    ),
    "condition inside the mailbox": (
        _cond() + SECOND_CONDITION.format(address=103, type="uint16") + MAILBOX.format(text=105),
        "condition[1].address: holding register 103 is inside the mailbox equipment (101..104)",
    ),
    "mailbox parts overlap": (
        GOOD + MAILBOX.format(text=103),
        "mailbox.text: holding registers 103..112 overlap mailbox equipment (101..104)",
    ),
    "same failure watched twice": (
        _cond() + _cond().split("  [[plc.condition]]")[1].join(["  [[plc.condition]]", ""]),
        "condition[1]: equipment 'silo101' with failure_code 'START_FAILURE' is already watched",
    ),
    "duplicate PLC name": (
        GOOD + GOOD.split("[database]")[1].split("\n", 2)[2].replace("5020", "5021"),
        "plc[1].name: 'line1' is already used by plc[0]",
    ),
    "two PLCs on one endpoint": (
        GOOD + GOOD.split("[database]")[1].split("\n", 2)[2].replace('"line1"', '"line2"'),
        "device_id: 127.0.0.1:5020 device id 1 is already PLC 'line1'",
    ),
    "no PLC": (
        '[database]\nuri = "postgresql://x@h/db"\n',
        "plc: no PLC configured",
    ),
    "PLC with nothing to watch": (
        GOOD.split("  [[plc.condition]]")[0],
        "this PLC has nothing to watch",
    ),
    "unknown severity": (
        _cond(severity='"urgent"'),
        "severity: 'urgent' is not one of low, medium, high, critical",
    ),
    "unknown time zone": (
        GOOD + MAILBOX.format(text=105) + '  clock_timezone = "Mars/Olympus"\n',
        "mailbox.clock_timezone: 'Mars/Olympus' is not a known time zone",
    ),
    "backoff cap below start": (
        GOOD + "\n[poller]\nbackoff_initial = 5\nbackoff_max = 1\n",
        "poller.backoff_max: 1.0 is below backoff_initial 5.0",
    ),
    "not TOML": (
        GOOD + "\nthis is not toml\n",
        "not valid TOML: ",
    ),
    "equipment longer than an event's code may be": (
        _cond(equipment='"' + "e" * 129 + '"'),
        "condition[0].equipment: is 129 characters long, more than the 128 allowed",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_configuration_is_one_line_naming_file_key_and_problem(tmp_path, case, capsys):
    text, expected = BAD[case]
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message
    assert "\n" not in message
    # The command stops at start with that line and status 1, no traceback.
    assert main(["poll", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err == f"scada-bridge poll: {message}\n"


def test_missing_database_uri_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("SCADA_DB_URI", raising=False)
    path = _write(tmp_path, GOOD.replace('uri = "postgresql://scada@127.0.0.1:5432/scada"', ""))
    with pytest.raises(ConfigError, match=r"database.uri: no SCADA database: .*SCADA_DB_URI"):
        load(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope.toml: configuration file not found"):
        load(tmp_path / "nope.toml")


def test_bits_of_one_status_word_may_share_a_register(tmp_path):
    text = _cond(table='"holding_register"', when='"bit"', bit="0", address="7")
    text += SECOND_CONDITION.format(address=7, type="uint16").replace(
        'type = "uint16"', 'type = "uint16"\n  when = "bit"\n  bit = 1'
    )
    config = load(_write(tmp_path, text))
    assert [(c.table, c.address, c.bit) for c in config.plcs[0].conditions] == [
        (HOLDING_REGISTER, 7, 0),
        (HOLDING_REGISTER, 7, 1),
    ]


def test_the_simulator_needs_no_secrets(tmp_path, monkeypatch):
    """``simulate`` reads the same file without the database URI or the Odoo key set."""
    monkeypatch.delenv("SCADA_DB_URI", raising=False)
    monkeypatch.delenv("ODOO_API_KEY", raising=False)
    text = GOOD.replace('uri = "postgresql://scada@127.0.0.1:5432/scada"', "")
    text += '\n[odoo]\nurl = "http://127.0.0.1:8069"\n'
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match="database.uri: no SCADA database"):
        load(path)
    assert load(path, secrets=False).plcs[0].name == "line1"


def test_unusable_state_directory_stops_poll_with_one_line(tmp_path, capsys):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the state directory should be")
    path = _write(tmp_path, GOOD + f'\n[poller]\nstate_dir = "{blocker}"\n')
    assert main(["poll", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"scada-bridge poll: state directory {blocker} is not writable")
    assert "[poller] state_dir" in err and err.count("\n") == 1
