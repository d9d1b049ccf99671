# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""A source URI's password never shows where people and programs read errors (issue 9, 14).

libpq quotes what it cannot parse: for a URI whose password holds a bad
percent escape, its message is ``invalid percent-encoded token: "<password>"``.
The bridge rewrites such messages; these tests read every place the module
shows an error and look for any piece of the password.
"""

from datetime import datetime, timedelta

from freezegun import freeze_time
from odoo.tests import tagged

from .api_common import ScadaApiCase

PASSWORD = "Zx9%zzSecretPw"
#: Pieces of the password long enough to give it away.
FRAGMENTS = ("Zx9", "zzSecret", "SecretPw", "%zz")


@tagged("post_install", "-at_install")
class TestSourceSecrets(ScadaApiCase):
    def setUp(self):
        super().setUp()
        # A port nothing parses either way: libpq stops at the password first.
        self.uri = f"postgresql://reader:{PASSWORD}@127.0.0.1:1/scada"
        self.source = self.env["scada.source"].create({"name": "Leaky", "connection_uri": self.uri})

    def assert_no_password(self, text, where):
        for fragment in FRAGMENTS:
            self.assertNotIn(fragment, text or "", f"{where} shows {fragment!r}: {text!r}")

    def test_password_is_in_no_error_a_person_or_program_reads(self):
        start = datetime(2026, 11, 29, 6, 0, 0)
        # Two failed scheduled pulls, 31 minutes apart: the managers get the alert.
        for minute in (0, 31):
            with freeze_time(start + timedelta(minutes=minute)):
                self.env["scada.source"]._cron_pull()
        self.env.invalidate_all()
        source = self.source
        self.assertEqual(source.state, "error")
        self.assertTrue(source.last_error, "the pull failed and says why")
        self.assert_no_password(source.last_error, "last_error")
        for log in source.sync_log_ids:
            self.assert_no_password(log.error, "sync log")
        messages = source.message_ids.mapped("body")
        self.assertTrue(any("not reaching Odoo" in (body or "") for body in messages))
        for body in messages:
            self.assert_no_password(body, "chatter")

        notification = source.action_test_connection()
        self.assert_no_password(str(notification), "Test connection")
        self.assert_no_password(source.backlog_note, "backlog note")
        pulled = source.action_pull()
        self.assert_no_password(str(pulled), "Pull now")

        status = self.get(key=self.manager_key, path="/api/scada/status")
        self.assertEqual(status.status_code, 200, status.text)
        (listed,) = [s for s in status.json()["sources"] if s["id"] == source.id]
        self.assertTrue(listed["last_error"])
        self.assert_no_password(status.text, "/api/scada/status")
