# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""``[[mqtt]]`` and ``[[opcua]]`` tables: checked completely at load, one line per mistake."""

from __future__ import annotations

import pytest
from scada_bridge.config import load
from scada_bridge.errors import ConfigError

HEAD = '[database]\nuri = "postgresql://x@127.0.0.1/db"\n'
MQTT = """
[[mqtt]]
name = "edge1"
host = "127.0.0.1"
topics = ["plant/+/alarm"]
"""
OPCUA = """
[[opcua]]
name = "scada1"
endpoint = "opc.tcp://127.0.0.1:4840"
"""


def _load(tmp_path, text: str):
    path = tmp_path / "plant.toml"
    path.write_text(HEAD + text, encoding="utf-8")
    return load(path)


def test_sources_alone_are_a_plant(tmp_path):
    cfg = _load(tmp_path, MQTT + OPCUA)
    assert not cfg.plcs
    assert cfg.mqtt[0].client_id == "scada-bridge-edge1"
    assert cfg.mqtt[0].topics == ("plant/+/alarm",)
    assert cfg.opcua[0].notifiers == ("i=2253",) and cfg.opcua[0].security == "None"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (MQTT.replace("topics", "topic"), "mqtt[0].topic: unknown key (did you mean 'topics'?)"),
        (MQTT.replace('"plant/+/alarm"', '"plant/a+/alarm"'), "mqtt[0] 'edge1'.topics: 'plant/a+"),
        (MQTT + "port = 70000\n", "mqtt[0] 'edge1'.port: 70000 is out of range 1..65535"),
        (MQTT + 'format = "xml"\n', "mqtt[0] 'edge1'.format: 'xml' is not one of json, sparkplug"),
        (MQTT + "  [mqtt.json]\n  stat = 'on'\n", "mqtt[0] 'edge1'.json.stat: unknown key"),
        (MQTT + 'password_env = "X"\n', "mqtt[0] 'edge1'.password_env: needs username"),
        (
            MQTT + 'client_id = "one"\n' + MQTT.replace("edge1", "edge2") + 'client_id = "one"\n',
            "mqtt[1].client_id: 'one' is already used by edge1 on 127.0.0.1:1883",
        ),
        (
            MQTT + MQTT.replace("edge1", "edge1", 1),
            "mqtt[1].name: 'edge1' is already used by [[mqtt]] 'edge1'",
        ),
        (
            MQTT + "severity_levels = [500, 200, 900]\n",
            "severity_levels: [500, 200, 900] must rise",
        ),
        (OPCUA.replace("opc.tcp", "http"), "opcua[0] 'scada1'.endpoint: 'http://127.0.0.1:4840'"),
        (
            OPCUA + 'security = "Sign"\n',
            "opcua[0] 'scada1'.certificate: missing: security = 'Sign'",
        ),
        (OPCUA + 'security = "sign"\n', "opcua[0] 'scada1'.security: 'sign' is not one of None"),
        (OPCUA + 'certificate = "/nope.der"\n', "opcua[0] 'scada1'.certificate: '/nope.der': no"),
        (OPCUA + "alarms = false\n", "opcua[0] 'scada1'.alarms: false, and no [[opcua.tag]]"),
        (OPCUA + "alarms = 1\n", "opcua[0] 'scada1'.alarms: must be true or false, got 1"),
        (
            OPCUA + '  [[opcua.tag]]\n  node = "Pump1"\n  equipment = "p"\n  failure_code = "F"\n',
            "opcua[0] 'scada1'.tag[0].node: 'Pump1' is not a NodeId",
        ),
        (
            OPCUA
            + '  [[opcua.tag]]\n  node = "ns=2;s=P"\n  equipment = "p"\n  failure_code = "F"\n'
            "  value = 3\n",
            "opcua[0] 'scada1'.tag[0].value: not used with when = 'nonzero'",
        ),
        (MQTT + 'metrics = ["A/*"]\n', "mqtt[0] 'edge1'.metrics: only for format = 'sparkplug'"),
        ("", "plc: no PLC configured"),
    ],
)
def test_a_mistake_is_one_line_naming_the_key(tmp_path, text, error):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    message = str(caught.value)
    assert error in message and "\n" not in message, message


def test_the_examples_load(monkeypatch):
    from pathlib import Path

    monkeypatch.setenv("SCADA_DB_URI", "postgresql://scada@127.0.0.1/scada")
    root = Path(__file__).resolve().parents[2] / "examples"
    assert [s.name for s in load(root / "opcua-plant.toml").opcua] == ["scada1"]
    mqtt = load(root / "mqtt-plant.toml").mqtt
    assert [(m.name, m.format) for m in mqtt] == [("edge-json", "json"), ("edge-spb", "sparkplug")]
