# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""What the poller last wrote of each PLC in ``scada.plc_status``, read on demand.

A regular model, refreshed from every SCADA database each time *SCADA > PLCs*
opens (or *Refresh* is pressed): the SCADA database is only ever read, in a
read-only transaction. When a database cannot be reached its rows stay as last
read, marked with the reason, so a manager still sees the last known state.
"""

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg2
import psycopg2.errors
import scada_bridge
from odoo import api, fields, models
from scada_bridge import ScadaBridgeError

from .scada_pull import connection_policy, no_connection_message

_logger = logging.getLogger(__name__)

PARAM_INTERVAL = "scada_failure_report.plc_status_interval"
#: The poller's ``[poller] status_every`` default: how often it rewrites each PLC's row.
DEFAULT_INTERVAL = 5.0
#: A PLC whose last poll is older than this many intervals is shown as stale.
STALE_INTERVALS = 3
CONNECT_TIMEOUT = 3
#: Opening the list must never tie up a worker on a slow or locked SCADA table.
STATEMENT_TIMEOUT_MS = 2000
#: First key of the advisory lock a refresh holds on a source (second key: source id).
REFRESH_LOCK = 0x5CADA57A & 0x7FFFFFFF
STATES = [
    ("ok", "OK"),
    ("unreachable", "Unreachable"),
    ("error", "Error"),
    ("unknown", "Unknown"),
]


class ScadaPlcStatus(models.Model):
    _name = "scada.plc.status"
    _description = "PLC Status"
    _order = "source_id, device"
    _rec_name = "device"

    source_id = fields.Many2one(
        "scada.source", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="source_id.company_id", store=True, index=True)
    device = fields.Char(string="PLC", required=True, readonly=True)
    address = fields.Char(
        string="Host:Port",
        readonly=True,
        help="Where the poller reads this PLC, as it wrote it in scada.plc_status "
        "(empty when the poller did not write it).",
    )
    state = fields.Selection(
        STATES, readonly=True, help="The state the poller wrote: its last poll's outcome."
    )
    state_since = fields.Datetime(string="Since", readonly=True)
    last_poll_at = fields.Datetime(string="Last Poll", readonly=True)
    last_success_at = fields.Datetime(string="Last Success", readonly=True)
    last_error = fields.Char(readonly=True)
    consecutive_failures = fields.Integer(string="Failed Polls", readonly=True)
    read_at = fields.Datetime(
        readonly=True,
        help="When Odoo last read this row from the SCADA database.",
    )
    read_error = fields.Char(
        string="Not Current",
        readonly=True,
        help="Why the last refresh could not read this PLC's SCADA database: the row shows "
        "the status as read at 'Read At'.",
    )
    is_stale = fields.Boolean(
        string="Stale",
        compute="_compute_status",
        search="_search_is_stale",
        help="No poll for more than 3 PLC status intervals (Settings > SCADA > PLCs, "
        "default 5 s): the poller is stopped or cannot write to the SCADA database.",
    )
    status = fields.Selection(
        [*STATES, ("stale", "Stale")],
        compute="_compute_status",
        help="The poller's state, or Stale when the poller has been silent for more than "
        "3 status intervals.",
    )

    _sql_constraints = [
        ("source_device_uniq", "unique(source_id, device)", "One row per PLC and source."),
    ]

    def _compute_status(self) -> None:
        threshold = self._stale_before()
        for row in self:
            row.is_stale = not row.last_poll_at or row.last_poll_at < threshold
            row.status = "stale" if row.is_stale else row.state

    def _search_is_stale(self, operator: str, value: Any) -> list:
        if operator not in ("=", "!="):
            raise NotImplementedError(operator)
        stale = ["|", ("last_poll_at", "=", False), ("last_poll_at", "<", self._stale_before())]
        return stale if (operator == "=") == bool(value) else ["!", *stale]

    @api.model
    def _stale_before(self) -> datetime:
        """Polls older than this are stale (naive UTC, as Odoo stores datetimes)."""
        return fields.Datetime.now() - timedelta(seconds=STALE_INTERVALS * self._interval())

    @api.model
    def _interval(self) -> float:
        value = self.env["ir.config_parameter"].sudo().get_param(PARAM_INTERVAL)
        try:
            if value and float(value) > 0:
                return float(value)
        except ValueError:
            _logger.warning(
                "system parameter %s=%r is not a number of seconds", PARAM_INTERVAL, value
            )
        return DEFAULT_INTERVAL

    # ------------------------------------------------------------------
    # Opening the list
    # ------------------------------------------------------------------

    @api.model
    def action_open(self) -> dict[str, Any]:
        """SCADA > PLCs: read every source's status, then show the list.

        A source that cannot be read gives one danger notification line
        before the list, which keeps its last known rows.
        """
        errors = self._refresh()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "scada_failure_report.scada_plc_status_action"
        )
        return _with_errors(self.env, errors, action)

    def action_refresh(self) -> dict[str, Any]:
        """The list's Refresh button: read again and reload the view in place."""
        errors = self._refresh()
        return _with_errors(self.env, errors, {"type": "ir.actions.client", "tag": "soft_reload"})

    @api.model
    def _refresh(self) -> list[str]:
        """Mirror ``scada.plc_status`` of every active source the user sees.

        Returns one line per source that could not be read. The rows are a
        mirror only this method writes, of what the user may read through the
        source: SCADA users read them and nobody edits them, hence ``sudo``.
        """
        errors = []
        mirror = self.sudo()
        for source in self.env["scada.source"].search([("active", "=", True)]):
            if not self._refresh_lock(source):
                continue  # another refresh of this source runs now: it writes the same rows
            rows, error = _read_source(source)
            if error:
                errors.append(
                    self.env._(
                        "PLC status of %(name)s not read: %(error)s",
                        name=source.name,
                        error=error,
                    )
                )
                mirror.search([("source_id", "=", source.id)]).write({"read_error": error})
                continue
            mirror._store(source, rows)
        archived = self.env["scada.source"].sudo().with_context(active_test=False)
        mirror.search([("source_id", "in", archived.search([("active", "=", False)]).ids)]).unlink()
        return errors

    def _refresh_lock(self, source) -> bool:
        """One refresh of a source at a time (until this transaction ends)."""
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (REFRESH_LOCK, source.id))
        return self.env.cr.fetchone()[0]

    @api.model
    def _store(self, source, rows: dict[str, scada_bridge.PlcStatusRow]) -> None:
        """Make ``source``'s rows exactly ``rows``: update, add, drop PLCs gone from the table."""
        now = fields.Datetime.now()
        existing = {row.device: row for row in self.search([("source_id", "=", source.id)])}
        new = []
        for device, row in rows.items():
            vals = {
                "address": row.address or False,
                "state": row.state if row.state in dict(STATES) else "unknown",
                "state_since": _naive_utc(row.state_since),
                "last_poll_at": _naive_utc(row.last_poll_at),
                "last_success_at": _naive_utc(row.last_success_at),
                "last_error": row.last_error or False,
                "consecutive_failures": row.consecutive_failures,
                "read_at": now,
                "read_error": False,
            }
            if device in existing:
                existing.pop(device).write(vals)
            else:
                new.append({**vals, "source_id": source.id, "device": device})
        self.browse([row.id for row in existing.values()]).unlink()
        try:
            with self.env.cr.savepoint():
                self.create(new)
        except psycopg2.errors.UniqueViolation:
            # A refresh that committed after this transaction began created them.
            _logger.info("PLC status of %s: rows created by a concurrent refresh", source.name)


