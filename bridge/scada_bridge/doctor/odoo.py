"""The doctor's Odoo hop: reachable, API key, module, scheduled pull, each source.

Everything comes from two GET requests through :mod:`..odoo_http` (the client the
poller's doorbell uses too): ``/web/health`` (Odoo answers at all) and
``/api/scada/status`` with the API key as a bearer token (the module's view of
itself). The key is sent only in the Authorization header, never along a
redirect, and never printed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import ConfigError, first_line
from ..odoo_http import OdooHttp, Unreachable
from ..odoo_url import DEFAULT_PORT, parse_url
from ..store.reader import Cursor
from ._check import Check, age, split_fix

_logger = logging.getLogger(__name__)

HOP = "Odoo"
KEY_ENV = "ODOO_API_KEY"
STATUS_PATH = "/api/scada/status"
HEALTH_PATH = "/web/health"
CRON_NAME = "SCADA: pull failures"

#: Zone names that mean UTC (the plant time zone left at its old default).
_UTC_NAMES = {"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu", "GMT", "Etc/GMT"}
#: Source states that mean the last pull did not work (the rest are fine or idle).
_BAD_STATES = {"error", "failed", "failing", "unreachable", "down"}

_KEY_HOWTO = (
    "create one in Odoo (avatar menu > My Profile > Account Security > New API Key) "
    f"and pass it with --odoo-key or {KEY_ENV}"
)


@dataclass(frozen=True)
class OdooResult:
    checks: list[Check]
    #: The smallest cursor of the active sources, to count the SCADA backlog from.
    cursor: Cursor | None = None
    cursor_source: str = ""


def _unreachable_row(exc: Unreachable) -> Check:
    return Check(HOP, "reachable", False, exc.detail, exc.fix)


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
    if number is None:
        return str(value), None
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
    quarantined = source.get("quarantined")
    if isinstance(quarantined, int) and quarantined > 0:
        facts.append(f"{quarantined} rejected row(s) wait in quarantine (SCADA > Rejected Rows)")
    if error or state in _BAD_STATES:
        what, fix = split_fix(first_line(error))
        when = f" (last pull {age(pulled, now)} ago)" if pulled else ""
        return Check(
            HOP,
            name,
            False,
            f"{', '.join(facts)}{when}: {what or 'no error text'}",
            fix or "open it in Odoo (SCADA > Configuration > Sources) and press Test connection",
        )
    return Check(HOP, name, True, ", ".join(facts))


def plant_tz_check(info: Any) -> Check | None:
    """The plant time zone row; a warning when it is UTC while Odoo's users are elsewhere.

    A time pushed without an offset (the old middleware's) is read in the plant
    time zone: left at UTC in a WIB plant, every such failure is 7 h off.
    None when the module does not report it (older versions).
    """
    if not isinstance(info, dict):
        return None
    name = str(info.get("name") or "UTC")
    given = info.get("users")
    users: dict[str, int] = given if isinstance(given, dict) else {}
    elsewhere = {tz: n for tz, n in users.items() if tz and tz not in _UTC_NAMES}
    if name in _UTC_NAMES and elsewhere:
        zone, count = max(elsewhere.items(), key=lambda item: item[1])
        return Check(
            HOP,
            "plant time zone",
            False,
            f"the plant time zone is {name} while {count} of {sum(users.values())} Odoo "
            f"user(s) are in {zone}: times pushed without an offset are read as {name}",
            f"set the plant's zone in Odoo: Settings > SCADA > Plant time zone (e.g. {zone})",
        )
    origin = "set in Settings" if info.get("set") else "from the administrator's time zone"
    return Check(HOP, "plant time zone", True, f"{name} ({origin})")


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
    client = OdooHttp(url, key, timeout=timeout, user_agent="scada-bridge-doctor")
    try:
        return _checks(client, url, key, now)
    finally:
        client.close()


def _checks(client: OdooHttp, url: str, key: str | None, now: datetime) -> OdooResult:
    try:
        health = client.get(HEALTH_PATH, auth=False)
    except Unreachable as exc:
        return OdooResult([_unreachable_row(exc)])
    if health.location is not None:
        target = health.location
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
    answers = f"Odoo answers at {url}"
    if client.plain_text_warning:
        answers += f" (warning: {client.plain_text_warning})"
    checks = [Check(HOP, "reachable", True, answers)]
    if not key:
        checks.append(
            Check(HOP, "API key", False, "no API key given, so nothing more is checked", _KEY_HOWTO)
        )
        return OdooResult(checks)
    try:
        reply = client.get(STATUS_PATH)
    except Unreachable as exc:
        return OdooResult([*checks, _unreachable_row(exc)])
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
    if reply.location is not None:
        checks.append(
            Check(
                HOP,
                "module",
                False,
                f"{STATUS_PATH} redirects to {reply.location} "
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
    tz_row = plant_tz_check(status.get("plant_tz"))
    if tz_row:
        checks.append(tz_row)
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
