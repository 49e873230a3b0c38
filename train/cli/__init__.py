"""The `demoforge` command. `main.py` parses `demoforge <verb> ...` and dispatches to the verb table
in `verbs.py`; `verb_flags.py` holds each verb's config-backed flags, built by `flag_builder.py` from
the config classes, which check every value themselves."""

from .main import main

__all__ = ["main"]
