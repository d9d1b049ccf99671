# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""A source is a registered reader of its SCADA database from the moment it exists.

``scada-bridge prune`` deletes only the events every registered reader has
passed. A source that read nothing yet must hold prune back too: it
registers itself (``scada_bridge.register_reader``, at position zero) when
it is created or its connection changes; when that fails (SCADA database
down, schema too old) the source says so and tries again at "Test
connection" and at every pull until it succeeds.

Its name in ``scada.reader_cursor`` is ``odoo/<database uuid>/scada.source/<id>``:
the uuid (``database.uuid``), not the database name, which a staging copy
shares with production (a duplicated or restored-as-copy Odoo database gets
a new uuid). Sources registered before under ``odoo/<dbname>/...`` register
anew under the uuid name; the old row is left where it is (it only keeps
more events, never fewer) and the source names it so a person deletes it.
"""

import logging

import psycopg2
import scada_bridge
from odoo import api, fields, models
from scada_bridge import ScadaBridgeError

from .scada_pull import connection_policy, old_reader_name, reader_name

_logger = logging.getLogger(__name__)

#: Connecting to register must not hold a form's save for long.
REGISTER_STATEMENT_MS = 5000
REGISTER_LOCK_MS = 2000


# One concern per file: registration beside the source's fields and buttons.
class ScadaSourceReader(models.Model):
    _inherit = "scada.source"  # pylint: disable=consider-merging-classes-inherited

    reader_registered = fields.Boolean(
        readonly=True,
        copy=False,
        help="This source is registered as a reader of its SCADA database: scada-bridge "
        "prune keeps every event it has not stored.",
    )
    reader_warning = fields.Char(
        readonly=True,
        copy=False,
        help="Why the source is not registered as a reader yet, or an old registration to "
        "delete; retried at Test connection and at every pull.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        sources = super().create(vals_list)
        sources._register_reader()
        return sources

    def write(self, vals):
        result = super().write(vals)
        if "connection_uri" in vals:
            self.reader_registered = False
            self._register_reader()
        return result

    def action_test_connection(self):
        self._register_reader()
        return super().action_test_connection()

    def _register_reader(self) -> None:
        """Register the sources not registered yet; a failure is a warning on the source."""
        for source in self.filtered(lambda s: not s.reader_registered and s.connection_uri):
            registered, warning = source._try_register_reader()
            source.write({"reader_registered": registered, "reader_warning": warning})

    def _try_register_reader(self) -> tuple[bool, str | bool]:
        """Register this source: (registered, the warning to show or False)."""
        self.ensure_one()
        name = reader_name(self)
        register = getattr(scada_bridge, "register_reader", None)
        if register is None:  # a scada-bridge older than the module
            return False, self.env._(
                "Not registered as a reader of its SCADA database: the scada-bridge installed "
                "with Odoo is too old to register one; upgrade it (pip install -U scada-bridge)."
            )
        try:
            conn = scada_bridge.connect(
                self.connection_uri,
                application_name="odoo-scada",
                **connection_policy(REGISTER_STATEMENT_MS, REGISTER_LOCK_MS),
            )
            try:
                register(conn, name)
                conn.commit()
                old = old_reader_name(self)
                stale = [r for r in scada_bridge.reader_cursors(conn) if r.reader == old]
                conn.rollback()
            finally:
                conn.close()
        except (ScadaBridgeError, psycopg2.Error) as exc:
            first = scada_bridge.first_line(exc)
            _logger.warning("SCADA source %s: cannot register as a reader: %s", self.name, first)
            return False, self.env._(
                "Not registered as a reader of its SCADA database yet (%(error)s): until it "
                "is, scada-bridge prune may delete events this source has not stored. Retried "
                "at Test connection and at every pull.",
                error=first,
            )
        if stale:
            return True, self.env._(
                "Registered as %(name)s. The row %(old)s left by an older version still holds "
                "scada-bridge prune back: once this source has pulled, delete it as the SCADA "
                "database's owner (DELETE FROM scada.reader_cursor WHERE reader = %(literal)s).",
                name=name,
                old=stale[0].reader,
                literal="'" + stale[0].reader.replace("'", "''") + "'",
            )
        return True, False
