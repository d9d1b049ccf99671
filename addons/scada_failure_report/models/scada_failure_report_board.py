# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The plant board's live updates: one bus message per transaction that stores or ends failures.

Whatever changes a failure (the pull, the push API, a Retry, a Resolve, a
request done) goes through the ingest, ``create`` or ``write``; the equipment it touched
are collected for the transaction and sent once, at commit, to the SCADA
users' group channel (every member's browser is subscribed to its groups).
The board reloads those cards; nothing polls.
"""

from odoo import api, models

BOARD_NOTIFICATION = "scada_failure_report/board"
#: Fields whose change moves a card.
BOARD_FIELDS = {"cleared_at", "equipment_id", "severity", "maintenance_request_id"}
_PENDING = "scada_failure_report.board_equipment_ids"


class ScadaFailureReport(models.Model):
    _inherit = "scada.failure.report"  # pylint: disable=consider-merging-classes-inherited

    @api.model_create_multi
    def create(self, vals_list):
        failures = super().create(vals_list)
        failures._board_changed()
        return failures

    def _ingest_events(self, events, origin, source=None):
        # The ingest creates past create() and closes stored failures in SQL: its
        # results say which failures it made or ended.
        results = super()._ingest_events(events, origin, source=source)
        changed = {r["id"] for r in results if r["id"] and r["result"] in ("created", "cleared")}
        if changed:
            self.browse(changed).sudo()._board_changed()
        return results

    def write(self, vals):
        before = self.equipment_id if "equipment_id" in vals else self.browse()
        result = super().write(vals)
        if BOARD_FIELDS & set(vals):
            self._board_changed(before)
        return result

    def _board_changed(self, also=None) -> None:
        """Tell the board, at commit, that these failures' equipment changed."""
        ids = set((self.equipment_id | (also or self.env["maintenance.equipment"])).ids)
        if not ids:
            return
        data = self.env.cr.precommit.data
        if _PENDING not in data:
            data[_PENDING] = set()
            self.env.cr.precommit.add(self._board_send)
        data[_PENDING].update(ids)

    def _board_send(self) -> None:
        """Send the collected equipment ids (a precommit hook; the bus sends after the commit)."""
        ids = sorted(self.env.cr.precommit.data.pop(_PENDING, ()))
        if ids:
            self.env["bus.bus"]._sendone(
                self.env.ref("scada_failure_report.group_scada_user"),
                BOARD_NOTIFICATION,
                {"equipment_ids": ids},
            )
