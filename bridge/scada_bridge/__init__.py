"""scada_bridge: carry PLC equipment failures into SCADA PostgreSQL, and on to Odoo.

What the package offers Odoo, and any other program, is exactly ``__all__``
(``tests/test_exported_members.py`` keeps it so): the event contract (fields,
kinds, limits, problems, the JSON form), connecting with one policy (``connect``
with its timeouts and :class:`Keepalives`, ``parse_target``, ``first_line`` for
one-line messages), the reader side (``read_events``, ``backlog``,
``check_source``, ``read_status``, ``register_reader``, ``record_reader_cursor``),
the writer side (``insert_events``, ``migrate``) and the error tree. The command
line is ``scada-bridge`` (:mod:`scada_bridge.cli`); nothing in this package
imports Odoo.
"""

from ._version import __version__ as __version__
from .errors import (
    AuthenticationFailed,
    ConfigError,
    ConnectionRefused,
    ConnectionTimeout,
    CursorAhead,
    DatabaseError,
    DatabaseMissing,
    HostUnknown,
    PlcError,
    PruneRefused,
    ReaderNotOwned,
    ScadaBridgeError,
    SchemaMissing,
    SchemaVersionMismatch,
    StandbyRefused,
    first_line,
)
from .events import (
    CLEARED,
    EVENT_FIELDS,
    KINDS,
    RAISED,
    SEVERITIES,
    TEXT_LIMITS,
    Event,
    NewEvent,
    describe_problems,
    event_fields,
    event_from_json,
    event_problems,
    event_to_json,
    time_from_json,
    uid_from_json,
)
from .store.check import SourceCheck, check_source
from .store.connection import Keepalives, connect, parse_target
from .store.horizon import HorizonHolder, horizon_holders
from .store.insert import insert_events
from .store.plc_status import PlcStatusRow, read_status
from .store.reader import (
    HELD_BACK_AFTER,
    READ_LIMIT,
    START,
    Backlog,
    Batch,
    Cursor,
    HeldBack,
    RejectedRow,
    backlog,
    read_events,
)
from .store.reader_cursor import (
    ReaderCursor,
    reader_cursors,
    record_reader_cursor,
    register_reader,
)
from .store.reread import Reread, reread_rows
from .store.schema import SCHEMA_VERSION, check_schema, current_version, migrate

__all__ = [
    "CLEARED",
    "EVENT_FIELDS",
    "HELD_BACK_AFTER",
    "KINDS",
    "RAISED",
    "READ_LIMIT",
    "SCHEMA_VERSION",
    "SEVERITIES",
    "START",
    "TEXT_LIMITS",
    "AuthenticationFailed",
    "Backlog",
    "Batch",
    "ConfigError",
    "ConnectionRefused",
    "ConnectionTimeout",
    "Cursor",
    "CursorAhead",
    "DatabaseError",
    "DatabaseMissing",
    "Event",
    "HeldBack",
    "HorizonHolder",
    "HostUnknown",
    "Keepalives",
    "NewEvent",
    "PlcError",
    "PlcStatusRow",
    "PruneRefused",
    "ReaderCursor",
    "ReaderNotOwned",
    "RejectedRow",
    "Reread",
    "ScadaBridgeError",
    "SchemaMissing",
    "SchemaVersionMismatch",
    "SourceCheck",
    "StandbyRefused",
    "backlog",
    "check_schema",
    "check_source",
    "connect",
    "current_version",
    "describe_problems",
    "event_fields",
    "event_from_json",
    "event_problems",
    "event_to_json",
    "first_line",
    "horizon_holders",
    "insert_events",
    "migrate",
    "parse_target",
    "read_events",
    "read_status",
    "reader_cursors",
    "reread_rows",
    "record_reader_cursor",
    "register_reader",
    "time_from_json",
    "uid_from_json",
]
