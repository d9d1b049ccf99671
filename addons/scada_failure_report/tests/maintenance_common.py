# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""A small plant's maintenance side: a team, a technician, equipment, failure codes.

Failures reach Odoo the two real ways: pulled from the SCADA database
(``insert`` + ``pull``, as the poller and the cron do) or pushed by the
integration user (``push``, the API's own ingest).
"""

import uuid
from datetime import datetime, timedelta, timezone

from odoo.tests import new_test_user

from .common import ScadaCase


class MaintenanceCase(ScadaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tech = new_test_user(
            cls.env, login="scada_tech_t", groups="base.group_user", name="Tina Technician"
        )
        cls.member_a = new_test_user(
            cls.env, login="scada_member_a_t", groups="base.group_user", name="Ari Member"
        )
        cls.member_b = new_test_user(
            cls.env, login="scada_member_b_t", groups="base.group_user", name="Bo Member"
        )
        cls.maintenance_manager = new_test_user(
            cls.env,
            login="scada_maint_mgr_t",
            groups="base.group_user,maintenance.group_equipment_manager,"
            "scada_failure_report.group_scada_user",
            name="Mona Maintenance",
        )
        cls.bot = new_test_user(
            cls.env,
            login="scada_bot_m_t",
            groups="base.group_user,scada_failure_report.group_scada_integration",
            name="Middleware Bot",
        )
        cls.team = cls.env["maintenance.team"].create(
            {"name": "Line 1 crew", "member_ids": [(6, 0, [cls.member_a.id, cls.member_b.id])]}
        )
        cls.silo.write({"maintenance_team_id": cls.team.id, "technician_user_id": cls.tech.id})
        # Maintenance shows a technician only the equipment they follow.
        cls.silo.message_subscribe(partner_ids=cls.tech.partner_id.ids)
        cls.hopper = cls.env["maintenance.equipment"].create(
            {"name": "Hopper 7", "scada_code": "hopper7", "maintenance_team_id": cls.team.id}
        )
        cls.Code = cls.env["scada.failure.code"]
        cls.Request = cls.env["maintenance.request"]
        cls.done_stage = cls.env["maintenance.stage"].search([("done", "=", True)], limit=1)
        cls.company.scada_request_min_severity = "high"
        cls.company.scada_alert_min_severity = "critical"

    # -- failures pushed by the integration user ---------------------------

    @staticmethod
    def event(
        at: datetime,
        code: str = "silo101",
        failure_code: str | None = "START_FAILURE",
        severity: str | None = "high",
        description: str = "Motor did not start",
        **values,
    ) -> dict:
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        return {
            "event_uid": str(uuid.uuid4()),
            "kind": "raised",
            "equipment_code": code,
            "failure_code": failure_code,
            "description": description,
            "severity": severity,
            "occurred_at": at,
            "device": "plc-1",
            **values,
        }

    @staticmethod
    def clear_of(raised: dict, at: datetime) -> dict:
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        return {
            "event_uid": str(uuid.uuid4()),
            "kind": "cleared",
            "raise_uid": raised["event_uid"],
            "equipment_code": raised["equipment_code"],
            "occurred_at": at,
            "device": raised.get("device"),
        }

    def push(self, *events: dict) -> list[dict]:
        """Ingest as the push API does, as the integration user (its one write)."""
        return self.env["scada.api"].with_user(self.bot)._ingest_push(list(events))

    def failure(self, event: dict):
        self.env.invalidate_all()
        return self.Report.search([("event_uid", "=", event["event_uid"])])

    def requests_of(self, equipment):
        self.env.invalidate_all()
        return self.Request.search([("equipment_id", "=", equipment.id)], order="id")

    def scada_activities(self):
        self.env.invalidate_all()
        return self.env["mail.activity"].search(
            [
                (
                    "activity_type_id",
                    "=",
                    self.env.ref("scada_failure_report.mail_activity_type_scada_failure").id,
                )
            ],
            order="id",
        )

    @staticmethod
    def hours(n: float) -> timedelta:
        return timedelta(hours=n)
