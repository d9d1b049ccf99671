"""``GET /api/scada/status``: what ``scada-bridge doctor`` asks Odoo."""

from odoo import http
from odoo.http import request

from ..models.scada_source import CRON_XMLID
from .api_http import GROUP_INTEGRATION, GROUP_MANAGER, api_route, authenticate, json_reply

MODULE = "scada_failure_report"
SOURCE_FIELDS = (
    "name",
    "active",
    "state",
    "last_pull_at",
    "last_success_at",
    "last_error",
    "cursor",
)


def _iso(value):
    return value.isoformat() + "+00:00" if value else None


class ScadaStatusController(http.Controller):
    @api_route("/api/scada/status", methods=["GET"], readonly=True)
    def status(self, **_query):
        user = authenticate(GROUP_INTEGRATION, GROUP_MANAGER, allow_session=False)
        env = request.env
        # ir.module.module and ir.cron are readable by administrators only; the
        # doctor needs the installed version and the pull job's health, and
        # reads nothing else through this sudo().
        module = env["ir.module.module"].sudo().search([("name", "=", MODULE)], limit=1)
        cron = env.ref(CRON_XMLID).sudo()
        cron_values = cron.read(
            ["active", "interval_number", "interval_type", "lastcall", "nextcall", "failure_count"]
        )[0]
        sources = env["scada.source"].with_context(active_test=False).search([], order="id")
        return json_reply(
            {
                "module": {"name": MODULE, "version": module.latest_version or None},
                "cron": {
                    "active": cron_values["active"],
                    "interval": f"{cron_values['interval_number']} {cron_values['interval_type']}",
                    "lastcall": _iso(cron_values["lastcall"]),
                    "nextcall": _iso(cron_values["nextcall"]),
                    "failure_count": cron_values["failure_count"],
                },
                "sources": [_source_json(source) for source in sources],
                "user": user.login,
            }
        )


def _source_json(source) -> dict:
    values = {"id": source.id}
    for name in SOURCE_FIELDS:
        value = source[name] if name in source._fields else None
        if hasattr(value, "isoformat"):
            value = _iso(value)
        values[name] = value if value is not False or name == "active" else None
    return values
