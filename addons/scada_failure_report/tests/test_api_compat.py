# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The old system's own clients, unchanged: login, cookie, push, list (issue 13).

Each test makes the calls the old clients make (the middleware's
``EquipmentFailureService``, its diagnostic script
``test_equipment_failure_odoo_sync.py``) and checks the answer the way that
client reads it: HTTP 200 (they call ``raise_for_status()`` or compare the
code to 200), then ``status`` at the top level or inside ``result``.
"""

import json
from datetime import datetime, timedelta

from odoo.tests import tagged
from odoo.tests.common import Opener

from .api_common import API, ScadaApiCase

LOGIN = "/api/scada/authenticate"
LIST = "/api/scada/failure-reports"


def result_of(body):
    """Where the middleware reads its answer: at the top level or inside ``result``."""
    return body.get("result", body)


@tagged("post_install", "-at_install")
class TestApiCompat(ScadaApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plc01 = cls.env["maintenance.equipment"].create(
            {"name": "Main PLC - Injection Machine 01", "scada_code": "PLC01"}
        )

    def client(self):
        """A plain HTTP client with its own cookie jar, like the middleware's httpx client."""
        return Opener(self.cr)

    def login(self, client, envelope=False, password="scada_bot-pass-1", login="scada_bot"):
        params = {"db": self.env.cr.dbname, "login": login, "password": password}
        if envelope:
            params = {"jsonrpc": "2.0", "method": "call", "params": params, "id": 7}
        return client.post(
            self.base_url() + LOGIN,
            data=json.dumps(params),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )

    def logged_in(self, **kwargs):
        client = self.client()
        response = self.login(client, **kwargs)
        self.assertEqual(result_of(response.json())["status"], "success", response.text)
        return client

    def assert_old_success(self, response):
        """What the middleware accepts: raise_for_status() passes, status is success."""
        self.assertEqual(response.status_code, 200, response.text)
        answer = result_of(response.json())
        self.assertEqual(answer["status"], "success", response.text)
        return answer

    def assert_old_error(self, response, *words):
        """An error the old clients print: HTTP 200, status error, a message naming the cause."""
        self.assertEqual(response.status_code, 200, response.text)
        answer = result_of(response.json())
        self.assertEqual(answer["status"], "error", response.text)
        for word in words:
            self.assertIn(word, answer["message"])
        self.assertNotIn("Traceback", response.text)
        return answer

    # -- the diagnostic script's four checks ---------------------------------

    def test_diagnostic_script_passes_all_four_checks(self):
        # TEST 1: Odoo reachable (any HTTP answer at the base URL).
        home = self.client().get(self.base_url() + "/", timeout=30)
        self.assertLess(home.status_code, 500)

        # TEST 2: authentication, plain JSON.
        client = self.client()
        auth = self.login(client)
        self.assertEqual(auth.status_code, 200)
        self.assertEqual(result_of(auth.json())["status"], "success")

        # TEST 3: equipment master, GET /api/scada/equipment?code=...
        found = {}
        for code in ("PLC01", "silo101", "silo102"):
            response = client.get(
                self.base_url() + "/api/scada/equipment", params={"code": code}, timeout=30
            )
            self.assertEqual(response.status_code, 200, response.text)
            body = response.json()
            found[code] = bool(body.get("result", body.get("data")))
        self.assertEqual(found, {"PLC01": True, "silo101": True, "silo102": False})

        # TEST 4: create a failure, with a fresh login as the script does.
        client = self.logged_in()
        payload = {
            "equipment_code": "PLC01",
            "description": "Motor overload saat proses mixing",
            "date": "2026-02-15 08:30:00",
        }
        response = client.post(self.base_url() + API, json=payload, timeout=30)
        result_data = self.assert_old_success(response)
        self.assertIn("id", str(result_data))
        report = self.reports()
        self.assertEqual((len(report), report.equipment_id), (1, self.plc01))

    # -- the middleware's create and list calls ----------------------------------

    def test_middleware_create_with_cookie_plain_json(self):
        client = self.logged_in()
        self.assertIn("session_id", client.cookies)
        payload = {
            "equipment_code": "silo101",
            "description": "START_FAILURE",
            "date": "2026-02-23 20:22:35",
            "duration": "02:30",
        }
        answer = self.assert_old_success(
            client.post(self.base_url() + API, json=payload, timeout=30)
        )
        self.assertIsInstance(answer["message"], str)
        report = self.reports()
        self.assertEqual(len(report), 1)
        self.assertEqual(
            {k: answer["data"][k] for k in ("id", "equipment_id", "equipment_code")},
            {"id": report.id, "equipment_id": self.silo.id, "equipment_code": "silo101"},
        )
        self.assertEqual(answer["data"]["equipment_name"], "Silo 101")
        self.assertEqual(answer["data"]["description"], "START_FAILURE")
        self.assertEqual(
            (answer["data"]["duration"], answer["data"]["duration_minutes"]), ("02:30", 150)
        )
        # _save_to_db_if_changed() parses the answer's date with this format.
        self.assertEqual(
            datetime.strptime(answer["data"]["date"], "%Y-%m-%d %H:%M:%S"),
            datetime(2026, 2, 23, 20, 22, 35),
        )
        # The duration ends the failure: counted in downtime, cleared by nobody (no PLC).
        self.assertEqual(report.state, "cleared")
        self.assertEqual(report.cleared_at - report.started_at, timedelta(hours=2, minutes=30))
        self.assertEqual((report.origin, report.duration), ("push", 2.5))
        self.assertFalse(report.cleared_by, "ended by the middleware's duration, not by a person")

        # The middleware retries the same failure: never a second record, nor a second end.
        retried = self.assert_old_success(
            client.post(self.base_url() + API, json=payload, timeout=30)
        )
        self.assertEqual(retried["data"]["id"], report.id)
        self.assertEqual(len(self.reports()), 1)

    def test_middleware_create_json_rpc_envelope(self):
        client = self.logged_in(envelope=True)
        params = {
            "equipment_code": "silo101",
            "description": "Motor overload",
            "date": "2026-02-15T08:30",
            "duration": "00:45",
        }
        envelope = {"jsonrpc": "2.0", "method": "call", "params": params, "id": 8}
        response = client.post(self.base_url() + API, json=envelope, timeout=30)
        answer = self.assert_old_success(response)
        self.assertEqual((response.json()["jsonrpc"], response.json()["id"]), ("2.0", 8))
        self.assertEqual(answer["data"]["date"], "2026-02-15 08:30:00")
        self.assertEqual(answer["data"]["duration_minutes"], 45)

        invalid = {"jsonrpc": "2.0", "params": {"description": "no equipment"}, "id": 9}
        answer = self.assert_old_error(
            client.post(self.base_url() + API, json=invalid, timeout=30), "equipment_code"
        )
        self.assertEqual(answer["message"].count("equipment_code"), 1, answer["message"])
        self.assertEqual(len(self.reports()), 1)

    def test_middleware_list_call(self):
        """get_failure_reports(): GET /api/scada/failure-reports with its cookie."""
        client = self.logged_in()
        for day in (20, 21):
            payload = {
                "equipment_code": "silo101",
                "description": "x",
                "date": f"2026-02-{day} 10:00:00",
            }
            self.assert_old_success(client.post(self.base_url() + API, json=payload, timeout=30))
        self.assert_old_success(
            client.post(
                self.base_url() + API, json=dict(payload, equipment_code="PLC01"), timeout=30
            )
        )
        params = {"limit": 50, "offset": 0, "equipment_code": "silo101"}
        for path in (LIST, API):
            response = client.get(self.base_url() + path, params=params, timeout=30)
            result = self.assert_old_success(response)
            self.assertEqual(result["count"], 2)
            self.assertEqual(
                [row["date"] for row in result["data"]],
                ["2026-02-21 10:00:00", "2026-02-20 10:00:00"],
            )
            # Still active: no duration yet, 0 minutes (as the old module answered).
            self.assertEqual(
                (result["data"][0]["duration"], result["data"][0]["duration_minutes"]), (None, 0)
            )

    def test_bad_duration_is_an_error_status_here_and_422_with_a_key(self):
        payload = {"equipment_code": "silo101", "description": "x", "duration": "2.5 hours"}
        client = self.logged_in()
        self.assert_old_error(
            client.post(self.base_url() + API, json=payload, timeout=30), "duration", "hh:mm"
        )
        keyed = self.post(payload, self.bot_key)
        self.assertEqual(keyed.status_code, 422, keyed.text)
        self.assertEqual(keyed.json()["errors"][0]["field"], "duration")
        self.assertFalse(self.reports())

    def test_api_key_keeps_real_codes_and_hours(self):
        payload = {
            "equipment_code": "silo101",
            "description": "x",
            "date": "2026-02-23 20:22:35",
            "duration": "01:30",
        }
        created = self.post(payload, self.bot_key)
        self.assertEqual(created.status_code, 201, created.text)
        self.assertEqual(
            (created.json()["data"]["duration"], created.json()["data"]["duration_minutes"]),
            (1.5, 90),
        )
        again = self.post(payload, self.bot_key)
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["duplicates"], 1)
        self.assertEqual(self.post(payload).status_code, 401)

    # -- errors the old clients print ------------------------------------------------

    def test_wrong_credentials_answer_an_error_message(self):
        client = self.client()
        for envelope in (False, True):
            response = self.login(client, envelope=envelope, password="wrong")
            self.assert_old_error(response, "wrong login or password")
        # Without a session, the push is refused with the real code and writes nothing.
        refused = self.post({"equipment_code": "silo101", "description": "x"}, opener=client)
        self.assertEqual(refused.status_code, 401)
        self.assertEqual(refused.json()["status"], "error")
        self.assertFalse(self.reports())

    def test_session_of_a_user_without_the_group_is_refused(self):
        client = self.logged_in(login="outsider", password="outsider-pass-1")
        refused = self.post({"equipment_code": "silo101", "description": "x"}, opener=client)
        self.assert_old_error(refused, "outsider", "scada_integration")
        self.assertFalse(self.reports())

    def test_unknown_database_is_named(self):
        response = self.client().post(
            self.base_url() + LOGIN,
            data=json.dumps({"db": "no_such_db", "login": "scada_bot", "password": "x"}),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assert_old_error(response, "no_such_db")
