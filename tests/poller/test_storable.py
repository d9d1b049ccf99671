"""What the database can store: NaN and Infinity (jsonb refuses both) become null, named."""

from __future__ import annotations

from scada_bridge.poller.storable import storable

from tests.helpers import raised


def test_non_finite_values_anywhere_in_a_payload_become_null_and_are_named():
    event = raised(payload={"value": float("-inf"), "x": [1.0, float("nan")], "ok": 2.5})
    fixed = storable(event)
    assert fixed.payload == {
        "value": None,
        "x": [1.0, None],
        "ok": 2.5,
        "not_stored": {"value": "-inf", "x[1]": "nan"},
    }
    assert fixed.event_uid == event.event_uid  # the same event, made storable
    fine = raised(payload={"value": 1.5})
    assert storable(fine) is fine
