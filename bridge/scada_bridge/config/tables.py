"""Reading one TOML table: every value checked, its path kept for one-line messages, and
unknown keys refused (with a suggestion, and a word when the key belongs to the other
protocol)."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .model import MODBUS, PROTOCOLS, config_keys

__all__ = ["Table"]


class Table:
    """A TOML table being read: remembers its path for messages, rejects unknown keys."""

    def __init__(self, file: str, where: str, data: Any) -> None:
        self.file = file
        self.where = where
        if not isinstance(data, Mapping):
            self.fail("", f"must be a table, got {_kind(data)}")
        self.data: Mapping[str, Any] = data

    def fail(self, key: str, what: str) -> None:
        where = f"{self.where}.{key}" if self.where and key else self.where or key
        raise ConfigError(f"{self.file}: {where}: {what}")

    def only(self, *allowed: str) -> None:
        for key in self.data:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(key, f"unknown key{hint}; allowed here: {', '.join(allowed)}")

    def only_for(self, cls: type, protocol: str = MODBUS, extra: tuple[str, ...] = ()) -> None:
        """Only the keys of ``cls`` for ``protocol`` (plus ``extra``); a key of the other
        protocol gets its own message (a ``table`` on a FINS PLC)."""
        allowed = config_keys(cls, protocol) + extra
        for key in self.data:
            if key in allowed:
                continue
            for other in PROTOCOLS:
                if other != protocol and key in config_keys(cls, other):
                    self.fail(
                        key,
                        f"is a key of protocol = {other!r} PLCs; this PLC has protocol = "
                        f"{protocol!r} (allowed here: {', '.join(allowed)})",
                    )
        self.only(*allowed)

    def has(self, key: str) -> bool:
        return key in self.data

    def sub(self, key: str) -> Table:
        where = f"{self.where}.{key}" if self.where else key
        return Table(self.file, where, self.data[key])

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str:
        if key not in self.data:
            if required:
                self.fail(key, "missing (required)")
            return default  # type: ignore[return-value]
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be a non-empty string, got {_show(value)}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(key, default, required=default is None)
        if value not in choices:
            self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def integer(
        self, key: str, default: int | None, low: int, high: int, *, required: bool = False
    ) -> int:
        if key not in self.data:
            if required or default is None:
                self.fail(key, "missing (required)")
            return default  # type: ignore[return-value]
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"must be an integer, got {_show(value)}")
        if not low <= value <= high:
            self.fail(key, f"{value} is out of range {low}..{high}")
        return value

    def number(
        self, key: str, default: float | None, low: float | None = None, high: float | None = None
    ) -> float:
        if key not in self.data:
            if default is None:
                self.fail(key, "missing (required)")
            return default  # type: ignore[return-value]
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            self.fail(key, f"must be a number, got {_show(value)}")
        if low is not None and value < low:
            self.fail(key, f"{value} is below the minimum {low}")
        if high is not None and value > high:
            self.fail(key, f"{value} is above the maximum {high}")
        return float(value)

    def tables(self, key: str) -> list[Table]:
        value = self.data.get(key, [])
        if isinstance(value, Mapping):
            value = [value]
        if not isinstance(value, list):
            self.fail(key, f"must be an array of tables ([[{key}]]), got {_kind(value)}")
        base = f"{self.where}.{key}" if self.where else key
        return [Table(self.file, f"{base}[{i}]", item) for i, item in enumerate(value)]


#: The name ``config``'s own modules use for :class:`Table`.
_Table = Table


def _kind(value: Any) -> str:
    return {
        dict: "a table",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str | int | float | bool) else _kind(value)
