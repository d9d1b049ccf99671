"""``POST /api/scada/pull``: the doorbell a poller rings after it stored events."""

from odoo import fields, http
from odoo.http import request

from .api_http import (
    GROUP_INTEGRATION,
    GROUP_MANAGER,
    api_route,
    authenticate,
    check_body_size,
    json_reply,
)

CRON_XMLID = "scada_failure_report.ir_cron_scada_pull"


class ScadaPullController(http.Controller):
    @http.route(
        "/api/scada/pull",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        readonly=False,  # auth="none" routes default to a read-only cursor
        save_session=False,
    )
    @api_route
    def request_pull(self, **_query):
        """Ask the scheduled pull to run as soon as a cron worker is free.

        The body is ignored. A ring while a request is still pending adds
        nothing, so a poller may ring after every commit.
        """
        check_body_size()
        authenticate(GROUP_INTEGRATION, GROUP_MANAGER)
        cron = request.env.ref(CRON_XMLID)
        # ir.cron.trigger is readable by administrators only; looking for a
        # pending trigger keeps a chatty poller from piling up one row per ring.
        pending = (
            request.env["ir.cron.trigger"]
            .sudo()
            .search_count([("cron_id", "=", cron.id), ("call_at", "<=", fields.Datetime.now())])
        )
        if not pending:
            cron._trigger()
        return json_reply(
            {
                "status": "success",
                "message": "a pull was already requested" if pending else "pull requested",
                "already_requested": bool(pending),
            },
            202,
        )
