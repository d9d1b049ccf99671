# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Durations in a person's units, for texts the server writes (messages, the board).

The rule of ``formatDuration`` in ``static/src/duration/scada_duration.js``
(the views' ``scada_duration`` widget): under a minute in seconds ("35 s"),
under an hour in minutes and seconds ("4 min 10 s"), from an hour on in hours
and minutes ("1 h 12 min"). Stored values are untouched.
"""

import math


def format_duration(env, seconds: float | None) -> str:
    """``seconds`` as a person says it, in ``env``'s language; "" for no value."""
    if seconds is None or seconds is False or not math.isfinite(seconds):
        return ""
    total = max(0, _half_up(seconds))
    if total < 60:
        return env._("%(seconds)s s", seconds=total)
    if total < 3600:
        minutes, rest = divmod(total, 60)
        if rest:
            return env._("%(minutes)s min %(seconds)s s", minutes=minutes, seconds=rest)
        return env._("%(minutes)s min", minutes=minutes)
    hours, minutes = divmod(_half_up(total / 60), 60)
    if minutes:
        return env._("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    return env._("%(hours)s h", hours=hours)


def format_hours(env, hours: float | None) -> str:
    """A float of hours (how the module stores durations) as :func:`format_duration` says it."""
    if hours is None or hours is False:
        return ""
    return format_duration(env, hours * 3600)


def _half_up(value: float) -> int:
    """Rounded as JavaScript's Math.round does (Python's round() goes to even)."""
    return math.floor(value + 0.5)
