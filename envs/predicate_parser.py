"""Reads a predicate written in a task file, e.g. `all(on(cubeB, cubeA), not(grasped(cubeB)))`.

A string, not nested TOML tables: it reads as the docs and the issue write predicates, fits on one
line of the file, and a hand-written parser can say exactly where it went wrong (a column) and what
it expected there. Grammar: `predicate := NAME "(" arg ("," arg)* ")"`, `arg := predicate | NAME |
NUMBER`; `all`/`any` take one or more predicates, `not` exactly one, a vocabulary predicate its
object names, joint names and numbers (`predicates.PREDICATES`).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from .predicates import COMBINATORS, PREDICATES, Call, Combine, Predicate

_TOKEN = re.compile(
    r"\s*(?:(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_]\w*)|(?P<punct>[(),]))"
)


MAX_DEPTH = 20  # levels of all/any/not: far beyond any task, well within Python's recursion limit


class PredicateSyntaxError(ValueError):
    """What is wrong with a predicate's text, and where (1-based column)."""

    def __init__(self, message: str, column: int):
        super().__init__(f"column {column}: {message}")
        self.column = column


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, 1-based column) of each token, then ("end", "", column)."""
    out, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return [*out, ("end", "", pos + 1)]
        match = _TOKEN.match(text, pos)
        if match is None:
            raise PredicateSyntaxError(f"unexpected character {text[pos]!r}", pos + 1)
        kind = match.lastgroup or "punct"
        out.append((kind, match.group(kind), match.start(kind) + 1))
        pos = match.end()


class _Parser:
    def __init__(self, text: str, objects: Collection[str], joints: Collection[str]):
        self.tokens, self.i, self.objects, self.joints = _tokens(text), 0, objects, joints

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self, expected: str, what: str) -> tuple[str, str, int]:
        kind, value, column = self.peek()
        if value != expected and kind != expected:
            shown = "the end" if kind == "end" else repr(value)
            raise PredicateSyntaxError(f"expected {what}, got {shown}", column)
        self.i += 1
        return kind, value, column

    def predicate(self, depth: int = 0) -> Predicate:
        _, name, column = self.take("name", "a predicate name")
        if depth > MAX_DEPTH:
            raise PredicateSyntaxError(f"predicates nested more than {MAX_DEPTH} deep", column)
        if name not in PREDICATES and name not in COMBINATORS:
            raise PredicateSyntaxError(
                f"unknown predicate {name!r}; known: {', '.join([*PREDICATES, *COMBINATORS])}", column
            )
        self.take("(", f"'(' after {name}")
        columns = [self.peek()[2]]
        args = [self.argument(name, depth)]
        while self.peek()[1] == ",":
            self.i += 1
            columns.append(self.peek()[2])
            args.append(self.argument(name, depth))
        self.take(")", f"',' or ')' in {name}(...)")
        if name in COMBINATORS:
            if name == "not" and len(args) != 1:
                raise PredicateSyntaxError(f"not(...) takes one predicate, got {len(args)}", column)
            return Combine(name, tuple(args))
        return self.call(name, args, column, columns)

    def argument(self, parent: str, depth: int) -> Predicate | str | float:
        kind, value, column = self.peek()
        if parent in COMBINATORS:
            if kind == "name" and self.tokens[self.i + 1][1] == "(":
                return self.predicate(depth + 1)
            raise PredicateSyntaxError(
                f"{parent}(...) takes predicates, e.g. grasped(cube); got {value or 'the end'!r}", column
            )
        if kind == "number":
            self.i += 1
            return float(value)
        if kind == "name":
            self.i += 1
            return value  # an object or a joint: `call` checks which its place wants
        raise PredicateSyntaxError(
            f"expected an object name or a number in {parent}(...), got {value or 'the end'!r}", column
        )

    def call(self, name: str, args: list, column: int, columns: list[int]) -> Call:
        entry = PREDICATES[name]
        if not entry.required <= len(args) <= len(entry.args):
            raise PredicateSyntaxError(
                f"{name} takes {entry.signature}, got {len(args)} argument{'s' if len(args) > 1 else ''}", column
            )
        for k, (arg, kind, at) in enumerate(zip(args, entry.args, columns), 1):
            if (kind != "number") != isinstance(arg, str):
                shown = arg if isinstance(arg, str) else f"{arg:g}"
                wanted = {"object": "an object name", "joint": "a joint name"}.get(kind, "a number")
                raise PredicateSyntaxError(f"{entry.signature}: argument {k} must be {wanted}, got {shown!r}", column)
            known = self.objects if kind == "object" else self.joints
            if kind != "number" and arg not in known:
                listed = ", ".join(known) or "none (a joint is one of an MJCF fixture's)"
                raise PredicateSyntaxError(f"unknown {kind} {arg!r}; {kind}s: {listed}", at)
        if name == "joint_at" and args[1] > args[2]:
            raise PredicateSyntaxError(
                f"{entry.signature}: expected low <= high, got {args[1]:g} > {args[2]:g}", columns[1]
            )
        return Call(name, tuple(args))


def parse_predicate(text: str, objects: Collection[str], joints: Collection[str] = ()) -> Predicate:
    """The predicate `text` says, whose object names must be among `objects` and joint names among
    `joints`. Raises PredicateSyntaxError naming the column and what was expected there."""
    parser = _Parser(text, objects, joints)
    predicate = parser.predicate()
    kind, value, column = parser.peek()
    if kind != "end":
        raise PredicateSyntaxError(f"unexpected {value!r} after the predicate", column)
    return predicate
