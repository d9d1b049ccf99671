# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Hundreds of random and malformed requests: never a 5xx, never a write by a refusal.

Property-based (hypothesis) through real HTTP. The example database is off so
nothing is written next to the Odoo tree; a failure prints the exact request.
"""

import json
import logging
import uuid
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from odoo.tests import tagged
from scada_bridge import EVENT_FIELDS

from .api_common import API, ScadaApiCase

_logger = logging.getLogger(__name__)

EXAMPLES = 520
#: Every field a client may send ("payload" is the event itself, not a field).
FIELDS = (*(name for name in EVENT_FIELDS if name != "payload"), "date")
TRICKY_TEXT = [
    "",
    " ",
    "\x00",
    "\ud800",
    "silo101",
    "raised",
    "cleared",
    "critical",
    "2026-02-23 20:22:35",
    "2026-02-23T20:22:35Z",
    "2026-13-45T99:00:00",
    "0001-01-01T00:00:00-12:00",
    "9999-12-31T23:59:59+14:00",
    "not-a-uuid",
    "x" * 5000,
    "\u202e\U0001f525",
]
RAW_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'{"events": null}',
    b'{"events": {}}',
    b'{"equipment_code": NaN}',
    b'{"equipment_code": "a", "description": 1e400}',
    b"[" * 5000 + b"]" * 5000,
    b'{"jsonrpc": "2.0", "params": [1, 2]}',
    b'{"jsonrpc": "2.0", "id": {"x": 1}, "params": {}}',
    b"\xff\xfe\x00",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(TRICKY_TEXT)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
uids = st.uuids().map(str)


@st.composite
def events(draw):
    """A valid event with some fields replaced, dropped or added at random."""
    event = {
        "event_uid": draw(uids | st.none()),
        "equipment_code": draw(st.sampled_from(["silo101", "mixer9"])),
        "description": draw(st.text(min_size=1, max_size=20)),
        "occurred_at": draw(st.sampled_from(["2026-02-23 20:22:35", "2026-03-01T08:00:00+01:00"])),
    }
    if draw(st.booleans()):  # half of them stay valid, to exercise the accepting path too
        return event
    for name in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True)):
        if draw(st.booleans()):
            event.pop(name, None)
        else:
            event[name] = draw(json_values)
    if draw(st.booleans()):
        event[draw(st.text(max_size=8))] = draw(json_values)
    return event


@st.composite
def bodies(draw):
    shape = draw(st.sampled_from(["event"] * 3 + ["batch"] * 2 + ["rpc", "json", "raw", "bytes"]))
    if shape == "raw":
        return draw(st.sampled_from(RAW_BODIES))
    if shape == "bytes":
        return draw(st.binary(max_size=64))
    if shape == "json":
        value = draw(json_values)
    elif shape == "event":
        value = draw(events())
    elif shape == "batch":
        value = {"events": draw(st.lists(st.one_of(events(), events(), json_values), max_size=5))}
    else:
        value = {"jsonrpc": "2.0", "id": draw(json_values), "params": draw(events() | json_values)}
    return json.dumps(value).encode()


requests_ = st.fixed_dictionaries(
    {
        "route": st.sampled_from(["push"] * 6 + ["list", "login", "pull"]),
        "auth": st.sampled_from(["bot"] * 5 + ["none", "garbage", "outsider"]),
        "content_type": st.sampled_from(
            ["application/json"] * 4
            + [
                "application/json; charset=latin-1",
                "application/json; charset=bogus",
                "text/plain",
                None,
            ]
        ),
        "body": bodies(),
        "query": st.dictionaries(
            st.sampled_from(["equipment_code", "state", "since", "limit", "offset", "x"]),
            st.text(max_size=12) | st.integers(-5, 2000).map(str),
            max_size=3,
        ),
    }
)


@tagged("post_install", "-at_install")
class TestApiFuzz(ScadaApiCase):
    def written(self):
        self.env.cr.execute(
            "SELECT (SELECT count(*) FROM scada_failure_report),"
            "       (SELECT count(*) FROM scada_pending_clear),"
            "       (SELECT coalesce(max(write_date), 'epoch') FROM scada_failure_report)"
        )
        return self.env.cr.fetchone()

    def send(self, req):
        headers = {}
        if req["content_type"]:
            headers["Content-Type"] = req["content_type"]
        key = {"bot": self.bot_key, "outsider": self.outsider_key, "garbage": uuid.uuid4().hex}
        if req["auth"] in key:
            headers["Authorization"] = f"Bearer {key[req['auth']]}"
        url = (
            self.base_url()
            + {
                "push": API,
                "list": API,
                "login": "/api/scada/authenticate",
                "pull": "/api/scada/pull",
            }[req["route"]]
        )
        if req["route"] == "list":
            return self.opener.get(url, params=req["query"], headers=headers, timeout=30)
        return self.opener.post(url, data=req["body"], headers=headers, timeout=30)

    def test_random_requests_never_5xx_and_refusals_write_nothing(self):
        sent = []

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(req=requests_)
        def check(req):
            before = self.written()
            response = self.send(req)
            sent.append(response.status_code)
            after = self.written()
            self.assertLess(response.status_code, 500, f"{req!r}: {response.text[:300]}")
            self.assertNotIn("Traceback", response.text)
            body = response.json()  # always JSON, whatever was sent
            if "result" in body and "jsonrpc" in body:
                body = body["result"]
            self.assertIn(body.get("status"), ("success", "error"), body)
            if response.status_code >= 400:
                self.assertEqual(
                    before, after, f"refused with {response.status_code} but wrote: {req!r}"
                )
                self.assertTrue(body["message"])
            if req["route"] == "push" and response.status_code == 201:
                self.assertNotEqual(before, after, req)

        check()
        _logger.info(
            "%d random requests, answers by status: %s", len(sent), sorted(Counter(sent).items())
        )
        self.assertGreaterEqual(len(sent), 500)
        # The generator reaches both sides: accepted pushes and each refusal class.
        self.assertTrue({200, 201} & set(sent), sorted(set(sent)))
        self.assertTrue({400, 401, 403, 415, 422} <= set(sent), sorted(set(sent)))
