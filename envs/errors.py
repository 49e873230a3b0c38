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


def validation_summary(exc) -> str:
    """A pydantic ValidationError's problems on one line, `field.path: message; ...`, an unknown
    key said so. Duck-typed on `exc.errors()`, so this module needs no pydantic."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or '(top level)'}: "
        f"{'unknown key' if e['type'] == 'extra_forbidden' else e['msg']}"
        for e in exc.errors()
    )
