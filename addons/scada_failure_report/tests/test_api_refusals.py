# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Hostile or odd requests get a clear refusal, never a 500 nor a wasted worker (issue 9, 15)."""

import http.client
import uuid

from odoo.tests import tagged

from .api_common import API, ScadaApiCase

#: Long enough for a busy machine to answer a refusal that reads no body;
#: a server that waited for the announced body would never answer in it.
ANSWER_TIMEOUT = 60


@tagged("post_install", "-at_install")
class TestApiRefusals(ScadaApiCase):
    def raw(self, method, path, headers, body=b""):
        """One request over a plain socket: (status, body); the body is sent as given."""
        self.env.flush_all()
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port(), timeout=ANSWER_TIMEOUT)
        try:
            conn.putrequest(method, path)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            if body:
                conn.send(body)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def test_nul_byte_in_a_filter_is_400(self):
        for params in (
            {"equipment_code": "silo\x00101"},
            {"state": "active\x00"},
            {"since": "2026-02-23\x00"},
        ):
            response = self.get(params, self.reader_key)
            self.assertEqual(response.status_code, 400, f"{params!r}: {response.text}")
            self.assertIn("NUL", response.json()["message"])

    def test_offset_beyond_bigint_is_400(self):
        response = self.get({"offset": 2**63}, self.reader_key)
        self.assertEqual(response.status_code, 400, response.text)
        self.assertIn("offset", response.json()["message"])
        self.assertEqual(self.get({"offset": "9" * 5000}, self.reader_key).status_code, 400)
        # The largest bigint is a valid (empty) page.
        last = self.get({"offset": 2**63 - 1}, self.reader_key)
        self.assertEqual((last.status_code, last.json()["count"]), (200, 0))

    def test_nul_byte_in_a_bearer_key_is_401(self):
        for key in (self.bot_key[:10] + "\x00" + self.bot_key[10:], "\x00"):
            status, body = self.raw("GET", API, {"Authorization": f"Bearer {key}"})
            self.assertEqual(status, 401, body)
            self.assertIn(b"API key is invalid", body)

    def test_duplicate_of_another_companys_failure_answers_as_a_duplicate(self):
        other = self.env["res.company"].create({"name": "Plant B Ltd"})
        event = self.event()
        theirs = self.Report.create(
            {
                "event_uid": event["event_uid"],
                "equipment_code": "silo101",
                "started_at": "2026-02-23 20:22:35",
                "origin": "push",
                "company_id": other.id,
            }
        )
        for body in (event, {"events": [event]}):
            response = self.post(body, self.bot_key)
            self.assertEqual(response.status_code, 200, response.text)
            answer = response.json()
            self.assertEqual((answer["duplicates"], answer["created"]), (1, 0))
            self.assertEqual(answer["results"][0]["result"], "duplicate")
        # Nothing of the other company's record is shown.
        self.assertEqual(response.json()["results"][0]["id"], theirs.id)
        single = self.post(event, self.bot_key).json()
        self.assertEqual(single["data"], {"id": theirs.id, "event_uid": None})
        self.assertEqual(len(self.reports([("event_uid", "=", event["event_uid"])])), 1)

    def test_oversized_body_is_not_read_before_authentication(self):
        """A stranger announcing 3 MiB gets its answer without the server waiting for it.

        Only the headers are sent: a server draining the body before knowing
        who asks would wait for bytes that never come, and this test would
        time out instead of reading the refusal.
        """
        headers = {"Content-Type": "application/json", "Content-Length": str(3 * 1024 * 1024)}
        status, body = self.raw("POST", API, headers)
        self.assertEqual(status, 401, body)
        status, body = self.raw("POST", API, dict(headers, Authorization="Bearer " + "0" * 40))
        self.assertEqual(status, 401, body)
        # The login reads its credentials from the body, so it is refused before them
        # (as the old module's clients expect: HTTP 200, status error).
        status, body = self.raw("POST", "/api/scada/authenticate", headers)
        self.assertEqual(status, 200, body)
        self.assertIn(b"the limit is 2097152", body)
        self.assertFalse(self.reports())

    def test_oversized_body_of_a_known_client_is_drained_for_its_413(self):
        big = {"events": [self.event(description="x" * 4000) for _ in range(600)]}
        response = self.post(big, self.bot_key)
        self.assertEqual(response.status_code, 413, response.text)
        self.assertEqual(
            self.post(self.event(event_uid=str(uuid.uuid4())), self.bot_key).status_code, 201
        )
