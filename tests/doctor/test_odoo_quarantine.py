"""`scada-bridge doctor`, Odoo hop: a source's rows waiting in Odoo's quarantine are named."""

from __future__ import annotations

from datetime import datetime, timezone

from scada_bridge.doctor.odoo import source_check

NOW = datetime(2026, 11, 29, 5, 0, 0, tzinfo=timezone.utc)
SOURCE = {
    "id": 1,
    "name": "Plant",
    "active": True,
    "state": "ok",
    "last_pull_at": "2026-11-29T04:59:00+00:00",
    "last_success_at": "2026-11-29T04:59:00+00:00",
    "last_error": None,
    "cursor": "7401:12",
}


def test_rows_waiting_in_quarantine_are_named_with_where_to_look():
    row = source_check({**SOURCE, "quarantined": 3}, NOW)
    assert row.ok, "a rejected row is the data's problem, not the pull's"
    assert "3 rejected row(s) wait in quarantine (SCADA > Rejected Rows)" in row.detail


def test_an_empty_quarantine_or_an_older_module_says_nothing_of_it():
    for source in ({**SOURCE, "quarantined": 0}, SOURCE, {**SOURCE, "quarantined": None}):
        assert "quarantine" not in source_check(source, NOW).detail
