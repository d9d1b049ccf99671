# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""``scada-bridge doctor`` on OPC UA and MQTT sources: one line each, with the fix."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from scada_bridge.simulator.opcua import Alarm, OpcUaAlarmServer

from tests.poller_fixtures import free_port
from tests.sources.mqtt_fixtures import broker_port


def doctor(config: Path, uri: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "scada_bridge.cli", "doctor", "--config", str(config), "--db", uri],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout.splitlines()


@pytest.fixture
def opcua_server():
    """The simulator in a thread of its own (the doctor runs as a separate process)."""
    loop = asyncio.new_event_loop()
    server = OpcUaAlarmServer([Alarm("Tank1", "HighLevel", 900)], port=free_port())
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        loop.run_until_complete(server.raise_alarm("Tank1", "HighLevel"))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(60), "the OPC UA simulator did not start"
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_an_opcua_source_reachable_secure_and_alarms_seen(opcua_server, scada_uri, tmp_path):
    config = tmp_path / "plant.toml"
    dead = free_port()
    config.write_text(
        f'[database]\nuri = "{scada_uri}"\n'
        f'[[opcua]]\nname = "scada1"\nendpoint = "{opcua_server.endpoint}"\ntimeout = 2\n'
        f'[[opcua]]\nname = "scada2"\nendpoint = "opc.tcp://127.0.0.1:{dead}"\ntimeout = 1\n',
        encoding="utf-8",
    )
    lines = doctor(config, scada_uri)
    rows = {line.split(": ")[1]: line for line in lines if line[2:].startswith("OPC UA")}
    assert rows["'scada1' reachable"].startswith("\u2713"), lines
    assert rows["'scada1' security"].startswith("\u2713")
    assert "lists 1 active alarm(s)" in rows["'scada1' alarms"]
    down = rows["'scada2' reachable"]
    assert down.startswith("\u2717") and "connection refused" in down and "\u2192" in down


def test_an_mqtt_source_connects_subscribes_and_keeps_its_session(scada_uri, tmp_path):
    port = broker_port()
    config = tmp_path / "plant.toml"
    config.write_text(
        f'[database]\nuri = "{scada_uri}"\n'
        f'[[mqtt]]\nname = "edge1"\nhost = "127.0.0.1"\nport = {port}\n'
        f'client_id = "doc-{uuid.uuid4().hex[:8]}"\ntopics = ["plant/+/alarm"]\n'
        f'[[mqtt]]\nname = "edge2"\nhost = "127.0.0.1"\nport = {free_port()}\n'
        'topics = ["x"]\n',
        encoding="utf-8",
    )
    lines = [line for line in doctor(config, scada_uri) if line[2:].startswith("MQTT")]
    assert [line[0] for line in lines] == ["\u2713", "\u2713", "\u2713", "\u2717"], lines
    assert "session persists" in lines[2]
    assert "connection refused" in lines[3] and "\u2192" in lines[3]


def _certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed client certificate (DER) and key (PEM), as an integrator makes one."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scada-bridge")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier("urn:scada-bridge")]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "client.der", tmp_path / "client.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_a_security_the_server_does_not_offer_is_one_line_with_the_fix(
    opcua_server, scada_uri, tmp_path
):
    cert, key = _certificate(tmp_path)
    config = tmp_path / "plant.toml"
    config.write_text(
        f'[database]\nuri = "{scada_uri}"\n'
        f'[[opcua]]\nname = "scada1"\nendpoint = "{opcua_server.endpoint}"\ntimeout = 2\n'
        f'security = "SignAndEncrypt"\ncertificate = "{cert}"\nprivate_key = "{key}"\n',
        encoding="utf-8",
    )
    lines = [line for line in doctor(config, scada_uri) if line[2:].startswith("OPC UA")]
    reach, security = lines
    assert reach.startswith("\u2717") and "no endpoint with this security" in reach, lines
    assert "\u2192 set [[opcua]] security and policy" in reach
    assert security.startswith("\u2717")
    assert "SignAndEncrypt/Basic256Sha256 is not offered" in security and "None/None" in security
