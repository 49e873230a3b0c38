"""MimicGen-style demo generation as small named steps: segment → select → transform → stitch →
execute (runner.py one attempt at a time, batch_runner.py many in lockstep on batch_physics.py) →
filter, run in parallel and resumably by generate.py."""

from .config import GenerateConfig
from .generate import GenerationSummary, generate

__all__ = ["GenerateConfig", "GenerationSummary", "generate"]
