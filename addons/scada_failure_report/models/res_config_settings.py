"""Settings > SCADA: the plant's time zone, for pushed times written without an offset."""

from odoo import fields, models
from odoo.addons.base.models.res_partner import _tz_get

from .scada_api import PLANT_TZ_PARAM


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
