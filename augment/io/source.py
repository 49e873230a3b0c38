"""What every importer yields: one source episode as named arrays, before mapping."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class SourceEpisode:
    name: str  # where it came from, for error messages ("file.hdf5:data/demo_3")
    task: str
    fields: dict[str, np.ndarray]  # source field name → (T, ...) array
    meta: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # source fields the reader did not take
