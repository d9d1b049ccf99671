"""The optional doorbell: after storing events, ask Odoo to pull now.

Odoo pulls every minute anyway; ``POST /api/scada/pull`` (API key of a user in
SCADA Integration or SCADA Manager) only asks for the scheduled pull to run as
soon as a cron worker is free, so latency drops from a minute to seconds.

A ring never raises and never blocks for long: Odoo being down only means the
events wait for the next scheduled pull, which is the point of the design.
Blocking (:mod:`..odoo_http`, on ``requests``): call :meth:`Doorbell.ring` from a
worker thread (``asyncio.to_thread``) after the commit that made the events durable.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ..errors import ConfigError
from ..odoo_http import OdooHttp, Reply, Unreachable

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
        if not api_key or not api_key.strip():
            raise ConfigError(
                "doorbell: Odoo API key is empty: create one in Odoo for a user in the "
                "group SCADA Integration (My Profile > Account Security > New API Key)"
            )
        self._http = OdooHttp(url, api_key, timeout=timeout, user_agent="scada-bridge-poller")
        self.url = self._http.url
        self.timeout = timeout
        self.min_interval = min_interval
        #: How many rings reached Odoo and were accepted (202).
        self.rung = 0
        self._last_ok = float("-inf")
        self._last_problem = ""

    def __repr__(self) -> str:  # never the key
        return f"Doorbell({self.url!r})"

    def ring(self) -> RingResult:
        """Ask Odoo to pull now; the outcome as one line, never an exception."""
        since = time.monotonic() - self._last_ok
        if since < self.min_interval:
            return RingResult(True, f"not rung: Odoo was asked {since:.1f} s ago", skipped=True)
        try:
            reply = self._http.post(PULL_PATH)
        except Unreachable as exc:
            return self._failed(f"{exc.detail}: {exc.fix}")
        except Exception as exc:  # a ring must never stop the writer
            return self._failed(f"cannot reach {self.url}{PULL_PATH}: {exc}")
        return self._answer(reply)

    def _answer(self, reply: Reply) -> RingResult:
        message = reply.message()
        if reply.status == 202:
            self.rung += 1
            self._last_ok = time.monotonic()
            if self._last_problem:
                _logger.info("doorbell: Odoo at %s answers again", self.url)
                self._last_problem = ""
            return RingResult(True, f"Odoo at {self.url}: {message or 'pull requested'}")
        if reply.location is not None:
            return self._failed(
                f"{self.url}{PULL_PATH} redirects to {reply.location} (HTTP {reply.status}); "
                "not followed, so the API key stays with the configured URL: put the address "
                "Odoo is served at in the poller's [odoo] url"
            )
        if reply.status == 401:
            return self._failed(
                f"Odoo at {self.url} refused the API key (401): create a new key for the "
                "integration user and put it in the poller's [odoo] settings"
            )
        if reply.status == 403:
            return self._failed(
                f"Odoo at {self.url} (403): {message or 'forbidden'}; the key's user needs "
                "the group SCADA Integration or SCADA Manager"
            )
        if reply.status == 404:
            return self._failed(
                f"no {PULL_PATH} at {self.url} (404): is the module scada_failure_report "
                "installed, and is this the Odoo (and database) the SCADA source is set in?"
            )
        detail = message or reply.body[:200].decode("utf-8", "replace").strip() or "no body"
        return self._failed(f"{self.url}{PULL_PATH} answered {reply.status}: {detail}")

    def _failed(self, message: str) -> RingResult:
        # Once per distinct problem: a poller rings every second while Odoo is down.
        if message != self._last_problem:
            _logger.warning(
                "doorbell: %s; the events wait for Odoo's scheduled pull (every minute)", message
            )
            self._last_problem = message
        return RingResult(False, message)
