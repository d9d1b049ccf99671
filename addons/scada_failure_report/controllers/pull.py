# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""``POST /api/scada/pull``: the doorbell a poller rings after it stored events."""

from odoo import http
from odoo.http import request

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
        authenticate(GROUP_INTEGRATION, GROUP_MANAGER)
        check_body_size()
        pending = request.env["scada.source"]._request_pull()
        return json_reply(
            {
                "status": "success",
                "message": "a pull was already requested" if pending else "pull requested",
                "already_requested": pending,
            },
            202,
        )
