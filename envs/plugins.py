"""Registries a user extends: built-in entries, run-time registrations, and entry-point plugins.

A `Registry` (tasks, scripted experts, policies) maps a name to an entry. A lookup tries the
built-ins, then what was registered at run time in this process (`demoforge.register_task`, ...),
then the Python entry points of the registry's group (e.g. `demoforge.tasks` in a pip-installed
package's metadata), loading that one entry point on its first lookup. Listing names reads the
installed metadata only, so a broken plugin fails when it is used, in one line naming its
distribution and entry point.

Worker processes start with `spawn`: they import demoforge afresh and would not know what the parent
registered at run time. `carry_registrations(fn)` wraps a function sent to a worker (a pool's
initializer, a process target, a job) with a snapshot of those registrations (classes and functions
pickle by reference, so the worker imports their modules), restored before `fn` runs. Entry-point
plugins need no carrying: every process finds them in the installed metadata.
"""

from __future__ import annotations

import contextlib
import functools
import pickle
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Generic, TypeVar

from .errors import ConfigError, DemoforgeError, UnknownNameError

T = TypeVar("T")

# group → name → entry registered at run time in this process, or restored from a parent's snapshot
_ADDED: dict[str, dict[str, Any]] = {}
_REGISTRIES: dict[str, Registry] = {}  # group → its registry, whose `on_add` a restore runs


class PluginError(DemoforgeError, ImportError):
    """An entry-point plugin that failed to load, or gave an object of the wrong kind."""


class Registry(Mapping[str, T], Generic[T]):
    """Name → entry of one kind. `check(name, obj)` turns what a user registers (or an entry point
    loads) into the entry, raising ConfigError if it is not one; `adder` names the public function
    that registers one; `on_add(name, entry)` runs for each run-time registration (also one restored
    in a worker), e.g. to add a Gymnasium id."""

    def __init__(
        self,
        group: str,
        what: str,
        builtins: Mapping[str, T],
        check: Callable[[str, Any], T],
        adder: str,
        on_add: Callable[[str, T], None] | None = None,
    ):
        self.group, self.what, self.adder = group, what, adder
        self._builtins = dict(builtins)
        self._check, self._on_add = check, on_add
        self._loaded: dict[str, T] = {}  # entry points loaded in this process
        self._added = _ADDED.setdefault(group, {})
        _REGISTRIES[group] = self
        for name, entry in self._added.items():  # restored before this registry was imported
            self._announce(name, entry)

    def _entry_points(self) -> dict[str, metadata.EntryPoint]:
        """The group's installed entry points by name (metadata only: nothing is imported)."""
        return _installed(self.group, tuple(sys.path))

    def __getitem__(self, name: str) -> T:
        for source in (self._builtins, self._added, self._loaded):
            if name in source:
                return source[name]
        point = self._entry_points().get(name)
        if point is None:
            raise UnknownNameError(f"unknown {self.what} {name!r}; known: {self.known()}")
        self._loaded[name] = self._load(point)
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:  # without loading a plugin
        return name in self._builtins or name in self._added or name in self._loaded or name in self._entry_points()

    def __iter__(self) -> Iterator[str]:
        """Built-in names, then run-time ones, then entry points' (sorted)."""
        seen = dict.fromkeys([*self._builtins, *self._added, *self._loaded, *self._entry_points()])
        return iter(seen)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __setitem__(self, name: str, value: Any) -> None:
        raise TypeError(f"the {self.what} registry is read-only: add a {self.what} with {self.adder}(...)")

    def known(self) -> str:
        """The registered names, comma-separated (for error messages)."""
        return ", ".join(self)

    def origin(self, name: str) -> str:
        """Where `name` comes from: built in, registered at run time, or which plugin."""
        if name in self._builtins:
            return "built in"
        if name in self._added:  # an entry may say more (a task file: its path)
            return getattr(self._added[name], "origin", None) or "registered at run time"
        point = self._entry_points().get(name)
        if point is None:
            raise UnknownNameError(f"unknown {self.what} {name!r}; known: {self.known()}")
        return f"entry point {point.value} ({_distribution(point)})"

    def add(self, name: str, obj: Any) -> T:
        """Register `obj` as `name` in this process (and, through `carry_registrations`, in its
        workers). A built-in name cannot be taken; registering a name again replaces the earlier one."""
        if name in self._builtins:
            raise ConfigError(f"{self.what} {name!r} is built in; register yours under another name")
        entry = self._check(name, obj)
        self._added[name] = entry
        self._announce(name, entry)
        return entry

    def _announce(self, name: str, entry: T) -> None:
        if self._on_add is not None:
            self._on_add(name, entry)

    def _load(self, point: metadata.EntryPoint) -> T:
        where = f"{self.what} plugin {point.name!r} (entry point {point.value!r} in group {self.group}, {_distribution(point)})"
        try:
            obj = point.load()
        except Exception as exc:
            first = (str(exc).splitlines() or [""])[0]
            raise PluginError(f"{where} failed to load: {type(exc).__name__}: {first}") from exc
        try:
            return self._check(point.name, obj)
        except ConfigError as exc:
            raise PluginError(f"{where}: {exc}") from exc


