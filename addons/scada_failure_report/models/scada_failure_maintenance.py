# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""What the ingest makes of new failures for the Maintenance app, in one bulk step per call.

The ingest (``scada.failure.report._ingest_events``) gets the failure code
records of its new failures from :meth:`_code_map` before its INSERT
(creating the codes met for the first time). After it created failures
(pulled, pushed or recorded by hand), :meth:`_after_ingest` opens or reuses
one corrective ``maintenance.request`` per equipment and failure code and
alerts the equipment's technician once per equipment and code. Every step is
one query (or one ``create()``) for the whole call, never one per event, so a
1,000-event batch costs a handful of queries more; everything happens in the
ingest's transaction, so a replayed batch (its events now duplicates) creates
nothing.

The steps run as superuser on purpose: the push API's integration user and an
operator recording a failure have no right to create failure codes, requests
or activities themselves, and must not get one over RPC; the ingest needs
them, and finds every open request whoever opened it (record rules would hide
another user's requests and make a second one).
"""

import uuid
from datetime import datetime, timezone
from typing import NamedTuple

from markupsafe import Markup
from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .scada_failure_code import severity_rank

#: maintenance.request priority (0 very low .. 3 high) per failure severity.
PRIORITY = {"low": "0", "medium": "1", "high": "2", "critical": "3"}
ACTIVITY_TYPE = "scada_failure_report.mail_activity_type_scada_failure"
#: Repeats listed one by one in a request's "raised again" note; more are counted.
NOTE_LINES = 10


class ScadaFailureMaintenance(models.AbstractModel):
    _name = "scada.failure.maintenance"
    _description = "SCADA failures into maintenance work"

    # ------------------------------------------------------------------
    # Operators' entries
    # ------------------------------------------------------------------

    @api.model
    def _create_manual(self, vals_list: list[dict]):
        """Failures recorded by hand (form or RPC), ingested like pulled ones."""
        Report = self.env["scada.failure.report"]
        Code = self.env["scada.failure.code"]
        now = fields.Datetime.now()
        events = []
        for vals in vals_list:
            equipment = self.env["maintenance.equipment"].browse(vals.get("equipment_id") or [])
            if not equipment:
                raise ValidationError(self.env._("A failure recorded by hand needs its equipment."))
            code = Code.browse(vals.get("failure_code_id") or [])
            started = fields.Datetime.to_datetime(vals.get("started_at")) or now
            events.append(
                {
                    "event_uid": str(uuid.uuid4()),
                    "kind": "raised",
                    "equipment_code": equipment.scada_code or equipment.name,
                    "equipment_id": equipment.id,
                    "failure_code": code.code or vals.get("failure_code") or None,
                    "description": vals.get("description") or None,
                    "severity": vals.get("severity") or code.severity or None,
                    "occurred_at": started.replace(tzinfo=timezone.utc),
                }
            )
        results = Report._ingest_events(events, "manual")
        return Report.browse([result["id"] for result in results])

    # ------------------------------------------------------------------
    # After the ingest
    # ------------------------------------------------------------------

    @api.model
    def _code_map(self, codes: set[str], company) -> dict[str, tuple[int, str | bool]]:
        """(id, default severity) of each failure code, creating the ones met for the first time.

        Called by the ingest before its INSERT, so the failures are stored
        with their code record and severity at once; archived codes are
        reused, never made twice (the code is unique per company).
        """
        if not codes:
            return {}
        Code = self.env["scada.failure.code"].sudo().with_context(active_test=False)
        known = Code.search_fetch(
            [("company_id", "=", company.id), ("code", "in", list(codes))], ["code", "severity"]
        )
        missing = codes - set(known.mapped("code"))
        if missing:
            known |= Code.create([{"code": code, "company_id": company.id} for code in missing])
        return {code.code: (code.id, code.severity) for code in known}

    @api.model
    def _after_ingest(self, reports) -> None:
        """Requests and alerts for failures just created by the ingest."""
        # E-mails (a new request's assignment, an alert) go to the mail queue:
        # sent by its scheduled action, never by the pull's commit.
        step = self.with_context(mail_notify_force_send=False)
        rows = step._rows(reports)
        step._open_requests(rows)
        step._alert(rows)

    @api.model
    def _rows(self, reports) -> list["_Row"]:
        """What the steps need of each new failure, in one SELECT, oldest first.

        Plain rows, not records: reading records would fetch every column
        (payload, description, ...) of every failure of the batch.
        """
        reports.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                SELECT id, equipment_id, failure_code_id, severity, company_id, state,
                       started_at, failure_code, description
                  FROM scada_failure_report
                 WHERE id = ANY(%s)
                 ORDER BY started_at, id
                """,
                reports.ids,
            )
        )
        return [_Row(*row) for row in self.env.cr.fetchall()]

    @api.model
    def _open_requests(self, rows: list["_Row"]) -> None:
        """One open corrective request per equipment and code; repeats link to it."""
        Code = self.env["scada.failure.code"].sudo()
        Company = self.env["res.company"].sudo()
        decisions: dict[tuple, bool] = {}  # a handful of (code, severity, company) per call

        def wants(row: _Row) -> bool:
            key = (row.code_id, row.severity, row.company_id)
            if key not in decisions:
                company = Company.browse(row.company_id)
                decisions[key] = (
                    Code.browse(row.code_id)._wants_request(row.severity, company)
                    if row.code_id
                    else severity_rank(row.severity)
                    >= severity_rank(company.scada_request_min_severity or "high")
                )
            return decisions[key]

        Request = self.env["maintenance.request"].sudo()
        groups: dict[str, list[_Row]] = {}
        for row in rows:
            if row.equipment_id and wants(row):
                groups.setdefault(f"{row.equipment_id}-{row.code_id or 0}", []).append(row)
        if not groups:
            return
        requests = {
            request.scada_open_key: request
            for request in Request.search([("scada_open_key", "in", list(groups))])
        }
        new_keys = [key for key in groups if key not in requests]
        if new_keys:
            Report = self.env["scada.failure.report"].sudo()
            created = Request.create(
                [self._request_vals(Report.browse(groups[key][0].id)) for key in new_keys]
            )
            requests.update(zip(new_keys, created, strict=True))
        link_ids, request_ids = [], []
        for key, group in groups.items():
            link_ids += [row.id for row in group]
            request_ids += [requests[key].id] * len(group)
        self.env.cr.execute(
            SQL(
                """
                UPDATE scada_failure_report f SET maintenance_request_id = link.request_id
                  FROM unnest(%s::int[], %s::int[]) AS link(id, request_id)
                 WHERE f.id = link.id
                """,
                link_ids,
                request_ids,
            )
        )
        self.env["scada.failure.report"].browse(link_ids).invalidate_recordset(
            ["maintenance_request_id"]
        )
        Request.browse(request_ids).invalidate_recordset(["scada_failure_ids"])
        bodies = {}
        tz = self.env["scada.api"]._plant_tz()
        for key, group in groups.items():
            repeats = group if key not in new_keys else group[1:]
            if repeats:
                bodies[requests[key].id] = self._repeats_note(repeats, tz)
        if bodies:
            # One note per request, all logged in one INSERT (a note notifies no one).
            Request.browse(list(bodies))._message_log_batch(bodies, message_type="comment")

    @api.model
    def _request_vals(self, report) -> dict:
        equipment = report.equipment_id
        code = report.failure_code_id
        api_rules = self.env["scada.api"]
        description = Markup("<p>%s</p><ul><li>%s</li><li>%s</li><li>%s</li></ul>") % (
            report.description or self.env._("Failure reported by SCADA."),
            self.env._("Raised at %s", api_rules._plant_wall_time(report.started_at)),
            self.env._("Severity: %s", self._severity_label(report) or "-"),
            self.env._("Failure code: %s", code.display_name or report.failure_code or "-"),
        )
        # _() outside the f-string: the term extractor does not look inside one.
        what = code.code or self.env._("failure")
        vals = {
            "name": f"{equipment.name} - {what}",
            "maintenance_type": "corrective",
            "equipment_id": equipment.id,
            "scada_request": True,
            "scada_failure_code_id": code.id,
            "company_id": (equipment.company_id or report.company_id).id,
            "schedule_date": report.started_at,
            "request_date": report.started_at.date(),
            "priority": PRIORITY.get(report.severity, "1"),
            "description": description,
        }
        if equipment.maintenance_team_id:
            vals["maintenance_team_id"] = equipment.maintenance_team_id.id
        return vals

    @api.model
    def _repeats_note(self, repeats: list["_Row"], tz) -> Markup:
        """The note on a request for all the failures of this call that repeat it."""
        api_rules = self.env["scada.api"]
        lines = [
            Markup("<li>%s</li>")
            % self.env._(
                "raised again at %(time)s: %(what)s",
                time=api_rules._plant_wall_time(row.started_at, tz),
                what=row.description or row.failure_code or "-",
            )
            for row in repeats[:NOTE_LINES]
        ]
        if len(repeats) > NOTE_LINES:
            lines.append(
                Markup("<li>%s</li>") % self.env._("and %s more times", len(repeats) - NOTE_LINES)
            )
        return Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("This failure was raised again (%s):", len(repeats)),
            Markup().join(lines),
        )

    # ------------------------------------------------------------------
    # Alerts
    # ------------------------------------------------------------------

    @api.model
    def _alert(self, rows: list["_Row"]) -> None:
        """One 'SCADA failure' activity per equipment and code while one is open."""
        Company = self.env["res.company"].sudo()
        thresholds = {
            company.id: severity_rank(company.scada_alert_min_severity or "critical")
            for company in Company.browse({row.company_id for row in rows})
        }
        first: dict[tuple[int, int], _Row] = {}
        for row in rows:
            if row.state == "active" and severity_rank(row.severity) >= thresholds[row.company_id]:
                first.setdefault((row.equipment_id or False, row.code_id or False), row)
        if not first:
            return
        activity_type = self.env.ref(ACTIVITY_TYPE)
        open_keys = self._open_alert_keys(activity_type, list(first))
        Report = self.env["scada.failure.report"].sudo()
        todo = [Report.browse(row.id) for key, row in first.items() if key not in open_keys]
        if not todo:
            return
        managers = self._managers()
        vals_list = []
        for report in todo:
            record = report.maintenance_request_id or report
            user = self._alert_user(report, managers)
            vals_list.append(
                {
                    "activity_type_id": activity_type.id,
                    "res_model_id": self.env["ir.model"]._get_id(record._name),
                    "res_id": record.id,
                    "user_id": user.id,
                    "summary": self.env._("SCADA failure: %s", report.display_name),
                    "note": self._alert_text(report),
                    "date_deadline": fields.Date.context_today(self),
                }
            )
            equipment = report.equipment_id
            if equipment:
                # Its followers get it; without a technician, the whole team too.
                told = user.partner_id
                if not equipment.technician_user_id:
                    told |= equipment.maintenance_team_id.member_ids.partner_id
                equipment.message_post(
                    body=self._alert_text(report),
                    subject=self.env._("SCADA failure: %s", report.display_name),
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                    partner_ids=told.ids,
                )
        # Quiet: the equipment's message above is the one notification; a
        # failure without equipment tells its manager through the activity alone.
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            vals_list
        )

    @api.model
    def _open_alert_keys(self, activity_type, keys: list) -> set[tuple[int, int]]:
        """(equipment, code) pairs that already have an open 'SCADA failure' activity."""
        equipment_ids = list({equipment or 0 for equipment, _code in keys})
        self.env["mail.activity"].flush_model()
        self.env["scada.failure.report"].flush_model(["equipment_id", "failure_code_id"])
        self.env["maintenance.request"].flush_model(["equipment_id", "scada_failure_code_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(f.equipment_id, 0), COALESCE(f.failure_code_id, 0)
                  FROM mail_activity a
                  JOIN scada_failure_report f
                    ON a.res_model = 'scada.failure.report' AND a.res_id = f.id
                 WHERE a.activity_type_id = %(type)s AND a.active
                   AND COALESCE(f.equipment_id, 0) = ANY(%(equipment)s)
                 UNION
                SELECT COALESCE(r.equipment_id, 0), COALESCE(r.scada_failure_code_id, 0)
                  FROM mail_activity a
                  JOIN maintenance_request r
                    ON a.res_model = 'maintenance.request' AND a.res_id = r.id
                 WHERE a.activity_type_id = %(type)s AND a.active
                   AND r.equipment_id = ANY(%(equipment)s)
                """,
                type=activity_type.id,
                equipment=equipment_ids,
            )
        )
        return {(equipment or False, code or False) for equipment, code in self.env.cr.fetchall()}

    @api.model
    def _managers(self):
        group = self.env.ref("scada_failure_report.group_scada_manager")
        return group.users.filtered(
            lambda u: not u.share and u.id != self.env.ref("base.user_root").id
        )

    @api.model
    def _alert_user(self, report, managers):
        """The equipment's technician, else its team's first member, else a SCADA manager."""
        equipment = report.equipment_id
        company = report.company_id
        candidates = (
            equipment.technician_user_id
            | equipment.maintenance_team_id.member_ids.sorted("id")
            | managers.filtered(lambda u: company in u.company_ids).sorted("id")
        )
        return candidates[:1] or self.env.user

    @api.model
    def _severity_label(self, report) -> str:
        """The severity as the user's language shows it ("Kritis"), not its key."""
        return report._fields["severity"].convert_to_export(report.severity, report)

    @api.model
    def _alert_text(self, report) -> Markup:
        api_rules = self.env["scada.api"]
        return Markup("<p>%s</p>") % self.env._(
            "%(severity)s failure on %(equipment)s at %(time)s: %(what)s",
            severity=self._severity_label(report),
            equipment=report.equipment_id.display_name or report.equipment_code,
            time=api_rules._plant_wall_time(report.started_at),
            what=report.description or report.failure_code or "-",
        )


class _Row(NamedTuple):
    """One new failure as the maintenance step reads it (see ``_rows``)."""

    id: int
    equipment_id: int | None
    code_id: int | None
    severity: str | None
    company_id: int
    state: str | None
    started_at: datetime
    failure_code: str | None
    description: str | None
