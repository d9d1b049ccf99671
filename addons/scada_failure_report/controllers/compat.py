# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""``/api/scada/authenticate``: the login the middleware plants already run expects.

It posts ``{"db", "login", "password"}`` as plain JSON (or in a JSON-RPC
envelope), wants ``status: "success"`` and a session cookie, then pushes with
that cookie. Answers in the envelope when asked in one, and always with HTTP
200 as the old ``type='json'`` route did (:func:`.api_http.mark_compat`): a
refusal is ``status: "error"`` with the reason in ``message``. The session's
later requests get the same treatment (see ``static/api/COMPATIBILITY.md``).
"""

from odoo import http
from odoo.exceptions import AccessDenied
from odoo.http import request

from .api_http import (
    ApiError,
    api_route,
    check_body_size,
    json_reply,
    mark_compat,
    read_json_body,
    unwrap_rpc,
)


class ScadaCompatController(http.Controller):
    @api_route("/api/scada/authenticate", methods=["POST"], readonly=False, save_session=True)
    def authenticate(self, **_query):
        mark_compat()
        check_body_size()
        params, rpc, rpc_id = unwrap_rpc(read_json_body())
        refuse = {"rpc": rpc, "rpc_id": rpc_id}
        if not isinstance(params, dict):
            raise ApiError(
                422, 'the body must be {"db": ..., "login": ..., "password": ...}', **refuse
            )
        db = params.get("db") or request.db
        login, password = params.get("login"), params.get("password")
        missing = [
            name
            for name, value in (("db", db), ("login", login), ("password", password))
            if not isinstance(value, str) or not value
        ]
        if missing:
            raise ApiError(422, f"{', '.join(missing)} missing or not a string", **refuse)
        if db != request.db:
            raise ApiError(
                404,
                f"database {db!r} is not served at this address (this Odoo serves "
                f"{request.db!r}): check the db name in the middleware's config",
                **refuse,
            )
        credential = {"login": login, "password": password, "type": "password"}
        try:
            request.session.authenticate(db, credential)
        except AccessDenied as exc:
            reason = str(exc)
            if reason in ("", "Access Denied"):
                reason = "wrong login or password"
            raise ApiError(
                401, f"login {login!r} refused on database {db!r}: {reason}", **refuse
            ) from None
        if not request.session.uid:
            raise ApiError(
                401,
                f"login {login!r} needs two-factor authentication, which a middleware cannot "
                "answer: give it an API key instead (Authorization: Bearer)",
                **refuse,
            )
        body = {
            "status": "success",
            "message": f"logged in as {login!r} on {db!r}",
            "uid": request.session.uid,
            "db": db,
        }
        return json_reply(body, 200, rpc_id, rpc)
