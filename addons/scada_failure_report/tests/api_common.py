# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Shared base of the push API tests: users, API keys and a JSON HTTP client.

Every test goes through real HTTP to the Odoo server the test run starts.
"""

import json
import uuid

from odoo.tests import HttpCase, new_test_user

GROUP = "scada_failure_report.group_scada_%s"
API = "/api/scada/equipment-failure"


class ScadaApiCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("scada_failure_report.plant_tz", "UTC")
        cls.bot = cls._user("scada_bot", "integration")
        cls.reader = cls._user("scada_reader", "user")
        cls.manager = cls._user("scada_manager", "manager")
        cls.outsider = new_test_user(cls.env, login="outsider", password="outsider-pass-1")
        cls.bot_key = cls._key(cls.bot)
        cls.reader_key = cls._key(cls.reader)
        cls.manager_key = cls._key(cls.manager)
        cls.outsider_key = cls._key(cls.outsider)
        cls.silo = cls.env["maintenance.equipment"].create(
            {"name": "Silo 101", "scada_code": "silo101"}
        )
        cls.Report = cls.env["scada.failure.report"]

    @classmethod
    def _user(cls, login, group):
        return new_test_user(
            cls.env,
            login=login,
            password=f"{login}-pass-1",
            groups=f"base.group_user,{GROUP % group}",
        )

    @classmethod
    def _key(cls, user):
        # sudo(): a persistent key without expiration date, like an administrator gives a bot.
        return cls.env["res.users.apikeys"].with_user(user).sudo()._generate(None, "test", None)

    def post(self, body, key=None, path=API, raw=None, headers=None, opener=None):
        """POST ``body`` as JSON (or ``raw`` bytes as they are); returns the response."""
        send = {"Content-Type": "application/json"}
        if key:
            send["Authorization"] = f"Bearer {key}"
        send.update(headers or {})
        data = raw if raw is not None else json.dumps(body).encode()
        return (opener or self.opener).post(
            self.base_url() + path, data=data, headers=send, timeout=30
        )

    def get(self, params=None, key=None, path=API, opener=None):
        send = {"Authorization": f"Bearer {key}"} if key else {}
        return (opener or self.opener).get(
            self.base_url() + path, params=params or {}, headers=send, timeout=30
        )

    def reports(self, domain=None):
        self.env.invalidate_all()
        return self.Report.search(domain or [], order="id")

    @staticmethod
    def event(**values):
        base = {
            "event_uid": str(uuid.uuid4()),
            "equipment_code": "silo101",
            "failure_code": "START_FAILURE",
            "description": "Motor did not start",
            "severity": "high",
            "occurred_at": "2026-02-23T20:22:35+00:00",
            "device": "plc-1",
        }
        base.update(values)
        return {k: v for k, v in base.items() if v is not None}
