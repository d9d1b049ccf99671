# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""A failure pushed and then pulled from the SCADA database is one record (and the other way)."""

import uuid
from datetime import datetime, timezone

import psycopg2
import scada_bridge
from odoo.tests import tagged
from psycopg2 import sql

from .api_common import ScadaApiCase
from .common import server_dsn


@tagged("post_install", "-at_install")
class TestApiPushPull(ScadaApiCase):
    """A throwaway SCADA database per test, on the PostgreSQL server Odoo uses."""

    def setUp(self):
        # One SCADA database per test: Odoo rolls back after each test, the SCADA side would not.
        super().setUp()
        name = f"scada_api_test_{uuid.uuid4().hex[:10]}"
        self._admin_sql(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.addCleanup(
            self._admin_sql,
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
        )
        self.scada_uri = server_dsn(name)
        conn = scada_bridge.connect(self.scada_uri)
        scada_bridge.migrate(conn)
        conn.close()
        self.source = self.env["scada.source"].create(
            {"name": "SCADA test", "connection_uri": self.scada_uri}
        )

    @staticmethod
    def _admin_sql(statement):
        admin = psycopg2.connect(server_dsn("postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(statement)
        admin.close()

    def store_in_scada(self, event):
        conn = scada_bridge.connect(self.scada_uri)
        scada_bridge.insert_events(
            conn,
            [
                scada_bridge.NewEvent(
                    kind="raised",
                    equipment_code=event["equipment_code"],
                    occurred_at=datetime.fromisoformat(event["occurred_at"]).astimezone(
                        timezone.utc
                    ),
                    failure_code=event["failure_code"],
                    description=event["description"],
                    severity=event["severity"],
                    device=event["device"],
                    event_uid=event["event_uid"],
                )
            ],
        )
        conn.commit()
        conn.close()

    def test_push_then_pull_is_one_record(self):
        event = self.event()
        self.assertEqual(self.post(event, self.bot_key).status_code, 201)
        self.store_in_scada(event)
        summary = self.source._pull()
        self.assertFalse(summary["error"], summary)
        self.assertEqual((summary["read"], summary["duplicate"]), (1, 1))
        reports = self.reports([("event_uid", "=", event["event_uid"])])
        self.assertEqual(len(reports), 1)
        self.assertEqual(reports.origin, "push")

    def test_pull_then_push_is_a_duplicate(self):
        event = self.event()
        self.store_in_scada(event)
        self.assertEqual(self.source._pull()["created"], 1)
        response = self.post(event, self.bot_key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["results"][0]["result"], "duplicate")
        self.assertEqual(self.reports().origin, "pull")
