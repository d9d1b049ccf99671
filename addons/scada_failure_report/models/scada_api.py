# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Rules of the push API that are business rules, not HTTP plumbing.

The controllers parse the request and shape the reply; what an event pushed over
HTTP means (which fields, how a time without zone is read, which uid a retry
gets) lives here, where tests, the cron and the shell reach it too.
"""

import logging
import math
import re
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import AccessError
from scada_bridge import (
    CLEARED,
    EVENT_FIELDS,
    RAISED,
    TEXT_LIMITS,  # longest text per field: one rule for the push and the reader
    event_problems,
    uid_from_json,
)

# The parts scada.api inherits: defined (imported) before it, whatever the import order.
from .scada_api_old_routes import ScadaApiOldRoutes  # noqa: F401
from .scada_api_plant_time import MAX_CLOCK_AHEAD

_logger = logging.getLogger(__name__)

#: Most events one request may carry.
MAX_EVENTS = 1000
#: Default and largest page of the list endpoint.
DEFAULT_LIMIT = 80
MAX_LIMIT = 1000
#: Namespace of derived event uids. Never change it: retries of events pushed
#: before the change would stop matching and become second failures.
UID_NAMESPACE = uuid.UUID("435db8d7-2dc8-4e26-a252-d0dc1dbd8f34")
#: A failure's length as the old middleware sends it: "hh:mm" (hours may pass 23).
DURATION_RE = re.compile(r"^(\d{1,4}):([0-5]\d)$")
GROUP_INTEGRATION = "scada_failure_report.group_scada_integration"
#: Deepest nesting accepted in an event (kept whole as the record's payload).
MAX_DEPTH = 16


def _text_problem(value: str) -> str | None:
    """Why PostgreSQL could not store this text, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (lone surrogate)"
    return None


def _json_problem(value, path: str, depth: int = 0) -> tuple[str, str] | None:
    """First (field path, problem) that would keep ``value`` out of a jsonb column."""
    if depth > MAX_DEPTH:
        return path, f"is nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, str):
        problem = _text_problem(value)
        return (path, problem) if problem else None
    if isinstance(value, float) and not math.isfinite(value):
        return path, "is not a finite number"
    if isinstance(value, dict):
        for key, item in value.items():
            sub = f"{path}.{key}" if path else str(key)
            problem = _text_problem(key)
            if problem:
                return sub, f"name {problem}"
            found = _json_problem(item, sub, depth + 1)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _json_problem(item, f"{path}[{i}]", depth + 1)
            if found:
                return found
    return None


