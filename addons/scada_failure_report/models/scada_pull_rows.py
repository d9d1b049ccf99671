# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The pull's ingest of one batch, which no row's content can stop.

The reader rejects the rows it cannot turn into events (see
``scada_bridge.read_events``). A row it hands over may still be one Odoo
cannot store: a value an index or a column refuses, a time or a payload a
step after the INSERT (the maintenance request's text, an alert) cannot
handle. Such a row is rejected here too, with its reason, and the rows
around it are stored: the batch is ingested whole in a savepoint, and only
when a row's content makes it fail, in halves, down to the rows that fail
alone. A batch without such a row costs one savepoint more.

What is not about a row's content (a conflict with a concurrent push, the
connection lost, a bug raising something else) still ends the batch as
before: retried, or the run fails and says so, never a good row rejected.
"""

import logging
from typing import Any, NamedTuple

import psycopg2
import psycopg2.errors
import scada_bridge
from odoo.exceptions import ValidationError

_logger = logging.getLogger(__name__)

#: What a row's content can make the ingest raise: a value out of a column's or
#: an index's range, a time the plant's zone cannot hold, a payload too deep to
#: walk, a rule of the ingest. Conflicts (unique, serialization, deadlock) and a
#: lost connection are not among them: the pull retries those.
CONTENT_ERRORS = (
    ValueError,
    OverflowError,
    RecursionError,
    ValidationError,
    psycopg2.DataError,
    psycopg2.errors.ProgramLimitExceeded,
    psycopg2.errors.NotNullViolation,
    psycopg2.errors.CheckViolation,
)
#: How much of the error a rejected row's reason keeps.
REASON_CHARS = 300


class Refused(NamedTuple):
    """A row the ingest could not store: its SCADA row id, event uid and reason."""

    id: int
    event_uid: str | None
    reason: str


def ingest_rows(
    env, events: list[scada_bridge.Event], source
) -> tuple[list[dict[str, Any]], list[Refused]]:
    """Ingest ``events`` (in order); return the ingest's results and the rows refused.

    Every event ends up in exactly one of the two lists.
    """
    results: list[dict[str, Any]] = []
    refused: list[Refused] = []
    _ingest_part(env, list(events), source, results, refused)
    return results, refused


def _ingest_part(env, events, source, results: list, refused: list) -> None:
    if not events:
        return
    try:
        with env.cr.savepoint():
            results += env["scada.failure.report"]._ingest_events(
                [scada_bridge.event_fields(event) for event in events], "pull", source=source
            )
        return
    except CONTENT_ERRORS as exc:
        if len(events) == 1:
            event = events[0]
            reason = refusal(env, exc)
            _logger.warning(
                "SCADA pull of %s: row %s (event %s) rejected: %s",
                source.name,
                event.id,
                event.event_uid,
                reason,
            )
            refused.append(Refused(event.id, event.event_uid, reason))
            return
    # Halves, in order: a clear still comes after the raise it ends.
    middle = len(events) // 2
    _ingest_part(env, events[:middle], source, results, refused)
    _ingest_part(env, events[middle:], source, results, refused)


def refusal(env, exc: BaseException) -> str:
    """One line: why Odoo could not store the row, and what to do."""
    text = scada_bridge.first_line(exc)
    if len(text) > REASON_CHARS:
        text = text[: REASON_CHARS - 1] + "…"
    return env._(
        "Odoo cannot store this row (%(error)s); the rows behind it were stored. Fix its "
        "writer, and repair the row in the SCADA database to have it pulled again",
        error=text,
    )
