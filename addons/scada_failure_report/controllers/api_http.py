# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""HTTP plumbing shared by the SCADA API routes: auth, body reading, JSON replies.

Routes are ``type='http'`` so they can answer real status codes (``type='json'``
always answers 200) and ``auth='none'`` so one route serves both an API key
(``Authorization: Bearer``) and the session cookie of ``/api/scada/authenticate``
that the middleware plants already run relies on; ``auth='bearer'`` would refuse
that cookie without a browser's Sec-Fetch headers.
"""

import functools
import json
import logging
import math
import re

import psycopg2
import psycopg2.errors
from odoo import http
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.http import request

from .cors import cors_headers, preflight, trusted_origin

_logger = logging.getLogger(__name__)

#: Largest request body accepted (413 above).
MAX_BODY_BYTES = 2 * 1024 * 1024
#: A refused oversized body up to this size is still read, so the client gets
#: the 413 instead of a connection reset while it is still sending; only once
#: authenticated, or a stranger could make every worker read 16 MB per request.
DRAIN_LIMIT = 16 * 1024 * 1024
#: Largest integer PostgreSQL takes as an offset (bigint).
MAX_BIGINT = 2**63 - 1
#: WSGI environ key marking a request of the compatibility flow (see :func:`json_reply`).
COMPAT_ENVIRON_KEY = "scada_failure_report.compat"
JSON_MIMETYPES = ("application/json", "application/json-rpc")
GROUP_INTEGRATION = "scada_failure_report.group_scada_integration"
GROUP_USER = "scada_failure_report.group_scada_user"
GROUP_MANAGER = "scada_failure_report.group_scada_manager"
_BEARER = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.IGNORECASE)
#: What an Odoo API key is made of (hex today); anything else is not a key.
_KEY_CHARS = re.compile(r"^[\x21-\x7e]{1,256}$")
_WWW_AUTHENTICATE = 'Bearer realm="odoo", charset="UTF-8"'


class ApiError(Exception):
    """A refusal with its HTTP status, a one-line message and optional details."""

    def __init__(self, status: int, message: str, headers=None, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []
        self.extra = extra

    def body(self) -> dict:
        return {"status": "error", "message": self.message, **self.extra}


def mark_compat() -> None:
    """Answer this request as the old ``grt_scada`` module did: always HTTP 200.

    Its routes were ``type='json'``, so its clients (the middleware, the
    diagnostic script, the dashboard) read ``status`` and ``message`` from a
    200 answer and treat any other code as "Odoo unreachable", without
    printing the message. Only session-authenticated requests get this;
    API-key requests keep real status codes.
    """
    request.httprequest.environ[COMPAT_ENVIRON_KEY] = True


def is_compat() -> bool:
    return bool(request.httprequest.environ.get(COMPAT_ENVIRON_KEY))


def json_reply(data: dict, status: int = 200, rpc_id=None, rpc: bool = False, headers=None):
    """A JSON answer; inside a JSON-RPC envelope when the request came in one.

    Errors in an envelope go in ``result`` too (``status: "error"``), because
    that is where the middleware plants run reads ``message`` from. In the
    compatibility flow (:func:`mark_compat`) every answer but a server error
    is HTTP 200, ``status`` telling success from error.
    """
    if is_compat() and status < 500:
        status = 200
        headers = [h for h in headers or [] if h[0] != "WWW-Authenticate"]
    if rpc:
        data = {"jsonrpc": "2.0", "id": rpc_id, "result": data}
    return request.make_json_response(data, headers=headers, status=status)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def check_body_size() -> None:
    """413 before reading a body larger than :data:`MAX_BODY_BYTES`; 411 without a length."""
    httprequest = request.httprequest
    length = httprequest.content_length
    if length is None:
        # Without Content-Length nor chunking there is no body (a bare doorbell
        # ring); a chunked body could be of any size: ask for its length.
        if "chunked" in httprequest.headers.get("Transfer-Encoding", "").lower():
            raise ApiError(
                411, "Content-Length header missing: send the body with its length (no chunking)"
            )
        return
    if length > MAX_BODY_BYTES:
        # Before authentication nothing is read: a stranger gets its 413 (or a
        # reset while it still sends), never a worker reading its 16 MB.
        if request.env.uid and length <= DRAIN_LIMIT:
            _drain()
        raise ApiError(
            413,
            f"request body is {length} bytes, the limit is {MAX_BODY_BYTES}: "
            "send the events in smaller batches",
        )


def _drain() -> None:
    """Read and drop the body, so the client reads the answer.

    Closing a socket with unread data resets the connection, and the client
    would see a reset instead of the 413. Called for bodies up to
    :data:`DRAIN_LIMIT` only (werkzeug bounds the read by Content-Length),
    through the request's public ``get_data``, without keeping the bytes.
    """
    request.httprequest.get_data(cache=False)


def read_json_body():
    """The request body as JSON: 415 for another content type, 400 if not JSON.

    Call :func:`check_body_size` first: it bounds what is read here.
    """
    httprequest = request.httprequest
    if httprequest.mimetype not in JSON_MIMETYPES:
        raise ApiError(
            415,
            f"content type {httprequest.mimetype or '(none)'!r} is not supported: "
            "send the body as JSON with 'Content-Type: application/json'",
        )
    raw = httprequest.get_data()
    try:
        text = raw.decode(httprequest.mimetype_params.get("charset") or "utf-8")
        return json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except (UnicodeDecodeError, LookupError):
        raise ApiError(400, "request body is not UTF-8 text") from None
    except RecursionError:
        raise ApiError(400, "request body is nested too deeply") from None
    except ValueError as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc}") from None


def unwrap_rpc(body) -> tuple[object, bool, object]:
    """(params, came in a JSON-RPC envelope, request id)."""
    if isinstance(body, dict) and "jsonrpc" in body:
        params = body.get("params")
        rpc_id = body.get("id")
        if not isinstance(rpc_id, str | int | type(None)) or isinstance(rpc_id, bool):
            rpc_id = None
        if not isinstance(params, dict):
            raise ApiError(400, "JSON-RPC request without 'params' object", rpc=True, rpc_id=rpc_id)
        return params, True, rpc_id
    return body, False, None


def authenticate(*groups: str, allow_session: bool = True):
    """Switch the request to the API key's user (or the session's) and check its groups.

    401 (with WWW-Authenticate) without valid credentials, 403 when the user
    is in none of ``groups``.
    """
    httprequest = request.httprequest
    header = httprequest.headers.get("Authorization")
    challenge = [("WWW-Authenticate", _WWW_AUTHENTICATE)]
    if header:
        match = _BEARER.match(header)
        if not match:
            raise ApiError(
                401,
                "Authorization header is not 'Bearer <API key>'",
                headers=challenge,
            )
        key = match.group(1)
        # A NUL byte cannot reach PostgreSQL (psycopg2 raises): not a key, 401.
        uid = _KEY_CHARS.match(key) and request.env["res.users.apikeys"]._check_credentials(
            scope="rpc", key=key
        )
        if not uid:
            raise ApiError(
                401,
                "API key is invalid, expired or revoked: create one in Odoo under "
                "Preferences > Account Security > New API Key for the integration user",
                headers=challenge,
            )
    elif allow_session and request.session.uid:
        # Cookie auth exists for the middleware plants already run. A browser
        # cannot send a cross-site JSON body without a CORS preflight (which
        # these routes do not allow); refuse what a browser says is cross-site.
        if httprequest.headers.get("Sec-Fetch-Site") == "cross-site" and not trusted_origin():
            raise ApiError(
                403,
                "cross-site request refused: use an API key, or add this page's origin to "
                "Settings > SCADA > Dashboard origins",
            )
        uid = request.session.uid
        mark_compat()
        # The routes do not save API-key requests' throwaway sessions; a cookie
        # session is kept alive like on any other route (saved when Odoo dirties it).
        request.session.can_save = True
    else:
        raise ApiError(
            401,
            "not authenticated: send 'Authorization: Bearer <API key>' "
            "(or log in with POST /api/scada/authenticate and send its session cookie)",
            headers=challenge,
        )
    request.update_env(user=uid)
    user = request.env.user
    if not any(user.has_group(group) for group in groups):
        names = ", ".join(group.split(".")[-1] for group in groups)
        raise ApiError(
            403,
            f"user {user.login!r} is not allowed here: add it to one of these groups: {names}",
        )
    return user


def api_route(
    path: str | list[str],
    *,
    methods: list[str],
    readonly: bool,
    save_session: bool = False,
    auth: str = "none",
):
    """``http.route`` for a SCADA API endpoint: JSON over ``type='http'``.

    Real status codes need ``type='http'`` (``type='json'`` always answers 200);
    authentication is the endpoint's own (:func:`authenticate`: API key or the
    compatibility session), so Odoo's is ``auth='none'``, which defaults to a
    read-only cursor: writing endpoints say ``readonly=False``. A public
    route says ``auth='public'``.
    """

    def decorate(func):
        return http.route(
            path,
            type="http",
            auth=auth,
            methods=methods,
            csrf=False,
            readonly=readonly,
            save_session=save_session,
        )(_with_cors(_json_errors(func), methods))

    return decorate


def _with_cors(func, methods: list[str]):
    """Answer a browser's preflight, and let a trusted dashboard origin read the answer."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if request.httprequest.method == "OPTIONS":
            return preflight(methods)
        response = func(*args, **kwargs)
        for name, value in cors_headers(methods):
            if name == "Vary":
                response.headers.add(name, value)
            else:
                response.headers.set(name, value)
        return response

    return wrapper


