"""The middleware plants already run, unchanged: login, cookie, push, list (issue 5, 1-4)."""

import json

from odoo.tests import tagged
from odoo.tests.common import Opener

from .api_common import API, ScadaApiCase

LOGIN = "/api/scada/authenticate"


def result_of(body):
    """Where the middleware reads its answer: at the top level or inside ``result``."""
    return body["result"] if "result" in body else body


@tagged("post_install", "-at_install")
class TestApiCompat(ScadaApiCase):
    def client(self):
        """A plain HTTP client with its own cookie jar, like the middleware's."""
        return Opener(self.cr)

    def login(self, client, envelope=False, password="scada_bot-pass-1"):
        params = {"db": self.env.cr.dbname, "login": "scada_bot", "password": password}
        if envelope:
            params = {"jsonrpc": "2.0", "method": "call", "params": params, "id": 7}
        return client.post(
            self.base_url() + LOGIN,
            data=json.dumps(params),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )

    def test_whole_flow_plain_json(self):
        client = self.client()
        login = self.login(client)
        self.assertEqual(login.status_code, 200, login.text)
        self.assertEqual(login.json()["status"], "success")
        self.assertIn("session_id", client.cookies)

        body = {
            "equipment_code": "silo101",
            "description": "START_FAILURE",
            "date": "2026-02-23 20:22:35",
        }
        pushed = self.post(body, opener=client)
        self.assertTrue(pushed.ok, pushed.text)
        answer = result_of(pushed.json())
        self.assertEqual(answer["status"], "success")
        data = answer["data"]
        report = self.reports()
        self.assertEqual(len(report), 1)
        self.assertEqual(
            {
                k: data[k]
                for k in (
                    "id",
                    "equipment_id",
                    "equipment_code",
                    "equipment_name",
                    "description",
                    "date",
                )
            },
            {
                "id": report.id,
                "equipment_id": self.silo.id,
                "equipment_code": "silo101",
                "equipment_name": "Silo 101",
                "description": "START_FAILURE",
                "date": "2026-02-23 20:22:35",
            },
        )

        # The middleware retries the same failure: never a second record.
        retried = self.post(body, opener=client)
        self.assertTrue(retried.ok, retried.text)
        self.assertEqual(result_of(retried.json())["data"]["id"], report.id)
        self.assertEqual(len(self.reports()), 1)

        listed = client.get(
            self.base_url() + API,
            params={"equipment_code": "silo101", "limit": 10, "offset": 0},
            timeout=30,
        )
        self.assertEqual(listed.status_code, 200, listed.text)
        page = listed.json()
        self.assertEqual((page["status"], page["count"]), ("success", 1))
        self.assertEqual(page["data"][0]["id"], report.id)

    def test_whole_flow_json_rpc_envelope(self):
        client = self.client()
        login = self.login(client, envelope=True)
        self.assertEqual(login.status_code, 200, login.text)
        self.assertEqual(login.json()["id"], 7)
        self.assertEqual(login.json()["result"]["status"], "success")

        params = {"equipment_code": "silo101", "description": "START_FAILURE"}
        envelope = {"jsonrpc": "2.0", "method": "call", "params": params, "id": 8}
        pushed = self.post(envelope, opener=client)
        self.assertTrue(pushed.ok, pushed.text)
        body = pushed.json()
        self.assertEqual((body["jsonrpc"], body["id"]), ("2.0", 8))
        self.assertEqual(body["result"]["status"], "success")
        self.assertEqual(body["result"]["data"]["equipment_code"], "silo101")

        retried = self.post(envelope, opener=client)
        self.assertTrue(retried.ok, retried.text)
        self.assertEqual(len(self.reports()), 1)

        invalid = self.post(
            {"jsonrpc": "2.0", "params": {"description": "no equipment"}, "id": 9}, opener=client
        )
        self.assertEqual(invalid.status_code, 422)
        self.assertEqual(invalid.json()["result"]["status"], "error")
        self.assertIn("invalid", invalid.json()["result"]["message"])

    def test_wrong_credentials_answer_an_error_message(self):
        client = self.client()
        for envelope in (False, True):
            response = self.login(client, envelope=envelope, password="wrong")
            self.assertEqual(response.status_code, 401)
            answer = result_of(response.json())
            self.assertEqual(answer["status"], "error")
            self.assertIn("wrong login or password", answer["message"])
            self.assertNotIn("Traceback", response.text)
        # Without a session, the push is refused and writes nothing.
        refused = self.post({"equipment_code": "silo101", "description": "x"}, opener=client)
        self.assertEqual(refused.status_code, 401)
        self.assertEqual(refused.json()["status"], "error")
        self.assertFalse(self.reports())

    def test_session_of_a_user_without_the_group_is_refused(self):
        client = self.client()
        response = client.post(
            self.base_url() + LOGIN,
            data=json.dumps(
                {"db": self.env.cr.dbname, "login": "outsider", "password": "outsider-pass-1"}
            ),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assertEqual(response.json()["status"], "success")
        refused = self.post({"equipment_code": "silo101", "description": "x"}, opener=client)
        self.assertEqual(refused.status_code, 403)
        self.assertFalse(self.reports())

    def test_unknown_database_is_named(self):
        response = self.client().post(
            self.base_url() + LOGIN,
            data=json.dumps({"db": "no_such_db", "login": "scada_bot", "password": "x"}),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assertEqual(response.status_code, 404)
        self.assertIn("no_such_db", response.json()["message"])
