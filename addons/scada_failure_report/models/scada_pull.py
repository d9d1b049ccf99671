# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The pull engine: one run of reading a SCADA source into Odoo.

Over 400 lines because one run's steps (lock, read, ingest, commit, fail, hand
over) and the limits they obey (time budget, memory, connection timeouts) are
read together; the limits are the first part to move out when it grows.

``scada.source`` keeps what a person sees and presses (fields, computes,
buttons, the cron entry); :class:`SourcePull` is how one run goes. It reads
through ``scada_bridge`` in batches and, per batch, ingests the events, logs
rejected rows, stores the cursor and commits: the cursor and the records it
covers are durable together, so a crash repeats at most one batch and the
unique event uid absorbs the repeat.

Imports: Odoo, ``scada_bridge``, :mod:`.scada_alert` (what a failed or
recovered pull tells people) and :mod:`.scada_pull_rows` (a batch's ingest,
which rejects the rows Odoo cannot store); nothing here imports the models'
modules.
"""

import logging
import threading
import time
from datetime import datetime
from typing import Any

import odoo
import psycopg2
import psycopg2.errors
import scada_bridge
from odoo import fields
from odoo.tools import config
from scada_bridge import READ_LIMIT, Cursor, ScadaBridgeError

from . import scada_alert, scada_pull_rows

_logger = logging.getLogger(__name__)

PARAM_TIME_BUDGET = "scada_failure_report.pull_time_budget"
#: Share of the worker's time limit one pull run may use before it hands over.
TIME_BUDGET_SHARE = 0.5
#: Budget when Odoo sets no time limit at all (threaded server).
DEFAULT_TIME_BUDGET = 60.0
#: Share of limit_memory_soft one batch may take, and what an event costs at
#: most while it is ingested (row, event, vals, ORM cache; payload included).
MEMORY_SHARE = 0.25
BYTES_PER_EVENT = 50_000
#: The pull's SCADA connection: lock waits end within this, and a peer gone
#: without a word is noticed within about a minute.
LOCK_TIMEOUT_MS = 10_000
KEEPALIVE_IDLE = 30
KEEPALIVE_INTERVAL = 10
KEEPALIVE_COUNT = 3
TCP_USER_TIMEOUT_MS = 60_000
#: First key of the advisory lock a pull holds on its source (second key: source id).
PULL_LOCK = 0x5CADA0D0 & 0x7FFFFFFF
COUNTS = ("read", "created", "cleared", "pending", "duplicate", "rejected", "batches")
#: Conflicts with a concurrent push of the same events: retried in a new transaction.
#: A push inserting the same uids in another order deadlocks with the batch's
#: INSERT; PostgreSQL aborts one of the two, and either retry then sees the
#: other's rows as duplicates.
CONFLICTS = (
    psycopg2.errors.UniqueViolation,
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
)
CONFLICT_RETRIES = 2


def can_commit() -> bool:
    """False inside Odoo tests, where a commit would break the test's rollback."""
    return not (
        getattr(threading.current_thread(), "testing", False) or odoo.modules.module.current_test
    )


def commit(env) -> None:
    """Commit what the pull has made durable so far; never inside tests.

    The pull's only commits go through here: after each batch (with the
    cursor), after recording a failure (so a person sees it), and at the
    end of a cron run.
    """
    if can_commit():
        env.cr.commit()  # pylint: disable=invalid-commit


def pull_time_budget(env, *, cron: bool = False) -> float:
    """Seconds one run may pull: the system parameter, else a share of the worker's limits.

    Odoo kills a cron worker at ``limit_time_cpu`` or ``limit_time_real_cron``
    (``limit_time_real`` when that is -1), and an HTTP worker (the "Pull now"
    button) at ``limit_time_cpu`` or ``limit_time_real``; the run stops at
    :data:`TIME_BUDGET_SHARE` of the first limit it would meet, and commits.
    """
    value = env["ir.config_parameter"].sudo().get_param(PARAM_TIME_BUDGET)
    try:
        if value and float(value) > 0:
            return float(value)
    except ValueError:
        _logger.warning(
            "system parameter %s=%r is not a number of seconds", PARAM_TIME_BUDGET, value
        )
    real = config.get("limit_time_real") or 120
    if cron:
        real_cron = config.get("limit_time_real_cron")
        real = real if real_cron is None or real_cron < 0 else real_cron
    limits = [limit for limit in (real, config.get("limit_time_cpu")) if limit and limit > 0]
    return TIME_BUDGET_SHARE * min(limits) if limits else DEFAULT_TIME_BUDGET


