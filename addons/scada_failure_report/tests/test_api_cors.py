# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The old dashboard's browser calls: CORS with the session cookie, for trusted origins only.

The requests carry the headers a browser sends for a page of another origin
(``Origin``, ``Sec-Fetch-Site``); the answers are read the way the browser
decides whether the page may see them (``Access-Control-Allow-*``).
"""

import json

from odoo.tests import tagged
from odoo.tests.common import Opener

from .api_common import ScadaApiCase

DASHBOARD = "https://scada.example.com"
REPORT = "/api/scada/equipment-failure-report"
LOGIN = "/api/scada/authenticate"


@tagged("post_install", "-at_install")
class TestApiCors(ScadaApiCase):
    def browser(self, origin, site="same-site"):
        client = Opener(self.cr)
        client.headers.update({"Origin": origin, "Sec-Fetch-Site": site})
        return client

    def login(self, client):
        creds = {
            "db": self.env.cr.dbname,
            "login": "scada_reader",
            "password": "scada_reader-pass-1",
        }
        return client.post(
            self.base_url() + LOGIN,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": creds}),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )

    def report(self, client):
        envelope = {"jsonrpc": "2.0", "method": "call", "params": {"period": "this_month"}}
        return client.post(self.base_url() + REPORT, json=envelope, timeout=30)

    def preflight(self, client, path=REPORT):
        return client.options(
            self.base_url() + path,
            headers={
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
            timeout=30,
        )

    def test_trusted_dashboard_origin_reads_with_its_session(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "scada_failure_report.cors_origins", f"{DASHBOARD}, https://other.example.com"
        )
        client = self.browser(DASHBOARD, site="cross-site")
        pre = self.preflight(client)
        self.assertEqual(pre.status_code, 204)
        self.assertEqual(pre.headers["Access-Control-Allow-Origin"], DASHBOARD)
        self.assertEqual(pre.headers["Access-Control-Allow-Credentials"], "true")
        self.assertIn("POST", pre.headers["Access-Control-Allow-Methods"])
        self.assertIn("Content-Type", pre.headers["Access-Control-Allow-Headers"])

        login = self.login(client)
        self.assertEqual(login.json()["result"]["status"], "success", login.text)
        self.assertEqual(login.headers["Access-Control-Allow-Origin"], DASHBOARD)
        answer = self.report(client)
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual(answer.json()["result"]["status"], "success")
        self.assertEqual(answer.headers["Access-Control-Allow-Origin"], DASHBOARD)
        self.assertEqual(answer.headers["Access-Control-Allow-Credentials"], "true")

    def test_other_origins_get_no_cors_and_no_cross_site_session(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "scada_failure_report.cors_origins", DASHBOARD
        )
        client = self.browser("https://evil.example.net", site="cross-site")
        pre = self.preflight(client)
        self.assertNotIn("Access-Control-Allow-Origin", pre.headers)
        # Logged in anyhow (a cookie from elsewhere), a cross-site call is refused.
        self.assertEqual(self.login(client).json()["result"]["status"], "success")
        refused = self.report(client)
        self.assertEqual((refused.status_code, refused.json()["status"]), (403, "error"))
        self.assertIn("Dashboard origins", refused.json()["message"])
        self.assertNotIn("Access-Control-Allow-Origin", refused.headers)
        self.assertNotIn("summary", refused.text)

    def test_no_origin_is_trusted_by_default(self):
        self.env["ir.config_parameter"].sudo().set_param("scada_failure_report.cors_origins", "")
        pre = self.preflight(self.browser(DASHBOARD))
        self.assertEqual(pre.status_code, 204)
        self.assertNotIn("Access-Control-Allow-Origin", pre.headers)
        # Same-site pages (a sibling host) still use the session as before, without CORS.
        client = self.browser(DASHBOARD, site="same-site")
        self.login(client)
        answer = self.report(client)
        self.assertEqual(answer.json()["result"]["status"], "success")
        self.assertNotIn("Access-Control-Allow-Origin", answer.headers)
