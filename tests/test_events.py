# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The one rule set of an event and its one JSON form (``scada_bridge.events``)."""

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from scada_bridge.events import (
    CONTRACT_COLUMNS,
    Event,
    NewEvent,
    event_from_json,
    event_problems,
    event_to_json,
)

T0 = datetime(2026, 11, 29, 6, 15, tzinfo=timezone(timedelta(hours=1)))


def test_every_problem_of_an_event_is_named_with_its_field():
    problems = event_problems(
        {
            "event_uid": "silo101-42",
            "kind": "cleared",
            "raise_uid": None,
            "equipment_code": "  ",
            "severity": "apocalyptic",
            "occurred_at": datetime(2026, 11, 29, 6, 15),  # no zone
        }
    )
    assert [field for field, _reason in problems] == [
        "equipment_code",
        "event_uid",
        "raise_uid",
        "severity",
        "occurred_at",
    ]
    reasons = dict(problems)
    assert "'silo101-42' is not a UUID" in reasons["event_uid"]
    assert "needs raise_uid" in reasons["raise_uid"]
    assert "unknown severity 'apocalyptic'" in reasons["severity"]


def test_a_valid_event_has_no_problem_and_a_raise_has_no_raise_uid():
    raised = {"kind": "raised", "equipment_code": "silo101", "occurred_at": T0}
    assert event_problems(raised) == []
    assert event_problems({**raised, "raise_uid": str(uuid.uuid4())}) == [
        ("raise_uid", "a 'raised' event must not have a raise_uid")
    ]
    assert event_problems({**raised, "kind": "exploded"})[0][0] == "kind"


def test_new_event_refuses_with_every_problem_in_one_line():
    with pytest.raises(ValueError) as refused:
        NewEvent(kind="cleared", equipment_code="", occurred_at=T0, severity="loud")
    message = str(refused.value)
    assert "equipment_code is empty" in message
    assert "needs raise_uid" in message
    assert "unknown severity 'loud'" in message


def test_a_new_event_survives_its_json_form():
    event = NewEvent(
        kind="raised",
        equipment_code="silo101",
        occurred_at=T0,
        failure_code="START_FAILURE",
        description="Silo 101 failed to start",
        severity="high",
        device="plc-1",
        payload={"coil": 3, "values": [1.5, None]},
    )
    line = json.dumps(event_to_json(event))
    assert event_from_json(json.loads(line)) == event


def test_a_stored_event_carries_every_contract_column_and_reads_back_as_the_same_event():
    stored = Event(
        id=7,
        event_uid=str(uuid.uuid4()),
        kind="raised",
        raise_uid=None,
        equipment_code="silo101",
        failure_code=None,
        description=None,
        severity=None,
        occurred_at=T0,
        recorded_at=T0 + timedelta(seconds=2),
        device=None,
        tx=1234,
    )
    data = json.loads(json.dumps(event_to_json(stored)))
    assert tuple(data) == CONTRACT_COLUMNS
    assert data["occurred_at"] == "2026-11-29T06:15:00+01:00"
    back = event_from_json(data)
    assert (back.event_uid, back.occurred_at, back.kind) == (stored.event_uid, T0, "raised")


def test_json_with_a_time_without_zone_is_refused():
    data = event_to_json(NewEvent(kind="raised", equipment_code="silo101", occurred_at=T0))
    data["occurred_at"] = "2026-11-29 06:15:00"
    with pytest.raises(ValueError, match="occurred_at must be a time with a time zone"):
        event_from_json(data)
