# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""``GET /api/scada/equipment?code=`` and ``GET /api/scada/equipment/<code>``.

The old module answered the second; its diagnostic script asks the first.
Both find a maintenance equipment by its SCADA code.
"""

from odoo import http
from odoo.http import request

from .api_http import (
    GROUP_INTEGRATION,
    GROUP_MANAGER,
    GROUP_USER,
    ApiError,
    api_route,
    authenticate,
    json_reply,
)


class ScadaEquipmentController(http.Controller):
    @api_route("/api/scada/equipment", methods=["GET"], readonly=True)
    def equipment_by_query(self, **_query):
        authenticate(GROUP_INTEGRATION, GROUP_USER, GROUP_MANAGER)
        code = request.httprequest.args.get("code", "")
        return _equipment_reply(code)

    @api_route("/api/scada/equipment/<path:code>", methods=["GET"], readonly=True)
    def equipment_by_path(self, code, **_query):
        authenticate(GROUP_INTEGRATION, GROUP_USER, GROUP_MANAGER)
        return _equipment_reply(code)


def _equipment_reply(code: str):
    code = code.strip()
    if not code:
        raise ApiError(400, "code missing: ask /api/scada/equipment?code=<SCADA code>")
    if "\x00" in code or len(code) > 128:
        raise ApiError(400, "code is not a SCADA code (a NUL character, or over 128 characters)")
    data = request.env["scada.api"]._equipment_json(code)
    if data is None:
        raise ApiError(
            404,
            f"no equipment has the SCADA code {code!r}: set it on the equipment "
            "(Maintenance > Equipment > SCADA Code)",
        )
    return json_reply({"status": "success", "data": data})
