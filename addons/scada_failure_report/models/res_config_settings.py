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
        default="UTC",
        help="A time pushed without an offset (e.g. '2026-02-23 20:22:35', the form the "
        "SCADA middleware sends) is read as a wall-clock time of this zone.",
    )
