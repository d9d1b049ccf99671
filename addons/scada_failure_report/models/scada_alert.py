# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""What a failed or recovered pull tells people: the source's health and the managers' alert.

A cron that keeps failing is deactivated by Odoo with only a log line, so a
pull failing because the SCADA database is down must reach a person: after
``scada_failure_report.error_alert_minutes`` of failed pulls the SCADA
managers get one message on the source, and one more when it works again.

Imports: Odoo only.
"""

import logging
from datetime import timedelta

import odoo
from odoo import fields

_logger = logging.getLogger(__name__)

PARAM_ALERT_MINUTES = "scada_failure_report.error_alert_minutes"
DEFAULT_ALERT_MINUTES = 30
GROUP_MANAGER = "scada_failure_report.group_scada_manager"


def record_failure(source, message: str) -> None:
    """Mark the source in error; after a while, tell the managers once."""
    now = fields.Datetime.now()
    vals = {"state": "error", "last_error": message, "last_pull_at": now}
    if not source.error_since:
        vals["error_since"] = now
    source.write(vals)
    minutes = alert_minutes(source.env)
    if not source.error_alerted and now - source.error_since >= timedelta(minutes=minutes):
        _alert_managers(source, message, minutes)
        source.error_alerted = True


def record_success(source) -> None:
    """Mark the source OK; if the managers were alerted, tell them it works again."""
    now = fields.Datetime.now()
    if source.error_alerted:
        source.message_post(
            body=source.env._("Pulling from %(name)s works again.", name=source.name),
            subtype_xmlid="mail.mt_note",
        )
    source.write(
        {
            "state": "ok",
            "last_success_at": now,
            "last_pull_at": now,
            "last_error": False,
            "error_since": False,
            "error_alerted": False,
        }
    )


def alert_minutes(env) -> int:
    """Minutes of failed pulls before the managers are told (system parameter)."""
    value = env["ir.config_parameter"].sudo().get_param(PARAM_ALERT_MINUTES)
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


def _alert_managers(source, message: str, minutes: int) -> None:
    group = source.env.ref(GROUP_MANAGER)
    managers = group.users.filtered(
        lambda u: not u.share and u.id != odoo.SUPERUSER_ID and source.company_id in u.company_ids
    )
    source.message_post(
        body=source.env._(
            "Failures are not reaching Odoo: pulling from %(name)s has failed for more "
            "than %(minutes)s minutes. Last error: %(error)s",
            name=source.name,
            minutes=minutes,
            error=message,
        ),
        partner_ids=managers.partner_id.ids,
        message_type="comment",
        subtype_xmlid="mail.mt_comment",
    )
