# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The reader cursor's text form (``TX:ID``, printed after ``next-cursor:``) over its
whole range: every cursor the reader can return reads back as itself, zeros included.

Kills ``tx < 0`` -> ``tx < 1`` and ``id_ < 0`` -> ``id_ < 1`` in ``Cursor.parse``
(scripts/mutation.sh, docs/testing.md): the start cursor ``0:0`` and a first row's
``0:N`` were refused by those mutants and no test fed them.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scada_bridge import START, ConfigError, Cursor

XID8 = st.integers(min_value=0, max_value=2**63 - 1)


@given(tx=XID8, id_=XID8)
def test_every_cursor_reads_back_as_itself(tx, id_):
    assert Cursor.parse(str(Cursor(tx, id_))) == Cursor(tx, id_)


def test_the_start_cursor_and_zero_parts_are_valid():
    assert Cursor.parse(str(START)) == START == Cursor.parse("0:0")
    assert Cursor.parse("0:12") == Cursor(0, 12)
    assert Cursor.parse(" 7401:0 ") == Cursor(7401, 0)


@given(tx=st.integers(max_value=-1), id_=XID8, swap=st.booleans())
def test_a_negative_part_is_refused_in_one_line(tx, id_, swap):
    text = f"{id_}:{tx}" if swap else f"{tx}:{id_}"
    with pytest.raises(ConfigError, match="never negative") as caught:
        Cursor.parse(text)
    assert "\n" not in str(caught.value)
