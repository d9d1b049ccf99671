"""The doctor's Odoo hop: reachable, API key, module, scheduled pull, each source.

Everything comes from two GET requests: ``/web/health`` (Odoo answers at all)
and ``/api/scada/status`` with the API key as a bearer token (the module's view
of itself). The key is sent only in the Authorization header and never printed.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import ConfigError
from ..odoo_url import DEFAULT_PORT, URL_ENV, is_loopback, parse_url
from ..store.reader import Cursor
from ._check import Check, age, split_fix

_logger = logging.getLogger(__name__)

HOP = "Odoo"
KEY_ENV = "ODOO_API_KEY"
STATUS_PATH = "/api/scada/status"
HEALTH_PATH = "/web/health"
CRON_NAME = "SCADA: pull failures"

#: Source states that mean the last pull did not work (the rest are fine or idle).
_BAD_STATES = {"error", "failed", "failing", "unreachable", "down"}

_KEY_HOWTO = (
    "create one in Odoo (avatar menu > My Profile > Account Security > New API Key) "
    f"and pass it with --odoo-key or {KEY_ENV}"
)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class Unreachable(Exception):
    """No HTTP answer at all; ``check`` is the row to show."""

    def __init__(self, check: Check) -> None:
        super().__init__(check.detail)
        self.check = check


@dataclass(frozen=True)
class OdooResult:
    checks: list[Check]
    #: The smallest cursor of the active sources, to count the SCADA backlog from.
    cursor: Cursor | None = None
    cursor_source: str = ""


def _host_port(parts: urllib.parse.SplitResult) -> tuple[str, int]:
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is reported, not followed: urllib would send the API key along."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _get(url: str, path: str, *, key: str | None, timeout: float) -> Reply:
    """One GET; HTTP error statuses are replies, transport failures raise Unreachable."""
    parts = parse_url(url)
    host, port = _host_port(parts)
    full = urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, parts.path.rstrip("/") + path, "", "")
    )
    headers = {"Accept": "application/json", "User-Agent": "scada-bridge-doctor"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if is_loopback(host):
        # A proxy from the environment cannot reach this machine's loopback.
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    where = f"{host}:{port}"
    try:
        with opener.open(urllib.request.Request(full, headers=headers), timeout=timeout) as resp:
            return Reply(resp.status, resp.read(), dict(resp.headers.items()))
    except urllib.error.HTTPError as exc:
        body = exc.read() if exc.fp else b""
        return Reply(exc.code, body, dict(exc.headers.items()) if exc.headers else {})
    except urllib.error.URLError as exc:
        raise Unreachable(_transport_row(exc.reason, url, where, timeout)) from None
    except (http.client.HTTPException, OSError) as exc:
        raise Unreachable(_transport_row(exc, url, where, timeout)) from None


def _transport_row(reason: object, url: str, where: str, timeout: float) -> Check:
    if isinstance(reason, ConnectionRefusedError):
        return Check(
            HOP,
            "reachable",
            False,
            f"nothing listens at {where} ({url})",
            "start Odoo (docker compose up -d odoo, or make demo); check the port "
            f"({DEFAULT_PORT} is Odoo's default, ODOO_PORT in .env); with Docker, check the "
            "container's port is published (ports: in docker-compose.yml)",
        )
    if isinstance(reason, socket.gaierror):
        return Check(
            HOP,
            "reachable",
            False,
            f"host {where.rsplit(':', 1)[0]!r} of {url} does not resolve",
            f"fix the host name in --odoo-url / {URL_ENV} (or use an IP address)",
        )
    if isinstance(reason, TimeoutError):
        return Check(
            HOP,
            "reachable",
            False,
            f"no answer from {where} within {timeout:g} s",
            "check the host is up, Odoo is not overloaded, and no firewall drops the port",
        )
    if isinstance(reason, ssl.SSLError):
        return Check(
            HOP,
            "reachable",
            False,
            f"TLS failed with {where}: {reason}",
            "use http:// for Odoo's own port, https:// only for a TLS proxy in front of it",
        )
    if isinstance(reason, http.client.HTTPException | ConnectionResetError):
        return Check(
            HOP,
            "reachable",
            False,
            f"something listens at {where} but does not answer HTTP ({type(reason).__name__})",
            f"this port is not Odoo's: check the port in --odoo-url ({DEFAULT_PORT} is Odoo's "
            "default; 5432 is PostgreSQL, 502 is Modbus)",
        )
    text = getattr(reason, "strerror", None) or str(reason)
    return Check(HOP, "reachable", False, f"cannot reach {where}: {text}", "check --odoo-url")


def _when(value: Any) -> datetime | None:
    """Odoo's UTC ``YYYY-MM-DD HH:MM:SS`` or ISO 8601, as an aware datetime."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _interval(value: Any) -> tuple[str, timedelta | None]:
    """The cron interval as text and as a duration, from whatever shape the API gives."""
    units = {"minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800, "months": 2592000}
    number, unit = None, None
    if isinstance(value, dict):
        number = value.get("number", value.get("interval_number"))
        unit = value.get("type", value.get("interval_type"))
    elif isinstance(value, str) and len(value.split()) == 2:
        number, unit = value.split()
    elif isinstance(value, int | float):
        return f"{value:g} s", timedelta(seconds=value)
    try:
        count = int(number)
        seconds = count * units[str(unit).rstrip("s") + "s"]
    except (TypeError, ValueError, KeyError):
        return str(value), None
    text = f"{count} {str(unit).rstrip('s')}" if count == 1 else f"{count} {unit}"
    return text, timedelta(seconds=seconds)


def _cursor(value: Any) -> Cursor | None:
    if isinstance(value, dict) and "tx" in value and "id" in value:
        return Cursor(int(value["tx"]), int(value["id"]))
    if isinstance(value, str) and value.strip():
        try:
            return Cursor.parse(value)
        except ConfigError:
            return None
    return None


def cron_check(cron: dict[str, Any] | None, now: datetime) -> Check:
    name = "scheduled pull"
    if not cron:
        return Check(
            HOP,
            name,
            False,
            f"the scheduled action {CRON_NAME!r} is missing",
            "upgrade the module (odoo-bin -u scada_failure_report) to restore it",
        )
    every, period = _interval(cron.get("interval"))
    last = _when(cron.get("lastcall"))
    nextcall = _when(cron.get("nextcall"))
    failures = int(cron.get("failure_count") or 0)
    last_text = f"last run {age(last, now)} ago" if last else "never run yet"
    detail = f"every {every}, {last_text}, {failures} failure(s) in a row"
    if not cron.get("active"):
        return Check(
            HOP,
            name,
            False,
            f"{CRON_NAME!r} is inactive ({detail})",
            "activate it: Settings > Technical > Scheduled Actions (developer mode); Odoo "
            "deactivates a scheduled action that failed for days, so read the sources' errors",
        )
    if failures:
        return Check(
            HOP,
            name,
            False,
            f"{CRON_NAME!r} is failing ({detail})",
            "read each source's last error below and Odoo's log for 'SCADA'",
        )
    grace = max(period * 2 if period else timedelta(0), timedelta(minutes=5))
    if nextcall and now - nextcall > grace:
        return Check(
            HOP,
            name,
            False,
            f"{CRON_NAME!r} is overdue by {age(nextcall, now)} ({detail})",
            "no cron worker runs: start Odoo with max_cron_threads >= 1 (odoo.conf) and "
            "without --stop-after-init, and check its log",
        )
    return Check(HOP, name, True, f"{CRON_NAME!r} active, {detail}")


def source_check(source: dict[str, Any], now: datetime) -> Check:
    name = f"source {source.get('name') or source.get('id')!r}"
    if not source.get("active", True):
        return Check(HOP, name, True, "inactive: not pulled", skipped=True)
    state = str(source.get("state") or "unknown")
    error = (source.get("last_error") or "").strip()
    success = _when(source.get("last_success_at"))
    pulled = _when(source.get("last_pull_at"))
    facts = [f"state {state}"]
    facts.append(f"last success {age(success, now)} ago" if success else "no successful pull yet")
    if source.get("cursor"):
        facts.append(f"cursor {source['cursor']}")
    if error or state in _BAD_STATES:
        what, fix = split_fix(error.splitlines()[0] if error else "")
        when = f" (last pull {age(pulled, now)} ago)" if pulled else ""
        return Check(
            HOP,
            name,
            False,
            f"{', '.join(facts)}{when}: {what or 'no error text'}",
            fix or "open it in Odoo (SCADA > Configuration > Sources) and press Test connection",
        )
    return Check(HOP, name, True, ", ".join(facts))


def odoo_checks(
    url: str,
    key: str | None,
    *,
    timeout: float = 10.0,
    now: datetime | None = None,
) -> OdooResult:
    """Every row of the Odoo hop; never raises for a problem a person can fix."""
    now = now or datetime.now(timezone.utc)
    try:
        parse_url(url)
    except ConfigError as exc:
        what, fix = split_fix(str(exc))
        return OdooResult([Check(HOP, "URL", False, what, fix)])
    try:
        health = _get(url, HEALTH_PATH, key=None, timeout=timeout)
    except Unreachable as exc:
        return OdooResult([exc.check])
    if 300 <= health.status < 400:
        target = health.headers.get("Location", "?")
        return OdooResult(
            [
                Check(
                    HOP,
                    "reachable",
                    False,
                    f"{url} redirects to {target} (HTTP {health.status})",
                    "pass the URL Odoo is served at (scheme, host and port of that address) "
                    "in --odoo-url",
                )
            ]
        )
    if health.status != 200:
        return OdooResult(
            [
                Check(
                    HOP,
                    "reachable",
                    False,
                    f"{url} answers HTTP but {HEALTH_PATH} gave {health.status}: not an Odoo 18 "
                    "server, or a proxy in front of it refuses",
                    f"point --odoo-url at Odoo itself (port {DEFAULT_PORT}) or fix the proxy",
                )
            ]
        )
    checks = [Check(HOP, "reachable", True, f"Odoo answers at {url}")]
    if not key:
        checks.append(
            Check(HOP, "API key", False, "no API key given, so nothing more is checked", _KEY_HOWTO)
        )
        return OdooResult(checks)
    try:
        reply = _get(url, STATUS_PATH, key=key, timeout=timeout)
    except Unreachable as exc:
        return OdooResult([*checks, exc.check])
    if reply.status == 404:
        checks.append(Check(HOP, "API key", True, "not checked: module missing", skipped=True))
        checks.append(
            Check(
                HOP,
                "module",
                False,
                f"scada_failure_report is not installed in the database Odoo serves at {url} "
                f"({STATUS_PATH} gave 404)",
                "install it (Apps > SCADA Failure Report, or odoo-bin -i scada_failure_report "
                "-d DB); when Odoo holds several databases, set db_name/dbfilter in odoo.conf",
            )
        )
        return OdooResult(checks)
    if reply.status == 401:
        checks.append(Check(HOP, "API key", False, "Odoo refused the API key (401)", _KEY_HOWTO))
        return OdooResult(checks)
    if reply.status == 403:
        checks.append(
            Check(
                HOP,
                "API key",
                False,
                "the key is valid but its user may not read SCADA status (403)",
                "give that user the group SCADA Manager or SCADA Integration (Settings > "
                "Users), or use a key of a user who has it",
            )
        )
        return OdooResult(checks)
    if 300 <= reply.status < 400:
        checks.append(
            Check(
                HOP,
                "module",
                False,
                f"{STATUS_PATH} redirects to {reply.headers.get('Location', '?')} "
                f"(HTTP {reply.status}), the key was not sent there",
                "Odoo picks no database for this request: set db_name/dbfilter in odoo.conf "
                "so it serves one, or point --odoo-url past the proxy that redirects",
            )
        )
        return OdooResult(checks)
    if reply.status != 200:
        checks.append(
            Check(
                HOP,
                "module",
                False,
                f"{STATUS_PATH} failed with HTTP {reply.status}",
                "read Odoo's log around this time for the traceback",
            )
        )
        return OdooResult(checks)
    try:
        status = reply.json()
        module = status["module"]
    except (ValueError, KeyError, TypeError):
        checks.append(
            Check(
                HOP,
                "module",
                False,
                f"{STATUS_PATH} answered 200 but not the module's JSON status",
                "a proxy or another application answers there: point --odoo-url at Odoo",
            )
        )
        return OdooResult(checks)
    checks.append(Check(HOP, "API key", True, f"accepted for user {status.get('user')!r}"))
    checks.append(
        Check(
            HOP,
            "module",
            True,
            f"{module.get('name', 'scada_failure_report')} {module.get('version', '')} installed",
        )
    )
    checks.append(cron_check(status.get("cron"), now))
    sources = status.get("sources") or []
    if not sources:
        checks.append(
            Check(
                HOP,
                "sources",
                False,
                "no SCADA source is configured, so nothing is pulled",
                "create one: SCADA > Configuration > Sources > New, with the SCADA database URI",
            )
        )
    lowest: tuple[Cursor, str] | None = None
    for source in sources:
        checks.append(source_check(source, now))
        cursor = _cursor(source.get("cursor"))
        if source.get("active", True) and cursor is not None:
            if lowest is None or cursor < lowest[0]:
                lowest = (cursor, str(source.get("name")))
    if lowest is None:
        return OdooResult(checks)
    return OdooResult(checks, lowest[0], lowest[1])
