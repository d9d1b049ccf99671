"""The optional doorbell: after storing events, ask Odoo to pull now.

Odoo pulls every minute anyway; ``POST /api/scada/pull`` (API key of a user in
SCADA Integration or SCADA Manager) only asks for the scheduled pull to run as
soon as a cron worker is free, so latency drops from a minute to seconds.

A ring never raises and never blocks for long: Odoo being down only means the
events wait for the next scheduled pull, which is the point of the design.
Blocking (``urllib``): call :meth:`Doorbell.ring` from a worker thread
(``asyncio.to_thread``) after the commit that made the events durable.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from ..errors import ConfigError
from ..odoo_url import is_loopback, parse_url

_logger = logging.getLogger(__name__)

PULL_PATH = "/api/scada/pull"
DEFAULT_TIMEOUT = 2.0
#: A poller may commit many times a second; Odoo needs one ring per burst.
DEFAULT_MIN_INTERVAL = 1.0


@dataclass(frozen=True)
class RingResult:
    ok: bool
    #: One line: what happened, where, and what to do when it failed.
    message: str
    skipped: bool = False


class Doorbell:
    """Rings ``POST <url>/api/scada/pull`` with an Odoo API key."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        min_interval: float = DEFAULT_MIN_INTERVAL,
    ) -> None:
        parts = parse_url(url)
        if not api_key or not api_key.strip():
            raise ConfigError(
                "doorbell: Odoo API key is empty: create one in Odoo for a user in the "
                "group SCADA Integration (My Profile > Account Security > New API Key)"
            )
        self.url = url.strip().rstrip("/")
        self._key = api_key.strip()
        self.timeout = timeout
        self.min_interval = min_interval
        self._last_ok = float("-inf")
        self._last_problem = ""
        # Odoo next to the poller must not be reached through an HTTP proxy
        # configured for the outside world.
        handlers = [urllib.request.ProxyHandler({})] if is_loopback(parts.hostname) else []
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:  # never the key
        return f"Doorbell({self.url!r})"

    def ring(self) -> RingResult:
        """Ask Odoo to pull now; the outcome as one line, never an exception."""
        since = time.monotonic() - self._last_ok
        if since < self.min_interval:
            return RingResult(True, f"not rung: Odoo was asked {since:.1f} s ago", skipped=True)
        target = self.url + PULL_PATH
        request = urllib.request.Request(
            target,
            data=b"",
            method="POST",
            headers={"Authorization": f"Bearer {self._key}", "Content-Type": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        except TimeoutError:
            return self._failed(f"no answer from {target} within {self.timeout:g} s")
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, ConnectionRefusedError):
                return self._failed(f"nothing listens at {self.url} (connection refused)")
            if isinstance(reason, socket.gaierror):
                return self._failed(f"host of {self.url} does not resolve")
            if isinstance(reason, TimeoutError):
                return self._failed(f"no answer from {target} within {self.timeout:g} s")
            return self._failed(f"cannot reach {target}: {reason}")
        except (OSError, ValueError) as exc:
            return self._failed(f"cannot reach {target}: {exc}")
        return self._answer(target, status, body)

    def _answer(self, target: str, status: int, body: bytes) -> RingResult:
        try:
            message = json.loads(body.decode("utf-8")).get("message", "")
        except (ValueError, AttributeError, UnicodeDecodeError):
            message = ""
        if status == 202:
            self._last_ok = time.monotonic()
            if self._last_problem:
                _logger.info("doorbell: Odoo at %s answers again", self.url)
                self._last_problem = ""
            return RingResult(True, f"Odoo at {self.url}: {message or 'pull requested'}")
        if status == 401:
            return self._failed(
                f"Odoo at {self.url} refused the API key (401): create a new key for the "
                "integration user and put it in the poller's [odoo] settings"
            )
        if status == 403:
            return self._failed(
                f"Odoo at {self.url} (403): {message or 'forbidden'}; the key's user needs "
                "the group SCADA Integration or SCADA Manager"
            )
        if status == 404:
            return self._failed(
                f"no {PULL_PATH} at {self.url} (404): is the module scada_failure_report "
                "installed, and is this the Odoo (and database) the SCADA source is set in?"
            )
        detail = message or body[:200].decode("utf-8", "replace").strip() or "no body"
        return self._failed(f"{target} answered {status}: {detail}")

    def _failed(self, message: str) -> RingResult:
        # Once per distinct problem: a poller rings every second while Odoo is down.
        if message != self._last_problem:
            _logger.warning(
                "doorbell: %s; the events wait for Odoo's scheduled pull (every minute)", message
            )
            self._last_problem = message
        return RingResult(False, message)
