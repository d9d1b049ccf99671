# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Settings > SCADA: the plant time zone the push API reads naive times in."""

from datetime import datetime

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestApiSettings(TransactionCase):
    def test_plant_time_zone_setting_drives_naive_times(self):
        settings = self.env["res.config.settings"].create({"scada_plant_tz": "America/Chicago"})
        settings.execute()
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("scada_failure_report.plant_tz"),
            "America/Chicago",
        )
        read = self.env["scada.api"]._read_time("2026-02-23 20:22:35")
        self.assertEqual(read.replace(tzinfo=None), datetime(2026, 2, 24, 2, 22, 35))
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="scada_plant_tz"', arch)

    def test_unknown_zone_falls_back_to_utc(self):
        self.env["ir.config_parameter"].set_param("scada_failure_report.plant_tz", "Mars/Olympus")
        read = self.env["scada.api"]._read_time("2026-02-23 20:22:35")
        self.assertEqual(read.replace(tzinfo=None), datetime(2026, 2, 23, 20, 22, 35))

    def test_unset_zone_is_the_company_administrators(self):
        """A WIB plant that never opened the setting is not read 7 hours off."""
        self.env["ir.config_parameter"].set_param("scada_failure_report.plant_tz", False)
        self.env.ref("base.user_admin").tz = "Asia/Jakarta"
        Api = self.env["scada.api"]
        self.assertEqual(Api._plant_tz_name(), "Asia/Jakarta")
        read = Api._read_time("2026-02-23 20:22:35")
        self.assertEqual(read.replace(tzinfo=None), datetime(2026, 2, 23, 13, 22, 35))
        # Settings shows the zone in use, so saving them keeps it.
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.scada_plant_tz, "Asia/Jakarta")
        settings.execute()
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("scada_failure_report.plant_tz"),
            "Asia/Jakarta",
        )

    def test_status_tells_the_doctor_the_zone_and_the_users_zones(self):
        self.env["ir.config_parameter"].set_param("scada_failure_report.plant_tz", "UTC")
        self.env.ref("base.user_admin").tz = "Asia/Jakarta"
        status = self.env["scada.source"]._status_json()["plant_tz"]
        self.assertEqual((status["name"], status["set"]), ("UTC", True))
        self.assertGreaterEqual(status["users"]["Asia/Jakarta"], 1)
