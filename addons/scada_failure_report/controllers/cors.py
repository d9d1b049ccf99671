# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""CORS for the old dashboard: a browser page of another origin using the session cookie.

The old module declared ``cors=SCADA_CORS_ORIGIN`` so its Vue dashboard, served
from its own host, could call the API with ``credentials: 'include'``. Here the
origins are a system parameter (Settings > SCADA > Dashboard origins), empty by
default: no origin is trusted until a manager names it. A trusted origin gets
its preflight answered and ``Access-Control-Allow-Credentials``; any other
origin gets no CORS header, so the browser keeps the answer from it.
"""

from odoo.http import request

ALLOWED_HEADERS = "Authorization, Content-Type, Accept, X-Requested-With"
MAX_AGE = "600"


def trusted_origin() -> str | None:
    """The request's ``Origin`` when it is one of the configured dashboard origins."""
    origin = request.httprequest.headers.get("Origin")
    if not origin:
        return None
    return origin if origin in request.env["scada.api"].sudo()._cors_origins() else None


def cors_headers(methods: list[str]) -> list[tuple[str, str]]:
    """Headers letting a trusted origin read this answer (none for anyone else)."""
    origin = trusted_origin()
    if not origin:
        return [("Vary", "Origin")]
    return [
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", ", ".join([*methods, "OPTIONS"])),
        ("Access-Control-Allow-Headers", ALLOWED_HEADERS),
        ("Access-Control-Max-Age", MAX_AGE),
        ("Vary", "Origin"),
    ]


def preflight(methods: list[str]):
    """The answer to a browser's ``OPTIONS`` preflight: 204, CORS headers if trusted."""
    return request.make_response(b"", headers=cors_headers(methods), status=204)
