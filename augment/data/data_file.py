"""One data parquet of the store, converted column by column once and sliced per episode.

A packed file holds ~1,000+ episodes: converting its Arrow columns to numpy once per file, instead
of once per episode, is what keeps reading 100,000 episodes in order (the training loader,
generation's source scan, exports) a matter of slicing arrays.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...envs import DemoforgeError
from . import safety
from .safety import DatasetError


class DataFile:
    """The frames of `path`; `what` names it in errors ("dataset ROOT: data/chunk-000/file-000.parquet")."""

    def __init__(self, path: Path, what: str):
        self.path, self.what = path, what
        if not path.is_file():
            raise DatasetError(f"{what} missing")
        try:
            self.table = safety.read_parquet(path, what)
        except safety.UnsafeInputError:
            raise
        except DemoforgeError as exc:
            raise DatasetError(str(exc)) from None
        if "episode_index" not in self.table.column_names:
            raise DatasetError(f"{what} has no column 'episode_index'")
        self.episodes = self.table.column("episode_index").to_numpy(zero_copy_only=False)
        index = self.table.column("index") if "index" in self.table.column_names else None
        ok = index is not None and pa.types.is_integer(index.type) and len(index)
        self.first = index[0].as_py() if ok else None  # global index of row 0: rows are consecutive
        self._arrays: dict[str, np.ndarray] = {}
        self._bad: dict[str, np.ndarray] = {}

    def rows(self, episode: int, from_index: int, length: int) -> slice | np.ndarray:
        """Where episode `episode` ([from_index, from_index + length) globally) lies in this file:
        a slice when rows are consecutive (lerobot's layout), else the rows found by episode_index."""
        if self.first is not None:
            start = from_index - self.first
            if (
                0 <= start <= len(self.episodes) - length
                and self.episodes[start] == episode == self.episodes[start + length - 1]
            ):
                return slice(start, start + length)
        rows = np.flatnonzero(self.episodes == episode)
        if len(rows) != length:
            raise DatasetError(f"{self.what} holds {len(rows)} frames of episode {episode}, meta says {length}")
        return rows

    def column(self, key: str, shape: list[int], dtype: str) -> np.ndarray:
        """Feature `key` for every row of the file, (N, *shape)."""
        if key not in self._arrays:
            if key not in self.table.column_names:
                raise DatasetError(f"{self.what} has no column {key!r}")
            try:
                values = column_to_numpy(self.table.column(key), shape, dtype)
            except (ValueError, TypeError, pa.ArrowException) as exc:
                raise DatasetError(
                    f"{self.what} column {key!r} does not hold {dtype} {shape} per frame ({exc})"
                ) from None
            self._arrays[key] = values
            if values.dtype.kind == "f":
                self._bad[key] = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
        return self._arrays[key]

    def nonfinite(self, key: str) -> np.ndarray | None:
        """Rows of float feature `key` holding NaN or inf (None for other dtypes); after `column`."""
        return self._bad.get(key)


def column_to_numpy(column: pa.ChunkedArray | pa.Array, shape: list[int], dtype: str) -> np.ndarray:
    col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
        # Each row's own length: a row one value short beside one a value long flattens to the
        # right total, and reshaping it would shift every value between them by one.
        lengths = pc.list_value_length(col).to_numpy(zero_copy_only=False)
        width = int(np.prod(shape))
        if col.null_count or (lengths != width).any():
            row = int(np.flatnonzero(lengths != width)[0]) if not col.null_count else None
            got = "a null" if row is None else f"{lengths[row]} values in row {row}"
            raise ValueError(f"expected {width} values per row, got {got}")
    if pa.types.is_list(col.type) or pa.types.is_fixed_size_list(col.type) or pa.types.is_large_list(col.type):
        arr = col.flatten().to_numpy(zero_copy_only=False).reshape(len(col), *shape)
    else:
        arr = col.to_numpy(zero_copy_only=False)
        if shape != [1]:
            arr = arr.reshape(len(arr), *shape)
    return arr.astype(dtype)
