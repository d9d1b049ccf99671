# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""What the PLC said about a failure, and how it ended, is written by the module only.

Maintenance managers have write access to failures so that the Resolve
wizard can end them as them; that access also let them rewrite any field
over RPC (``event_uid``, ``clear_uid``, ``company_id``, ``started_at``...),
which blocks later PLC clears and falsifies downtime. :data:`OWNED_FIELDS`
are written only by the ingest (as superuser, or in SQL), by the Resolve
wizard, by a request done ending its failures and by Acknowledge: those go
through :meth:`_write_owned`, a private method (not callable over RPC) that
marks the write in a context variable no RPC call can set. Everything else
(the equipment, the failure code's record, chatter) stays editable as the
access rules say.
"""

import contextvars

from odoo import models
from odoo.exceptions import AccessError

#: Fields of scada.failure.report the module alone writes.
OWNED_FIELDS = frozenset(
    {
        "event_uid",
        "clear_uid",
        "equipment_code",
        "failure_code",
        "description",
        "severity",
        "started_at",
        "cleared_at",
        "cleared_by",
        "resolve_note",
        "reported_by",
        "source_id",
        "origin",
        "device",
        "payload",
        "company_id",
        "state",
        "duration",
        "acknowledged_by",
        "acknowledged_at",
        "maintenance_request_id",
    }
)

#: Set while :meth:`ScadaFailureReportGuard._write_owned` writes: Python only.
_OWNED_WRITE = contextvars.ContextVar("scada_failure_owned_write", default=False)


# One concern per file: the guard beside the model, not inside its 600 lines.
class ScadaFailureReportGuard(models.Model):
    _inherit = "scada.failure.report"  # pylint: disable=consider-merging-classes-inherited

    def write(self, vals):
        owned = sorted(OWNED_FIELDS.intersection(vals))
        if owned and not (self.env.su or _OWNED_WRITE.get()):
            self.check_access("write")  # rights first: who may not write hears that
            raise AccessError(
                self.env._(
                    "%(fields)s of a SCADA failure come from its PLC and are written only by "
                    "the pull and the Resolve button: use Resolve to end a failure.",
                    fields=", ".join(owned),
                )
            )
        return super().write(vals)

    def _write_owned(self, vals: dict) -> bool:
        """Write fields of :data:`OWNED_FIELDS` with the caller's access rights.

        For the module's own steps (Resolve, Acknowledge); a client over RPC
        cannot call a private method.
        """
        token = _OWNED_WRITE.set(True)
        try:
            return self.write(vals)
        finally:
            _OWNED_WRITE.reset(token)
