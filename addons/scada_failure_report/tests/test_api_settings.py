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
