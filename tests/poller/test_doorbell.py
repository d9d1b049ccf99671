"""The poller's optional doorbell: ``[odoo]`` in the config, a ring after each durable write.

The HTTP server here stands in for Odoo's ``POST /api/scada/pull`` so the bridge
tier runs without Odoo; the real route and the same ``Doorbell`` are tested
against a running Odoo in the module's tests (``test_api_doorbell.py``).
"""

from __future__ import annotations

import asyncio
import json
import textwrap
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg2
import pytest
from scada_bridge.config import Database, load
from scada_bridge.errors import ConfigError
from scada_bridge.events import NewEvent
from scada_bridge.poller.doorbell import Doorbell
from scada_bridge.poller.sink import EventSink
from scada_bridge.poller.writer import Writer

from tests.poller_fixtures import MINIMAL_PLANT, wait_until


def _config(tmp_path: Path, odoo: str):
    path = tmp_path / "plant.toml"
    path.write_text(textwrap.dedent(MINIMAL_PLANT) + textwrap.dedent(odoo), encoding="utf-8")
    return load(path)


def test_odoo_table_reads_the_key_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANT_ODOO_KEY", "k" * 40)
    config = _config(
        tmp_path,
        """
        [odoo]
        url = "http://127.0.0.1:8069/"
        api_key_env = "PLANT_ODOO_KEY"
        timeout = 1.5
        """,
    )
    assert (config.odoo.url, config.odoo.api_key, config.odoo.timeout) == (
        "http://127.0.0.1:8069",
        "k" * 40,
        1.5,
    )
    assert "k" * 40 not in repr(config)


def test_no_odoo_table_means_no_doorbell(tmp_path):
    assert _config(tmp_path, "").odoo is None


@pytest.mark.parametrize(
    ("odoo", "expected"),
    [
        ('[odoo]\nurl = "http://odoo:8069"\n', "[odoo] api_key_env) to the key"),
        ('[odoo]\nurl = "odoo:8069"\napi_key = "x"\n', "odoo.url: 'odoo:8069' is not"),
        ('[odoo]\nurl = "http://odoo"\napi_key = "x"\nkey = "y"\n', "odoo.key: unknown key"),
    ],
)
def test_odoo_table_mistakes_are_one_line(tmp_path, monkeypatch, odoo, expected):
    monkeypatch.delenv("ODOO_API_KEY", raising=False)
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path, odoo)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


class _FakeOdoo(ThreadingHTTPServer):
    """Answers the pull route like Odoo, and counts the SCADA rows each ring could see."""

    def __init__(self, scada_uri: str) -> None:
        self.scada_uri = scada_uri
        self.rings: list[tuple[str, str | None, int]] = []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server: _FakeOdoo = self.server  # type: ignore[assignment]
        with psycopg2.connect(server.scada_uri) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM scada.equipment_failure")
            visible = cur.fetchone()[0]
        conn.close()
        server.rings.append((self.path, self.headers.get("Authorization"), visible))
        body = json.dumps({"status": "success", "message": "pull requested"}).encode()
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_odoo(scada_uri):
    server = _FakeOdoo(scada_uri)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _event(n: int) -> NewEvent:
    return NewEvent(
        kind="raised",
        equipment_code="silo101",
        occurred_at=datetime(2026, 11, 2, 8, 0, n, tzinfo=timezone.utc),
        description=f"failure {n}",
    )


async def _write_all(sink: EventSink, doorbell: Doorbell, batches: list[list[NewEvent]]) -> list:
    writer = Writer(sink, [], 60.0, doorbell=doorbell)
    stop = asyncio.Event()
    task = asyncio.create_task(writer.run(stop))
    places = [await writer.submit(batch, durable=True) for batch in batches]
    await writer.close(task)
    return places


def test_writer_rings_after_the_events_are_committed(scada_uri, fake_odoo, tmp_path):
    sink = EventSink(Database(uri=scada_uri), tmp_path)
    sink.start(["line1"])
    url = f"http://127.0.0.1:{fake_odoo.server_port}"
    doorbell = Doorbell(url, "k" * 40, min_interval=0)
    try:
        places = asyncio.run(_write_all(sink, doorbell, [[_event(1), _event(2)], [_event(3)]]))
    finally:
        sink.close()
    assert places == ["database", "database"]
    assert fake_odoo.rings, "the doorbell never rang"
    path, authorization, _visible = fake_odoo.rings[0]
    assert (path, authorization) == ("/api/scada/pull", "Bearer " + "k" * 40)
    # The last ring came after the last commit: that pull sees every event.
    assert fake_odoo.rings[-1][2] == 3


def test_no_ring_while_the_events_only_reach_the_spool(fake_odoo, tmp_path):
    down = "host=127.0.0.1 port=1 dbname=scada user=scada connect_timeout=1"
    sink = EventSink(Database(uri=down, connect_timeout=1), tmp_path)
    sink.start(["line1"])
    doorbell = Doorbell(f"http://127.0.0.1:{fake_odoo.server_port}", "k" * 40, min_interval=0)
    try:
        places = asyncio.run(_write_all(sink, doorbell, [[_event(1)]]))
    finally:
        sink.close()
    assert places == ["spool"]
    assert fake_odoo.rings == []


def test_the_doorbell_rings_after_the_spool_is_flushed(scada_uri, fake_odoo, tmp_path, db_proxy):
    """Events spooled while the database was down reach it later; Odoo is asked to pull
    then, after the flush's commit, so the pull that ring starts sees every one of them."""
    sink = EventSink(Database(uri=db_proxy.via(scada_uri), retry_max=0.05), tmp_path)
    sink.start(["line1"])
    doorbell = Doorbell(f"http://127.0.0.1:{fake_odoo.server_port}", "k" * 40, min_interval=0)

    async def scenario() -> list[str]:
        writer = Writer(sink, [], 60.0, doorbell=doorbell)
        task = asyncio.create_task(writer.run(asyncio.Event()))
        db_proxy.stop()
        places = [await writer.submit([_event(n)], durable=True) for n in (1, 2, 3)]
        assert fake_odoo.rings == []  # nothing reached the database: nothing to pull
        db_proxy.start()
        await wait_until(lambda: fake_odoo.rings, timeout=60, what="a ring after the flush")
        await writer.close(task)
        return places

    try:
        places = asyncio.run(scenario())
    finally:
        sink.close()
    assert places == ["spool", "spool", "spool"]
    assert len(sink.spool) == 0
    assert fake_odoo.rings[-1][2] == 3  # the ring came after the flush's commit
