"""``scada-bridge doctor``: check each hop and say, in one line each, what is wrong and the fix.

The hops, in the order rows are printed: the poller's configuration file, each
PLC (:mod:`.doctor_plc`), the SCADA database (here), Odoo (:mod:`.doctor_odoo`).
A hop with nothing to check it with (no ``--config``, no ``--odoo-url``) prints
one row saying so; it does not count as wrong.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TextIO

from .check import check_source
from .errors import ConfigError
from .reader import START, Cursor


@dataclass(frozen=True)
class Check:
    """One row of the doctor's report."""

    hop: str
    name: str
    ok: bool
    detail: str
    fix: str = ""
    #: Not checked (nothing to check it with); counts as fine for the exit status.
    skipped: bool = False

    def line(self) -> str:
        mark = "-" if self.skipped else "\u2713" if self.ok else "\u2717"
        text = f"{mark} {self.hop}: {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f" \u2192 {self.fix}"
        return text


def age(since: datetime, now: datetime) -> str:
    """How long ago ``since`` was, in the unit a person would use."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def scada_db_checks(
    uri: str,
    cursor: Cursor = START,
    *,
    max_pending_age: timedelta | None = None,
    now: datetime | None = None,
    cursor_from: str = "",
) -> list[Check]:
    """Reachable, schema version, backlog after ``cursor`` and the age of its oldest event.

    ``cursor_from`` says whose cursor it is (e.g. "source 'Plant' in Odoo") in the row.
    """
    hop = "SCADA database"
    result = check_source(uri, cursor)
    if not result.ok:
        name = {
            "schema_missing": "schema",
            "schema_too_old": "schema version",
            "schema_too_new": "schema version",
        }.get(result.reason, "reachable")
        detail, fix = split_fix(result.message)
        return [Check(hop, name, False, detail, fix)]
    assert result.backlog is not None
    now = now or datetime.now(timezone.utc)
    checks = [
        Check(hop, "reachable", True, result.where),
        Check(hop, "schema version", True, f"version {result.schema_version} (current)"),
    ]
    pending = result.backlog
    if cursor_from:
        after = f"after the cursor {cursor} of {cursor_from}"
    elif cursor != START:
        after = f"after cursor {cursor}"
    else:
        after = "in total (no cursor given)"
    checks.append(Check(hop, "backlog", True, f"{pending.count} event(s) {after}"))
    if pending.oldest_recorded_at is None:
        checks.append(Check(hop, "oldest pending event", True, "none pending"))
    else:
        waited = now - pending.oldest_recorded_at
        too_old = max_pending_age is not None and waited > max_pending_age
        checks.append(
            Check(
                hop,
                "oldest pending event",
                not too_old,
                f"recorded {age(pending.oldest_recorded_at, now)} ago",
                "Odoo is not pulling: check the scheduled action 'SCADA: pull failures' "
                "and the source's last error in Odoo (SCADA > Sources)"
                if too_old
                else "",
            )
        )
    return checks


def split_fix(message: str) -> tuple[str, str]:
    """Split 'what failed: what to do' at the last ': ' before the advice."""
    head, sep, tail = message.rpartition(": ")
    if not sep:
        return message, ""
    return head, tail


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


def diagnose(settings: Settings, *, now: datetime | None = None) -> list[Check]:
    """Every hop's rows, in flow order: config, PLCs, poller, SCADA database, Odoo."""
    from .config import load
    from .doctor_odoo import odoo_checks
    from .doctor_plc import plc_checks
    from .doctor_poller import poller_checks

    checks: list[Check] = []
    db_uri = settings.db_uri or None
    odoo_url, odoo_key = settings.odoo_url, settings.odoo_key
    plcs: tuple = ()
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
                    + ", ".join(p.name for p in plcs),
                )
            )
    else:
        checks.append(
            Check("config", "file valid", True, "not checked: no --config given", skipped=True)
        )
    if plcs:
        checks.extend(plc_checks(plcs))
        if db_uri:
            checks.extend(
                poller_checks(db_uri, [p.name for p in plcs], status_every=status_every, now=now)
            )
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


# Names the lead's first version used.
_age = age
_split_fix = split_fix
