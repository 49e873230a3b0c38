"""Field mapping for imports: a TOML file that renames source fields and lists ones to ignore.

    [rename]
    "obs/robot0_eef_pos" = "observation.eef_pos"   # source name → demoforge feature
    ignore = ["obs/object"]                        # (top level) source fields to leave out

Source names are the importer's spelling (robomimic `obs/<key>`, `actions`; Minari
`observations/<key>`, `actions`; LeRobot feature names).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...envs import ConfigError
from ..profiles import read_toml


@dataclass(frozen=True)
class FieldMapping:
    rename: dict[str, str] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()

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
    unknown = set(data) - {"rename", "ignore"}
    if unknown:
        raise ConfigError(f"mapping {path}: unknown key {sorted(unknown)[0]!r} (allowed: rename, ignore)")
    rename = data.get("rename", {})
    if not isinstance(rename, dict):
        raise ConfigError(f"mapping {path}: rename must be a table [rename] of source = target names")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in rename.items()):
        raise ConfigError(f"mapping {path}: [rename] must map strings to strings")
    for target in rename.values():
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
    return FieldMapping(rename=dict(rename), ignore=frozenset(ignore))
