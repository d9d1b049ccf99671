# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""What the routes of the old ``grt_scada`` module answer: health, version,
equipment by SCADA code, and the period report its dashboard draws.

Plants switch over with their middleware, diagnostic script and dashboard
unchanged, so these answer in the old shapes (with a few more fields), read
with the caller's access rights, and take every date in the plant's time zone.
"""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.tools import SQL

MODULE = "scada_failure_report"
#: Browser origins (scheme://host[:port]) of the old dashboard, trusted with the session cookie.
CORS_ORIGINS_PARAM = "scada_failure_report.cors_origins"
#: The old report's ``period`` values.
PERIODS = (
    "today",
    "yesterday",
    "this_week",
    "last_7_days",
    "this_month",
    "last_month",
    "this_year",
)
REPORT_DEFAULT_LIMIT = 100
#: Wall-clock forms the old clients send, with how much of the time each gives:
#: a bound is widened to the end of that unit when it closes a range.
_WALL_FORMATS = (
    ("%Y-%m-%d %H:%M:%S", timedelta(seconds=1)),
    ("%Y-%m-%d %H:%M", timedelta(minutes=1)),
    ("%Y-%m-%d", timedelta(days=1)),
    ("%d/%m/%Y %H:%M:%S", timedelta(seconds=1)),
    ("%d/%m/%Y %H:%M", timedelta(minutes=1)),
    ("%d/%m/%Y", timedelta(days=1)),
)


#: The old module's ``connection_status`` for each PLC state of SCADA > PLCs.
_CONNECTION = {
    "ok": "connected",
    "unreachable": "disconnected",
    "error": "error",
    "stale": "stale",
    "unknown": "unknown",
}


class ScadaApiOldRoutes(models.AbstractModel):
    """Part of ``scada.api`` (which inherits it, and whose replies these use)."""

    _name = "scada.api.old.routes"
    _description = "SCADA API: routes of the old grt_scada module"

    # -- health and version ---------------------------------------------------

    @api.model
    def _health_json(self) -> dict:
        """The old public health check; says nothing but that the module answers."""
        now = datetime.now(timezone.utc).astimezone(self._plant_tz()).replace(microsecond=0)
        return {"status": "ok", "message": "SCADA module is running", "timestamp": now.isoformat()}

    @api.model
    def _version_json(self) -> dict:
        # sudo(): ir.module.module is readable by administrators only; its
        # version is what the caller asked for and nothing else is read.
        module = self.env["ir.module.module"].sudo().search([("name", "=", MODULE)], limit=1)
        return {
            "status": "success",
            "name": "SCADA Failure Report",
            "module": MODULE,
            "version": module.latest_version or None,
        }

    @api.model
    def _cors_origins(self) -> set[str]:
        """The dashboard origins trusted with the session cookie (Settings > SCADA)."""
        # ir.config_parameter is readable by administrators only; the origins
        # are asked before anyone is authenticated (the browser's preflight).
        text = self.env["ir.config_parameter"].sudo().get_param(CORS_ORIGINS_PARAM) or ""
        return {origin.strip().rstrip("/") for origin in text.replace(",", " ").split() if origin}

    # -- equipment --------------------------------------------------------------

    @api.model
    def _equipment_json(self, code: str) -> dict | None:
        """The equipment with this SCADA code, its failures at a glance; None if unknown.

        ``plc`` is the state of the PLC that reported its last failure, as
        Odoo last read it (SCADA > PLCs keeps that mirror): None when unknown
        or when the caller may not read PLC status. The SCADA database itself
        is not asked: a connection there on every API call would tie a worker
        to that database's health.
        """
        Equipment = self.env["maintenance.equipment"]
        equipment = Equipment.search(
            [("scada_code", "=", code)], order="company_id, id", limit=1
        )  # NULLS LAST: an equipment of a company wins over a shared one
        if not equipment:
            return None
        Report = self.env["scada.failure.report"]
        domain = [("equipment_code", "=", code)]
        active = Report.search_count(domain + [("state", "=", "active")])
        last = Report.search(domain, order="started_at desc, id desc", limit=1)
        return {
            "id": equipment.id,
            "name": equipment.name,
            "code": code,
            "equipment_code": code,
            "is_active": equipment.active,
            "active_failures": active,
            "last_failure": self._report_json(last)[0] if last else None,
            "plc": self._plc_json(domain),
        }

    @api.model
    def _plc_json(self, domain: list) -> dict | None:
        """The mirrored status of the PLC that last reported a failure of ``domain``."""
        Status = self.env["scada.plc.status"]
        if not Status.has_access("read"):
            return None
        reported = self.env["scada.failure.report"].search(
            domain + [("device", "!=", False)], order="started_at desc, id desc", limit=1
        )
        if not reported:
            return None
        status = Status.search(
            [("device", "=", reported.device)], order="read_at desc, id desc", limit=1
        )
        if not status:
            return None
        tz = self._plant_tz()
        return {
            "device": status.device,
            "state": status.status,
            "connection_status": _CONNECTION.get(status.status, "unknown"),
            "since": self._plant_wall_time(status.state_since, tz),
            "last_connected": self._plant_wall_time(status.last_success_at, tz),
            "last_poll": self._plant_wall_time(status.last_poll_at, tz),
            "last_error": status.last_error or None,
            "read_at": self._plant_wall_time(status.read_at, tz),
        }

    # -- period report ------------------------------------------------------------

    @api.model
    def _period_range(self, period: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of a named period, as aware datetimes in the plant's zone."""
        now = datetime.now(timezone.utc).astimezone(tz)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        tomorrow = today + timedelta(days=1)
        if period == "today":
            start, end = today, tomorrow
        elif period == "yesterday":
            start, end = today - timedelta(days=1), today
        elif period == "this_week":
            start, end = today - timedelta(days=today.weekday()), tomorrow
        elif period == "last_7_days":
            start, end = today - timedelta(days=6), tomorrow
        elif period == "this_month":
            start, end = today.replace(day=1), tomorrow
        elif period == "last_month":
            end = today.replace(day=1)
            start = (end - timedelta(days=1)).replace(day=1)
        elif period == "this_year":
            start, end = today.replace(month=1, day=1), tomorrow
        else:
            raise ValueError(f"period {period!r} is unknown: use one of {', '.join(PERIODS)}")
        # Wall-clock midnights, placed in the zone (DST-aware) only now.
        return start.replace(tzinfo=tz), end.replace(tzinfo=tz)

    @api.model
    def _read_bound(self, name: str, text, tz: ZoneInfo, upper: bool) -> datetime:
        """A ``date_from``/``date_to`` as the old clients send it, in the plant's zone.

        An upper bound covers the whole unit given (a date to the end of its
        day, a minute to its last second); the result is exclusive when
        ``upper``, inclusive otherwise.
        """
        if not isinstance(text, str) or "\x00" in text:
            raise ValueError(f"{name} must be a date such as 2026-02-15 or 2026-02-15 08:30:00")
        cleaned = text.strip().replace("T", " ")
        for form, unit in _WALL_FORMATS:
            try:
                value = datetime.strptime(cleaned, form).replace(tzinfo=tz)
            except ValueError:
                continue
            return _in_range(name, text, value, unit if upper else None)
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(
                f"{name}={text!r} is not a date: use YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]' "
                "(plant time) or ISO 8601 with an offset"
            ) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        return _in_range(name, text, value, timedelta(seconds=1) if upper else None)

    @api.model
    def _failure_period_report(
        self,
        equipment_code: str | None = None,
        period: str | None = None,
        date_from=None,
        date_to=None,
        limit: int = REPORT_DEFAULT_LIMIT,
        offset: int = 0,
        old_shape: bool = False,
    ) -> dict:
        """Failures started in a period: one page of rows and a summary per equipment.

        ``period`` sets both bounds; ``date_from``/``date_to`` override either,
        as in the old module. Without any, every failure counts. Downtime is
        the sum of the ended failures' lengths, in minutes (still active ones
        are counted in ``active_failures``, not in downtime). Raises
        ValueError with a sentence for a bad filter.
        """
        tz = self._plant_tz()
        start = end = None
        if period:
            start, end = self._period_range(period.strip().lower(), tz)
        if date_from not in (None, ""):
            start = self._read_bound("date_from", date_from, tz, upper=False)
        if date_to not in (None, ""):
            end = self._read_bound("date_to", date_to, tz, upper=True)
        domain = []
        if equipment_code:
            domain.append(("equipment_code", "=", equipment_code))
        for operator, bound in ((">=", start), ("<", end)):
            if bound is not None:
                utc = bound.astimezone(timezone.utc).replace(tzinfo=None)
                domain.append(("started_at", operator, fields.Datetime.to_string(utc)))

        Report = self.env["scada.failure.report"]
        page = Report.search(domain, order="started_at desc, id desc", limit=limit, offset=offset)
        by_equipment = self._failure_summary(domain, tz)
        return {
            "status": "success",
            "count": len(page),
            "data": self._report_json(page, old_shape),
            "summary": {
                "total_failures": sum(row["failure_count"] for row in by_equipment),
                "active_failures": sum(row["active_failures"] for row in by_equipment),
                "total_downtime_minutes": sum(row["downtime_minutes"] for row in by_equipment),
                "equipment_count": len(by_equipment),
                "by_equipment": by_equipment,
            },
            "filters": {
                "equipment_code": equipment_code or None,
                "period": period or None,
                "date_from": self._plant_wall_time(start, tz) if start else None,
                "date_to_before": self._plant_wall_time(end, tz) if end else None,
                "time_zone": tz.key,
                "limit": limit,
                "offset": offset,
            },
        }

    @api.model
    def _failure_summary(self, domain: list, tz: ZoneInfo) -> list[dict]:
        """Per equipment code: failures, still active, downtime minutes, last start.

        One grouped query under the caller's record rules (``_search``), exact
        to the second (the stored ``duration`` is rounded to 0.01 h).
        """
        Report = self.env["scada.failure.report"]
        query = Report._search(domain)
        column = lambda name: SQL.identifier(Report._table, name)  # noqa: E731
        query.groupby = SQL("%s, %s", column("equipment_code"), column("equipment_id"))
        query.order = SQL("%s", column("equipment_code"))
        self.env.cr.execute(
            query.select(
                column("equipment_code"),
                column("equipment_id"),
                SQL("count(*)"),
                SQL("count(*) FILTER (WHERE %s IS NULL)", column("cleared_at")),
                SQL(
                    "coalesce(sum(greatest(extract(epoch FROM %s - %s), 0)), 0)",
                    column("cleared_at"),
                    column("started_at"),
                ),
                SQL("max(%s)", column("started_at")),
            )
        )
        rows = self.env.cr.fetchall()
        names = {
            e.id: e.display_name
            for e in self.env["maintenance.equipment"].browse(
                sorted({row[1] for row in rows if row[1]})
            )
        }
        return [
            {
                "equipment_code": code,
                "equipment_id": equipment_id or None,
                "equipment_name": names.get(equipment_id) or code,
                "failure_count": count,
                "active_failures": active,
                "downtime_minutes": round(float(seconds) / 60),
                "last_failure_date": self._plant_wall_time(last, tz),
            }
            for code, equipment_id, count, active, seconds, last in rows
        ]


def _in_range(name: str, text: str, value: datetime, unit: timedelta | None) -> datetime:
    """``value`` (plus ``unit`` for an upper bound) when it is a time in UTC too.

    0001-01-01 in a plant east of Greenwich, or the end of 9999-12-31, is
    before year 1 or after year 9999 in UTC: a 400 naming the bound, not a 500.
    """
    try:
        bound = value + unit if unit else value
        bound.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(
            f"{name}={text!r} is out of range: use a date between 0001-01-02 and 9999-12-30"
        ) from None
    return bound
