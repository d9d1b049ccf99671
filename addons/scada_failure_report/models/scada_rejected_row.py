# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The quarantine: SCADA rows the reader could not use, and what a person does with them.

The pull moves past a bad row at once (the rows behind it keep flowing) and
leaves it here, waiting. A person fixes the row in the SCADA database and
presses Retry: the row is read again by id (``scada_bridge.reread_rows``, the
reader's own rules) and, if it is an event now, goes through the very ingest
of the pull; the unique event uid makes it count once however often it is
retried. A row that cannot be fixed is dismissed: kept for audit, no longer
waiting.
"""

import json
import logging
from collections import Counter
from typing import Any

import psycopg2
import scada_bridge
from odoo import api, fields, models
from odoo.exceptions import UserError
from scada_bridge import ScadaBridgeError

from .scada_pull import PULL_LOCK, connection_policy

_logger = logging.getLogger(__name__)

#: A person waits for Retry and the raw values: never long on a slow SCADA server.
REREAD_STATEMENT_MS = 10_000
REREAD_CONNECT_TIMEOUT = 5

STATE_SELECTION = [
    ("waiting", "Waiting"),
    ("ingested", "Ingested"),
    ("dismissed", "Dismissed"),
]


class ScadaRejectedRow(models.Model):
    """A SCADA row the reader could not use: skipped, never blocking the rows behind it."""

    _name = "scada.rejected.row"
    _description = "SCADA Rejected Row"
    _order = "id desc"
    _rec_name = "reason"

    log_id = fields.Many2one(
        "scada.sync.log", string="Pull Run", required=True, readonly=True, ondelete="cascade"
    )
    source_id = fields.Many2one(related="log_id.source_id", store=True, index=True)
    company_id = fields.Many2one(related="log_id.company_id", store=True, index=True)
    row_id = fields.Integer(
        string="SCADA Row ID", readonly=True, help="id in scada.equipment_failure."
    )
    event_uid = fields.Char(string="Event UID", readonly=True)
    reason = fields.Char(readonly=True, required=True)
    state = fields.Selection(
        STATE_SELECTION,
        default="waiting",
        required=True,
        readonly=True,
        index=True,
        help="Waiting: needs a person (fix the row in the SCADA database, then Retry; or "
        "Dismiss it). Ingested: a Retry stored it. Dismissed: kept for audit only.",
    )
    raw_values = fields.Text(
        readonly=True,
        help="The row's columns as the SCADA database held them when last read.",
    )
    retried_at = fields.Datetime(string="Last Retry", readonly=True)
    retry_note = fields.Char(string="Last Retry Result", readonly=True)
    failure_id = fields.Many2one("scada.failure.report", readonly=True, ondelete="set null")
    dismissed_at = fields.Datetime(readonly=True)
    dismissed_by_id = fields.Many2one("res.users", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        rows = super().create(vals_list)
        if not self.env.context.get("scada_no_raw_values"):
            # Raw values while the row is fresh; a SCADA database that does not
            # answer costs a log line, never the pull that found the row.
            for source, group in rows.grouped("source_id").items():
                if source and group.filtered("row_id"):
                    try:
                        group._store_raw_values(group._reread(source))
                    except UserError as exc:
                        _logger.warning("raw values of rejected rows not read: %s", exc)
        return rows

    def action_retry(self) -> dict[str, Any]:
        """Read the waiting rows again from their SCADA database and ingest those fixed since."""
        # Only who may act on the quarantine ingests through it.
        self.check_access("write")
        waiting = self.filtered(lambda row: row.state == "waiting")
        counts: Counter = Counter()
        for source, rows in waiting.grouped("source_id").items():
            if not source:
                counts["missing"] += len(rows)
                continue
            self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (PULL_LOCK, source.id))
            if not self.env.cr.fetchone()[0]:
                raise UserError(
                    self.env._(
                        "A pull of %(name)s is running: retry its rejected rows in a minute.",
                        name=source.name,
                    )
                )
            reread = rows._reread(source)
            results = self.env["scada.failure.report"]._ingest_events(
                [scada_bridge.event_fields(event) for event in reread.events],
                "pull",
                source=source,
            )
            ingested = {
                event.id: result for event, result in zip(reread.events, results, strict=True)
            }
            counts.update(rows._store_reread(reread, ingested))
        message = self.env._(
            "%(ingested)s row(s) ingested, %(rejected)s still rejected, "
            "%(missing)s no longer in the SCADA database.",
            ingested=counts["ingested"],
            rejected=counts["rejected"],
            missing=counts["missing"],
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Retry done"),
                "message": message,
                "type": "success" if counts["ingested"] and not counts["rejected"] else "warning",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_dismiss(self) -> bool:
        """Keep the rows for audit, no longer waiting for anyone."""
        self.filtered(lambda row: row.state == "waiting").write(
            {
                "state": "dismissed",
                "dismissed_at": fields.Datetime.now(),
                "dismissed_by_id": self.env.uid,
            }
        )
        return True

    def action_reopen(self) -> bool:
        """Put dismissed rows back in the quarantine."""
        self.filtered(lambda row: row.state == "dismissed").write(
            {"state": "waiting", "dismissed_at": False, "dismissed_by_id": False}
        )
        return True

    def _reread(self, source) -> scada_bridge.Reread:
        """These rows as ``source``'s SCADA database holds them now; UserError if unreadable."""
        # SCADA users see the rows, never the connection they are read through.
        uri = source.sudo().connection_uri
        if not uri:
            raise UserError(
                self.env._(
                    "Source %(name)s has no connection: a SCADA manager sets it in "
                    "SCADA > Configuration > SCADA Databases.",
                    name=source.name,
                )
            )
        conn = None
        try:
            conn = scada_bridge.connect(
                uri,
                application_name="odoo-scada-retry",
                connect_timeout=REREAD_CONNECT_TIMEOUT,
                **connection_policy(REREAD_STATEMENT_MS, REREAD_STATEMENT_MS),
            )
            reread = scada_bridge.reread_rows(conn, self.filtered("row_id").mapped("row_id"))
            conn.rollback()
            return reread
        except (ScadaBridgeError, psycopg2.Error) as exc:
            first = scada_bridge.first_line(exc)
            raise UserError(
                self.env._(
                    "Reading rejected rows from %(name)s failed: %(error)s. Check the "
                    "source with Test connection, then retry.",
                    name=source.name,
                    error=first,
                )
            ) from None
        finally:
            if conn is not None:
                conn.close()

    def _store_raw_values(self, reread: scada_bridge.Reread) -> None:
        for row in self:
            if row.row_id in reread.raw:
                row.raw_values = json.dumps(reread.raw[row.row_id], indent=1)

    def _store_reread(self, reread: scada_bridge.Reread, ingested: dict[int, dict]) -> Counter:
        """Write what a Retry found on these rows; ``ingested``: ingest result by row id."""
        self._store_raw_values(reread)
        counts: Counter = Counter()
        still = {row.id: row for row in reread.rejected}
        vals: dict[str, Any] = {"retried_at": fields.Datetime.now()}
        for row in self:
            if row.row_id in ingested:
                result = ingested[row.row_id]
                row.write(
                    {
                        **vals,
                        "state": "ingested",
                        "failure_id": result["id"] or False,
                        "retry_note": self.env._("stored (%(result)s)", result=result["result"]),
                    }
                )
                counts["ingested"] += 1
            elif row.row_id in still:
                row.write(
                    {
                        **vals,
                        "reason": still[row.row_id].reason,
                        "retry_note": self.env._("still rejected"),
                    }
                )
                counts["rejected"] += 1
            else:
                row.write(
                    {
                        **vals,
                        "retry_note": self.env._(
                            "no longer in the SCADA database (pruned or deleted): dismiss it"
                        ),
                    }
                )
                counts["missing"] += 1
        return counts
