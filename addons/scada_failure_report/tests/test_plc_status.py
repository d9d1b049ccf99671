# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""SCADA > PLCs: the poller's ``scada.plc_status`` read live when the list opens."""

import socket
import time
from datetime import datetime, timedelta, timezone

import psycopg2
from odoo.exceptions import AccessError
from odoo.tests import tagged
from scada_bridge.store.plc_status import ERROR, UNREACHABLE, PlcStatus, write_status

from .common import ScadaCase, server_dsn

PARAM_INTERVAL = "scada_failure_report.plc_status_interval"


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound then released): a SCADA database down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_time(value: datetime) -> datetime:
    """How Odoo stores a datetime: naive UTC, whole seconds."""
    return value.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)


@tagged("post_install", "-at_install")
class TestPlcStatus(ScadaCase):
    def setUp(self):
        super().setUp()
        with self.scada.cursor() as cur:
            cur.execute("TRUNCATE scada.plc_status")
        self.scada.commit()
        self.Status = self.env["scada.plc.status"]
        self.now = datetime.now(timezone.utc)

    def write_plcs(self, *statuses: PlcStatus) -> None:
        """Write status rows the way the poller does, and commit them."""
        write_status(self.scada, statuses)
        self.scada.commit()

    def plc(self, name: str, port: int, *, polled_ago: timedelta, **values) -> PlcStatus:
        status = PlcStatus(name, "127.0.0.1", port, **values)
        status.last_poll_at = self.now - polled_ago
        status.state_since = status.state_since or self.now - timedelta(hours=2)
        return status

    def open_as(self, user):
        """What the menu runs: refresh, then the list action (or a notification first)."""
        server_action = self.env.ref("scada_failure_report.scada_plc_status_action_open")
        action = server_action.with_user(user).run()
        self.env.invalidate_all()
        return action

    def rows(self, user=None):
        return self.Status.with_user(user or self.user).search([("source_id", "=", self.source.id)])

    def test_database_up_the_list_shows_each_plc_as_the_poller_wrote_it(self):
        self.env["ir.config_parameter"].set_param(PARAM_INTERVAL, "3600")
        ok = self.plc(
            "line1", 5020, polled_ago=timedelta(seconds=1), state="ok", consecutive_failures=0
        )
        ok.last_success_at = ok.last_poll_at
        down = self.plc(
            "line2",
            5021,
            polled_ago=timedelta(seconds=1),
            state=UNREACHABLE,
            last_error="nothing listens at 127.0.0.1:5021: check the PLC is on",
            consecutive_failures=7,
        )
        self.write_plcs(ok, down)

        action = self.open_as(self.user)

        self.assertEqual(action["type"], "ir.actions.act_window")
        self.assertEqual(action["res_model"], "scada.plc.status")
        line1, line2 = self.rows()
        self.assertEqual((line1.device, line1.address), ("line1", "127.0.0.1:5020"))
        self.assertEqual((line1.state, line1.status, line1.consecutive_failures), ("ok", "ok", 0))
        self.assertEqual(line1.last_success_at, odoo_time(ok.last_success_at))
        self.assertFalse(line1.read_error)
        self.assertEqual((line2.device, line2.address), ("line2", "127.0.0.1:5021"))
        self.assertEqual((line2.status, line2.consecutive_failures), ("unreachable", 7))
        self.assertEqual(line2.last_error, down.last_error)
        self.assertFalse(line2.last_success_at)
        self.assertEqual(line2.state_since, odoo_time(down.state_since))

    def test_the_next_opening_shows_the_new_state_and_drops_plcs_gone(self):
        self.env["ir.config_parameter"].set_param(PARAM_INTERVAL, "3600")
        self.write_plcs(
            self.plc("line1", 5020, polled_ago=timedelta(seconds=1), state="ok"),
            self.plc("line2", 5021, polled_ago=timedelta(seconds=1), state="ok"),
        )
        self.open_as(self.user)
        self.assertEqual(self.rows().mapped("device"), ["line1", "line2"])

        self.write_plcs(
            self.plc(
                "line1",
                5020,
                polled_ago=timedelta(seconds=1),
                state=ERROR,
                last_error="Modbus exception 2 (illegal data address)",
                consecutive_failures=3,
            )
        )
        with self.scada.cursor() as cur:
            cur.execute("DELETE FROM scada.plc_status WHERE device = 'line2'")
        self.scada.commit()
        self.open_as(self.manager)

        row = self.rows()
        self.assertEqual(row.device, "line1")
        self.assertEqual((row.status, row.consecutive_failures), ("error", 3))
        self.assertEqual(row.last_error, "Modbus exception 2 (illegal data address)")

    def test_a_plc_silent_for_more_than_three_intervals_is_stale(self):
        self.env["ir.config_parameter"].set_param(PARAM_INTERVAL, "60")
        self.write_plcs(
            # 3 intervals = 3 min: one PLC polled a second ago, one 10 min ago, one never.
            self.plc("fresh", 5020, polled_ago=timedelta(seconds=1), state="ok"),
            self.plc("silent", 5021, polled_ago=timedelta(minutes=10), state="ok"),
        )
        with self.scada.cursor() as cur:
            cur.execute("INSERT INTO scada.plc_status (device) VALUES ('never')")
        self.scada.commit()

        self.open_as(self.user)

        status = {row.device: row.status for row in self.rows()}
        self.assertEqual(status, {"fresh": "ok", "silent": "stale", "never": "stale"})
        stale = self.Status.with_user(self.user).search(
            [("source_id", "=", self.source.id), ("is_stale", "=", True)]
        )
        self.assertEqual(stale.mapped("device"), ["never", "silent"])

        # A longer interval set in Settings (a PLC polled every 5 min): 10 min is not stale.
        self.env["res.config.settings"].create({"scada_plc_status_interval": 300}).execute()
        self.env.invalidate_all()
        self.assertEqual(self.rows().filtered(lambda r: r.device == "silent").status, "ok")

    def test_database_down_one_clear_line_and_the_last_known_rows_stay(self):
        self.env["ir.config_parameter"].set_param(PARAM_INTERVAL, "3600")
        self.write_plcs(self.plc("line1", 5020, polled_ago=timedelta(seconds=1), state="ok"))
        self.open_as(self.user)
        read_at = self.rows().read_at

        port = closed_port()
        self.source.connection_uri = f"postgresql://scada@127.0.0.1:{port}/scada"
        action = self.open_as(self.user)

        self.assertEqual(action["tag"], "display_notification")
        message = action["params"]["message"]
        self.assertEqual(len(message.splitlines()), 1)
        self.assertIn("PLC status of Plant 1 not read", message)
        self.assertIn(f"connection refused at 127.0.0.1:{port}", message)
        self.assertEqual(action["params"]["type"], "danger")
        # The list opens after the line, with what was read before.
        self.assertEqual(action["params"]["next"]["res_model"], "scada.plc.status")
        row = self.rows()
        self.assertEqual((row.device, row.state, row.read_at), ("line1", "ok", read_at))
        self.assertIn(f"connection refused at 127.0.0.1:{port}", row.read_error)

        # The list's Refresh says it again, then reloads the list in place.
        action = self.Status.with_user(self.user).action_refresh()
        self.assertIn(f"connection refused at 127.0.0.1:{port}", action["params"]["message"])
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")

        # Back up: the mark goes.
        self.source.connection_uri = self.scada_uri
        action = self.open_as(self.user)
        self.assertEqual(action["type"], "ir.actions.act_window")
        self.assertFalse(self.rows().read_error)
        self.assertEqual(self.Status.with_user(self.user).action_refresh()["tag"], "soft_reload")

    def test_a_locked_status_table_gives_up_quickly_instead_of_hanging_the_list(self):
        holder = psycopg2.connect(self.scada_uri)
        self.addCleanup(holder.close)
        with holder.cursor() as cur:
            # Bounded even if the list waited for it: the lock goes after 30 s.
            cur.execute("SET idle_in_transaction_session_timeout = '30s'")
            cur.execute("LOCK TABLE scada.plc_status IN ACCESS EXCLUSIVE MODE")

        start = time.monotonic()
        action = self.open_as(self.user)
        waited = time.monotonic() - start

        holder.rollback()
        self.assertLess(waited, 20, "the statement timeout of the list, not the lock, ends it")
        self.assertIn("statement timeout", action["params"]["message"])

    def test_database_not_migrated_and_source_without_connection_say_what_to_do(self):
        other = self.Source.create({"name": "Plant 2", "connection_uri": server_dsn("postgres")})
        self.Source.create({"name": "Plant 3"})

        action = self.open_as(self.manager)

        lines = action["params"]["message"].splitlines()
        self.assertEqual(len(lines), 2, lines)
        self.assertIn("Plant 2 not read: schema 'scada' is missing", lines[0])
        self.assertIn("scada-bridge migrate", lines[0])
        self.assertIn("Plant 3 not read: source Plant 3 has no connection", lines[1])
        self.assertFalse(self.Status.search([("source_id", "=", other.id)]))

    def test_users_read_the_rows_never_edit_them_nor_see_them_without_scada_rights(self):
        self.write_plcs(self.plc("line1", 5020, polled_ago=timedelta(seconds=1), state="ok"))
        self.open_as(self.user)
        row = self.rows(self.user)
        self.assertEqual(row.device, "line1")
        with self.assertRaises(AccessError):
            row.with_user(self.user).write({"state": "error"})
        with self.assertRaises(AccessError):
            row.with_user(self.manager).unlink()
        with self.assertRaises(AccessError):
            self.Status.with_user(self.outsider).search([])

    def test_archived_source_leaves_the_list(self):
        self.write_plcs(self.plc("line1", 5020, polled_ago=timedelta(seconds=1), state="ok"))
        self.open_as(self.user)
        self.assertTrue(self.rows())

        self.source.active = False
        self.open_as(self.manager)

        self.assertFalse(self.Status.search([("source_id", "=", self.source.id)]))
