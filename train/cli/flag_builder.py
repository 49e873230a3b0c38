"""Command-line flags generated from config classes (frozen dataclasses and pydantic models).

Each field becomes `--field-name`, typed from its annotation and documented by the field itself
(`field(metadata={"help": ...})`, pydantic's `Field(description=...)`). A flag's argparse default
is None, "not given": the config is built from the flags given and the class fills in the rest, so
a default lives in one place and `--help` shows the class's. A number's range is the class's own
(its `BOUNDS` table, or pydantic's ge/le): the flag refuses what the class refuses, in the same
words, and nothing else. `Flag` states where a field departs from what its type implies (choices,
a name kept from before, a value converted).

Written over argparse rather than taken from tyro or draccus: see docs, "Design choices".
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, Literal

from ...augment.config_bounds import Bounds


def int_in(low: int, high: int | None = None, what: str = "") -> Callable[[str], int]:
    """An argparse type for a flag that is no config field: an integer in low..high (or ≥ low)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < low or (high is not None and value > high):
            bound = f"in {low}..{high}" if high is not None else f"≥ {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range: expected an integer {bound}{what}")
        return value

    return parse


def bounded(bounds: Bounds | None, integer: bool) -> Callable[[str], Any]:
    """The argparse type of a config field: the word parsed as an integer or a number, and refused
    (in the class's words) where the field's `Bounds` refuse it; no bounds, no range."""

    def parse(text: str) -> Any:
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if integer else 'a number'}") from None
        if bounds is not None and not bounds.holds(value):
            raise argparse.ArgumentTypeError(f"{text} is out of range: expected {bounds.expected()}{bounds.note}")
        return value

    return parse


@dataclasses.dataclass(frozen=True)
class Flag:
    """How one field's flag departs from what the field's type implies."""

    parse: Callable[[str], Any] | None = None  # argparse type: parses one word (its range: the class's)
    choices: Sequence[str] | None = None
    name: str | None = None  # the flag's name when it is not --field-name (kept for old command lines)
    store_false: bool = False  # a switch that sets a bool field to False (`--clean` → human_like=False)
    to_field: Callable[[Any], Any] | None = None  # parsed value → field value (84 → (84, 84))
    help: str | None = None  # replaces the field's own help
    default_text: Callable[[Any], str] | None = None  # the class default as a user types it
    metavar: str | None = None  # the value's name in --help (PX, N)
    # The field is set by a flag its verb writes by hand (it needs other flags' values); the text says why.
    by_hand: str | None = None


@dataclasses.dataclass(frozen=True)
class ConfigField:
    """What the generator reads from one field of either kind of class."""

    name: str
    annotation: Any
    default: Any
    help: str
    bounds: Bounds | None = None  # the class's BOUNDS entry (or pydantic's ge/le)


def config_fields(cls: type) -> list[ConfigField]:
    """The fields of a dataclass or a pydantic model, with their defaults, help and bounds."""
    table = getattr(cls, "BOUNDS", {})
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            out.append(ConfigField(f.name, hints[f.name], default, f.metadata.get("help", ""), table.get(f.name)))
        return out
    out = []
    for name, info in cls.model_fields.items():
        low = next((m.ge for m in info.metadata if getattr(m, "ge", None) is not None), None)
        high = next((m.le for m in info.metadata if getattr(m, "le", None) is not None), None)
        pydantic_bounds = None
        if low is not None or high is not None:
            integer = _without_none(info.annotation) is int
            pydantic_bounds = Bounds(-math.inf if low is None else low, high, integer=integer)
        bounds = table.get(name, pydantic_bounds)
        out.append(ConfigField(name, info.annotation, info.get_default(), info.description or "", bounds))
    return out


def _without_none(annotation: Any) -> Any:
    """`int | None` → int: None is the field's default, never something typed on the command line."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return " ".join(map(str, value)) or "none"
    return str(value)


class ConfigFlags:
    """The flags of one config class on one verb: added to its parser, read back into the config."""

    def __init__(self, cls: type, flags: dict[str, Flag] | None = None):
        self.cls, self.flags = cls, flags or {}
        self.fields = config_fields(cls)
        unknown = set(self.flags) - {f.name for f in self.fields}
        if unknown:
            raise TypeError(f"Flag for {cls.__name__} fields that do not exist: {', '.join(sorted(unknown))}")

    def flag_name(self, field: str) -> str:
        return self.flags.get(field, Flag()).name or "--" + field.replace("_", "-")

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group(f"{self.cls.__name__} fields")
        for f in self.fields:
            flag = self.flags.get(f.name, Flag())
            if flag.by_hand:
                continue
            help_text = flag.help or f.help
            if f.default is not None and not flag.store_false:
                help_text += f" (default: {(flag.default_text or _shown)(f.default)})"
            kwargs: dict[str, Any] = {"dest": f.name, "default": None, "help": help_text.replace("%", "%%")}
            group.add_argument(self.flag_name(f.name), **kwargs, **self._kind(f, flag))

    def _kind(self, f: ConfigField, flag: Flag) -> dict[str, Any]:
        """argparse's action/type/choices/nargs for a field: the Flag's word, else the type's."""
        annotation = _without_none(f.annotation)
        if flag.store_false:
            return {"action": "store_const", "const": False}
        metavar = {int: "N", float: "X"}.get(annotation)
        if flag.parse or flag.choices:
            return {
                "type": flag.parse,
                "choices": flag.choices,
                "metavar": flag.metavar or (None if flag.choices else metavar),
            }
        if annotation is bool:
            return {"action": argparse.BooleanOptionalAction}
        if typing.get_origin(annotation) is Literal:
            return {"choices": typing.get_args(annotation)}
        if annotation in (int, float):
            return {"type": bounded(f.bounds, integer=annotation is int), "metavar": metavar}
        if annotation is str:
            return {}
        if annotation == tuple[str, ...]:
            return {"nargs": "*", "metavar": f.name.upper()}
        raise TypeError(f"{self.cls.__name__}.{f.name}: no flag for a {annotation}; give it a Flag")

    def given(self, args: argparse.Namespace) -> dict[str, Any]:
        """The fields set on the command line, converted to the field's type (a list to a tuple)."""
        out = {}
        for f in self.fields:
            value = getattr(args, f.name, None)
            if value is None or self.flags.get(f.name, Flag()).by_hand:
                continue
            to_field = self.flags.get(f.name, Flag()).to_field
            out[f.name] = to_field(value) if to_field else tuple(value) if isinstance(value, list) else value
        return out

    def build(self, args: argparse.Namespace, **by_hand: Any) -> Any:
        """The config the command line asks for; the class's own checks run as it is made."""
        return self.cls(**self.given(args), **by_hand)
