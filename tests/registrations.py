"""Run-time registrations (tasks, task files, experts, policies) a test makes live in module-level
registries of the process: a test that makes them restores them, or a later test on the same
xdist worker sees them (`info --tasks` listing a task file another module loaded)."""

import contextlib

from demoforge.envs import plugins


@contextlib.contextmanager
def registrations_restored():
    saved = {group: dict(entries) for group, entries in plugins._ADDED.items()}
    try:
        yield
    finally:
        for group, entries in plugins._ADDED.items():
            entries.clear()
            entries.update(saved.get(group, {}))
