# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""``GET /api/scada/health`` (public) and ``GET /api/scada/version``, as the old module had."""

from odoo import http
from odoo.http import request

from .api_http import (
    GROUP_INTEGRATION,
    GROUP_MANAGER,
    GROUP_USER,
    api_route,
    authenticate,
    json_reply,
)


class ScadaHealthController(http.Controller):
    @api_route("/api/scada/health", methods=["GET"], readonly=True, auth="public")
    def health(self, **_query):
        """Public, as before: it tells a monitor that this Odoo serves the module, nothing more."""
        return json_reply(request.env["scada.api"]._health_json())

    @api_route("/api/scada/version", methods=["GET"], readonly=True)
    def version(self, **_query):
        authenticate(GROUP_INTEGRATION, GROUP_USER, GROUP_MANAGER)
        return json_reply(request.env["scada.api"]._version_json())
