"""``scada-bridge doctor``: check each hop and say, in one line each, what is wrong and the fix.

The hops, in the order rows are printed: the poller's configuration file, each
PLC (:mod:`.plc`), the poller (:mod:`.poller`), the SCADA database
(:mod:`.database`), Odoo (:mod:`.odoo`); after the PLCs, the event sources: OPC UA
(:mod:`.opcua`) and MQTT brokers (:mod:`.mqtt`). A hop with nothing to check it with (no
``--config``, no ``--odoo-url``) prints one row saying so; it does not count as wrong.

Imports: the hop modules and :mod:`._check` (which imports nothing of the package);
the hops import only ``_check``, ``store``, ``plc``, ``sources``, ``config`` and ``errors``, never
each other or this module.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TextIO

from ..config import Config, load
from ..errors import ConfigError
from ..store.reader import START, Cursor
from ._check import Check, age, split_fix
from .database import scada_db_checks
from .odoo import odoo_checks
from .plc import plc_checks
from .poller import poller_checks

__all__ = ["Check", "Settings", "age", "diagnose", "report", "scada_db_checks", "split_fix"]


def report(checks: list[Check], *, as_json: bool = False, out: TextIO = sys.stdout) -> int:
    """Print the checks and return the exit status: 0 when all are fine, 1 otherwise."""
    if as_json:
        json.dump(
            {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]},
            out,
            indent=2,
            ensure_ascii=False,
        )
        out.write("\n")
    else:
        for check in checks:
            out.write(check.line() + "\n")
    return 0 if all(c.ok for c in checks) else 1


@dataclass(frozen=True)
class Settings:
    """What the doctor checks with; any part may be missing."""

    config_path: str | None = None
    db_uri: str | None = None
    odoo_url: str | None = None
    #: Never printed.
    odoo_key: str | None = field(default=None, repr=False)
    after: Cursor | None = None
    max_pending_age: timedelta | None = None
    odoo_timeout: float = 10.0


#: Oldest pending event age flagged when Odoo's own cursor is known and no limit is given.
DEFAULT_MAX_PENDING = timedelta(minutes=15)


def _source_checks(config: Config) -> list[Check]:
    """The OPC UA and MQTT rows; their libraries are imported only when a source needs them
    (Odoo imports this package for its own hop)."""
    rows: list[Check] = []
    if config.opcua:
        from .opcua import opcua_checks

        rows += opcua_checks(config.opcua)
    if config.mqtt:
        from .mqtt import mqtt_checks

        rows += mqtt_checks(config.mqtt)
    return rows


def diagnose(settings: Settings, *, now: datetime | None = None) -> list[Check]:
    """Every hop's rows, in flow order: config, PLCs, poller, SCADA database, Odoo."""
    checks: list[Check] = []
    db_uri = settings.db_uri or None
    odoo_url, odoo_key = settings.odoo_url, settings.odoo_key
    plcs: tuple = ()
    sources: list[Check] = []  # OPC UA and MQTT rows (issue 20)
    source_names: list[str] = []
    status_every = 5.0
    if settings.config_path:
        try:
            config = load(settings.config_path, db_uri=db_uri)
        except ConfigError as exc:
            checks.append(
                Check(
                    "config",
                    "file valid",
                    False,
                    str(exc),
                    "correct it (every key: docs/configuration.md), or pass --config with "
                    "the file the poller runs with",
                )
            )
        else:
            plcs = config.plcs
            sources = _source_checks(config)
            source_names = [o.name for o in config.opcua] + [m.name for m in config.mqtt]
            db_uri = config.database.uri
            status_every = config.poller.status_every
            # The poller's optional [odoo] doorbell names the Odoo to check by default.
            doorbell = getattr(config, "odoo", None)
            if doorbell is not None and not odoo_url:
                odoo_url, odoo_key = doorbell.url, odoo_key or doorbell.api_key
            checks.append(
                Check(
                    "config",
                    "file valid",
                    True,
                    f"{settings.config_path}: {len(plcs)} PLC(s): "
                    + ", ".join(p.name for p in plcs)
                    + (f"; sources: {', '.join(source_names)}" if source_names else ""),
                )
            )
    else:
        checks.append(
            Check("config", "file valid", True, "not checked: no --config given", skipped=True)
        )
    checks.extend(sources)
    if plcs or source_names:
        checks.extend(plc_checks(plcs))
        if db_uri:
            names = [p.name for p in plcs] + source_names
            checks.extend(poller_checks(db_uri, names, status_every=status_every, now=now))
    else:
        why = "PLCs come from --config" if settings.config_path is None else "config invalid"
        checks.append(Check("PLC", "reachable", True, f"not checked: {why}", skipped=True))

    odoo = None
    if odoo_url:
        odoo = odoo_checks(odoo_url, odoo_key, timeout=settings.odoo_timeout, now=now)

    if db_uri:
        cursor, cursor_from, max_age = settings.after or START, "", settings.max_pending_age
        if settings.after is None and odoo is not None and odoo.cursor is not None:
            cursor, cursor_from = odoo.cursor, f"source {odoo.cursor_source!r} in Odoo"
            max_age = max_age or DEFAULT_MAX_PENDING
        checks.extend(
            scada_db_checks(
                db_uri, cursor, max_pending_age=max_age, now=now, cursor_from=cursor_from
            )
        )
    else:
        checks.append(
            Check(
                "SCADA database",
                "reachable",
                False,
                "no SCADA database given",
                "pass --db URI, set SCADA_DB_URI, or pass --config with [database] uri "
                "(e.g. postgresql://scada@127.0.0.1:5432/scada)",
            )
        )

    if odoo is not None:
        checks.extend(odoo.checks)
    else:
        checks.append(
            Check(
                "Odoo",
                "reachable",
                True,
                "not checked: no --odoo-url or ODOO_URL given",
                skipped=True,
            )
        )
    return checks