@functools.lru_cache(maxsize=16)
def _installed(group: str, path: tuple[str, ...]) -> dict[str, metadata.EntryPoint]:
    """Entry points of `group` installed on `path`, by name. Cached: a metadata scan takes ~35 ms,
    and names are resolved for every env made; a changed sys.path scans again."""
    return {point.name: point for point in sorted(metadata.entry_points(group=group), key=lambda p: p.name)}


def _distribution(point: metadata.EntryPoint) -> str:
    dist = point.dist
    return f"distribution {dist.name} {dist.version}" if dist is not None else "distribution unknown"


def registrations() -> dict[str, dict[str, Any]]:
    """A snapshot of this process's run-time registrations: group → name → entry."""
    return {group: dict(entries) for group, entries in _ADDED.items() if entries}


def restore_registrations(snapshot: Mapping[str, Mapping[str, Any]]) -> None:
    """Make `snapshot` (from `registrations()` in another process) registered here too."""
    for group, entries in snapshot.items():
        _ADDED.setdefault(group, {}).update(entries)
        registry = _REGISTRIES.get(group)
        if registry is not None:
            for name, entry in entries.items():
                registry._announce(name, entry)


@dataclass(frozen=True)
class CarryRegistrations:
    """`fn`, which first restores `snapshot` when called (in a worker process)."""

    fn: Callable[..., Any]
    snapshot: Mapping[str, Mapping[str, Any]]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        restore_registrations(self.snapshot)
        return self.fn(*args, **kwargs)


def carry_registrations(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap `fn`, about to be sent to a spawned worker, so that the worker knows this process's
    run-time registrations before `fn` runs; `fn` itself when there are none. Raises ConfigError
    naming an entry that cannot reach a worker (e.g. a class defined inside a function)."""
    snapshot = registrations()
    if not snapshot:
        return fn
    for group, entries in snapshot.items():
        for name, entry in entries.items():
            try:
                pickle.dumps(entry)
            except Exception as exc:
                raise ConfigError(
                    f"{group} entry {name!r} cannot reach worker processes ({type(exc).__name__}: {exc}); "
                    "define it at the top level of a module"
                ) from None
    return CarryRegistrations(fn, snapshot)


# Workers are spawned, so a script that starts them at its top level re-runs itself in each and
# every worker dies starting: the commonest cause, said where it shows.
WORKER_ENDED = (
    "its process ended unexpectedly (killed, out of memory, or started by a script without "
    "`if __name__ == '__main__':` around its work)"
)


@contextlib.contextmanager
def spawned_pool(what: str, workers: int, initializer: Callable[..., Any] | None = None, initargs: tuple = ()):
    """A process pool of `workers` spawned processes (not forked: a forked child would inherit the
    parent's MuJoCo/OpenGL state) that know this process's registrations. A worker that dies is
    the one-line RuntimeError "<what> worker: …", not concurrent.futures' BrokenProcessPool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    init = carry_registrations(initializer) if initializer is not None else None
    try:
        with ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=init, initargs=initargs
        ) as pool:
            yield pool
    except BrokenProcessPool:
        raise RuntimeError(f"{what} worker: {WORKER_ENDED}") from None