def _read_source(source) -> tuple[dict[str, scada_bridge.PlcStatusRow], str | None]:
    """``scada.plc_status`` of one source, read-only; or the one-line reason it cannot be."""
    # SCADA users see the status, never the connection it is read through.
    uri = source.sudo().connection_uri
    if not uri:
        return {}, no_connection_message(source)
    try:
        conn = scada_bridge.connect(
            uri,
            connect_timeout=CONNECT_TIMEOUT,
            application_name="odoo-scada-plc-status",
            **connection_policy(STATEMENT_TIMEOUT_MS, STATEMENT_TIMEOUT_MS),
        )
    except ScadaBridgeError as exc:
        return {}, str(exc)
    try:
        conn.set_session(readonly=True)
        where = str(scada_bridge.parse_target(uri))
        try:
            return scada_bridge.read_status(conn), None
        except psycopg2.Error as exc:
            conn.rollback()
            first = scada_bridge.first_line(exc)
        try:
            scada_bridge.check_schema(conn, where)
        except ScadaBridgeError as exc:
            return {}, str(exc)
        return {}, (
            f"reading scada.plc_status in {where} failed: {first}; "
            "check the server and run 'scada-bridge doctor'"
        )
    finally:
        conn.close()


def _with_errors(env, errors: list[str], then: dict[str, Any]) -> dict[str, Any]:
    if not errors:
        return then
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "title": env._("SCADA database not reachable"),
            "message": "\n".join(errors),
            "type": "danger",
            "sticky": True,
            "next": then,
        },
    }


def _naive_utc(value: datetime | None) -> datetime | bool:
    if value is None:
        return False
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    # Whole seconds, as Odoo writes its own datetimes.
    return value.replace(microsecond=0)
