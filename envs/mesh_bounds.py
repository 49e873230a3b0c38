"""The bounding box of a mesh file (OBJ, or binary STL), read without MuJoCo: a task file's
mesh object needs its extents (how far below its origin it rests, its footprint) before any model
is compiled. Only vertex positions are read; MuJoCo itself loads the mesh for the scene."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np

MESH_SUFFIXES = (".obj", ".stl")


class MeshError(ValueError):
    """A mesh file that holds no vertices, or is not the format its suffix says."""


def _obj_vertices(data: bytes) -> np.ndarray:
    rows = re.findall(rb"^\s*v\s+(\S+)\s+(\S+)\s+(\S+)", data, re.M)
    return np.array(rows, dtype=float).reshape(-1, 3)


def _stl_vertices(data: bytes) -> np.ndarray:
    """A binary STL's: an 80-byte header, a triangle count, 50 bytes per triangle (MuJoCo reads no ASCII STL)."""
    count = struct.unpack_from("<I", data, 80)[0] if len(data) >= 84 else -1
    if len(data) != 84 + 50 * count:
        raise MeshError("is not a binary STL (MuJoCo reads binary STL only; an ASCII one must be converted)")
    records = np.frombuffer(data, np.uint8, 50 * count, 84).reshape(count, 50)
    return records[:, 12:48].copy().view("<f4").reshape(-1, 3).astype(float)


def mesh_bounds(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) corners (3,) of the mesh's vertices, in its file's units and frame."""
    data = path.read_bytes()
    try:
        vertices = _obj_vertices(data) if path.suffix.lower() == ".obj" else _stl_vertices(data)
    except MeshError as exc:
        raise MeshError(f"{path.name} {exc}") from None
    except ValueError:
        raise MeshError(f"a vertex of {path.name} is not three numbers") from None
    if len(vertices) < 4 or not np.all(np.isfinite(vertices)):
        raise MeshError(f"{path.name} holds {len(vertices)} finite vertices; a solid needs at least 4")
    return vertices.min(axis=0), vertices.max(axis=0)
