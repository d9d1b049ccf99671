# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""``/api/scada/equipment-failure``: push failures (POST) and list them (GET).

``GET /api/scada/failure-reports`` is the same list under the path the old
middleware's ``get_failure_reports`` calls.
"""

from datetime import datetime

import psycopg2
import psycopg2.errors
from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..models.scada_api import DEFAULT_LIMIT, MAX_EVENTS, MAX_LIMIT
from .api_http import (
    GROUP_INTEGRATION,
    GROUP_MANAGER,
    GROUP_USER,
    MAX_BIGINT,
    ApiError,
    api_route,
    authenticate,
    check_body_size,
    is_compat,
    json_reply,
    read_json_body,
    unwrap_rpc,
)

_MESSAGES = {
    "created": "failure recorded",
    "cleared": "failure cleared",
    "pending": "clear recorded; its raise is not known yet",
    "duplicate": "already recorded: nothing changed",
}


class EquipmentFailureController(http.Controller):
    @api_route("/api/scada/equipment-failure", methods=["POST"], readonly=False)
    def push_failures(self, **_query):
        authenticate(GROUP_INTEGRATION)
        check_body_size()
        params, rpc, rpc_id = unwrap_rpc(read_json_body())
        refuse = {"rpc": rpc, "rpc_id": rpc_id}
        if isinstance(params, dict) and "events" in params:
            items, single = params["events"], False
            if not isinstance(items, list) or not items:
                raise ApiError(422, "'events' must be a non-empty list of event objects", **refuse)
            if len(items) > MAX_EVENTS:
                raise ApiError(
                    422,
                    f"{len(items)} events in one request, the limit is {MAX_EVENTS}: "
                    "split the batch",
                    **refuse,
                )
        elif isinstance(params, dict):
            items, single = [params], True
        else:
            raise ApiError(422, 'the body must be one event object or {"events": [...]}', **refuse)

        Api = request.env["scada.api"]
        events, problems = Api._parse_push_events(items)
        if problems:
            bad = len({p["index"] for p in problems})
            # Old clients print only the message: it names the first problems.
            first = "; ".join(
                _problem_text(p) if single else f"event {p['index']}: {_problem_text(p)}"
                for p in problems[:3]
            )
            raise ApiError(
                422,
                f"{bad} of {len(items)} events are invalid; nothing was written: {first}",
                errors=problems,
                **refuse,
            )
        try:
            # The savepoint makes a refused batch write nothing, and keeps the
            # transaction usable to answer after a unique violation.
            with request.env.cr.savepoint():
                results = Api._ingest_push(events)
        except UserError as exc:  # includes ValidationError
            raise ApiError(422, f"events refused, nothing was written: {exc}", **refuse) from None
        except psycopg2.errors.UniqueViolation:
            # Only a duplicate event uid means a concurrent writer; any other
            # integrity error is a bug and is answered (and logged) as one.
            raise ApiError(
                409,
                "another request is writing the same events right now; "
                "retry: events already recorded will answer as duplicates",
                headers=[("Retry-After", "1")],
                **refuse,
            ) from None

        counts = {result: 0 for result in _MESSAGES}
        for result in results:
            counts[result["result"]] += 1
        body = {
            "status": "success",
            "created": counts["created"],
            "cleared": counts["cleared"],
            "pending": counts["pending"],
            "duplicates": counts["duplicate"],
            "results": [
                {"event_uid": r["event_uid"], "id": r["id"], "result": r["result"]} for r in results
            ],
        }
        if single:
            (result,) = results
            body["message"] = _MESSAGES[result["result"]]
            report = request.env["scada.failure.report"].browse(result["id"])
            body["data"] = Api._report_json(report, is_compat())[0] if result["id"] else None
        else:
            body["message"] = ", ".join(
                f"{counts[k]} {k}" for k in ("created", "cleared", "pending", "duplicate")
            )
        written = counts["duplicate"] < len(results)
        return json_reply(body, 201 if written else 200, rpc_id, rpc)

    @api_route(
        ["/api/scada/equipment-failure", "/api/scada/failure-reports"],
        methods=["GET"],
        readonly=True,
    )
    def list_failures(self, **_query):
        authenticate(GROUP_INTEGRATION, GROUP_USER, GROUP_MANAGER)
        args = request.httprequest.args
        for name, value in args.items(multi=True):
            if "\x00" in name or "\x00" in value:
                raise ApiError(400, f"query parameter {name!r} contains a NUL character")
        Api = request.env["scada.api"]
        limit = _int_arg(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = _int_arg(args, "offset", 0, 0, MAX_BIGINT)
        state = args.get("state") or None
        if state:
            states = Api._report_states()
            if state not in states:
                raise ApiError(400, f"state {state!r} is unknown: use one of {', '.join(states)}")
        since = None
        if args.get("since"):
            try:
                since = Api._read_time(args["since"])
            except ValueError as exc:
                raise ApiError(400, f"since: {exc}") from None
        after = None
        if args.get("after"):
            if args.get("offset") not in (None, "", "0"):
                raise ApiError(400, "after and offset both given: page with one of them")
            try:
                after = _read_page_key(args["after"])
            except ValueError as exc:
                raise ApiError(400, f"after: {exc}") from None
        total, reports = Api._search_reports(
            equipment_code=(args.get("equipment_code") or "").strip() or None,
            state=state,
            since=since,
            limit=limit,
            offset=offset,
            after=after,
        )
        data = Api._report_json(reports, is_compat())
        full = len(reports) == limit
        return json_reply(
            {
                "status": "success",
                "count": len(data),
                "total": total,
                "limit": limit,
                "offset": offset,
                "next": _page_key(reports[-1]) if full else None,
                "data": data,
            }
        )


def _page_key(report) -> str:
    """The key of ``report`` that asks for the page after it (``after=``)."""
    return f"{report.started_at.isoformat(timespec='microseconds')}~{report.id}"


def _read_page_key(text: str) -> tuple[datetime, int]:
    """(started_at, id) of a key made by :func:`_page_key`; ValueError if it is not one."""
    when, sep, ident = text.partition("~")
    if not sep or not ident.isdigit() or len(text) > 64:
        raise ValueError(f"{text[:64]!r} is not a page key: pass the 'next' of a page")
    return datetime.fromisoformat(when), int(ident)


def _problem_text(problem: dict) -> str:
    """'<field> <reason>', without naming the field twice when the reason already does."""
    field, message = problem["field"] or "event", problem["message"]
    return message if message.startswith(field) else f"{field} {message}"


def _int_arg(args, name: str, default: int, low: int, high: int) -> int:
    text = args.get(name)
    if text in (None, ""):
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, f"{name}={text!r} is not a whole number") from None
    if value < low or (high is not None and value > high):
        upper = f" to {high}"
        raise ApiError(400, f"{name}={value} is out of range: use {low}{upper}")
    return value
