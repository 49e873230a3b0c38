"""Checked reading of a TOML file's values: every failure one ConfigError line naming the file, the
line, the dotted key, what was expected and what was there, e.g. `task.toml, line 9, objects.cubeA.mass:
expected a number > 0, got -0.1`. TOML itself reports the line of a syntax error; tomllib gives values
no positions, so a value's line is found by scanning the file's table headers and keys (`key_lines`).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError

_HEADER = re.compile(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"\s*([A-Za-z0-9_\-\".' ]+?)\s*=")


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


def key_lines(text: str) -> dict[tuple, int]:
    """Dotted key path → the 1-based line that sets it or opens its table; an array of tables'
    entries are ("subtasks", 0), ("subtasks", 1), ... Best effort: inline tables count as their key."""
    lines: dict[tuple, int] = {}
    table: tuple = ()
    counts: dict[tuple, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            path = _split_key(header.group(2))
            if header.group(1) == "[[":
                counts[path] = counts.get(path, -1) + 1
                path = (*path, counts[path])
            table = path
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key and not line.lstrip().startswith("#"):
            lines.setdefault((*table, *_split_key(key.group(1))), number)
    return lines


class CheckedToml:
    """Checks values of one file, each failure one line naming the file, line and key."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, key_lines(text)

    def fail(self, key: tuple, message: str) -> ConfigError:
        shown = ".".join(f"[{k}]" if isinstance(k, int) else k for k in key).replace(".[", "[")
        for n in range(len(key), 0, -1):  # the key's line, else its nearest enclosing table's
            if key[:n] in self.lines:
                return ConfigError(f"{self.path}, line {self.lines[key[:n]]}, {shown}: {message}")
        return ConfigError(f"{self.path}, {shown or '(top level)'}: {message}")

    def table(self, value: Any, key: tuple, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {shown(value)}")
        for name in value:
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise self.fail((*key, name), f"unknown key; {hint}expected one of {', '.join(allowed)}")
        for name in required:
            if name not in value:
                raise self.fail((*key, name), "missing; this key is required")
        return value

    def number(
        self, value: Any, key: tuple, low: float = -np.inf, positive: bool = False, high: float = np.inf
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            raise self.fail(key, f"expected a number, got {shown(value)}")
        if (positive and value <= 0) or value < low or value > high:
            bound = "> 0" if positive else f">= {low:g}"
            bound = bound if high == np.inf else f"{bound} and <= {high:g}"
            raise self.fail(key, f"expected a number {bound}, got {value:g}")
        return float(value)

    def integer(self, value: Any, key: tuple, low: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(key, f"expected an integer >= {low}, got {shown(value)}")
        return value

    def text(self, value: Any, key: tuple, pattern: re.Pattern | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a non-empty string, got {shown(value)}")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(key, f"expected a letter, then letters, digits or '_', got {value!r}")
        return value

    def numbers(self, value: Any, key: tuple, count: int, what: str, **bounds) -> tuple[float, ...]:
        if not isinstance(value, list) or len(value) != count:
            raise self.fail(key, f"expected {what}, got {shown(value)}")
        return tuple(self.number(v, (*key,), **bounds) for v in value)

    def interval(self, value: Any, key: tuple, what: str, within: tuple[float, float] | None = None) -> tuple:
        low, high = self.numbers(value, key, 2, f"[low, high] ({what})")
        if low > high:
            raise self.fail(key, f"expected [low, high] with low <= high ({what}), got [{low:g}, {high:g}]")
        if within is not None and (low < within[0] or high > within[1]):
            raise self.fail(
                key, f"expected a range within [{within[0]:g}, {within[1]:g}] (the table), got [{low:g}, {high:g}]"
            )
        return low, high


def shown(value: Any) -> str:
    kind = {bool: "a boolean", str: "a string", list: "an array", dict: "a table", int: "an integer", float: "a float"}
    return f"{kind.get(type(value), type(value).__name__)} {value!r}"


def load_toml(path: Path) -> tuple[dict, CheckedToml]:
    """The file's data and its checker; a syntax error is one ConfigError line with TOML's line and column."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); expected a TOML file") from None
    try:
        data = tomllib.loads(text)
    except RecursionError:  # arrays nested thousands deep: tomllib recurses per level
        raise ConfigError(f"{path}: invalid TOML: values nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        line = f", line {where.group(1)}, column {where.group(2)}" if where else ""
        raise ConfigError(f"{path}{line}: invalid TOML: {message}") from None
    return data, CheckedToml(path, text)