def _json_errors(func):
    """Turn refusals into JSON answers and never let a traceback reach the client.

    Database concurrency errors are re-raised: Odoo retries the whole request
    on a serialization failure, which is why every handler is idempotent.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (psycopg2.OperationalError, psycopg2.errors.ReadOnlySqlTransaction):
            raise
        except Exception as exc:
            # A refused request writes nothing, whatever ran before the refusal.
            request.env.cr.rollback()
            return _error_reply(exc)

    return wrapper


def _error_reply(exc: Exception):
    """The JSON answer for an exception raised by a handler."""
    if isinstance(exc, ApiError):
        rpc = exc.extra.pop("rpc", False)
        rpc_id = exc.extra.pop("rpc_id", None)
        return json_reply(exc.body(), exc.status, rpc_id, rpc, headers=exc.headers)
    if isinstance(exc, AccessDenied):
        return json_reply({"status": "error", "message": str(exc)}, 401)
    if isinstance(exc, AccessError):
        return json_reply({"status": "error", "message": str(exc)}, 403)
    if isinstance(exc, UserError):
        return json_reply({"status": "error", "message": str(exc)}, 422)
    _logger.error("SCADA API %s failed", request.httprequest.path, exc_info=exc)
    return json_reply(
        {
            "status": "error",
            "message": "internal error in Odoo; the details are in the Odoo server log",
        },
        500,
    )
