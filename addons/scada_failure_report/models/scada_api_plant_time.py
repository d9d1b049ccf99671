# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The plant's time zone: how the API reads a time without offset and writes ``date``.

Pushed times without an offset (the old middleware's ``2026-02-23 20:22:35``),
the old report's days and every ``date`` answered are wall-clock times of the
plant. The zone is Settings > SCADA > Plant time zone, else the company
administrator's, else UTC; ``scada-bridge doctor`` reads :meth:`_plant_tz_status`.
"""

import logging
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from odoo import api, models
from scada_bridge import time_from_json

_logger = logging.getLogger(__name__)

PLANT_TZ_PARAM = "scada_failure_report.plant_tz"
#: A PLC clock may run ahead; more than this is a wrong clock or time zone.
MAX_CLOCK_AHEAD = timedelta(days=1)
OLDEST_TIME = datetime(1970, 1, 1, tzinfo=timezone.utc)


def wall_time(value: datetime | None, tz: tzinfo) -> str | None:
    """``YYYY-MM-DD HH:MM:SS`` of ``value`` in zone ``tz``; never raises for a stored time.

    The one way a stored time is shown in the plant's zone (API answers,
    request texts, alerts). ``value`` is aware, or naive UTC as Odoo stores
    datetimes. A time the zone cannot hold (9999-12-31 23:00 UTC is past the
    year 9999 in a UTC+7 plant, 0001-01-01 00:00 UTC before year 1 west of
    Greenwich) is shown in UTC with its zone named instead of failing the
    pull, the request or the answer around it.
    """
    if not value:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:
        return _wall(value.astimezone(tz))
    except (OverflowError, ValueError):
        try:
            return f"{_wall(value.astimezone(timezone.utc))} UTC"
        except (OverflowError, ValueError):
            return value.isoformat(" ", "seconds")


def _wall(value: datetime) -> str:
    # isoformat, not strftime: strftime writes year 1 as "1", not "0001".
    return value.replace(tzinfo=None).isoformat(" ", "seconds")


# One concern per file: scada.api inherits this and the old routes' part on purpose.
class ScadaApiPlantTime(models.AbstractModel):  # pylint: disable=consider-merging-classes-inherited
    """Part of ``scada.api`` (which inherits it): call these through ``env["scada.api"]``."""

    _name = "scada.api.plant.time"
    _description = "SCADA API: plant time zone"

    @api.model
    def _plant_tz_name(self) -> str:
        """The plant's time zone: Settings > SCADA, else the company administrator's, else UTC.

        A plant that never opened the setting is not read in UTC when its
        administrator's own zone says where it is (a WIB plant would be 7 h off).
        """
        # ir.config_parameter is readable by administrators only; the plant
        # time zone is not a secret and every API user needs it.
        name = self.env["ir.config_parameter"].sudo().get_param(PLANT_TZ_PARAM)
        return name or self._admin_tz_name() or "UTC"

    @api.model
    def _admin_tz_name(self) -> str | None:
        """The time zone of the current company's first administrator who has one."""
        # sudo(): the API users may not search users by group; only a zone name is read.
        admins = (
            self.env["res.users"]
            .sudo()
            .search_fetch(
                [
                    ("share", "=", False),
                    ("company_ids", "in", self.env.company.id),
                    ("groups_id", "in", self.env.ref("base.group_system").id),
                    ("tz", "!=", False),
                ],
                ["tz"],
                order="id",
                limit=1,
            )
        )
        return admins.tz or None

    @api.model
    def _plant_tz_status(self) -> dict:
        """The plant time zone and the zones Odoo's users are in, for ``scada-bridge doctor``."""
        # sudo(): the doctor's user may not read every user; only zone counts leave here.
        groups = (
            self.env["res.users"].sudo()._read_group([("share", "=", False)], ["tz"], ["__count"])
        )
        param = self.env["ir.config_parameter"].sudo().get_param(PLANT_TZ_PARAM)
        return {
            "name": self._plant_tz().key,
            "set": bool(param),
            "users": {tz or "": count for tz, count in groups},
        }

    @api.model
    def _plant_tz(self) -> ZoneInfo:
        """The plant's time zone (:meth:`_plant_tz_name`); UTC when it is unknown."""
        name = self._plant_tz_name()
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            _logger.warning(
                "setting %s=%r is not a time zone; reading times as UTC", PLANT_TZ_PARAM, name
            )
            return ZoneInfo("UTC")

    @api.model
    def _read_time(self, text: str, tz: ZoneInfo | None = None) -> datetime:
        """An aware UTC datetime from ISO 8601 or ``YYYY-MM-DD HH:MM:SS``.

        A time without offset is a wall-clock time of the plant (``tz``).
        Raises ValueError with a sentence a client can act on.
        """
        value = time_from_json(text, tz or self._plant_tz())
        try:
            value = value.astimezone(timezone.utc)
        except OverflowError:
            raise ValueError(f"{text!r} is out of range") from None
        if value < OLDEST_TIME:
            raise ValueError(f"{text!r} is before 1970")
        if value > datetime.now(timezone.utc) + MAX_CLOCK_AHEAD:
            raise ValueError(
                f"{text!r} is more than a day in the future: check the PLC clock, "
                "the offset sent, or the plant time zone setting"
            )
        return value

    @api.model
    def _plant_wall_time(self, value: datetime | None, tz: ZoneInfo | None = None) -> str | None:
        """``YYYY-MM-DD HH:MM:SS`` in the plant's zone (the old middleware's format).

        ``value`` is aware, or naive UTC as Odoo stores datetimes; see
        :func:`wall_time` for the times the zone cannot hold.
        """
        return wall_time(value, tz or self._plant_tz())
