# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""``GET /api/scada/status``: what ``scada-bridge doctor`` asks Odoo."""

from odoo import http
from odoo.http import request

from .api_http import GROUP_INTEGRATION, GROUP_MANAGER, api_route, authenticate, json_reply


class ScadaStatusController(http.Controller):
    @api_route("/api/scada/status", methods=["GET"], readonly=True)
    def status(self, **_query):
        user = authenticate(GROUP_INTEGRATION, GROUP_MANAGER, allow_session=False)
        status = request.env["scada.source"]._status_json()
        return json_reply({**status, "user": user.login})
