# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""``scada-bridge simulate`` for the sources, as a person runs it beside ``poll``."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from scada_bridge.config import load
from scada_bridge.errors import ConfigError
from scada_bridge.simulator.sources import load_source_scenario

from tests.poller_fixtures import FAST_POLLER, Running, free_port, rows, wait_until, write_config
from tests.sources.mqtt_fixtures import broker_port, drop_session

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def simulate(config, scenario) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "scada_bridge.cli", "simulate", "--config", str(config)]
        + ["--scenario", str(scenario)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    out, _ = proc.communicate(timeout=30)
    return out


def test_the_opcua_simulator_plays_a_scenario_the_poller_stores(scada_uri, tmp_path):
    port = free_port()
    config = tmp_path / "plant.toml"
    write_config(
        config,
        f'[database]\nuri = "{scada_uri}"\n'
        + FAST_POLLER.format(state_dir=tmp_path / "state")
        + f'[[opcua]]\nname = "scada1"\nendpoint = "opc.tcp://127.0.0.1:{port}"\ntimeout = 2\n',
    )
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        '[[step]]\naction = "raise"\nsource = "scada1"\nequipment = "Tank1"\n'
        'name = "HighLevel"\nseverity = 900\n',
        encoding="utf-8",
    )
    proc = simulate(config, scenario)
    try:

        async def poll() -> list:
            async with Running(load(config)):
                return await wait_until(lambda: rows(scada_uri), timeout=90, what="the alarm")

        got = asyncio.run(poll())
    finally:
        out = stop(proc)
    assert [(k, e, f) for k, e, f, *_ in got] == [("raised", "Tank1", "HighLevel")], out
    assert f"alarm server at opc.tcp://127.0.0.1:{port}" in out


def test_the_mqtt_simulator_publishes_a_scenario_the_poller_stores(scada_uri, tmp_path):
    port, client_id = broker_port(), f"scada-test-{uuid.uuid4().hex[:12]}"
    topic = f"test/{uuid.uuid4().hex}/alarm"
    config = tmp_path / "plant.toml"
    cfg = write_config(
        config,
        f'[database]\nuri = "{scada_uri}"\n'
        + FAST_POLLER.format(state_dir=tmp_path / "state")
        + f'[[mqtt]]\nname = "edge1"\nhost = "127.0.0.1"\nport = {port}\n'
        f'client_id = "{client_id}"\ntopics = ["{topic}"]\n'
        '  [mqtt.json]\n  failure_code = "code"\n  state = "active"\n',
    )
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        f'[[step]]\naction = "publish"\nsource = "edge1"\ntopic = "{topic}"\n'
        'payload = { equipment = "filler1", code = "JAM", active = true }\n',
        encoding="utf-8",
    )

    async def poll() -> list:
        async with Running(cfg) as running:
            await asyncio.wait_for(running.poller.sources[0].connected.wait(), 30)
            proc = simulate(config, scenario)
            try:
                return await wait_until(lambda: rows(scada_uri), what="the message")
            finally:
                stop(proc)

    try:
        got = asyncio.run(poll())
    finally:
        drop_session(port, client_id)
    assert [(k, e, f) for k, e, f, *_ in got] == [("raised", "filler1", "JAM")]


def test_a_scenario_step_naming_no_source_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("SCADA_DB_URI", "postgresql://x@127.0.0.1/db")
    config = load(EXAMPLES / "opcua-plant.toml")
    scenario = tmp_path / "s.toml"
    scenario.write_text('[[step]]\naction = "raise"\nsource = "nope"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"step\[0\]\.source: no \[\[opcua\]\] source 'nope'"):
        load_source_scenario(scenario, config)
    assert load_source_scenario(EXAMPLES / "opcua-scenario.toml", config)[1] is True
    mqtt = load(EXAMPLES / "mqtt-plant.toml")
    assert len(load_source_scenario(EXAMPLES / "mqtt-scenario.toml", mqtt)[0]) == 4
