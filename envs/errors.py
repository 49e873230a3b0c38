"""demoforge's small exception tree. Each error also subclasses the matching builtin, so callers
that catch ValueError / KeyError keep working."""


class DemoforgeError(Exception):
    """Base of every error demoforge raises on purpose."""


class ConfigError(DemoforgeError, ValueError):
    """A config field or file holds a value that is not allowed."""


class UnknownNameError(DemoforgeError, KeyError):
    """A name (task, profile, policy, format) that is not registered; the message lists known ones."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0]) if self.args else ""


class InvalidActionError(DemoforgeError, ValueError):
    """An action with the wrong shape or dtype, or a NaN/inf entry."""