def batch_size_limit() -> int:
    """Largest batch that fits the worker's memory: :data:`MEMORY_SHARE` of ``limit_memory_soft``.

    Odoo recycles a worker above ``limit_memory_soft`` (and kills it above
    the hard limit) after the request or job: a batch must fit well inside.
    """
    soft = config.get("limit_memory_soft") or 0
    if soft <= 0:
        return READ_LIMIT
    return max(1, min(int(soft * MEMORY_SHARE / BYTES_PER_EVENT), READ_LIMIT))


def pull_timeouts(budget: float) -> dict[str, Any]:
    """The pull's connection policy (``scada_bridge.connect``'s keywords): no statement,
    lock or dead peer hangs a worker.

    A statement may take at most the run's budget (a batch read is far
    quicker); a lock wait ends sooner; keepalives and ``tcp_user_timeout``
    notice a SCADA server that vanished without closing the connection.
    """
    statement_ms = max(int(budget * 1000), 1000)
    return connection_policy(statement_ms, min(statement_ms, LOCK_TIMEOUT_MS))


def connection_policy(statement_ms: int, lock_ms: int) -> dict[str, Any]:
    """Statement and lock timeouts plus the pull's keepalives, for ``scada_bridge.connect``
    and ``scada_bridge.check_source``."""
    return {
        "statement_timeout_ms": statement_ms,
        "lock_timeout_ms": lock_ms,
        "keepalives": scada_bridge.Keepalives(
            idle=KEEPALIVE_IDLE,
            interval=KEEPALIVE_INTERVAL,
            count=KEEPALIVE_COUNT,
            user_timeout_ms=TCP_USER_TIMEOUT_MS,
        ),
    }


def reader_name(source) -> str:
    """How ``source`` names itself in ``scada.reader_cursor``: unique per Odoo database.

    The database's uuid, not its name: a staging copy keeps the name (and would
    overwrite production's row), a duplicated Odoo database gets a new uuid.
    Stable across renames of the source.
    """
    # sudo(): the database's uuid is no secret; every user who may pull needs it.
    db_uuid = source.env["ir.config_parameter"].sudo().get_param("database.uuid")
    return f"odoo/{db_uuid}/scada.source/{source.id}"


def old_reader_name(source) -> str:
    """The name sources registered under before the uuid: the database's name."""
    return f"odoo/{source.env.cr.dbname}/scada.source/{source.id}"


def no_connection_message(source) -> str:
    return source.env._(
        "source %(name)s has no connection: a SCADA manager sets it in "
        "SCADA > Configuration > SCADA Databases (postgresql://user:password@host:5432/db)",
        name=source.name,
    )


def held_back_note(backlog: scada_bridge.Backlog, now: datetime | None = None) -> str | bool:
    """ "N events held back by <holder> since <time>: <fix>" when rows wait behind a
    transaction for longer than ``scada_bridge.HELD_BACK_AFTER``, else False.

    A transaction left open (idle in transaction, a prepared transaction)
    holds every pull back while the source otherwise looks fine.
    """
    held = backlog.held_back(now)
    return held.note if held and held.stuck else False


def pull_summary(summary: dict[str, Any]) -> str:
    """One line for a person: the run's error, or what it read and did."""
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


