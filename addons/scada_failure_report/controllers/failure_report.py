# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""``POST /api/scada/equipment-failure-report``: the old dashboard's period report."""

from odoo import http
from odoo.http import request

from ..models.scada_api import MAX_LIMIT
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

FILTERS = ("equipment_code", "period", "date_from", "date_to", "limit", "offset")


class ScadaFailureReportController(http.Controller):
    @api_route("/api/scada/equipment-failure-report", methods=["POST"], readonly=True)
    def failure_report(self, **_query):
        authenticate(GROUP_INTEGRATION, GROUP_USER, GROUP_MANAGER)
        check_body_size()
        body = read_json_body() if request.httprequest.content_length else {}
        params, rpc, rpc_id = unwrap_rpc(body)
        refuse = {"rpc": rpc, "rpc_id": rpc_id}
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise ApiError(400, f"the body must be an object with {', '.join(FILTERS)}", **refuse)
        for name in ("equipment_code", "period"):
            value = params.get(name)
            if value is not None and (not isinstance(value, str) or "\x00" in value):
                raise ApiError(400, f"{name} must be text", **refuse)
        try:
            limit = _whole(params, "limit", 100, 1, MAX_LIMIT)
            offset = _whole(params, "offset", 0, 0, MAX_BIGINT)
            report = request.env["scada.api"]._failure_period_report(
                equipment_code=(params.get("equipment_code") or "").strip() or None,
                period=(params.get("period") or "").strip() or None,
                date_from=params.get("date_from"),
                date_to=params.get("date_to"),
                limit=limit,
                offset=offset,
                old_shape=is_compat(),
            )
        except ValueError as exc:
            raise ApiError(400, str(exc), **refuse) from None
        return json_reply(report, 200, rpc_id, rpc)


def _whole(params: dict, name: str, default: int, low: int, high: int) -> int:
    """A whole number from JSON (the old clients send 100 or "100")."""
    value = params.get(name)
    if value in (None, ""):
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{name} must be a whole number")
    try:
        value = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number") from None
    if not low <= value <= high:
        raise ValueError(f"{name}={value} is out of range: use {low} to {high}")
    return value
