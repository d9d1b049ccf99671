# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""A real SCADA PostgreSQL database next to Odoo's, for every test class.

``ScadaCase.setUpClass`` creates a uniquely named database on the server Odoo
uses, migrates it with ``scada_bridge.migrate`` and drops it afterwards; events
go in through ``scada_bridge.insert_events``, the poller's own write path.
"""

import uuid
from datetime import datetime, timedelta, timezone

import psycopg2
import psycopg2.extensions
import scada_bridge
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import config
from psycopg2 import sql
from scada_bridge import NewEvent

T0 = datetime(2026, 11, 2, 8, 0, 0, tzinfo=timezone.utc)


def server_dsn(dbname: str) -> str:
    """libpq DSN of ``dbname`` on the PostgreSQL server this Odoo uses."""
    params = {
        "dbname": dbname,
        "host": config["db_host"] or None,
        "port": config["db_port"] or None,
        "user": config["db_user"] or None,
        "password": config["db_password"] or None,
    }
    return psycopg2.extensions.make_dsn(**{k: v for k, v in params.items() if v})


def add_scada_database(cls) -> None:
    """Give test class ``cls`` a migrated throwaway SCADA database, dropped after the class.

    Sets ``cls.scada_dbname``, ``cls.scada_uri`` and ``cls.scada`` (a connection).
    """
    cls.scada_dbname = f"scada_odoo_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(server_dsn("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cls.scada_dbname)))
    admin.close()
    cls.addClassCleanup(_drop_database, cls.scada_dbname)
    cls.scada_uri = server_dsn(cls.scada_dbname)
    cls.scada = psycopg2.connect(cls.scada_uri)
    cls.addClassCleanup(cls.scada.close)
    scada_bridge.migrate(cls.scada)


def _drop_database(dbname: str) -> None:
    admin = psycopg2.connect(server_dsn("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )
    admin.close()


class ScadaCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_scada_database(cls)

        cls.company = cls.env.company
        cls.manager = new_test_user(
            cls.env,
            login="scada_manager_t",
            groups="base.group_user,scada_failure_report.group_scada_manager",
            name="Maria Manager",
            email="maria@example.com",
        )
        cls.user = new_test_user(
            cls.env,
            login="scada_user_t",
            groups="base.group_user,scada_failure_report.group_scada_user",
            name="Ulf User",
        )
        cls.outsider = new_test_user(
            cls.env, login="scada_outsider_t", groups="base.group_user", name="Otto Outsider"
        )
        cls.silo = cls.env["maintenance.equipment"].create(
            {"name": "Silo 101", "scada_code": "silo101"}
        )
        cls.Report = cls.env["scada.failure.report"]
        cls.Source = cls.env["scada.source"]

    def setUp(self):
        super().setUp()
        with self.scada.cursor() as cur:
            # Readers' cursors too: a source id of a rolled-back test comes again.
            cur.execute("TRUNCATE scada.equipment_failure, scada.reader_cursor")
        self.scada.commit()
        self.source = self.Source.create(
            {"name": "Plant 1", "connection_uri": self.scada_uri, "batch_size": 1000}
        )

    # -- writing SCADA events, as the poller does --------------------------

    def insert(self, *events: NewEvent) -> list[NewEvent]:
        """Insert and commit events in this order (one writer transaction)."""
        scada_bridge.insert_events(self.scada, events)
        self.scada.commit()
        return list(events)

    def insert_raw(self, **columns) -> None:
        """Insert one row as a foreign writer could, bypassing the event rules."""
        row = {
            "event_uid": str(uuid.uuid4()),
            "kind": "raised",
            "equipment_code": "silo101",
            "occurred_at": T0,
            **columns,
        }
        query = sql.SQL("INSERT INTO scada.equipment_failure ({}) VALUES ({})").format(
            sql.SQL(", ").join(map(sql.Identifier, row)),
            sql.SQL(", ").join(sql.Placeholder() * len(row)),
        )
        with self.scada.cursor() as cur:
            cur.execute(query, list(row.values()))
        self.scada.commit()

    @staticmethod
    def raised(minutes: float = 0, code: str = "silo101", **values) -> NewEvent:
        values.setdefault("failure_code", "START_FAILURE")
        values.setdefault("description", "Motor did not start")
        values.setdefault("severity", "high")
        values.setdefault("device", "plc-1")
        return NewEvent(
            kind="raised",
            equipment_code=code,
            occurred_at=T0 + timedelta(minutes=minutes),
            **values,
        )

    @staticmethod
    def cleared(raise_event: NewEvent, minutes: float) -> NewEvent:
        return NewEvent(
            kind="cleared",
            equipment_code=raise_event.equipment_code,
            raise_uid=raise_event.event_uid,
            occurred_at=T0 + timedelta(minutes=minutes),
            device=raise_event.device,
        )

    # -- reading what Odoo made of them ------------------------------------

    def reports(self):
        self.env.invalidate_all()
        return self.Report.search([("source_id", "=", self.source.id)], order="started_at, id")

    def report(self, event: NewEvent):
        return self.Report.search([("event_uid", "=", event.event_uid)])