def _iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 with offset of a naive UTC datetime as Odoo stores it."""
    return value.replace(tzinfo=timezone.utc).isoformat() if value else None


class ScadaApi(models.AbstractModel):
    _name = "scada.api"
    _inherit = ["scada.api.plant.time", "scada.api.old.routes"]
    _description = "SCADA push API rules"

    # -- identity -----------------------------------------------------------

    @api.model
    def _derive_event_uid(self, event: dict) -> str:
        """The uid of an event pushed without one: the same event, the same uid.

        Built from what makes the failure this failure (equipment, kind, cause,
        text, the raise it clears, the instant in UTC), so a client retrying
        after a timeout is recognised whatever offset it wrote the time with.
        """
        occurred_at = event["occurred_at"].astimezone(timezone.utc).isoformat()
        parts = (
            event["equipment_code"],
            event["kind"],
            event.get("failure_code") or "",
            event.get("description") or "",
            event.get("raise_uid") or "",
            occurred_at,
        )
        return str(uuid.uuid5(UID_NAMESPACE, "\x1f".join(parts)))

    @api.model
    def _open_failure_uid(self, event: dict) -> str | None:
        """The uid of the still-active failure an event without time repeats, if any.

        Without a time and a uid, a retry cannot be told from a new failure by
        its content alone. A failure cannot be raised again while it is still
        active, so the same equipment and cause with an active report is that
        report again; once cleared, the same text is a new failure (dated when
        Odoo receives it, to the second: within the second of the previous raise
        it is still taken as that raise's retry).
        """
        domain = [
            ("equipment_code", "=", event["equipment_code"]),
            ("failure_code", "=", event.get("failure_code") or False),
            ("description", "=", event.get("description") or False),
            ("cleared_at", "=", False),
        ]
        report = self.env["scada.failure.report"].search(domain, order="started_at desc", limit=1)
        return report.event_uid or None

    # -- events -------------------------------------------------------------

    @api.model
    def _parse_push_events(self, items: list) -> tuple[list[dict], list[dict]]:
        """Check pushed event objects; return (ingestable events, problems).

        Every problem of every event is listed (index, field, message), so a
        client fixes its batch in one round. Events come back in the shape of
        ``scada.failure.report._ingest_events``, with a uid on every one.
        """
        tz = self._plant_tz()
        now = datetime.now(timezone.utc).replace(microsecond=0)
        events: list[dict] = []
        problems: list[dict] = []
        for index, item in enumerate(items):
            event, item_problems = self._parse_push_event(item, tz, now)
            for field_name, message in item_problems:
                problem = {"index": index, "field": field_name, "message": message}
                if isinstance(item, dict) and isinstance(item.get("event_uid"), str):
                    problem["event_uid"] = item["event_uid"]
                problems.append(problem)
            if event is not None:
                events.append(event)
        return (events if not problems else []), problems

    def _parse_push_event(
        self, item, tz: ZoneInfo, now: datetime
    ) -> tuple[dict | None, list[tuple[str | None, str]]]:
        if not isinstance(item, dict):
            return None, [(None, "an event is a JSON object")]
        problems: list[tuple[str | None, str]] = []
        text: dict[str, str | None] = {}
        for name, limit in TEXT_LIMITS.items():
            value = item.get(name)
            if value is None:
                text[name] = None
                continue
            if not isinstance(value, str):
                problems.append((name, f"must be a string, not {type(value).__name__}"))
                continue
            problem = _text_problem(value)
            if problem:
                problems.append((name, problem))
            elif len(value) > limit:
                problems.append((name, f"is longer than {limit} characters"))
            else:
                text[name] = value.strip() or None
        found = _json_problem(item, "")
        if found and not any(field == found[0] for field, _ in problems):
            problems.append(found)

        kind = text.get("kind") or RAISED
        if kind == RAISED and "description" in text and not text["description"]:
            problems.append(("description", "is required for a raised event"))

        ends_after = None
        if text.get("duration"):
            match = DURATION_RE.match(text["duration"])
            if kind != RAISED:
                problems.append(("duration", "only a raised event has a duration"))
            elif not match:
                problems.append(
                    (
                        "duration",
                        f"{text['duration']!r} is not hh:mm (e.g. 02:30 for two and a half hours)",
                    )
                )
            else:
                ends_after = timedelta(hours=int(match[1]), minutes=int(match[2]))

        occurred_at = None
        given = [(n, text[n]) for n in ("occurred_at", "date") if text.get(n)]
        if len(given) == 2 and given[0][1] != given[1][1]:
            problems.append(("date", "differs from occurred_at: send one of them"))
        elif given:
            name, value = given[0]
            try:
                occurred_at = self._read_time(value, tz)
            except ValueError as exc:
                problems.append((name, str(exc)))
        if ends_after is not None and (occurred_at or now) + ends_after > now + MAX_CLOCK_AHEAD:
            problems.append(("duration", "ends more than a day in the future: check date"))
        candidate = {name: text.get(name) for name in EVENT_FIELDS if name != "payload"}
        candidate.update(kind=kind, occurred_at=occurred_at or now)
        # The event rules every way in shares; a field already refused above
        # (wrong type, bad time) is not reported twice.
        refused = {name for name, _message in problems}
        problems += [p for p in event_problems(candidate) if p[0] not in refused]
        if problems:
            return None, problems

        event = {
            "event_uid": uid_from_json(text["event_uid"]) if text["event_uid"] else None,
            "kind": kind,
            "raise_uid": uid_from_json(text["raise_uid"]) if text["raise_uid"] else None,
            "equipment_code": text["equipment_code"],
            "failure_code": text["failure_code"],
            "description": text["description"],
            "severity": text["severity"],
            "occurred_at": occurred_at or now,
            "device": text["device"],
            "payload": item,
        }
        if not event["event_uid"] and occurred_at is None and kind == RAISED:
            event["event_uid"] = self._open_failure_uid(event)
        if not event["event_uid"]:
            event["event_uid"] = self._derive_event_uid(event)
        if ends_after is not None:
            event["ends_after"] = ends_after
        return event, []

    # -- ingest -------------------------------------------------------------

    @api.model
    def _ingest_push(self, events: list[dict]) -> list[dict]:
        """Store pushed events (from :meth:`_parse_push_events`); one result per event.

        The integration group may read failures but not write them: over RPC
        its key can change nothing. Pushing is the one write it is given, so
        the ingest runs here as superuser, after the group check, in the
        caller's company, and records stay created by the caller.

        An event with ``ends_after`` (a pushed ``duration``) also gets its
        clear at start + duration, with a uid derived from the raise, so a
        retry is a duplicate and the failure counts in downtime. Its result
        is the raise's, or ``cleared`` when only the end was new.
        """
        if not self.env.user.has_group(GROUP_INTEGRATION):
            raise AccessError(
                self.env._(
                    "User %(login)s may not push failures: add it to SCADA Integration.",
                    login=self.env.user.login,
                )
            )
        expanded: list[dict] = []
        for event in events:
            event = dict(event)
            ends_after = event.pop("ends_after", None)
            expanded.append(event)
            if ends_after is not None:
                expanded.append(self._duration_clear(event, ends_after))
        Report = self.env["scada.failure.report"].sudo().with_company(self.env.company)
        results = iter(Report._ingest_events(expanded, "push"))
        folded = []
        for event in events:
            result = next(results)
            if "ends_after" in event:
                end = next(results)
                if result["result"] == "duplicate" and end["result"] == "cleared":
                    result = dict(result, result="cleared")
            folded.append(result)
        return folded

    @api.model
    def _duration_clear(self, event: dict, ends_after: timedelta) -> dict:
        """The clear event a pushed duration stands for (no PLC behind it: cleared_by empty)."""
        clear = {
            "kind": CLEARED,
            "raise_uid": event["event_uid"],
            "equipment_code": event["equipment_code"],
            "failure_code": None,
            "description": None,
            "severity": None,
            "occurred_at": event["occurred_at"] + ends_after,
            "device": event["device"],
            "payload": None,
        }
        clear["event_uid"] = self._derive_event_uid(clear)
        return clear

    # -- replies ------------------------------------------------------------

    @api.model
    def _report_json(self, reports, old_shape: bool = False) -> list[dict]:
        """Reports as the API hands them out: UTC ISO times plus the plant-time ``date``.

        ``duration`` is in hours, or "hh:mm" as the old module answered when
        ``old_shape`` (the session-authenticated compatibility flow);
        ``duration_minutes`` is whole minutes either way, 0 while active (as
        the old module answered a failure without duration).
        A report the caller may not read (a duplicate of another company's)
        is only its id and uid.
        """
        tz = self._plant_tz()
        readable = reports._filtered_access("read")
        return [
            self._report_row(report, tz, old_shape)
            if report in readable
            else {"id": report.id, "event_uid": None}
            for report in reports
        ]

    @api.model
    def _report_states(self) -> list[str]:
        """The states a failure can be in, as the list endpoint's ``state`` filter takes them."""
        field = self.env["scada.failure.report"]._fields["state"]
        return [value for value, _label in field._description_selection(self.env)]

    @api.model
    def _report_row(self, report, tz: ZoneInfo, old_shape: bool) -> dict:
        minutes = 0
        if report.cleared_at:
            seconds = (report.cleared_at - report.started_at).total_seconds()
            minutes = max(round(seconds / 60), 0)
        duration = report.duration
        if old_shape:
            ended = bool(report.cleared_at)
            duration = f"{minutes // 60:02d}:{minutes % 60:02d}" if ended else None
        return {
            "id": report.id,
            "event_uid": report.event_uid,
            "clear_uid": report.clear_uid or None,
            "equipment_code": report.equipment_code,
            "equipment_id": report.equipment_id.id or None,
            "equipment_name": report.equipment_id.display_name or None,
            "failure_code": report.failure_code or None,
            "description": report.description or None,
            "severity": report.severity or None,
            "state": report.state,
            "started_at": _iso_utc(report.started_at),
            "cleared_at": _iso_utc(report.cleared_at),
            "duration": duration,
            "duration_minutes": minutes,
            "origin": report.origin or None,
            "device": report.device or None,
            "reported_by": report.reported_by.name or None,
            "date": self._plant_wall_time(report.started_at, tz),
        }

    @api.model
    def _search_reports(
        self,
        equipment_code: str | None = None,
        state: str | None = None,
        since: datetime | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        after: tuple[datetime, int] | None = None,
    ) -> tuple[int, models.BaseModel]:
        """(total matching, one page) of failures, newest first, with the caller's rights.
        ``after``: (started_at, id) of the previous page's last failure, read by key through
        the started_at index at any depth (an offset reads every row it skips; issue 22)."""
        domain = []
        if equipment_code:
            domain.append(("equipment_code", "=", equipment_code))
        if state:
            domain.append(("state", "=", state))
        if since:
            domain.append(("started_at", ">=", fields.Datetime.to_string(since)))
        Report = self.env["scada.failure.report"]
        total = Report.search_count(domain)
        if after:
            at = fields.Datetime.to_string(after[0])
            domain += [
                "|",
                ("started_at", "<", at),
                "&",
                ("started_at", "=", at),
                ("id", "<", after[1]),
            ]
        page = Report.search(domain, order="started_at desc, id desc", limit=limit, offset=offset)
        return total, page
