# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
import logging
from datetime import timedelta

from odoo import api, fields, models

from . import scada_pull

_logger = logging.getLogger(__name__)

EMPTY_RUN_DAYS = 7
PARAM_RETENTION_DAYS = "scada_failure_report.log_retention_days"
DEFAULT_RETENTION_DAYS = 90
#: Log lines deleted per transaction by the retention job.
PRUNE_CHUNK = 5000


class ScadaSyncLog(models.Model):
    """One line per pull run and source: what was read and what became of it."""

    _name = "scada.sync.log"
    _description = "SCADA Pull Run"
    _order = "started_at desc, id desc"

    source_id = fields.Many2one("scada.source", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="source_id.company_id", store=True, index=True)
    started_at = fields.Datetime(required=True, readonly=True, index=True)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 3))
    trigger = fields.Selection(
        [("cron", "Scheduled"), ("manual", "Pull now")], readonly=True, default="manual"
    )
    state = fields.Selection(
        [
            ("running", "Running"),
            ("done", "Done"),
            ("partial", "Caught up partly"),
            ("taken_over", "Taken over"),
            ("error", "Error"),
        ],
        default="running",
        required=True,
        readonly=True,
        help="Caught up partly: the run used its time budget, the next run continues. "
        "Taken over: another pull of the source (Pull now, or the scheduled one) went on "
        "from this run's last batch.",
    )
    events_read = fields.Integer(readonly=True, help="Rows read, rejected ones included.")
    created_count = fields.Integer(string="Created", readonly=True)
    cleared_count = fields.Integer(string="Cleared", readonly=True)
    pending_count = fields.Integer(
        string="Waiting", readonly=True, help="Clears kept until their raise arrives."
    )
    duplicate_count = fields.Integer(string="Duplicates", readonly=True)
    rejected_count = fields.Integer(string="Rejected", readonly=True)
    batch_count = fields.Integer(string="Batches", readonly=True)
    retry_count = fields.Integer(
        string="Retries",
        readonly=True,
        help="Batches retried because a push stored the same events at the same moment.",
    )
    cursor_start = fields.Char(readonly=True)
    cursor_end = fields.Char(readonly=True)
    error = fields.Text(readonly=True)
    held_back = fields.Char(
        readonly=True,
        help="Events waited behind a transaction still open on the SCADA server for more "
        "than a minute when the run started: who holds them, since when, and the fix.",
    )
    rejected_row_ids = fields.One2many("scada.rejected.row", "log_id", string="Rejected Rows")

    @api.depends("source_id", "started_at")
    def _compute_display_name(self) -> None:
        for log in self:
            log.display_name = f"{log.source_id.name} {fields.Datetime.to_string(log.started_at)}"

    @api.autovacuum
    def _gc_empty_runs(self) -> None:
        """Forget runs that read nothing and failed on nothing once they are a week old.

        The pull runs every minute: those lines only say "it ran"; runs with
        events, rejected rows or errors are kept.
        """
        limit = fields.Datetime.now() - timedelta(days=EMPTY_RUN_DAYS)
        self.search(
            [("started_at", "<", limit), ("events_read", "=", 0), ("state", "=", "done")]
        ).unlink()

    @api.model
    def _retention_days(self) -> int:
        value = self.env["ir.config_parameter"].sudo().get_param(PARAM_RETENTION_DAYS)
        try:
            days = int(value) if value else DEFAULT_RETENTION_DAYS
        except ValueError:
            _logger.warning(
                "system parameter %s=%r is not a number of days: keeping %s days",
                PARAM_RETENTION_DAYS,
                value,
                DEFAULT_RETENTION_DAYS,
            )
            return DEFAULT_RETENTION_DAYS
        return max(days, 1)

    @api.model
    def _cron_delete_old(self) -> int:
        """Scheduled action: delete pull runs (and their rejected rows) past the retention.

        Every run is kept for ``scada_failure_report.log_retention_days``
        (Settings > SCADA, 90 days by default); the pull writes a line a
        minute per source, so without this the table only grows. Deletes in
        chunks, committing each (progress survives a time limit). Returns how
        many lines went.
        """
        limit = fields.Datetime.now() - timedelta(days=self._retention_days())
        deleted = 0
        while True:
            old = self.search([("started_at", "<", limit)], limit=PRUNE_CHUNK, order="id")
            if not old:
                break
            rejected = len(old.rejected_row_ids)
            old.unlink()  # rejected rows go with their run (ondelete cascade)
            deleted += len(old)
            _logger.info("deleted %s pull runs and %s rejected rows", len(old), rejected)
            if len(old) < PRUNE_CHUNK:
                break
            self.env["ir.cron"]._notify_progress(done=deleted, remaining=PRUNE_CHUNK)
            scada_pull.commit(self.env)
        return deleted
