# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""One SCADA database Odoo pulls failures from: its settings, state, buttons and the cron.

How one pull run goes lives in :mod:`.scada_pull` (``SourcePull``); what a
failed or recovered pull tells people, in :mod:`.scada_alert`. Controllers
call :meth:`ScadaSource._request_pull` and :meth:`ScadaSource._status_json`.
"""

import logging
import time
from typing import Any

import scada_bridge
from odoo import api, fields, models
from odoo.exceptions import UserError
from scada_bridge import Cursor, ScadaBridgeError

from . import scada_alert, scada_pull
from .scada_pull import SourcePull, can_commit, commit, no_connection_message, pull_summary

_logger = logging.getLogger(__name__)

CRON_XMLID = "scada_failure_report.ir_cron_scada_pull"
#: A second job running the same pull: Odoo runs one job in one cron thread at
#: a time, so with two cron threads two jobs pull two sources at once (each
#: skips the sources the other holds).
CRON_SECOND_XMLID = "scada_failure_report.ir_cron_scada_pull_second"
MODULE = "scada_failure_report"
BACKLOG_CONNECT_TIMEOUT = 3
BACKLOG_STATEMENT_TIMEOUT_MS = 2000
#: Fields of a source ``GET /api/scada/status`` reports (what the doctor reads).
STATUS_FIELDS = (
    "name",
    "active",
    "state",
    "last_pull_at",
    "last_success_at",
    "last_error",
    "cursor",
)


class ScadaSource(models.Model):
    _name = "scada.source"
    _description = "SCADA Database"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    connection_uri = fields.Char(
        string="Connection",
        groups="scada_failure_report.group_scada_manager",
        copy=False,
        help="libpq URI of the SCADA database, e.g. "
        "postgresql://odoo_reader:secret@10.0.0.5:5432/scada. Use a read-only role "
        "(scada-bridge migrate --readonly-role odoo_reader).",
    )
    batch_size = fields.Integer(
        default=1000, required=True, help="Events read and committed together."
    )
    cursor = fields.Char(
        copy=False,
        tracking=True,
        help="Position after the last event pulled, as TX:ID. Empty: from the first event. "
        "Clearing it replays everything; already known events count as duplicates.",
    )
    last_pull_at = fields.Datetime(readonly=True, copy=False)
    last_success_at = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    error_since = fields.Datetime(
        readonly=True, copy=False, help="Start of the current run of failed pulls."
    )
    error_alerted = fields.Boolean(readonly=True, copy=False)
    state = fields.Selection(
        [("never", "Never pulled"), ("ok", "OK"), ("error", "Error")],
        default="never",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    backlog = fields.Integer(
        compute="_compute_backlog", help="Events waiting in the SCADA database (read when shown)."
    )
    backlog_note = fields.Char(compute="_compute_backlog")
    held_back = fields.Char(
        readonly=True,
        copy=False,
        help="Set by the pull while events wait more than a minute behind a transaction "
        "left open on the SCADA server (idle in transaction, or a prepared transaction): "
        "who holds them, since when, and what ends it.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    failure_count = fields.Integer(compute="_compute_failure_count")
    sync_log_ids = fields.One2many("scada.sync.log", "source_id")

    _sql_constraints = [
        ("batch_size_range", "CHECK(batch_size BETWEEN 1 AND 100000)", "Batch size: 1 to 100000."),
    ]

    def _compute_backlog(self) -> None:
        for source in self:
            source.backlog = 0
            source.backlog_note = False
            # SCADA users see the count, never the connection it is read through.
            uri = source.sudo().connection_uri
            if not source.id or not uri:
                continue
            try:
                # Opening the form must never tie up a worker on a slow server.
                check = scada_bridge.check_source(
                    uri,
                    Cursor.parse(source.cursor or ""),
                    connect_timeout=BACKLOG_CONNECT_TIMEOUT,
                    **scada_pull.connection_policy(
                        BACKLOG_STATEMENT_TIMEOUT_MS, BACKLOG_STATEMENT_TIMEOUT_MS
                    ),
                )
            except ScadaBridgeError as exc:
                source.backlog_note = str(exc)
                continue
            if check.ok:
                source.backlog = check.backlog.count
                source.backlog_note = scada_pull.held_back_note(check.backlog)
            else:
                source.backlog_note = check.message

    def _compute_failure_count(self) -> None:
        counts = dict(
            self.env["scada.failure.report"]._read_group(
                [("source_id", "in", self.ids)], ["source_id"], ["__count"]
            )
        )
        for source in self:
            source.failure_count = counts.get(source, 0)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_has_failures(self) -> None:
        if self.env["scada.failure.report"].search_count([("source_id", "in", self.ids)], limit=1):
            raise UserError(
                self.env._("A source that brought failures cannot be deleted: archive it instead.")
            )

    def action_test_connection(self) -> dict[str, Any]:
        self.ensure_one()
        try:
            cursor = Cursor.parse(self.cursor or "")
        except ScadaBridgeError as exc:
            return _notification(self.env._("Cursor is not valid"), str(exc), "danger")
        if not self.connection_uri:
            return _notification(self.env._("No connection"), no_connection_message(self), "danger")
        check = scada_bridge.check_source(self.connection_uri, cursor)
        if check.ok:
            return _notification(self.env._("Connection OK"), check.message, "success")
        return _notification(self.env._("Connection failed"), check.message, "danger")

    def action_view_failures(self) -> dict[str, Any]:
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "scada_failure_report.scada_failure_report_action"
        )
        action["domain"] = [("source_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_pull(self) -> dict[str, Any]:
        """Pull every source in ``self`` now; what the button and the cron run.

        Returns a notification action for the web client; its ``results`` key
        holds one dict of counts per source (see :meth:`_pull`).
        """
        results = [source._pull() for source in self]
        if any(result["more"] for result in results):
            self.env.ref(CRON_XMLID)._trigger()  # the scheduled pull takes over the rest
        failed = [r for r in results if r["error"]]
        lines = [pull_summary(r) for r in results]
        action = _notification(
            self.env._("Pull failed") if failed else self.env._("Pull done"),
            "\n".join(lines),
            "danger" if failed else "success",
        )
        action["params"]["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        action["results"] = results
        return action

    def _pull(
        self,
        *,
        deadline: float | None = None,
        max_batches: int | None = None,
        progress: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        """Pull this source now: one :class:`~.scada_pull.SourcePull` run; returns its counts."""
        return SourcePull(self, deadline=deadline, max_batches=max_batches, progress=progress).run()

    @api.model
    def _request_pull(self) -> bool:
        """Ask the scheduled pull to run as soon as a cron worker is free (the doorbell).

        Returns True when a pull was already requested and still pending: a ring
        then adds nothing, so a poller may ring after every commit.
        """
        cron = self.env.ref(CRON_XMLID)
        # ir.cron.trigger is readable by administrators only; looking for a
        # pending trigger keeps a chatty poller from piling up one row per ring.
        pending = (
            self.env["ir.cron.trigger"]
            .sudo()
            .search_count([("cron_id", "=", cron.id), ("call_at", "<=", fields.Datetime.now())])
        )
        if not pending:
            cron._trigger()
        return bool(pending)

    @api.model
    def _status_json(self) -> dict[str, Any]:
        """What ``scada-bridge doctor`` asks Odoo: module version, pull job, sources."""
        # ir.module.module and ir.cron are readable by administrators only; the
        # doctor needs the installed version and the pull job's health, and
        # reads nothing else through this sudo().
        module = self.env["ir.module.module"].sudo().search([("name", "=", MODULE)], limit=1)
        cron = self.env.ref(CRON_XMLID).sudo()
        cron_values = cron.read(
            ["active", "interval_number", "interval_type", "lastcall", "nextcall", "failure_count"]
        )[0]
        # Every source, archived ones too: a handful per Odoo, never a bulk read.
        sources = self.with_context(active_test=False).search([], order="id")  # pylint: disable=no-search-all
        return {
            "module": {"name": MODULE, "version": module.latest_version or None},
            "cron": {
                "active": cron_values["active"],
                "interval": f"{cron_values['interval_number']} {cron_values['interval_type']}",
                "lastcall": _iso(cron_values["lastcall"]),
                "nextcall": _iso(cron_values["nextcall"]),
                "failure_count": cron_values["failure_count"],
            },
            "sources": [source._source_status_json() for source in sources],
            "plant_tz": self.env["scada.api"]._plant_tz_status(),
        }

    def _source_status_json(self) -> dict[str, Any]:
        values: dict[str, Any] = {"id": self.id}
        for name in STATUS_FIELDS:
            value = self[name] if name in self._fields else None
            if hasattr(value, "isoformat"):
                value = _iso(value)
            values[name] = value if value is not False or name == "active" else None
        return values

    @api.model
    def _cron_pull(self) -> None:
        """Scheduled action: pull every active source; never raises for a SCADA problem.

        The run's time budget is shared fairly: each source may use an equal
        part of what is left (time a source does not need goes to the ones
        after it), the source pulled longest ago goes first, and a run that
        stops with events waiting triggers the next one at once. So one
        source's big backlog never starves the others. A source another job
        is pulling (a second cron thread, Pull now) is skipped.
        """
        deadline = time.monotonic() + scada_pull.pull_time_budget(self.env, cron=True)
        progress = {"done": 0}
        more = False
        sources = self.search([("active", "=", True)], order="last_pull_at ASC NULLS FIRST, id")
        for index, source in enumerate(sources):
            share = max(deadline - time.monotonic(), 0.0) / (len(sources) - index)
            try:
                result = source._pull(deadline=time.monotonic() + share, progress=progress)
            except Exception as exc:
                # A bug here must not stop the other sources, nor let Odoo
                # deactivate the cron after five failures: log it, show it.
                _logger.exception("SCADA pull of source %s crashed", source.name)
                if can_commit():
                    self.env.cr.rollback()
                scada_alert.record_failure(
                    source, self.env._("pull crashed: %s (see the server log)", exc)
                )
                commit(self.env)
                continue
            more = more or result["more"]
        self.env["ir.cron"]._notify_progress(done=progress["done"], remaining=0)
        if more:
            # Rerun right away in fresh jobs (and fresh time limits), both
            # cron threads helping while a backlog remains.
            self.env.ref(CRON_XMLID)._trigger()
            second = self.env.ref(CRON_SECOND_XMLID, raise_if_not_found=False)
            if second and second.active:
                second._trigger()
        commit(self.env)


def _iso(value) -> str | None:
    """An Odoo datetime (naive UTC) as ISO 8601 with its offset."""
    return value.isoformat() + "+00:00" if value else None


def _notification(title: str, message: str, kind: str) -> dict[str, Any]:
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"title": title, "message": message, "type": kind, "sticky": kind == "danger"},
    }
