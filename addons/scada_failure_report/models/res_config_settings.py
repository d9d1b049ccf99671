# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Settings > SCADA: plant time zone, maintenance requests, alerts, reliability window,
PLC status interval."""

from odoo import fields, models
from odoo.addons.base.models.res_partner import _tz_get

from .scada_api_old_routes import CORS_ORIGINS_PARAM
from .scada_api_plant_time import PLANT_TZ_PARAM
from .scada_equipment_reliability import KPI_DAYS_PARAM
from .scada_plc_status import DEFAULT_INTERVAL, PARAM_INTERVAL
from .scada_sync_log import DEFAULT_RETENTION_DAYS, PARAM_RETENTION_DAYS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    scada_plant_tz = fields.Selection(
        _tz_get,
        string="Plant Time Zone",
        config_parameter=PLANT_TZ_PARAM,
        # Shown when unset: the zone the API already reads times in (the
        # company administrator's), so saving the settings keeps it.
        default=lambda self: self.env["scada.api"]._plant_tz_name(),
        help="A time pushed without an offset (e.g. '2026-02-23 20:22:35', the form the "
        "SCADA middleware sends) is read as a wall-clock time of this zone, and the old "
        "clients' reports count days in it. Unset, the company administrator's time zone "
        "is used (else UTC).",
    )
    scada_cors_origins = fields.Char(
        string="Dashboard Origins",
        config_parameter=CORS_ORIGINS_PARAM,
        help="Origins (https://scada.example.com, space or comma separated) of a dashboard "
        "page allowed to call the SCADA API with the session of POST /api/scada/authenticate "
        "(CORS with credentials), as the old grt_scada module's SCADA_CORS_ORIGIN. The "
        "session cookie is SameSite=Lax: the page must be on the same site (a sibling "
        "host of the same domain). Empty: none.",
    )
    scada_request_min_severity = fields.Selection(
        related="company_id.scada_request_min_severity", readonly=False
    )
    scada_alert_min_severity = fields.Selection(
        related="company_id.scada_alert_min_severity", readonly=False
    )
    scada_clear_on_request_done = fields.Boolean(
        related="company_id.scada_clear_on_request_done", readonly=False
    )
    scada_kpi_days = fields.Integer(
        string="Reliability Window (days)",
        config_parameter=KPI_DAYS_PARAM,
        default=30,
        help="Downtime, MTBF, MTTR and availability are computed over this many days "
        "ending now.",
    )
    scada_plc_status_interval = fields.Float(
        string="PLC Status Interval (s)",
        config_parameter=PARAM_INTERVAL,
        default=DEFAULT_INTERVAL,
        help="How often the poller rewrites each PLC's status row: its [poller] status_every "
        "(5 s by default), or the PLC's interval when that is longer. SCADA > PLCs shows a "
        "PLC as Stale when its last poll is older than 3 of these intervals.",
    )
    scada_log_retention_days = fields.Integer(
        string="Pull Log Retention (days)",
        config_parameter=PARAM_RETENTION_DAYS,
        default=DEFAULT_RETENTION_DAYS,
        help="Pull runs (SCADA > Pull Log) and their rejected rows older than this are "
        "deleted by a daily scheduled action.",
    )
