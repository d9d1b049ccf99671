# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""One record per equipment failure, and the one idempotent ingest of SCADA events.

Over 400 lines because the ingest's steps (parse, close stored raises, create,
keep waiting clears) share one batch's maps with the model they write; the
ingest is the next candidate to move beside the model, as the pull did.

``_ingest_events`` is the only way events enter Odoo: the scheduled pull and
the push API both call it, so a pushed event pulled later (or a batch pulled
twice after a crash) is recognised by its ``event_uid`` and never stored twice.
"""

import logging
from datetime import datetime, timezone
from typing import Any

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from scada_bridge import (
    EVENT_FIELDS,
    RAISED,
    SEVERITIES,
    describe_problems,
    event_problems,
    time_from_json,
    uid_from_json,
)

_logger = logging.getLogger(__name__)

GROUP_MANAGER = "scada_failure_report.group_scada_manager"
#: (id, default severity) of a failure without a code record.
NO_CODE = (False, False)

#: Bulk ingest: no tracking values, no "created" note, no follower per record.
INGEST_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "mail_auto_subscribe_no_notify": True,
}

SEVERITY_SELECTION = [(s, s.capitalize()) for s in SEVERITIES]
ORIGIN_SELECTION = [("pull", "Pull"), ("push", "Push"), ("manual", "Manual")]
RESULTS = ("created", "cleared", "pending", "duplicate")


class ScadaFailureReport(models.Model):
    _name = "scada.failure.report"
    _description = "SCADA Equipment Failure"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "started_at desc, id desc"
    _rec_names_search = ["equipment_code", "failure_code", "description", "event_uid"]

    event_uid = fields.Char(
        string="Event UID",
        required=True,
        readonly=True,
        copy=False,
        help="UUID of the 'raised' event, minted once by whoever recorded it first.",
    )
    clear_uid = fields.Char(
        string="Clear Event UID", readonly=True, copy=False, help="UUID of the 'cleared' event."
    )
    equipment_code = fields.Char(required=True, readonly=True, index=True)
    equipment_id = fields.Many2one(
        "maintenance.equipment",
        # indexed with its duration: models/scada_failure_report_indexes.py
        ondelete="set null",
        tracking=True,
        help="The equipment whose SCADA code matches the event's equipment code.",
    )
    failure_code = fields.Char(readonly=True, index=True)
    failure_code_id = fields.Many2one(
        "scada.failure.code",
        string="Code",
        # indexed with its duration: models/scada_failure_report_indexes.py
        ondelete="restrict",
        help="The failure code's record (Configuration > Failure Codes), made at ingest "
        "when a code is met for the first time.",
    )
    maintenance_request_id = fields.Many2one(
        "maintenance.request",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        copy=False,
        help="The corrective request this failure opened or was linked to.",
    )
    description = fields.Text(readonly=True)
    severity = fields.Selection(SEVERITY_SELECTION, readonly=True, index=True)
    # indexed with the duration: models/scada_failure_report_indexes.py
    started_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    cleared_at = fields.Datetime(readonly=True, tracking=True, index=True)
    cleared_by = fields.Many2one(
        "res.users",
        readonly=True,
        copy=False,
        help="Who resolved the failure by hand; empty when its PLC cleared it.",
    )
    resolve_note = fields.Text(readonly=True, copy=False)
    reported_by = fields.Many2one(
        "res.users", readonly=True, copy=False, help="Who recorded a manual failure."
    )
    duration = fields.Float(
        string="Duration (hours)",
        compute="_compute_duration",
        store=True,
        aggregator="sum",
        digits=(16, 2),
        help="Downtime in hours, from the raise to the clear; 0 while still active.",
    )
    state = fields.Selection(
        [("active", "Active"), ("cleared", "Cleared")],
        compute="_compute_state",
        store=True,
        # Not precomputed (so not NOT NULL): Odoo computes a readonly precomputed
        # field through a draft record per new failure, half of a bulk create's
        # time; computed after the INSERT it costs one UPDATE per batch.
        readonly=True,
        index=True,
        tracking=True,
    )
    source_id = fields.Many2one(
        "scada.source", readonly=True, index="btree_not_null", ondelete="set null"
    )
    origin = fields.Selection(ORIGIN_SELECTION, required=True, readonly=True)
    device = fields.Char(readonly=True, help="PLC that reported the failure.")
    payload = fields.Json(readonly=True, copy=False, help="Raw values read, for audit.")
    acknowledged_by = fields.Many2one("res.users", readonly=True)
    acknowledged_at = fields.Datetime(readonly=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )

    _sql_constraints = [
        ("event_uid_uniq", "unique(event_uid)", "This failure event is already recorded."),
        ("clear_uid_uniq", "unique(clear_uid)", "This clear event is already recorded."),
    ]

    @api.depends("cleared_at")
    def _compute_state(self) -> None:
        for report in self:
            report.state = _state(report.cleared_at)

    @api.depends("started_at", "cleared_at")
    def _compute_duration(self) -> None:
        for report in self:
            report.duration = _duration(report.started_at, report.cleared_at)

    @api.depends("equipment_code", "failure_code", "equipment_id")
    def _compute_display_name(self) -> None:
        for report in self:
            equipment = report.equipment_id.name or report.equipment_code
            report.display_name = " - ".join(filter(None, [equipment, report.failure_code]))

    @api.model_create_multi
    def create(self, vals_list):
        """A failure recorded in the form (or over RPC) is a manual entry through the ingest.

        Only the superuser and SCADA managers may store a pulled or pushed
        failure as such (data fixes, imports); anyone else's create is an
        operator's entry: a fresh event uid, origin ``manual``, the user as
        reporter, and the same requests and alerts as a pulled failure.
        """
        self.check_access("create")  # before any check of the values: rights first
        manual = [v for v in vals_list if v.get("origin", "manual") == "manual"]
        if manual or not (self.env.su or self.env.user.has_group(GROUP_MANAGER)):
            return self.env["scada.failure.maintenance"]._create_manual(vals_list)
        return super().create(vals_list)

    def _create_ingested(self, vals_list: list[dict]) -> "ScadaFailureReport":
        """The ingest's own create, past the manual-entry path (not callable over RPC)."""
        # state and duration follow from the values being inserted: they go into the
        # INSERT, and the ORM's recompute of them (a quarter of a bulk pull's time, as
        # readonly computes are not protected in create) is dropped as already done.
        for vals in vals_list:
            vals["state"] = _state(vals.get("cleared_at"))
            vals["duration"] = _duration(vals.get("started_at"), vals.get("cleared_at"))
        # The ORM's create of this model, skipping only this class's override: a context
        # key would do the same, but a caller over RPC could set it.
        # Default values once per batch, not once per failure (every vals of the ingest has
        # the same keys): what default_get answers does not depend on the values.
        batch_defaults = None
        if vals_list:
            first = vals_list[0]
            filled = self._add_missing_default_values(dict(first))
            defaults = {k: v for k, v in filled.items() if k not in first}
            batch_defaults = (frozenset(first), defaults)
        creator = super(ScadaFailureReport, self.with_context(scada_ingest_defaults=batch_defaults))
        records = creator.create(vals_list)  # pylint: disable=super-method-mismatch
        records = records.with_env(self.env)  # the batch's defaults end with its create
        for name in ("state", "duration"):
            self.env.remove_to_compute(self._fields[name], records)
        return records

    @api.model
    def _add_missing_default_values(self, values: dict) -> dict:
        # The ingest computed the defaults once for its whole batch (_create_ingested).
        # Like Odoo's own default_<field> context keys, they only fill what is missing.
        batch = self.env.context.get("scada_ingest_defaults")
        if not batch or frozenset(values) != batch[0]:
            return super()._add_missing_default_values(values)
        return {**batch[1], **values}

    def action_resolve(self) -> dict:
        """Open the Resolve wizard for the active failures selected."""
        self.env["scada.failure.resolve"]._check_may_resolve()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Resolve failure"),
            "res_model": "scada.failure.resolve",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def action_view_maintenance_request(self) -> dict:
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "maintenance.request",
            "res_id": self.maintenance_request_id.id,
            "view_mode": "form",
        }

    def _ends_without_plc(self) -> bool:
        """True when no PLC clear will ever end this failure (mailbox, push, manual)."""
        self.ensure_one()
        payload = self.payload if isinstance(self.payload, dict) else {}
        return self.origin in ("push", "manual") or payload.get("source") == "mailbox"

    def action_acknowledge(self) -> bool:
        if not self.env.user.has_group("scada_failure_report.group_scada_manager"):
            raise UserError(self.env._("Only SCADA managers can acknowledge failures."))
        todo = self.filtered(lambda r: not r.acknowledged_at)
        todo._write_owned(dict(acknowledged_by=self.env.uid, acknowledged_at=fields.Datetime.now()))
        for report in todo:
            report.message_post(body=self.env._("Failure acknowledged by %s.", self.env.user.name))
        return True

    # ------------------------------------------------------------------
    # Ingest
    # ------------------------------------------------------------------

    @api.model
    def _ingest_events(
        self, events: list[dict[str, Any]], origin: str, source=None
    ) -> list[dict[str, Any]]:
        """Store SCADA events once each; the one ingest of the pull and the push API.

        ``events`` are dicts with ``event_uid``, ``kind`` ('raised' or 'cleared'),
        ``raise_uid``, ``equipment_code``, ``failure_code``, ``description``,
        ``severity``, ``occurred_at`` (aware datetime or ISO 8601 with offset),
        ``device`` and optionally ``payload``. Returns, in the same order, one
        ``{"event_uid", "id", "result"}`` per event, ``result`` being
        ``created``, ``cleared``, ``pending`` (a clear waiting for its raise) or
        ``duplicate``. Runs with the caller's access rights.
        """
        if origin not in dict(ORIGIN_SELECTION):
            raise ValueError(f"origin must be 'pull', 'push' or 'manual', not {origin!r}")
        parsed = [self._ingest_parse(event) for event in events]
        known = self._ingest_known_uids([e["event_uid"] for e in parsed])
        results: list[dict[str, Any] | None] = [None] * len(parsed)
        first_index: dict[str, int] = {}
        raises: list[tuple[int, dict]] = []
        clears: list[tuple[int, dict]] = []
        for index, event in enumerate(parsed):
            event_uid = event["event_uid"]
            if event_uid in known:
                results[index] = _result(event_uid, known[event_uid], "duplicate")
            elif event_uid not in first_index:
                first_index[event_uid] = index
                (raises if event["kind"] == RAISED else clears).append((index, event))
        stored = {
            "origin": origin,
            "source_id": source.id if source else False,
            "company_id": (source.company_id if source else self.env.company).id,
        }
        reports = self.with_context(**INGEST_CONTEXT)
        new_raise_uids = {event["event_uid"] for _index, event in raises}
        waiting = reports._ingest_close_stored(clears, new_raise_uids, results)
        reports._ingest_create(raises, clears, new_raise_uids, stored, results)
        reports._ingest_keep_waiting(waiting, stored, results)
        # Stored computes (state, duration) run at flush, with the context of
        # whoever flushes: the commit's flush has none and would post a
        # tracking message per clear. Compute them here, in the ingest's context.
        reports.flush_model()
        for index, event in enumerate(parsed):
            if results[index] is None:  # the same event twice in one call
                first = results[first_index[event["event_uid"]]]
                results[index] = _result(event["event_uid"], first["id"], "duplicate")
        created = self.browse([r["id"] for r in results if r["result"] == "created"])
        if created:
            # One bulk step per call: failure codes, corrective requests, alerts.
            self.env["scada.failure.maintenance"]._after_ingest(created)
        return results

    def _ingest_close_stored(
        self, clears: list[tuple[int, dict]], new_raise_uids: set[str], results: list
    ) -> list[tuple[int, dict]]:
        """Close the failures already stored; return the clears whose raise is nowhere yet."""
        raise_uids = {event["raise_uid"] for _index, event in clears}
        existing = {}
        if raise_uids:
            # sudo(): a clear ends its raise whoever ingests it. Uids are global
            # (duplicates are found across companies too); the caller's record
            # rules must not turn a clear into one waiting forever.
            existing = {
                r.event_uid: r for r in self.sudo().search([("event_uid", "in", list(raise_uids))])
            }
        waiting = []
        closing: dict[int, dict] = {}
        for index, event in clears:
            report = existing.get(event["raise_uid"])
            if not report:
                if event["raise_uid"] not in new_raise_uids:
                    waiting.append((index, event))
                continue  # its raise is in this call: closed when created
            if not report.clear_uid and report.id not in closing:
                closing[report.id] = event
                results[index] = _result(event["event_uid"], report.id, "cleared")
            elif report.id in closing:  # a second clear of it in this call
                results[index] = _result(event["event_uid"], report.id, "duplicate")
            else:
                _logger.info(
                    "clear %s ignored: failure %s is already cleared by %s",
                    event["event_uid"],
                    report.event_uid,
                    report.clear_uid,
                )
                results[index] = _result(event["event_uid"], report.id, "duplicate")
        self._ingest_write_clears(closing)
        return waiting

    def _ingest_write_clears(self, closing: dict[int, dict]) -> None:
        """Write the clears of stored failures (id -> clear event) in one UPDATE.

        One ORM write() per failure (each with its own cleared_at) was a
        quarter of a bulk pull's time. This does what write() does for these
        two fields: write_uid and write_date set, the cache invalidated, and
        everything computed from them (state, duration) marked for
        recomputation; the model has no write() override or constraint on
        them. Only failures still without a clear are updated.
        """
        if not closing:
            return
        reports = self.browse(list(closing))
        reports.flush_recordset(["clear_uid", "cleared_at"])
        values = SQL(", ").join(
            SQL("(%s, %s, %s::timestamp)", report_id, event["event_uid"], event["occurred_at"])
            for report_id, event in closing.items()
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE scada_failure_report r
                   SET clear_uid = v.clear_uid, cleared_at = v.cleared_at,
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM (VALUES %(values)s) AS v(id, clear_uid, cleared_at)
                 WHERE r.id = v.id AND r.clear_uid IS NULL
                """,
                uid=self.env.uid,
                now=self.env.cr.now(),
                values=values,
            )
        )
        reports.invalidate_recordset(["clear_uid", "cleared_at", "write_uid", "write_date"])
        reports.modified(["clear_uid", "cleared_at"])

    def _ingest_create(
        self,
        raises: list[tuple[int, dict]],
        clears: list[tuple[int, dict]],
        new_raise_uids: set[str],
        stored: dict[str, Any],
        results: list,
    ) -> None:
        """Create the new failures in one create(), closed at once when their clear is known."""
        if not raises:
            return
        clears_by_raise: dict[str, list[tuple[int, dict]]] = {}
        for index, event in clears:
            if event["raise_uid"] in new_raise_uids:
                clears_by_raise.setdefault(event["raise_uid"], []).append((index, event))
        # sudo(): like the raises in _ingest_close_stored, matching ignores who calls.
        pending_model = self.env["scada.pending.clear"].sudo().with_context(**INGEST_CONTEXT)
        earlier: dict[str, Any] = {}
        for pending in pending_model.search(
            [("raise_uid", "in", list(new_raise_uids)), ("state", "=", "pending")],
            order="occurred_at, id",
        ):
            earlier[pending.raise_uid] = earlier.get(pending.raise_uid, pending_model) | pending
        company = self.env["res.company"].browse(stored["company_id"])
        equipment = self._ingest_equipment_map({e["equipment_code"] for _i, e in raises}, company)
        codes = self.env["scada.failure.maintenance"]._code_map(
            {e["failure_code"] for _i, e in raises if e["failure_code"]}, company
        )
        vals_list = []
        for _index, event in raises:
            vals = {
                **stored,
                "event_uid": event["event_uid"],
                "equipment_code": event["equipment_code"],
                "equipment_id": event.get("equipment_id")
                or equipment.get(event["equipment_code"], False),
                "failure_code": event["failure_code"],
                "failure_code_id": codes.get(event["failure_code"], NO_CODE)[0],
                "description": event["description"],
                # An event without severity takes its code's default one.
                "severity": event["severity"] or codes.get(event["failure_code"], NO_CODE)[1],
                "started_at": event["occurred_at"],
                "device": event["device"],
                "payload": event["payload"],
                "reported_by": self.env.uid if stored["origin"] == "manual" else False,
            }
            if event["event_uid"] in earlier:
                first = earlier[event["event_uid"]][0]
                vals.update(clear_uid=first.event_uid, cleared_at=first.occurred_at)
            elif event["event_uid"] in clears_by_raise:
                vals.update(_clear_vals(clears_by_raise[event["event_uid"]][0][1]))
            vals_list.append(vals)
        by_uid = {report.event_uid: report for report in self._create_ingested(vals_list)}
        for index, event in raises:
            results[index] = _result(event["event_uid"], by_uid[event["event_uid"]].id, "created")
        for raise_uid, pendings in earlier.items():
            pendings.write({"state": "applied", "report_id": by_uid[raise_uid].id})
        for raise_uid, same_call in clears_by_raise.items():
            report = by_uid[raise_uid]
            for index, event in same_call:
                applied = report.clear_uid == event["event_uid"]
                results[index] = _result(
                    event["event_uid"], report.id, "cleared" if applied else "duplicate"
                )

    @api.model
    def _ingest_apply_waiting_clears(self) -> int:
        """Close the failures whose clear waits although their raise is stored; return how many.

        A clear ingested while another transaction was creating its raise (a
        pull batch and a push, or two pushes) saw no raise and was kept
        waiting, and the raise's transaction did not see the clear: both
        commit and nothing else would ever match them. The pull runs this
        every run. Like all matching, it does not depend on the caller.
        """
        pending_model = self.env["scada.pending.clear"].sudo().with_context(**INGEST_CONTEXT)
        reports = self.sudo().with_context(**INGEST_CONTEXT)
        pending_model.flush_model(["raise_uid", "state"])
        reports.flush_model(["event_uid"])
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id, r.id FROM scada_pending_clear p
                  JOIN scada_failure_report r ON r.event_uid = p.raise_uid
                 WHERE p.state = 'pending'
                 ORDER BY p.occurred_at, p.id
                """
            )
        )
        by_report: dict[int, list[int]] = {}
        for pending_id, report_id in self.env.cr.fetchall():
            by_report.setdefault(report_id, []).append(pending_id)
        closed = 0
        for report in reports.browse(list(by_report)):
            pendings = pending_model.browse(by_report[report.id])
            if not report.clear_uid:  # the earliest clear ends it, as at create
                report.write(
                    {"clear_uid": pendings[0].event_uid, "cleared_at": pendings[0].occurred_at}
                )
                closed += 1
            pendings.write({"state": "applied", "report_id": report.id})
        if by_report:
            _logger.info("%s waiting clear(s) matched to a raise stored meanwhile", closed)
            reports.flush_model()
        return closed

    def _ingest_keep_waiting(
        self, waiting: list[tuple[int, dict]], stored: dict[str, Any], results: list
    ) -> None:
        """Keep the clears whose raise has not arrived; it closes its failure when it does."""
        if not waiting:
            return
        self.env["scada.pending.clear"].with_context(**INGEST_CONTEXT).create(
            [
                {
                    **stored,
                    "event_uid": event["event_uid"],
                    "raise_uid": event["raise_uid"],
                    "equipment_code": event["equipment_code"],
                    "occurred_at": event["occurred_at"],
                    "device": event["device"],
                }
                for _index, event in waiting
            ]
        )
        for index, event in waiting:
            results[index] = _result(event["event_uid"], False, "pending")

    @api.model
    def _ingest_parse(self, event: dict[str, Any]) -> dict[str, Any]:
        """Check one incoming event and bring it to Odoo's form (naive UTC times).

        The rules are ``scada_bridge.events.event_problems``, the same the
        reader and the push API apply; every problem of the event is named.
        """
        event_uid = event.get("event_uid")
        if not event_uid:
            raise ValidationError(
                self.env._(
                    "An event without event_uid cannot be stored: its first writer mints one "
                    "(e.g. 9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f)."
                )
            )
        values = {name: event.get(name) for name in EVENT_FIELDS}
        values.update(
            raise_uid=event.get("raise_uid") or None, severity=event.get("severity") or None
        )
        if isinstance(values["occurred_at"], str):
            try:
                values["occurred_at"] = time_from_json(values["occurred_at"])
            except ValueError as exc:
                raise ValidationError(
                    self.env._(
                        "Event %(event_uid)s: occurred_at %(problem)s.",
                        event_uid=event_uid,
                        problem=exc,
                    )
                ) from None
        problems = event_problems(values)
        if problems:
            raise ValidationError(
                self.env._(
                    "Event %(event_uid)s: %(problem)s.",
                    event_uid=event_uid,
                    problem=describe_problems(problems),
                )
            )
        raise_uid = values["raise_uid"]
        return {
            "event_uid": uid_from_json(str(event_uid)),
            "kind": values["kind"],
            "raise_uid": uid_from_json(str(raise_uid)) if raise_uid else None,
            "equipment_code": values["equipment_code"].strip(),
            "failure_code": values["failure_code"] or False,
            "description": values["description"] or False,
            "severity": values["severity"] or False,
            "occurred_at": values["occurred_at"].astimezone(timezone.utc).replace(tzinfo=None),
            "device": values["device"] or False,
            "payload": values["payload"],
            # Only a manual entry names its equipment: pulled and pushed events
            # are linked by their equipment code.
            "equipment_id": event.get("equipment_id") or False,
        }

    @api.model
    def _ingest_known_uids(self, uids: list[str]) -> dict[str, int | bool]:
        """Event uids Odoo already holds, as raise, clear or waiting clear.

        Read in SQL on purpose: uniqueness is global (one database constraint),
        whatever company or record rule hides the record from the caller.
        Only uids and ids are read, never the records' content.
        """
        if not uids:
            return {}
        self.env["scada.failure.report"].flush_model(["event_uid", "clear_uid"])
        self.env["scada.pending.clear"].flush_model(["event_uid", "report_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT event_uid, id FROM scada_failure_report WHERE event_uid = ANY(%(uids)s)
                UNION ALL
                SELECT clear_uid, id FROM scada_failure_report WHERE clear_uid = ANY(%(uids)s)
                UNION ALL
                SELECT event_uid, report_id FROM scada_pending_clear
                 WHERE event_uid = ANY(%(uids)s)
                """,
                uids=uids,
            )
        )
        return {key: report_id or False for key, report_id in self.env.cr.fetchall()}

    @api.model
    def _ingest_equipment_map(self, codes: set[str], company) -> dict[str, int]:
        """Equipment id per SCADA code, the company's own equipment first."""
        if not codes:
            return {}
        found: dict[str, int] = {}
        equipments = self.env["maintenance.equipment"].search_fetch(
            [("scada_code", "in", list(codes)), ("company_id", "in", [company.id, False])],
            ["scada_code", "company_id"],
            order="company_id",  # NULLS LAST: the company's own equipment wins
        )
        for equipment in equipments:
            found.setdefault(equipment.scada_code, equipment.id)
        return found


def _result(event_uid: str, report_id: int | bool, result: str) -> dict[str, Any]:
    assert result in RESULTS
    return {"event_uid": event_uid, "id": report_id or False, "result": result}


def _state(cleared_at: datetime | bool | None) -> str:
    """A failure ends with its PLC clear, a person's Resolve or its request done."""
    return "cleared" if cleared_at else "active"


def _duration(started_at: datetime | None, cleared_at: datetime | None) -> float:
    """Hours from the raise to the clear; 0 while active."""
    if not (started_at and cleared_at):
        return 0.0
    # A PLC clock set back can put the clear before the raise.
    return max((cleared_at - started_at).total_seconds(), 0.0) / 3600.0


def _clear_vals(event: dict[str, Any]) -> dict[str, Any]:
    return {"clear_uid": event["event_uid"], "cleared_at": event["occurred_at"]}
