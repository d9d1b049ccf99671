# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Durations in a person's units: what format_duration says (the views' widget says the same)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from odoo.tests import TransactionCase, tagged

from ..models.scada_duration import format_duration, format_hours

UNITS = {"h": 3600, "min": 60, "s": 1}


def parse(text: str) -> int:
    """Seconds a formatted duration stands for."""
    words = text.split()
    return sum(int(n) * UNITS[unit] for n, unit in zip(words[::2], words[1::2], strict=True))


@tagged("post_install", "-at_install")
class TestDuration(TransactionCase):
    def test_what_a_person_reads(self):
        cases = {
            0: "0 s",
            0.4: "0 s",
            35: "35 s",
            59.4: "59 s",
            59.5: "1 min",
            60: "1 min",
            250: "4 min 10 s",
            3599: "59 min 59 s",
            3600: "1 h",
            4320: "1 h 12 min",
            4349: "1 h 12 min",
            4350: "1 h 13 min",
            90 * 3600 + 5 * 60: "90 h 5 min",
        }
        for seconds, text in cases.items():
            with self.subTest(seconds=seconds):
                self.assertEqual(format_duration(self.env, seconds), text)

    def test_hours_as_stored_and_no_value(self):
        self.assertEqual(format_hours(self.env, 1.2), "1 h 12 min")
        # Nine 10-second failures: what the equipment's tab used to show as "0.02".
        self.assertEqual(format_hours(self.env, 90 / 3600), "1 min 30 s")
        for nothing in (None, False):
            self.assertEqual(format_hours(self.env, nothing), "")
        for not_a_time in (float("nan"), float("inf")):
            self.assertEqual(format_duration(self.env, not_a_time), "")
        self.assertEqual(format_duration(self.env, -5), "0 s")

    @settings(max_examples=300, deadline=None)
    @given(st.floats(min_value=0, max_value=10_000 * 3600, allow_nan=False))
    def test_never_off_by_more_than_its_last_unit(self, seconds):
        text = format_duration(self.env, seconds)
        shown = parse(text)
        # Seconds shown under an hour (half a second off), minutes from an hour on.
        self.assertLessEqual(abs(shown - seconds), 0.5 if seconds < 3599.5 else 30.5, text)
        self.assertLessEqual(len(text.split()), 4, "never more than two units")
        numbers = [int(n) for n in text.split()[::2]]
        if len(numbers) == 2:
            self.assertLess(numbers[1], 60, f"{text}: the second unit stays below 60")
            self.assertGreater(numbers[1], 0, f"{text}: a zero second unit is left out")
