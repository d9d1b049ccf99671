"""The one HTTP client to Odoo (doorbell and doctor), against real HTTP servers on 127.0.0.1.

Two servers on two ports are two hosts as far as the key is concerned: the first
redirects, the second records every request and header it receives.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scada_bridge.doctor.odoo import odoo_checks
from scada_bridge.odoo_http import NOT_HTTP, REFUSED, TIMEOUT, TLS, OdooHttp, Unreachable
from scada_bridge.poller.doorbell import Doorbell

KEY = "secret-key-0123456789abcdef0123456789abcdef"


class Recorder:
    """An HTTP server recording (method, path, headers) of every request; may redirect."""

    def __init__(self, redirect_to: str | None = None, status: int = 307) -> None:
        self.redirect_to = redirect_to
        self.status = status
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                recorder.seen.append((self.command, self.path, dict(self.headers.items())))
                if recorder.redirect_to is not None:
                    self.send_response(recorder.status)
                    self.send_header("Location", recorder.redirect_to + self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b'{"status": "success", "message": "pull requested"}'
                self.send_response(202 if self.command == "POST" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def keys_seen(self) -> list[str | None]:
        return [headers.get("Authorization") for _, _, headers in self.seen]


@pytest.fixture
def other_host() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.close()


@pytest.fixture
def redirector(other_host) -> Iterator[Recorder]:
    server = Recorder(redirect_to=other_host.url)
    yield server
    server.close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_the_doorbell_never_carries_the_key_to_another_host(redirector, other_host, status):
    redirector.status = status
    result = Doorbell(redirector.url, KEY, min_interval=0, timeout=5).ring()
    assert redirector.keys_seen() == [f"Bearer {KEY}"]  # the configured host got the ring
    assert f"Bearer {KEY}" not in other_host.keys_seen()
    assert other_host.seen == []  # not followed at all: nothing reached the other host
    assert not result.ok
    assert f"redirects to {other_host.url}/api/scada/pull (HTTP {status})" in result.message
    assert "[odoo] url" in result.message
    assert KEY not in result.message


def test_the_doctor_never_carries_the_key_to_another_host(redirector, other_host):
    checks = odoo_checks(redirector.url, KEY, timeout=5).checks
    assert not checks[0].ok
    assert f"redirects to {other_host.url}/web/health" in checks[0].detail
    assert other_host.seen == []
    assert KEY not in " ".join(c.line() for c in checks)


def test_a_ring_that_is_not_redirected_carries_the_key(other_host):
    result = Doorbell(other_host.url, KEY, min_interval=0, timeout=5).ring()
    assert result.ok, result.message
    assert other_host.seen[0][:2] == ("POST", "/api/scada/pull")
    assert other_host.keys_seen() == [f"Bearer {KEY}"]


def test_an_http_proxy_in_the_environment_is_not_used_for_a_loopback_odoo(other_host, monkeypatch):
    dead = _free_port()  # a proxy there would refuse every connection
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{dead}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert OdooHttp(other_host.url, KEY, timeout=5).get("/web/health").status == 200


def test_plain_http_to_another_machine_is_warned_once(caplog):
    caplog.set_level(logging.WARNING, logger="scada_bridge")
    remote = OdooHttp("http://10.11.12.13:8069", KEY)
    OdooHttp("http://10.11.12.13:8069", KEY)  # same URL again: no second line
    assert remote.plain_text_warning is not None
    assert "10.11.12.13:8069 over plain http://" in remote.plain_text_warning
    warnings = [r.getMessage() for r in caplog.records if "plain http://" in r.getMessage()]
    assert len(warnings) == 1
    assert KEY not in caplog.text
    # Loopback, TLS, or no key at all: nothing to warn about.
    assert OdooHttp("http://127.0.0.1:8069", KEY).plain_text_warning is None
    assert OdooHttp("https://10.11.12.13", KEY).plain_text_warning is None
    assert OdooHttp("http://10.11.12.13:8069", None).plain_text_warning is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sorted(url: str, timeout: float = 5) -> Unreachable:
    with pytest.raises(Unreachable) as caught:
        OdooHttp(url, KEY, timeout=timeout).get("/web/health")
    assert KEY not in caught.value.detail + caught.value.fix
    assert "\n" not in caught.value.detail + caught.value.fix
    return caught.value


def test_nothing_listening_is_refused():
    port = _free_port()
    error = _sorted(f"http://127.0.0.1:{port}")
    assert error.kind == REFUSED
    assert error.detail.startswith(f"nothing listens at 127.0.0.1:{port}")
    assert "connection refused" in error.detail


def test_a_server_that_never_answers_is_a_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepted by the kernel, never answered
    try:
        error = _sorted(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
    finally:
        listener.close()
    assert error.kind == TIMEOUT
    assert "within 0.5 s" in error.detail


def test_a_port_that_hangs_up_is_not_http():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def hang_up() -> None:
        conn, _ = listener.accept()
        conn.recv(100)
        conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        error = _sorted(f"http://127.0.0.1:{listener.getsockname()[1]}")
    finally:
        listener.close()
    assert error.kind == NOT_HTTP
    assert "does not answer HTTP" in error.detail


def test_https_to_a_plain_http_port_is_a_tls_failure(other_host):
    error = _sorted(other_host.url.replace("http://", "https://"))
    assert error.kind == TLS
    assert error.detail.startswith("TLS failed with 127.0.0.1:")
    assert "https:// only for a TLS proxy" in error.fix
