"""The `demoforge` command. `main.py` parses `demoforge <verb> ...` and dispatches, `verb_flags.py`
holds each verb's config-backed flags, built by `flag_builder.py` from the config classes."""

from .main import main

__all__ = ["main"]
