# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Critical failures announced in a Discuss channel: once per failure, never per event.

A failure is announced when the ingest creates it (pull, push, Retry, by
hand): an event Odoo already knows is a duplicate and creates nothing, so a
replayed batch announces nothing. Only failures still active when they are
stored are news; the scheduled action announces, once each, the failures
active longer than the company's set time. The equipment's technician keeps
the activity of the alert step (``scada.failure.maintenance``).
"""

from datetime import timedelta

from markupsafe import Markup
from odoo import api, fields, models

from .scada_duration import format_duration

#: Failures announced per run of the scheduled action at most (the rest next run).
LONG_ACTIVE_BATCH = 200


class ScadaFailureReport(models.Model):
    _inherit = "scada.failure.report"  # pylint: disable=consider-merging-classes-inherited

    announced_at = fields.Datetime(
        readonly=True, copy=False, help="When the Discuss channel was told of this failure."
    )
    long_announced_at = fields.Datetime(
        readonly=True,
        copy=False,
        help="When the Discuss channel was told this failure stays active.",
    )

    def _announce(self, long_active: bool = False) -> None:
        """Post one message per failure of ``self`` in its company's channel, and mark it."""
        field = "long_announced_at" if long_active else "announced_at"
        # sudo(): the announcement is the system's, posted by OdooBot in the channel
        # an administrator chose, whoever stored the failure (the push API's
        # integration user is no member of it and reads no channel).
        odoobot = self.env.ref("base.partner_root")
        now = fields.Datetime.now()
        for failure in self.filtered(lambda f: not f[field]):
            channel = failure.company_id.sudo().scada_announce_channel_id
            if not channel:
                continue
            channel.sudo().message_post(
                body=failure._announcement(long_active, now),
                author_id=odoobot.id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
            failure.sudo()[field] = now

    def _announcement(self, long_active: bool, now) -> Markup:
        self.ensure_one()
        env = self.env
        what = " ".join(filter(None, [self.failure_code, self.description])) or env._("failure")
        equipment = self.equipment_id.display_name or self.equipment_code
        if long_active:
            headline = env._(
                "%(equipment)s is still down after %(duration)s: %(what)s",
                equipment=equipment,
                duration=format_duration(env, (now - self.started_at).total_seconds()),
                what=what,
            )
        else:
            headline = env._(
                "Critical failure on %(equipment)s: %(what)s", equipment=equipment, what=what
            )
        return Markup('%s <a href="/odoo/scada.failure.report/%s">%s</a>') % (
            headline,
            self.id,
            env._("Open the failure"),
        )

    @api.model
    def _cron_announce_long_active(self) -> None:
        """Scheduled action: announce once each failure active longer than its company's time."""
        now = fields.Datetime.now()
        companies = (
            self.env["res.company"]
            .sudo()
            .search(
                [
                    ("scada_announce_channel_id", "!=", False),
                    ("scada_announce_after_minutes", ">", 0),
                ]
            )
        )
        for company in companies:
            since = now - timedelta(minutes=company.scada_announce_after_minutes)
            failures = self.search(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "active"),
                    ("started_at", "<=", since),
                    ("long_announced_at", "=", False),
                ],
                order="started_at, id",
                limit=LONG_ACTIVE_BATCH,
            )
            failures._announce(long_active=True)


class ScadaFailureMaintenance(models.AbstractModel):
    _inherit = "scada.failure.maintenance"

    @api.model
    def _after_ingest(self, reports) -> None:
        result = super()._after_ingest(reports)
        critical = reports.filtered(lambda f: f.severity == "critical" and f.state == "active")
        critical._announce()
        return result
