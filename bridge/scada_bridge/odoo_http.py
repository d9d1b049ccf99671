"""The one HTTP client to Odoo, on ``requests``: the poller's doorbell and the doctor use it.

What it guarantees, whoever calls it:

* the API key goes only to the URL it was configured for: a redirect is never
  followed (it comes back as a :class:`Reply` with ``location`` set, for the
  caller to report), so the ``Authorization`` header cannot reach another host;
* a key sent over plain ``http://`` to a host that is not this machine is
  logged once as a warning (:attr:`OdooHttp.plain_text_warning` holds the line);
* no HTTP proxy from the environment is used for a loopback Odoo;
* every transport failure is sorted once, here, into :class:`Unreachable` with
  a ``kind`` (refused, dns, timeout, tls, not_http, other) and a one-line
  ``detail`` (what failed, where) and ``fix`` (what to do).
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3.exceptions

from .odoo_url import DEFAULT_PORT, URL_ENV, is_loopback, parse_url

_logger = logging.getLogger(__name__)

REFUSED = "refused"
DNS = "dns"
TIMEOUT = "timeout"
TLS = "tls"
NOT_HTTP = "not_http"
OTHER = "other"

#: urllib3 2 names a failed lookup; urllib3 1 (Odoo 18's pin) only wraps the gaierror.
_LOOKUP_FAILED: tuple[type[BaseException], ...] = (socket.gaierror,) + tuple(
    getattr(urllib3.exceptions, name)
    for name in ("NameResolutionError",)
    if hasattr(urllib3.exceptions, name)
)

#: Plain-text warnings already logged, once per URL for the life of the process.
_warned: set[str] = set()


@dataclass(frozen=True)
class Reply:
    """An HTTP answer, whatever its status (4xx and 5xx included)."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def location(self) -> str | None:
        """Where a redirect points (3xx only); it was not followed."""
        if 300 <= self.status < 400:
            return self.headers.get("Location") or self.headers.get("location") or "?"
        return None

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def message(self) -> str:
        """The ``message`` (or ``error``) of a JSON body, else ''."""
        try:
            data = self.json()
        except (ValueError, UnicodeDecodeError):
            return ""
        if not isinstance(data, dict):
            return ""
        return str(data.get("message") or data.get("error") or "")


class Unreachable(Exception):
    """No HTTP answer at all. ``kind`` sorts the cause; ``detail`` and ``fix`` are one line each."""

    def __init__(self, kind: str, detail: str, fix: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.fix = fix


class OdooHttp:
    """Requests to one Odoo base URL, with an optional API key as a bearer token."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        timeout: float = 10.0,
        user_agent: str = "scada-bridge",
    ) -> None:
        parts = parse_url(url)
        self.url = url.strip().rstrip("/")
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.where = f"{self.host}:{self.port}"
        self.timeout = timeout
        self._key = api_key.strip() if api_key else None
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        if is_loopback(self.host):
            # A proxy from the environment cannot reach this machine's loopback.
            self._session.trust_env = False
        self.plain_text_warning: str | None = None
        if self._key and parts.scheme == "http" and not is_loopback(self.host):
            self.plain_text_warning = (
                f"the Odoo API key goes to {self.where} over plain http://, readable by anyone "
                "on the network path: use https:// (a TLS proxy in front of Odoo) unless that "
                "path is a private network you trust"
            )
            if self.url not in _warned:
                _warned.add(self.url)
                _logger.warning("%s", self.plain_text_warning)

    def __repr__(self) -> str:  # never the key
        return f"OdooHttp({self.url!r})"

    def close(self) -> None:
        self._session.close()

    def get(self, path: str, *, auth: bool = True) -> Reply:
        return self.request("GET", path, auth=auth)

    def post(self, path: str, body: Any = None, *, auth: bool = True) -> Reply:
        return self.request("POST", path, json_body=body, auth=auth)

    def request(self, method: str, path: str, *, json_body: Any = None, auth: bool = True) -> Reply:
        """One request to ``<url><path>``; raises :class:`Unreachable` when nothing answers."""
        headers = {}
        if auth and self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        data = b"" if json_body is None else json.dumps(json_body).encode("utf-8")
        if method != "GET":
            headers["Content-Type"] = "application/json"
        try:
            response = self._session.request(
                method,
                self.url + path,
                data=data if method != "GET" else None,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,  # the key stays with the URL it was given for
            )
        except requests.RequestException as exc:
            raise self._sorted(exc) from None
        except (http.client.HTTPException, OSError, ValueError) as exc:
            raise self._sorted(exc) from None
        with response:
            return Reply(response.status_code, response.content, dict(response.headers))

    def _sorted(self, exc: BaseException) -> Unreachable:
        """The one place transport errors are told apart."""
        where, url = self.where, self.url
        causes = list(_causes(exc))
        if any(isinstance(c, requests.Timeout | TimeoutError | socket.timeout) for c in causes):
            return Unreachable(
                TIMEOUT,
                f"no answer from {where} within {self.timeout:g} s",
                "check the host is up, Odoo is not overloaded, and no firewall drops the port",
            )
        if any(isinstance(c, ssl.SSLError | requests.exceptions.SSLError) for c in causes):
            reason = next((c for c in causes if isinstance(c, ssl.SSLError)), exc)
            return Unreachable(
                TLS,
                f"TLS failed with {where}: {_one_line(reason)}",
                "use http:// for Odoo's own port, https:// only for a TLS proxy in front of it",
            )
        if any(isinstance(c, _LOOKUP_FAILED) for c in causes):
            return Unreachable(
                DNS,
                f"host {self.host!r} of {url} does not resolve",
                f"fix the host name in the Odoo URL ({URL_ENV}, --odoo-url or [odoo] url), "
                "or use an IP address",
            )
        if any(isinstance(c, ConnectionRefusedError) for c in causes):
            return Unreachable(
                REFUSED,
                f"nothing listens at {where} (connection refused at {url})",
                "start Odoo (docker compose up -d odoo, or make demo); check the port "
                f"({DEFAULT_PORT} is Odoo's default, ODOO_PORT in .env); with Docker, check the "
                "container's port is published (ports: in docker-compose.yml)",
            )
        not_http = (
            http.client.HTTPException,
            ConnectionResetError,
            urllib3.exceptions.ProtocolError,
        )
        hung_up = [c for c in causes if isinstance(c, not_http)]
        if hung_up:
            name = type(hung_up[-1]).__name__  # the innermost: RemoteDisconnected, BadStatusLine
            return Unreachable(
                NOT_HTTP,
                f"something listens at {where} but does not answer HTTP ({name})",
                f"this port is not Odoo's: check the port in the Odoo URL ({DEFAULT_PORT} is "
                "Odoo's default; 5432 is PostgreSQL, 502 is Modbus)",
            )
        system = [c for c in causes if isinstance(c, OSError)]
        return Unreachable(
            OTHER,
            f"cannot reach {where}: {_one_line(system[-1] if system else exc)}",
            "check the Odoo URL",
        )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps (requests and urllib3 nest the real cause)."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop(0)
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo.extend([item.__cause__, item.__context__, getattr(item, "reason", None)])
        todo.extend(a for a in item.args if isinstance(a, BaseException))


def _one_line(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())
