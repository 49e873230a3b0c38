"""Field mapping for imports: a TOML file that renames source fields, composes one feature from
several, and lists fields to ignore.

    ignore = ["obs/object"]                        # (top level) source fields to leave out
    [rename]
    "obs/robot0_eef_pos" = "observation.eef_pos"   # source name → demoforge feature
    [compose]                                      # demoforge feature = source fields, concatenated
    "datagen.eef_pose" = ["obs/eef_pos", "obs/eef_quat"]               # per frame: pos xyz ‖ quat wxyz
    "datagen.object_poses" = ["obs/cube_pos", "obs/cube_quat", "obs/plate_pos", "obs/plate_quat"]

Source names are the importer's spelling (robomimic `obs/<key>`, `actions`; Minari
`observations/<key>`, `actions`; LeRobot feature names). Composed fields are concatenated per
frame in the order listed. The features generation reads are shape-checked on import
(`check_feature_shapes`): one line naming the field and the shape it must have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...envs import ConfigError
from ..data.dataset import DatasetError
from ..domain.profiles import read_toml

# Per-frame shapes of the features generation reads: (width, multiple-of, description).
POSE_FEATURES = {
    "datagen.eef_pose": (7, None, "position xyz + quaternion wxyz"),
    "datagen.object_poses": (None, 7, "7 per object: position xyz + quaternion wxyz"),
}


def check_feature_shapes(where: str, fields: dict[str, np.ndarray], sources: dict[str, str] | None = None) -> None:
    """Raise a one-line DatasetError when a feature generation reads has the wrong per-frame
    shape: `datagen.eef_pose` (7,), `datagen.object_poses` (7·objects,), `action` a vector.
    `sources` names where each feature came from (the source field or composed list)."""
    sources = sources or {}
    for key, values in fields.items():
        shape = np.shape(values)[1:]
        origin = f" (from {sources[key]})" if key in sources else ""
        if key in POSE_FEATURES:
            width, multiple, what = POSE_FEATURES[key]
            ok = len(shape) == 1 and (shape[0] == width if width else shape[0] > 0 and shape[0] % multiple == 0)
            expected = f"({width},)" if width else f"({multiple}·n,)"
            if not ok:
                raise DatasetError(
                    f"{where}: field {key!r}{origin} has per-frame shape {shape}, expected {expected} ({what})"
                )
        elif key == "action" and len(shape) > 1:
            raise DatasetError(f"{where}: field 'action'{origin} has per-frame shape {shape}, expected (D,) (a vector)")


@dataclass(frozen=True)
class FieldMapping:
    rename: dict[str, str] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    compose: dict[str, tuple[str, ...]] = field(default_factory=dict)  # feature → source fields, concatenated

    def target(self, source: str, default: str) -> str | None:
        """The feature name for `source`, or None when it is ignored."""
        if source in self.ignore:
            return None
        return self.rename.get(source, default)


def load_mapping(path: str | Path | None) -> FieldMapping:
    if path is None:
        return FieldMapping()
    path = Path(path)
    data = read_toml(path, "mapping")
    unknown = set(data) - {"rename", "ignore", "compose"}
    if unknown:
        raise ConfigError(f"mapping {path}: unknown key {sorted(unknown)[0]!r} (allowed: rename, ignore, compose)")
    rename = data.get("rename", {})
    if not isinstance(rename, dict):
        raise ConfigError(f"mapping {path}: rename must be a table [rename] of source = target names")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in rename.items()):
        raise ConfigError(f"mapping {path}: [rename] must map strings to strings")
    compose = data.get("compose", {})
    ok = isinstance(compose, dict) and all(
        isinstance(k, str) and isinstance(v, list) and v and all(isinstance(x, str) for x in v)
        for k, v in compose.items()
    )
    if not ok:
        raise ConfigError(
            f"mapping {path}: [compose] must map a target name to a non-empty list of source fields, "
            'e.g. "datagen.eef_pose" = ["obs/eef_pos", "obs/eef_quat"]'
        )
    for target in [*rename.values(), *compose]:
        if "/" in target:
            raise ConfigError(f"mapping {path}: target name {target!r} must not contain '/'")
    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(k, str) for k in ignore):
        raise ConfigError(f'mapping {path}: ignore must be a list of field names, e.g. ignore = ["obs/object"]')
    targets = list(rename.values())
    dup = sorted({t for t in targets if targets.count(t) > 1})
    if dup:
        both = sorted(k for k, v in rename.items() if v == dup[0])
        raise ConfigError(f"mapping {path}: [rename] sends {both} to the same name {dup[0]!r}")
    both = sorted(set(targets) & set(compose))
    if both:
        raise ConfigError(f"mapping {path}: {both[0]!r} is both a [rename] target and a [compose] target")
    used = [s for sources in compose.values() for s in sources]
    for source in used:
        if used.count(source) > 1 or source in rename or source in ignore:
            raise ConfigError(f"mapping {path}: source field {source!r} is used twice ([compose], [rename] or ignore)")
    return FieldMapping(
        rename=dict(rename), ignore=frozenset(ignore), compose={k: tuple(v) for k, v in compose.items()}
    )