class SourcePull:
    """One pull run of one source: ``SourcePull(source, ...).run()``.

    ``deadline`` (a ``time.monotonic()`` value) and ``max_batches`` stop the
    run early; ``progress`` (``{"done": n}``) is shared by the sources of one
    cron run so the cron's progress counts them all.
    """

    def __init__(
        self,
        source,
        *,
        deadline: float | None = None,
        max_batches: int | None = None,
        progress: dict[str, int] | None = None,
    ) -> None:
        source.ensure_one()
        self.source = source
        self.env = source.env
        self.t0 = time.monotonic()
        self.budget = pull_time_budget(
            self.env, cron=bool(self.env.context.get("ir_cron_progress_id"))
        )
        self.deadline = self.t0 + self.budget if deadline is None else deadline
        self.max_batches = max_batches
        self.progress = progress if progress is not None else {"done": 0}
        self.log = self.env["scada.sync.log"]

    def run(self) -> dict[str, Any]:
        """Read, ingest and commit batches until caught up, out of time or out of batches.

        Returns the counts of the run (also written to the sync log):
        ``read``, ``created``, ``cleared``, ``pending``, ``duplicate``,
        ``rejected``, ``batches``, ``retries`` (batches retried after a
        conflict with a push), ``more`` (stopped early, events wait),
        ``error`` (the one-line reason, or False), ``skipped`` (another pull of
        this source was running, or took over between two batches), ``cursor``
        and ``log_id``.
        """
        source = self.source
        summary: dict[str, Any] = dict.fromkeys(COUNTS, 0)
        summary.update(
            source_id=source.id, log_id=False, more=False, error=False, skipped=False, retries=0
        )
        if not self.lock():
            _logger.info("SCADA pull of %s skipped: another pull of it is running", source.name)
            summary.update(skipped=True, cursor=source.cursor or "")
            return summary
        self.end_dead_runs()
        self.log = self.env["scada.sync.log"].create(
            {
                "source_id": source.id,
                "started_at": fields.Datetime.now(),
                "trigger": "cron" if self.env.context.get("ir_cron_progress_id") else "manual",
                "cursor_start": source.cursor or "",
            }
        )
        summary["log_id"] = self.log.id
        try:
            return self._run(summary)
        except Exception as exc:
            self.crashed(exc)
            raise

    def _run(self, summary: dict[str, Any]) -> dict[str, Any]:
        source, progress = self.source, self.progress
        if not source.connection_uri:
            return self.failed(summary, no_connection_message(source))
        if not source.reader_registered:
            source._register_reader()  # failed at creation: again, until it succeeds
        try:
            cursor = Cursor.parse(source.cursor or "")
            conn = scada_bridge.connect(
                source.connection_uri, application_name="odoo-scada", **pull_timeouts(self.budget)
            )
        except ScadaBridgeError as exc:
            return self.failed(summary, str(exc))
        # The run's sync log line exists from here on, even if a batch is retried.
        self.commit_progress(progress["done"], 0)
        try:
            where = str(scada_bridge.parse_target(source.connection_uri))
            try:
                scada_bridge.check_schema(conn, where)
                backlog = scada_bridge.backlog(conn, cursor)
                waiting = backlog.count
                conn.rollback()
            except (ScadaBridgeError, psycopg2.Error) as exc:
                return self.failed(summary, _scada_error(exc, where))
            held = held_back_note(backlog)
            if held:
                _logger.warning("SCADA pull of %s: %s", source.name, held)
            self.log.held_back = held
            if source.held_back != held:
                source.held_back = held
            while True:
                for attempt in range(CONFLICT_RETRIES + 1):
                    # Every commit releases the lock: take it again and re-read the
                    # cursor, which a "Pull now" may have moved in between.
                    if not self.lock():
                        summary["skipped"] = True
                        break
                    source.invalidate_recordset(["cursor"])
                    cursor = Cursor.parse(source.cursor or "")
                    try:
                        batch = scada_bridge.read_events(conn, cursor, self.batch_size())
                        # End the read snapshot: the next batch sees rows committed since.
                        conn.rollback()
                    except (ScadaBridgeError, psycopg2.Error) as exc:
                        return self.failed(summary, _scada_error(exc, where))
                    try:
                        counts = self.ingest_batch(batch)
                        self.log.write(self.log_vals(_add(summary, counts), str(batch.cursor)))
                        remaining = max(waiting - summary["read"] - batch.rows, 1)
                        self.commit_progress(
                            progress["done"] + batch.rows, remaining if batch.has_more else 0
                        )
                        self.record_reader_cursor(conn, batch.cursor)
                        break
                    except CONFLICTS as exc:
                        # The push API stored some of these events meanwhile: in a
                        # new transaction they show up as duplicates.
                        if not can_commit() or attempt == CONFLICT_RETRIES:
                            raise
                        _logger.info("SCADA pull of %s: %s, batch retried", source.name, exc)
                        self.env.cr.rollback()
                        summary["retries"] += 1
                if summary["skipped"]:
                    return self.taken_over(summary)
                summary = _add(summary, counts)
                progress["done"] += batch.rows
                cursor = batch.cursor
                if not batch.has_more:
                    break
                if (self.max_batches and summary["batches"] >= self.max_batches) or (
                    time.monotonic() >= self.deadline
                ):
                    summary["more"] = True
                    break
        finally:
            conn.close()
        summary["cleared"] += self.apply_waiting_clears()
        scada_alert.record_success(source)
        self.log.write(
            {
                **self.log_vals(summary, str(cursor)),
                "state": "partial" if summary["more"] else "done",
                # Another run may have taken this one for dead between two batches.
                "error": False,
            }
        )
        self.commit_progress(progress["done"], 0)
        summary.update(error=False, cursor=str(cursor))
        _logger.info("SCADA pull of %s: %s", source.name, pull_summary(summary))
        return summary

    def batch_size(self) -> int:
        """The source's batch size, within what fits the worker's memory."""
        limit = batch_size_limit()
        if self.source.batch_size > limit:
            _logger.info(
                "SCADA pull of %s: batch size %s lowered to %s to fit limit_memory_soft",
                self.source.name,
                self.source.batch_size,
                limit,
            )
        return min(self.source.batch_size, limit)

    def end_dead_runs(self) -> None:
        """End the log lines of runs that died without a word (worker killed, time limit).

        This run holds the source's lock, so no other run of it is alive: a
        line of this source still "running" belongs to a run that ended.
        """
        dead = self.env["scada.sync.log"].search(
            [("source_id", "=", self.source.id), ("state", "=", "running")]
        )
        if not dead:
            return
        try:
            # Flushed now: the row stays locked until this run's first commit, so a run
            # still alive between two batches waits for it, then ends its own line.
            with self.env.cr.savepoint():
                dead.write(
                    {
                        "state": "error",
                        "error": self.env._(
                            "the run ended without finishing its log line (Odoo worker killed "
                            "or over its time limit?): its last committed batch is kept, the "
                            "next run went on from there"
                        ),
                    }
                )
        except CONFLICTS:
            # The run was alive: it ended its line itself (taken over) meanwhile.
            dead.invalidate_recordset()

    def taken_over(self, summary: dict[str, Any]) -> dict[str, Any]:
        """Another pull took the source between two batches: end this run's log line only.

        The other pull owns the source now (cursor, state): writing it here
        would wait for that pull's commit and then fail on its update, a good
        pull reported as crashed.
        """
        _logger.info("SCADA pull of %s: another pull took over", self.source.name)
        cursor = self.log.cursor_end or ""
        vals = {**self.log_vals(summary, cursor), "state": "taken_over", "error": False}
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                self.log.write(vals)
                commit(self.env)
                break
            except CONFLICTS as exc:
                # The other pull marked this line as a dead run's (its first step) and
                # committed after this transaction began: this run is alive and says so.
                if not can_commit() or attempt == CONFLICT_RETRIES:
                    raise
                _logger.info("SCADA pull of %s: %s, log line written again", self.source.name, exc)
                self.env.cr.rollback()
        summary.update(error=False, cursor=cursor)
        return summary

    def crashed(self, exc: Exception) -> None:
        """End the run's log line as an error when the run dies of a bug: never left running."""
        if not can_commit():
            return  # under tests the whole transaction is the test's
        try:
            self.env.cr.rollback()
            self.log.write({"state": "error", "error": f"pull crashed: {exc} (see the server log)"})
            commit(self.env)
        except Exception:
            _logger.exception("SCADA pull of %s: cannot end its log line", self.source.name)

    def apply_waiting_clears(self) -> int:
        """Match clears that raced their raise (see ``_ingest_apply_waiting_clears``).

        One pull at a time does it; a push closing the same failure right now
        wins, and the next run looks again.
        """
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_xact_lock(%s, 0)", (PULL_LOCK,))
        if not cr.fetchone()[0]:
            return 0
        try:
            with cr.savepoint():
                return self.env["scada.failure.report"]._ingest_apply_waiting_clears()
        except CONFLICTS as exc:
            _logger.info(
                "SCADA pull of %s: waiting clears left for the next run: %s", self.source.name, exc
            )
            return 0

    def ingest_batch(self, batch: scada_bridge.Batch) -> dict[str, int]:
        """Ingest one batch, log its rejected rows, store the cursor after it (not committed)."""
        counts = dict.fromkeys(COUNTS, 0)
        results, refused = scada_pull_rows.ingest_rows(self.env, batch.events, self.source)
        for result in results:
            counts[result["result"]] += 1
        rejected = [*batch.rejected, *refused]
        if rejected:
            self.env["scada.rejected.row"].create(
                [
                    {
                        "log_id": self.log.id,
                        "row_id": row.id,
                        "event_uid": row.event_uid,
                        "reason": row.reason,
                    }
                    for row in rejected
                ]
            )
        counts.update(read=batch.rows, rejected=len(rejected), batches=1)
        # Tracked when a manager edits it; the pull moving it is no chatter news.
        self.source.with_context(tracking_disable=True).write(
            {"cursor": str(batch.cursor), "last_pull_at": fields.Datetime.now()}
        )
        return counts

    def lock(self) -> bool:
        """Lock the source until the transaction ends: one batch at a time (button vs cron).

        A transaction lock, not a session one: a crash can never leave it held.
        """
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (PULL_LOCK, self.source.id))
        return self.env.cr.fetchone()[0]

    def reader_name(self) -> str:
        """How this source names itself in ``scada.reader_cursor`` (see :func:`reader_name`)."""
        return reader_name(self.source)

    def record_reader_cursor(self, conn, cursor: Cursor) -> None:
        """Tell the SCADA database how far this source has durably read, after the commit
        of what it made of those events, so ``scada-bridge prune`` never deletes an event
        Odoo has not stored. A database that cannot record it (schema before version 3)
        costs a warning, never the pull: prune then refuses without ``--force``."""
        try:
            scada_bridge.record_reader_cursor(conn, self.reader_name(), cursor)
            conn.commit()
        except (ScadaBridgeError, psycopg2.Error) as exc:
            conn.rollback()
            _logger.warning(
                "SCADA pull of %s: cannot record the reader cursor %s in the SCADA database "
                "(%s); scada-bridge prune will keep every event of this database",
                self.source.name,
                cursor,
                scada_bridge.first_line(exc),
            )

    def commit_progress(self, done: int, remaining: int) -> None:
        """Make the batch durable and tell the cron how far it got (progress needs a commit)."""
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        commit(self.env)

    def failed(self, summary: dict[str, Any], message: str) -> dict[str, Any]:
        source = self.source
        _logger.warning("SCADA pull of %s failed: %s", source.name, message)
        scada_alert.record_failure(source, message)
        self.log.write(
            {**self.log_vals(summary, source.cursor or ""), "state": "error", "error": message}
        )
        commit(self.env)
        summary.update(error=message, cursor=source.cursor or "", more=False)
        return summary

    def log_vals(self, summary: dict[str, Any], cursor: str) -> dict[str, Any]:
        return {
            "duration": time.monotonic() - self.t0,
            "events_read": summary["read"],
            "created_count": summary["created"],
            "cleared_count": summary["cleared"],
            "pending_count": summary["pending"],
            "duplicate_count": summary["duplicate"],
            "rejected_count": summary["rejected"],
            "batch_count": summary["batches"],
            "retry_count": summary["retries"],
            "cursor_end": cursor,
        }


def _add(summary: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    return {**summary, **{key: summary[key] + counts[key] for key in COUNTS}}


def _scada_error(exc: Exception, where: str) -> str:
    if isinstance(exc, ScadaBridgeError):
        return str(exc)
    first = scada_bridge.first_line(exc)
    return (
        f"reading events from {where} failed: {first}; "
        "check the server and run 'scada-bridge doctor'"
    )
