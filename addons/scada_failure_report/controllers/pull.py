"""``POST /api/scada/pull``: the doorbell a poller rings after it stored events."""

from odoo import fields, http
from odoo.http import request

from ..models.scada_source import CRON_XMLID
from .api_http import (
    GROUP_INTEGRATION,
    GROUP_MANAGER,
    api_route,
    authenticate,
    check_body_size,
    json_reply,
)


class ScadaPullController(http.Controller):
    @api_route("/api/scada/pull", methods=["POST"], readonly=False)
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
