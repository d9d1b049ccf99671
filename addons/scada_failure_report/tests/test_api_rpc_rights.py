# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""An integration user's API key can push, and over RPC only read (issue 9, 13).

The key an integration holds also opens Odoo's XML-RPC and JSON-RPC. Pushing
goes through the module's own entry (``scada.api._ingest_push``), so the
group needs no write right of its own: through RPC the key changes nothing.
"""

import json
import uuid
import xmlrpc.client

from odoo.tests import tagged

from .api_common import ScadaApiCase

REPORT = "scada.failure.report"
PENDING = "scada.pending.clear"


@tagged("post_install", "-at_install")
class TestApiRpcRights(ScadaApiCase):
    def setUp(self):
        super().setUp()
        raised = self.event()
        orphan = self.event(kind="cleared", raise_uid=str(uuid.uuid4()))
        orphan.pop("description")
        answer = self.post({"events": [raised, orphan]}, self.bot_key)
        self.assertEqual(answer.status_code, 201, answer.text)
        self.assertEqual([r["result"] for r in answer.json()["results"]], ["created", "pending"])
        self.report = self.reports()
        self.pending = self.env[PENDING].search([("event_uid", "=", orphan["event_uid"])])
        self.assertEqual((len(self.report), len(self.pending)), (1, 1))
        self.db = self.env.cr.dbname

    def xmlrpc(self, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.db, self.bot.id, self.bot_key, model, method, list(args), kwargs
        )

    def jsonrpc(self, model, method, *args):
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [self.db, self.bot.id, self.bot_key, model, method, list(args)],
            },
        }
        response = self.opener.post(
            self.base_url() + "/jsonrpc",
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        return response.json()

    def assert_refused(self, model, method, *args):
        with self.assertRaises(xmlrpc.client.Fault, msg=f"xmlrpc {model}.{method}") as caught:
            self.xmlrpc(model, method, *args)
        self.assertIn("You are not allowed to", caught.exception.faultString)
        answer = self.jsonrpc(model, method, *args)
        self.assertEqual(
            answer.get("error", {}).get("data", {}).get("name"),
            "odoo.exceptions.AccessError",
            f"jsonrpc {model}.{method}: {answer}",
        )

    def test_integration_key_reads_but_writes_nothing_over_rpc(self):
        read = self.xmlrpc(REPORT, "read", [self.report.id], ["event_uid", "state"])
        self.assertEqual(read[0]["event_uid"], self.report.event_uid)
        self.assertEqual(self.jsonrpc(PENDING, "search_count", [])["result"], 1)

        self.assert_refused(REPORT, "write", [self.report.id], {"description": "tampered"})
        self.assert_refused(REPORT, "create", {"event_uid": "x", "equipment_code": "x"})
        self.assert_refused(REPORT, "unlink", [self.report.id])
        self.assert_refused(PENDING, "write", [self.pending.id], {"state": "applied"})
        self.assert_refused(PENDING, "create", {"event_uid": "x", "raise_uid": "y"})
        # Private methods are not callable over RPC, the ingest included.
        for model, method in ((REPORT, "_ingest_events"), ("scada.api", "_ingest_push")):
            with self.assertRaises(xmlrpc.client.Fault):
                self.xmlrpc(model, method, [])

        self.env.invalidate_all()
        self.assertEqual(self.report.description, "Motor did not start")
        self.assertEqual(self.pending.state, "pending")
        self.assertEqual(len(self.reports()), 1)
