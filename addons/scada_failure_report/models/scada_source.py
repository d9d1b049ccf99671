# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One SCADA database Odoo pulls failures from, and the pull itself.

The pull reads through ``scada_bridge`` in batches and, per batch, ingests the
events, logs rejected rows, stores the cursor and commits: the cursor and the
records it covers are durable together, so a crash repeats at most one batch
and the unique event uid absorbs the repeat.
"""

import logging
import threading
import time
from datetime import timedelta
from typing import Any

import odoo
import psycopg2
import psycopg2.errors
import scada_bridge
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config
from scada_bridge import Cursor, ScadaBridgeError

_logger = logging.getLogger(__name__)

CRON_XMLID = "scada_failure_report.ir_cron_scada_pull"
PARAM_ALERT_MINUTES = "scada_failure_report.error_alert_minutes"
PARAM_TIME_BUDGET = "scada_failure_report.pull_time_budget"
DEFAULT_ALERT_MINUTES = 30
#: Share of the cron time limit one pull run may use before it hands over.
TIME_BUDGET_SHARE = 0.5
BACKLOG_CONNECT_TIMEOUT = 3
#: First key of the advisory lock a pull holds on its source (second key: source id).
PULL_LOCK = 0x5CADA0D0 & 0x7FFFFFFF
COUNTS = ("read", "created", "cleared", "pending", "duplicate", "rejected", "batches")
#: Conflicts with a concurrent push of the same events: retried in a new transaction.
CONFLICTS = (psycopg2.errors.UniqueViolation, psycopg2.errors.SerializationFailure)
CONFLICT_RETRIES = 2


def can_commit() -> bool:
    """False inside Odoo tests, where a commit would break the test's rollback."""
    return not (
        getattr(threading.current_thread(), "testing", False) or odoo.modules.module.current_test
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
                check = scada_bridge.check_source(
                    uri,
                    Cursor.parse(source.cursor or ""),
                    connect_timeout=BACKLOG_CONNECT_TIMEOUT,
                )
            except ScadaBridgeError as exc:
                source.backlog_note = str(exc)
                continue
            if check.ok:
                source.backlog = check.backlog.count
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
            return _notification(
                self.env._("No connection"), self._no_connection_message(), "danger"
            )
        check = scada_bridge.check_source(self.connection_uri, cursor)
        if check.ok:
            return _notification(self.env._("Connection OK"), check.message, "success")
        return _notification(self.env._("Connection failed"), check.message, "danger")

    def _no_connection_message(self) -> str:
        return self.env._(
            "source %(name)s has no connection: a SCADA manager sets it in "
            "SCADA > Configuration > SCADA Databases (postgresql://user:password@host:5432/db)",
            name=self.name,
        )

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
        lines = [_pull_summary(r) for r in results]
        action = _notification(
            self.env._("Pull failed") if failed else self.env._("Pull done"),
            "\n".join(lines),
            "danger" if failed else "success",
        )
        action["params"]["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        action["results"] = results
        return action

    # ------------------------------------------------------------------
    # The pull
    # ------------------------------------------------------------------

    def _pull(
        self,
        *,
        deadline: float | None = None,
        max_batches: int | None = None,
        progress: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        """Read, ingest and commit batches until caught up, out of time or out of batches.

        Returns the counts of the run (also written to the sync log):
        ``read``, ``created``, ``cleared``, ``pending``, ``duplicate``,
        ``rejected``, ``batches``, ``more`` (stopped early, events wait),
        ``error`` (the one-line reason, or False), ``skipped`` (another pull of
        this source was running), ``cursor`` and ``log_id``.
        """
        self.ensure_one()
        t0 = time.monotonic()
        if deadline is None:
            deadline = t0 + self._pull_time_budget()
        progress = progress if progress is not None else {"done": 0}
        summary: dict[str, Any] = dict.fromkeys(COUNTS, 0)
        summary.update(source_id=self.id, log_id=False, more=False, error=False, skipped=False)
        if not self._pull_lock():
            _logger.info("SCADA pull of %s skipped: another pull of it is running", self.name)
            summary.update(skipped=True, cursor=self.cursor or "")
            return summary
        log = self.env["scada.sync.log"].create(
            {
                "source_id": self.id,
                "started_at": fields.Datetime.now(),
                "trigger": "cron" if self.env.context.get("ir_cron_progress_id") else "manual",
                "cursor_start": self.cursor or "",
            }
        )
        summary["log_id"] = log.id
        if not self.connection_uri:
            return self._pull_failed(log, summary, self._no_connection_message(), t0)
        try:
            cursor = Cursor.parse(self.cursor or "")
            conn = scada_bridge.connect(self.connection_uri, application_name="odoo-scada")
        except ScadaBridgeError as exc:
            return self._pull_failed(log, summary, str(exc), t0)
        # The run's sync log line exists from here on, even if a batch is retried.
        self._pull_commit(progress["done"], 0)
        try:
            where = str(scada_bridge.parse_target(self.connection_uri))
            try:
                scada_bridge.check_schema(conn, where)
                waiting = scada_bridge.backlog(conn, cursor).count
                conn.rollback()
            except (ScadaBridgeError, psycopg2.Error) as exc:
                return self._pull_failed(log, summary, _scada_error(exc, where), t0)
            while True:
                for attempt in range(CONFLICT_RETRIES + 1):
                    # Every commit releases the lock: take it again and re-read the
                    # cursor, which a "Pull now" may have moved in between.
                    if not self._pull_lock():
                        summary["skipped"] = True
                        break
                    self.invalidate_recordset(["cursor"])
                    cursor = Cursor.parse(self.cursor or "")
                    try:
                        batch = scada_bridge.read_events(conn, cursor, self.batch_size)
                        # End the read snapshot: the next batch sees rows committed since.
                        conn.rollback()
                    except (ScadaBridgeError, psycopg2.Error) as exc:
                        return self._pull_failed(log, summary, _scada_error(exc, where), t0)
                    try:
                        counts = self._pull_batch(batch, log)
                        log.write(_log_vals(_add(summary, counts), t0, str(batch.cursor)))
                        remaining = max(waiting - summary["read"] - batch.rows, 1)
                        self._pull_commit(
                            progress["done"] + batch.rows, remaining if batch.has_more else 0
                        )
                        break
                    except CONFLICTS as exc:
                        # The push API stored some of these events meanwhile: in a
                        # new transaction they show up as duplicates.
                        if not can_commit() or attempt == CONFLICT_RETRIES:
                            raise
                        _logger.info("SCADA pull of %s: %s, batch retried", self.name, exc)
                        self.env.cr.rollback()
                if summary["skipped"]:
                    _logger.info("SCADA pull of %s: another pull took over", self.name)
                    break
                summary = _add(summary, counts)
                progress["done"] += batch.rows
                cursor = batch.cursor
                if not batch.has_more:
                    break
                if (max_batches and summary["batches"] >= max_batches) or (
                    time.monotonic() >= deadline
                ):
                    summary["more"] = True
                    break
        finally:
            conn.close()
        self._pull_succeeded()
        log.write(
            {
                **_log_vals(summary, t0, str(cursor)),
                "state": "partial" if summary["more"] else "done",
            }
        )
        self._pull_commit(progress["done"], 0)
        summary.update(error=False, cursor=str(cursor))
        _logger.info("SCADA pull of %s: %s", self.name, _pull_summary(summary))
        return summary

    def _pull_batch(self, batch: scada_bridge.Batch, log) -> dict[str, int]:
        """Ingest one batch, log its rejected rows, store the cursor after it (not committed)."""
        counts = dict.fromkeys(COUNTS, 0)
        results = self.env["scada.failure.report"]._ingest_events(
            [scada_bridge.event_fields(event) for event in batch.events], "pull", source=self
        )
        for result in results:
            counts[result["result"]] += 1
        if batch.rejected:
            self.env["scada.rejected.row"].create(
                [
                    {
                        "log_id": log.id,
                        "row_id": row.id,
                        "event_uid": row.event_uid,
                        "reason": row.reason,
                    }
                    for row in batch.rejected
                ]
            )
        counts.update(read=batch.rows, rejected=len(batch.rejected), batches=1)
        # Tracked when a manager edits it; the pull moving it is no chatter news.
        self.with_context(tracking_disable=True).write(
            {"cursor": str(batch.cursor), "last_pull_at": fields.Datetime.now()}
        )
        return counts

    def _pull_lock(self) -> bool:
        """Lock this source until the transaction ends: one batch at a time (button vs cron).

        A transaction lock, not a session one: a crash can never leave it held.
        """
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (PULL_LOCK, self.id))
        return self.env.cr.fetchone()[0]

    def _pull_commit(self, done: int, remaining: int) -> None:
        """Make the batch durable and tell the cron how far it got (progress needs a commit)."""
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        self._commit()

    def _commit(self) -> None:
        """Commit what the pull has made durable so far; never inside tests.

        The pull's only commits go through here: after each batch (with the
        cursor), after recording a failure (so a person sees it), and at the
        end of a cron run.
        """
        if can_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _pull_failed(self, log, summary: dict[str, Any], message: str, t0: float) -> dict:
        _logger.warning("SCADA pull of %s failed: %s", self.name, message)
        self._record_failure(message)
        log.write({**_log_vals(summary, t0, self.cursor or ""), "state": "error", "error": message})
        self._commit()
        summary.update(error=message, cursor=self.cursor or "", more=False)
        return summary

    def _pull_succeeded(self) -> None:
        now = fields.Datetime.now()
        if self.error_alerted:
            self.message_post(
                body=self.env._("Pulling from %(name)s works again.", name=self.name),
                subtype_xmlid="mail.mt_note",
            )
        self.write(
            {
                "state": "ok",
                "last_success_at": now,
                "last_pull_at": now,
                "last_error": False,
                "error_since": False,
                "error_alerted": False,
            }
        )

    def _record_failure(self, message: str) -> None:
        """Mark the source in error; after a while, tell the managers once."""
        now = fields.Datetime.now()
        vals = {"state": "error", "last_error": message, "last_pull_at": now}
        if not self.error_since:
            vals["error_since"] = now
        self.write(vals)
        minutes = self._alert_minutes()
        if not self.error_alerted and now - self.error_since >= timedelta(minutes=minutes):
            self._alert_managers(message, minutes)
            self.error_alerted = True

    def _alert_managers(self, message: str, minutes: int) -> None:
        group = self.env.ref("scada_failure_report.group_scada_manager")
        managers = group.users.filtered(
            lambda u: not u.share and u.id != odoo.SUPERUSER_ID and self.company_id in u.company_ids
        )
        self.message_post(
            body=self.env._(
                "Failures are not reaching Odoo: pulling from %(name)s has failed for more "
                "than %(minutes)s minutes. Last error: %(error)s",
                name=self.name,
                minutes=minutes,
                error=message,
            ),
            partner_ids=managers.partner_id.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _alert_minutes(self) -> int:
        value = self.env["ir.config_parameter"].sudo().get_param(PARAM_ALERT_MINUTES)
        try:
            return max(int(value), 0) if value else DEFAULT_ALERT_MINUTES
        except ValueError:
            _logger.warning(
                "system parameter %s=%r is not a number of minutes: using %s",
                PARAM_ALERT_MINUTES,
                value,
                DEFAULT_ALERT_MINUTES,
            )
            return DEFAULT_ALERT_MINUTES

    @api.model
    def _pull_time_budget(self) -> float:
        """Seconds one run may pull: the system parameter, else half the cron time limit."""
        value = self.env["ir.config_parameter"].sudo().get_param(PARAM_TIME_BUDGET)
        try:
            if value and float(value) > 0:
                return float(value)
        except ValueError:
            _logger.warning(
                "system parameter %s=%r is not a number of seconds", PARAM_TIME_BUDGET, value
            )
        limit = config.get("limit_time_real_cron") or -1
        if limit <= 0:
            limit = config.get("limit_time_real") or 120
        return TIME_BUDGET_SHARE * limit

    @api.model
    def _cron_pull(self) -> None:
        """Scheduled action: pull every active source; never raises for a SCADA problem."""
        deadline = time.monotonic() + self._pull_time_budget()
        progress = {"done": 0}
        more = False
        for source in self.search([("active", "=", True)]):
            try:
                result = source._pull(deadline=deadline, progress=progress)
            except Exception as exc:
                # A bug here must not stop the other sources, nor let Odoo
                # deactivate the cron after five failures: log it, show it.
                _logger.exception("SCADA pull of source %s crashed", source.name)
                if can_commit():
                    self.env.cr.rollback()
                source._record_failure(self.env._("pull crashed: %s (see the server log)", exc))
                source._commit()
                continue
            more = more or result["more"]
        self.env["ir.cron"]._notify_progress(done=progress["done"], remaining=0)
        if more:
            # Rerun right away in a fresh job (and a fresh time limit).
            self.env.ref(CRON_XMLID)._trigger()
        self._commit()


def _add(summary: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    return {**summary, **{key: summary[key] + counts[key] for key in COUNTS}}


def _log_vals(summary: dict[str, Any], t0: float, cursor: str) -> dict[str, Any]:
    return {
        "duration": time.monotonic() - t0,
        "events_read": summary["read"],
        "created_count": summary["created"],
        "cleared_count": summary["cleared"],
        "pending_count": summary["pending"],
        "duplicate_count": summary["duplicate"],
        "rejected_count": summary["rejected"],
        "batch_count": summary["batches"],
        "cursor_end": cursor,
    }


def _scada_error(exc: Exception, where: str) -> str:
    if isinstance(exc, ScadaBridgeError):
        return str(exc)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"reading events from {where} failed: {first}; "
        "check the server and run 'scada-bridge doctor'"
    )


def _pull_summary(summary: dict[str, Any]) -> str:
    if summary.get("error"):
        return summary["error"]
    text = (
        f"{summary['read']} read, {summary['created']} created, {summary['cleared']} cleared, "
        f"{summary['pending']} waiting for their raise, {summary['duplicate']} duplicate(s), "
        f"{summary['rejected']} rejected"
    )
    if summary["more"]:
        text += "; more events wait, the next run continues"
    return text


def _notification(title: str, message: str, kind: str) -> dict[str, Any]:
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"title": title, "message": message, "type": kind, "sticky": kind == "danger"},
    }
