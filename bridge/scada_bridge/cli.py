"""The ``scada-bridge`` command line.

Every error a person can hit is printed as one line on stderr (exit status 1);
tracebacks are only for bugs, or with ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta

from ._version import __version__
from .deploy.command import add_parser as add_service_parser
from .errors import ConfigError, ScadaBridgeError

_logger = logging.getLogger(__name__)

DB_ENV = "SCADA_DB_URI"
READONLY_PASSWORD_ENV = "SCADA_READONLY_PASSWORD"
WRITER_PASSWORD_ENV = "SCADA_WRITER_PASSWORD"

Handler = Callable[[argparse.Namespace], int]


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=os.environ.get(DB_ENV, ""),
        help=f"SCADA database URI, e.g. postgresql://scada@127.0.0.1:5432/scada (env {DB_ENV})",
    )


def _db_uri(args: argparse.Namespace) -> str:
    if not args.db:
        raise ConfigError(
            f"no SCADA database given: pass --db URI or set {DB_ENV} "
            "(e.g. postgresql://scada@127.0.0.1:5432/scada)"
        )
    return args.db


# -- migrate -----------------------------------------------------------------


def _cmd_migrate(args: argparse.Namespace) -> int:
    from .store.connection import connect, parse_target
    from .store.schema import migrate

    uri = _db_uri(args)
    password = os.environ.get(READONLY_PASSWORD_ENV) if args.readonly_role else None
    writer_password = os.environ.get(WRITER_PASSWORD_ENV) if args.writer_role else None
    conn = connect(uri)
    try:
        result = migrate(
            conn,
            readonly_role=args.readonly_role,
            readonly_password=password,
            writer_role=args.writer_role,
            writer_password=writer_password,
            where=str(parse_target(uri)),
        )
    finally:
        conn.close()
    if result.from_version is None:
        print(f"schema scada created at version {result.to_version}")
    elif result.changed:
        print(f"schema scada upgraded from version {result.from_version} to {result.to_version}")
    else:
        print(f"schema scada already at version {result.to_version}: nothing to do")
    if result.readonly_role:
        note = "" if password else f" (no password set: put one in {READONLY_PASSWORD_ENV})"
        print(f"read-only role {result.readonly_role!r} may SELECT from schema scada{note}")
    if result.writer_role:
        note = "" if writer_password else f" (no password set: put one in {WRITER_PASSWORD_ENV})"
        print(
            f"writer role {result.writer_role!r} may append events and upsert plc_status, "
            f"nothing else{note}"
        )
    return 0


# -- events ------------------------------------------------------------------


def _cmd_events(args: argparse.Namespace) -> int:
    from .events import event_to_json
    from .store.connection import connect, parse_target
    from .store.reader import Cursor, read_events
    from .store.schema import check_schema

    cursor = Cursor.parse(args.after)
    uri = _db_uri(args)
    conn = connect(uri, autocommit=True)
    try:
        check_schema(conn, str(parse_target(uri)))
        batch = read_events(conn, cursor, args.limit)
    finally:
        conn.close()
    for event in batch.events:
        sys.stdout.write(json.dumps(event_to_json(event), ensure_ascii=False) + "\n")
    sys.stdout.flush()
    for row in batch.rejected:
        sys.stderr.write(f"rejected row id={row.id} event_uid={row.event_uid}: {row.reason}\n")
    sys.stderr.write(f"next-cursor: {batch.cursor}\n")
    return 0


# -- prune -------------------------------------------------------------------


def _cmd_prune(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    from .store.connection import connect
    from .store.prune import delete_reader_statement, prune

    if args.older_than <= 0:
        raise ConfigError(f"--older-than {args.older_than:g}: give a number of days above 0")
    conn = connect(_db_uri(args))
    try:
        result = prune(conn, timedelta(days=args.older_than), force=args.force, batch=args.batch)
    finally:
        conn.close()
    now = datetime.now(timezone.utc)
    if result.upto is None:
        bound = "by age alone (--force, no reader registered)"
    else:
        bound = f"that every reader has passed (up to cursor {result.upto})"
    print(
        f"deleted {result.deleted} event(s) recorded before "
        f"{result.before:%Y-%m-%d %H:%M} UTC {bound}, in {result.batches} batch(es)"
    )
    for reader in result.readers:
        days = (now - reader.updated_at).total_seconds() / 86400
        never = " (registered, nothing recorded yet)" if reader.cursor.tx == 0 else ""
        print(
            f"reader {reader.reader!r}: cursor {reader.cursor}{never}, recorded "
            f"{days:.1f} day(s) ago by {reader.recorded_by!r}"
        )
        if days > args.older_than:
            print(
                "  -> it has not read for longer than --older-than, so events after its "
                "cursor are kept; if that reader is gone, as the schema owner: "
                + delete_reader_statement(reader.reader)
            )
    if result.kept_active:
        print(
            f"kept {result.kept_active} old failure(s) still active (raised, never cleared): "
            "the poller needs them at start"
        )
    return 0


# -- doctor ------------------------------------------------------------------


def _cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import Settings, diagnose, report
    from .store.reader import Cursor

    # A silent PLC makes pymodbus log each unanswered request; its row says it once.
    _quiet_pymodbus(args)

    settings = Settings(
        config_path=args.config or None,
        db_uri=args.db or None,
        odoo_url=args.odoo_url or None,
        odoo_key=args.odoo_key or None,
        after=Cursor.parse(args.after) if args.after else None,
        max_pending_age=timedelta(minutes=args.max_pending_minutes)
        if args.max_pending_minutes
        else None,
        odoo_timeout=args.timeout,
    )
    return report(diagnose(settings), as_json=args.json)


# -- poll / simulate ---------------------------------------------------------


def _quiet_pymodbus(args: argparse.Namespace) -> None:
    # pymodbus logs every failed connect at ERROR: a PLC that stays down would
    # flood the log. The poller logs each change of a PLC's state once instead.
    if not args.debug:
        logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


def _cmd_poll(args: argparse.Namespace) -> int:
    import asyncio

    from .config import load
    from .poller.service import Poller

    config = load(args.config, db_uri=args.db or None)
    _quiet_pymodbus(args)
    return asyncio.run(Poller(config).run(handle_signals=True))


def _cmd_simulate(args: argparse.Namespace) -> int:
    import asyncio

    from .config import load
    from .simulator import load_scenario, serve

    config = load(args.config, secrets=False)
    if not config.plcs:  # event sources only (issue 20): OPC UA alarm servers, MQTT messages
        from .simulator.sources import load_source_scenario, serve_sources

        steps, repeat = (
            load_source_scenario(args.scenario, config) if args.scenario else ([], False)
        )
        return asyncio.run(serve_sources(config, steps, repeat, host=args.host))
    scenario = load_scenario(args.scenario, config) if args.scenario else None
    _quiet_pymodbus(args)
    return asyncio.run(serve(config, host=args.host, scenario=scenario, delay=args.response_delay))


# -- parser ------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scada-bridge",
        description="Carry PLC equipment failures into SCADA PostgreSQL and on to Odoo.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    parser.add_argument("--debug", action="store_true", help="log at DEBUG, show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("migrate", help="create or upgrade schema scada (re-runnable)")
    _add_db(p)
    p.add_argument(
        "--readonly-role",
        metavar="ROLE",
        help=f"also create ROLE, allowed only to SELECT from schema scada "
        f"(password from env {READONLY_PASSWORD_ENV})",
    )
    p.add_argument(
        "--writer-role",
        metavar="ROLE",
        help="also create ROLE for the poller, allowed only to append events and upsert "
        f"scada.plc_status (password from env {WRITER_PASSWORD_ENV})",
    )
    p.set_defaults(handler=_cmd_migrate)

    p = sub.add_parser("events", help="print pending events as JSON lines")
    _add_db(p)
    p.add_argument("--after", metavar="CURSOR", default="", help="cursor printed by a prior run")
    p.add_argument("--limit", type=int, default=100, help="at most this many rows (default 100)")
    p.set_defaults(handler=_cmd_events)

    p = sub.add_parser(
        "prune",
        help="delete old events every registered reader has passed (bounded storage)",
        description="Delete events recorded more than DAYS days ago that every reader in "
        "scada.reader_cursor has passed, in short batches that never block the poller. "
        "Still-active failures are kept. Refuses when no reader is registered, or when a role "
        "that can read events registered no reader, unless --force.",
    )
    _add_db(p)
    p.add_argument(
        "--older-than", type=float, required=True, metavar="DAYS", help="age in days (e.g. 90)"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="with no reader registered, delete by age alone; with readers, ignore roles "
        "that can read events but registered no reader (events they did not read are lost)",
    )
    p.add_argument(
        "--batch", type=int, default=1000, metavar="N", help="events per transaction (1000)"
    )
    p.set_defaults(handler=_cmd_prune)

    p = sub.add_parser(
        "doctor",
        help="check every hop (config, PLCs, SCADA database, Odoo): one row each, with the fix",
        description="Check every hop and print one row per check, \u2713 or \u2717, with the "
        "cause and the fix. Exit status 1 when anything is wrong.",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        default=os.environ.get("SCADA_CONFIG", ""),
        help="poller configuration (plant.toml): checked, its PLCs probed, its database used "
        "(env SCADA_CONFIG)",
    )
    _add_db(p)
    p.add_argument(
        "--odoo-url",
        metavar="URL",
        default=os.environ.get("ODOO_URL", ""),
        help="Odoo's base URL, e.g. http://127.0.0.1:8069 (env ODOO_URL)",
    )
    p.add_argument(
        "--odoo-key",
        metavar="KEY",
        default=os.environ.get("ODOO_API_KEY", ""),
        help="Odoo API key of a SCADA user (env ODOO_API_KEY; prefer the env: "
        "a flag shows in the process list); never printed",
    )
    p.add_argument(
        "--after",
        metavar="CURSOR",
        default="",
        help="count the backlog after this cursor (default: the Odoo source's cursor)",
    )
    p.add_argument(
        "--max-pending-minutes",
        type=float,
        default=0,
        metavar="MINUTES",
        help="flag the backlog when its oldest event waits longer than this "
        "(default 15 when the cursor comes from Odoo)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for Odoo's answers (default 10)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=_cmd_doctor)

    p = sub.add_parser("poll", help="poll the PLCs of a configuration, append failure events")
    p.add_argument("--config", required=True, metavar="FILE", help="plant TOML file")
    p.add_argument(
        "--db",
        default="",
        help="SCADA database URI, overrides [database] uri of the configuration",
    )
    p.set_defaults(handler=_cmd_poll)

    p = sub.add_parser(
        "simulate",
        help="serve the PLCs of a configuration (Modbus TCP, Omron FINS UDP and TCP), or its "
        "OPC UA alarms and MQTT messages",
    )
    p.add_argument("--config", required=True, metavar="FILE", help="plant TOML file")
    p.add_argument("--scenario", metavar="FILE", help="TOML steps to play (raise, clear, ...)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument(
        "--response-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="answer each request after this delay, like a real PLC (default 0)",
    )
    p.set_defaults(handler=_cmd_simulate)

    add_service_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args)
    except ScadaBridgeError as exc:
        if args.debug:
            raise
        sys.stderr.write(f"scada-bridge {args.command}: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
