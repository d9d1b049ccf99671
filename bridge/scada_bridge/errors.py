"""Every error scada_bridge raises on purpose.

One tree, so a caller can catch as widely or as narrowly as it needs::

    ScadaBridgeError                  anything this package raises on purpose
     +-- ConfigError                  bad flag, URI or configuration file key
     +-- DatabaseError                the SCADA PostgreSQL hop
     |    +-- ConnectionRefused       nothing listens at host:port
     |    +-- HostUnknown             the host name does not resolve
     |    +-- ConnectionTimeout       no answer within the connect timeout
     |    +-- AuthenticationFailed    wrong user or password
     |    +-- DatabaseMissing         server up, database not there
     |    +-- SchemaMissing           database there, schema ``scada`` not migrated
     |    +-- SchemaVersionMismatch   schema older or newer than this code
     |    +-- StandbyRefused          the server is a hot standby: reading there could skip rows
     |    +-- CursorAhead             the cursor (or stored rows) is beyond this server's
     |                                transaction ids: the database was restored or moved
     |    +-- PruneRefused            prune cannot know what every reader has passed
     |    +-- ReaderNotOwned          a reader's cursor belongs to another role
     +-- PlcError                     the hop to one PLC (Modbus TCP or Omron FINS)
          +-- PlcUnreachable          no connection, no answer in time, I/O error
          +-- PlcRefused              the PLC answered with an error (Modbus
                                      exception, FINS end code)

Every message is one line saying what failed, where (host, port, database,
table, PLC) and what to do, so the command line can print it as it is;
:func:`first_line` is how a message from elsewhere (libpq, a socket) is cut to one.
"""

from __future__ import annotations


class ScadaBridgeError(Exception):
    """Base of every error scada_bridge raises on purpose."""


class ConfigError(ScadaBridgeError):
    """A flag, URI or configuration file key is wrong."""


class DatabaseError(ScadaBridgeError):
    """The SCADA database cannot be used."""

    #: Short machine-readable reason, also used by Odoo to pick its message.
    reason = "error"


class ConnectionRefused(DatabaseError):
    """Nothing listens at the database's host and port."""

    reason = "refused"


class HostUnknown(DatabaseError):
    """The database's host name does not resolve."""

    reason = "host_unknown"


class ConnectionTimeout(DatabaseError):
    """No answer from the database within the connect timeout."""

    reason = "timeout"


class AuthenticationFailed(DatabaseError):
    """The server refused the user or password."""

    reason = "authentication"


class DatabaseMissing(DatabaseError):
    """The server is up, the database is not there."""

    reason = "database_missing"


class SchemaMissing(DatabaseError):
    """The database is there, the ``scada`` schema is not migrated."""

    reason = "schema_missing"


class SchemaVersionMismatch(DatabaseError):
    """The schema version differs from the one this code was written for."""

    def __init__(self, message: str, *, found: int, expected: int) -> None:
        super().__init__(message)
        self.found = found
        self.expected = expected

    @property
    def reason(self) -> str:  # type: ignore[override]
        return "schema_too_new" if self.found > self.expected else "schema_too_old"


class StandbyRefused(DatabaseError):
    """The server is a hot standby: its snapshots do not list running transactions."""

    reason = "standby"


class CursorAhead(DatabaseError):
    """Transaction ids went backwards under the reader: a restore or a logical move.

    New rows get ``tx`` values below the stored cursor and would never be read,
    so the reader stops with the fix instead of idling silently.
    """

    reason = "cursor_ahead"

    def __init__(self, message: str, *, cursor_tx: int, next_tx: int, max_tx: int | None) -> None:
        super().__init__(message)
        #: The cursor's transaction id, this server's next one, the largest stored.
        self.cursor_tx = cursor_tx
        self.next_tx = next_tx
        self.max_tx = max_tx


class PruneRefused(DatabaseError):
    """``prune`` cannot know which events every reader has passed."""

    reason = "prune_refused"


class ReaderNotOwned(DatabaseError):
    """A reader's row in ``scada.reader_cursor`` was registered by another role: only
    that role may move its cursor (a DBA resets it by deleting the row)."""

    reason = "reader_not_owned"

    def __init__(self, message: str, *, reader: str, owner: str) -> None:
        super().__init__(message)
        #: The reader's name, and the role it belongs to.
        self.reader = reader
        self.owner = owner


class PlcError(ScadaBridgeError):
    """A PLC cannot be read (or its acknowledge register cannot be written)."""

    #: The PLC state this error puts the poller in (``scada.plc_status.state``).
    state = "error"


class PlcUnreachable(PlcError):
    """No connection to the PLC, or no answer within the timeout (after retries)."""

    state = "unreachable"


class PlcRefused(PlcError):
    """The PLC answered, with an error: a Modbus exception or a FINS end code.

    ``code`` is the protocol's own number (Modbus exception code, FINS end code).
    """

    state = "error"

    def __init__(self, message: str, *, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


def first_line(error: BaseException | str) -> str:
    """The first line of an error's text, stripped: how a message from libpq, a socket
    or a stored error becomes one line. An exception without text gives its class
    name; an empty string gives ``""``."""
    text = str(error).strip()
    if text:
        return text.splitlines()[0]
    return "" if isinstance(error, str) else type(error).__name__
