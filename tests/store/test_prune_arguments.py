# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""prune's arguments at their limits: the documented range is accepted end to end, one
step outside is refused in one line before anything is deleted.

Kills the boundary mutants of ``prune()`` (scripts/mutation.sh, docs/testing.md):
``1 <= batch <= MAX_BATCH`` with ``<`` or ``2``, and ``older_than <= timedelta(0)``
with ``<`` or ``timedelta(1)``; no test used batch=1, batch=MAX_BATCH or the
smallest age.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from scada_bridge import ConfigError, connect, insert_events
from scada_bridge.store.prune import MAX_BATCH, prune

from tests.helpers import raised


@pytest.mark.parametrize("batch", [1, MAX_BATCH])
def test_the_ends_of_the_batch_range_are_accepted(scada_uri, scada_conn, batch):
    insert_events(scada_conn, [raised()])
    result = prune(connect(scada_uri), timedelta(days=30), force=True, batch=batch)
    assert (result.deleted, result.batches) == (0, 1)


def test_the_smallest_age_is_accepted(scada_uri):
    result = prune(connect(scada_uri), timedelta(microseconds=1), force=True)
    assert result.deleted == 0


@pytest.mark.parametrize("batch", [0, MAX_BATCH + 1, -1])
def test_a_batch_outside_the_range_is_refused(batch):
    with pytest.raises(ConfigError, match=f"prune batch {batch} is out of range") as info:
        prune(None, timedelta(days=30), batch=batch)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("age", [timedelta(0), timedelta(microseconds=-1), timedelta(days=-3)])
def test_an_age_of_zero_or_less_is_refused(age):
    with pytest.raises(ConfigError, match="--older-than must be more than 0 days"):
        prune(None, age)  # type: ignore[arg-type]
