"""The episodes index: every committed episode's meta/episodes row, read column by column, lazily.

Opening a dataset reads only the columns that locate episodes (length, file indices, frame and
time offsets) from each meta/episodes file and checks them as whole arrays; per-episode JSON
(`demoforge/meta`), task lists and stats stay on disk until asked for, one file at a time. At
100,000 packed episodes that is ~100 small reads instead of 100,000 row dicts.

A file whose episodes an earlier file already holds is what a pack interrupted right after its
commit leaves behind (dataset_writer.py): it is skipped here and deleted by the next writer.

A writer may pack while a reader holds an index: it deletes the loose files it packed and reuses
their numbers. Each file's identity (inode, mtime, size) is taken before it is read, so `stands`
tells a reader whether what it listed is still there (Dataset rereads the index when not), and a
file gone while the index is read makes it read the listing again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ...envs import DemoforgeError
from . import safety
from . import stats as stats_lib
from .safety import DatasetError

# Columns lerobot's reader needs to find an episode (shared/FORMATS.md §1.4); all non-negative ints.
LOCATION = ("episode_index", "length", "data/chunk_index", "data/file_index", "dataset_from_index", "dataset_to_index")
TASK_INDEX = "demoforge/task_index"  # the episode's task_index, so tasks.parquet may trail the rows
STATS_COLUMN = (
    "demoforge/stats"  # per-episode stats, one safetensors blob (npz before) (lerobot's reader drops stats/ columns)
)
# Schema metadata of a pack's meta file: JSON {"stats": merged stats of its episodes}, read from
# the footer alone, so dataset stats merge one entry per pack instead of one per episode.
PACK_KEY = b"demoforge/pack"


class EpisodeIndex(Sequence):
    """Row i = episode i's location as a dict (`index[i]["length"]`); `value(i, column)` reads any
    other column of its meta file on demand."""

    def __init__(self, root: Path, video_keys: list[str]):
        self.root = root
        self.video_keys = list(video_keys)
        self.files: list[Path] = []  # live meta/episodes files, in episode order
        self.pack_stats: list[dict | None] = []  # per live file: merged stats of a pack, else None
        self.columns: dict[str, np.ndarray] = {}
        self._file_of = np.zeros(0, np.int64)  # row → position in `files`
        self._first = np.zeros(0, np.int64)  # position in `files` → its first row
        self._cache: tuple[int, dict[str, list | None]] | None = None  # one file's lazily read columns
        self._stamps: list[tuple[int, int, int] | None] = []  # per live file: its identity when read
        for _ in range(MOVES):
            try:
                self._read()
                return
            except _Moved:  # a pack deleted a file this listing named: list again
                self.files, self.pack_stats, self._stamps = [], [], []
        raise DatasetError(f"dataset {root}: meta/episodes rewritten {MOVES} times while being read; try again")

    # reading ------------------------------------------------------------------------------------

    def _wanted(self, names: list[str]) -> tuple[list[str], list[str]]:
        ints = list(LOCATION) + [f"videos/{k}/{c}" for k in self.video_keys for c in ("chunk_index", "file_index")]
        floats = [f"videos/{k}/from_timestamp" for k in self.video_keys]
        return ints + [TASK_INDEX] * (TASK_INDEX in names), floats

    def _read(self) -> None:
        parts: dict[str, list[np.ndarray]] = {}
        firsts, count = [], 0
        listed = self._listing()
        for f in listed:
            what = f"dataset {self.root}: {f.relative_to(self.root)}"
            stamp = _stamp(f)
            try:
                schema = pq.read_schema(f)
            except (pa.ArrowException, OSError) as exc:
                if stamp is None or _stamp(f) != stamp:
                    raise _Moved from None
                raise DatasetError(f"{what} unreadable ({type(exc).__name__}: {exc})") from None
            ints, floats = self._wanted(schema.names)
            for name in ints + floats:
                if name not in schema.names:
                    raise DatasetError(f"{what}: no column {name!r}")
            try:
                table = safety.read_parquet(f, what, ints + floats)
            except safety.UnsafeInputError:
                raise
            except DemoforgeError as exc:
                if _stamp(f) != stamp:
                    raise _Moved from None
                raise DatasetError(str(exc)) from None
            cols = {n: _ints(table.column(n), what, n) for n in ints}
            cols |= {n: _seconds(table.column(n), what, n) for n in floats}
            episodes = cols["episode_index"]
            if (
                len(episodes)
                and episodes[-1] < count
                and np.array_equal(episodes, np.arange(len(episodes)) + episodes[0])
            ):
                continue  # an interrupted pack's leftover: its episodes are in the pack before it
            _check_lengths(cols["length"], episodes, what)
            _check_span(cols, what)
            self.files.append(f)
            self._stamps.append(stamp)
            self.pack_stats.append(_pack_stats(schema, what))
            firsts.append(count)
            count += len(episodes)
            for n, v in cols.items():
                parts.setdefault(n, []).append(v)
        # No snapshot when a listed file was replaced while the others were read, or when listing
        # again shows a file the first listing missed (a directory read racing a rename can miss
        # the renamed entry); files added after the last one listed are later episodes.
        if not self.stands() or self._listing()[: len(listed)] != listed:
            raise _Moved
        self._first = np.array(firsts, np.int64)
        self._file_of = np.repeat(np.arange(len(firsts)), np.diff([*firsts, count]).astype(np.int64))
        self.columns = {n: np.concatenate(v) for n, v in parts.items()}
        for n in self._wanted([TASK_INDEX] if TASK_INDEX in parts else [])[0]:
            self.columns.setdefault(n, np.zeros(0, np.int64))
        wrong = np.flatnonzero(self.columns["episode_index"] != np.arange(count))
        if wrong.size:
            i = int(wrong[0])
            raise DatasetError(
                f"dataset {self.root}: meta/episodes row {i} is episode {self.columns['episode_index'][i]}"
            )

    # access -------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._file_of)

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"episode {i} of {len(self)}")
        i %= len(self)
        return {n: v[i].item() for n, v in self.columns.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[i] for i in range(len(self)))

    def _listing(self) -> list[Path]:
        return sorted((self.root / "meta" / "episodes").glob("*/*.parquet"))

    def stands(self, row: int | None = None) -> bool:
        """Whether the meta file holding `row` (every listed file when None) is still the one this
        index read. A pack deletes its loose meta files before their data and videos, and a reused
        number gets its meta file last, so when it stands, what was read through it was its own."""
        positions = range(len(self.files)) if row is None or not len(self._file_of) else [int(self._file_of[row])]
        return all(_stamp(self.files[p]) == self._stamps[p] for p in positions)

    def file_of(self, i: int) -> Path:
        """The meta/episodes file holding episode i's row."""
        return self.files[int(self._file_of[i])]

    def rows_of(self, position: int) -> range:
        """The episodes whose rows live in `files[position]`."""
        end = self._first[position + 1] if position + 1 < len(self.files) else len(self)
        return range(int(self._first[position]), int(end))

    def value(self, i: int, column: str) -> Any:
        """Column `column` of episode i's row (None if its file has no such column)."""
        position = int(self._file_of[i])
        if self._cache is None or self._cache[0] != position or column not in self._cache[1]:
            self._cache = (position, self._read_columns(position, column))
        values = self._cache[1].get(column)
        return None if values is None else values[i - int(self._first[position])]

    def _read_columns(self, position: int, column: str) -> dict[str, list | None]:
        """The columns of `files[position]` the index does not hold: all of them at once for a
        one-row (loose) file, where opening the file is the cost; `column` alone for a pack."""
        f = self.files[position]
        what = f"dataset {self.root}: {f.relative_to(self.root)}"
        try:
            names = pq.read_schema(f).names
            loose = len(self.rows_of(position)) == 1
            wanted = [n for n in names if n not in self.columns] if loose else [column] * (column in names)
            table = safety.read_parquet(f, what, wanted)
        except safety.UnsafeInputError:
            raise
        except (DemoforgeError, pa.ArrowException, OSError) as exc:
            raise DatasetError(f"{what}: column {column!r} unreadable ({exc})") from None
        return {column: None} | {n: table.column(n).to_pylist() for n in wanted}

    def stats(self, sizes: dict[str, int] | None = None) -> dict[str, dict[str, np.ndarray]] | None:
        """Dataset stats merged from each pack's stats and each loose episode's own; None when a
        file carries neither (a dataset lerobot wrote: its meta/stats.json is used instead).
        `sizes`: values per stat of each feature, checked in each part (naming its file)."""
        parts = []
        for position, f in enumerate(self.files):
            if self.pack_stats[position] is not None:
                part = self.pack_stats[position]
                try:
                    stats_lib.check(part, sizes)
                except ValueError as exc:
                    raise DatasetError(f"dataset {self.root}: {f.relative_to(self.root)}: pack stats: {exc}") from None
                parts.append(part)
                continue
            for i in self.rows_of(position):
                blob = self.value(i, STATS_COLUMN)
                if blob is None:
                    return None
                parts.append(episode_stats(self.root, f, blob, sizes))
        if not parts:
            return None
        try:
            return stats_lib.merge(parts)
        except ValueError as exc:
            raise DatasetError(f"dataset {self.root}: per-episode {exc}") from None


MOVES = 5  # packs a reader may meet in a row while reading before it gives up


class _Moved(Exception):
    """A listed meta/episodes file changed or went while being read (a writer's pack)."""


def _stamp(f: Path) -> tuple[int, int, int] | None:
    try:
        st = f.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _ints(column: pa.ChunkedArray, what: str, name: str) -> np.ndarray:
    if not pa.types.is_integer(column.type) or column.null_count:
        first = next((v for v in column.to_pylist() if not isinstance(v, int) or isinstance(v, bool)), None)
        raise DatasetError(f"{what}: {name} is {first!r}, expected a non-negative integer")
    values = column.to_numpy().astype(np.int64)
    if values.size and values.min() < 0:
        raise DatasetError(f"{what}: {name} is {int(values.min())}, expected a non-negative integer")
    return values


def _seconds(column: pa.ChunkedArray, what: str, name: str) -> np.ndarray:
    kind_ok = pa.types.is_floating(column.type) or pa.types.is_integer(column.type)
    values = column.to_numpy(zero_copy_only=False).astype(np.float64) if kind_ok and not column.null_count else None
    if values is None or not (np.isfinite(values).all() and (values >= 0).all() and (values < 1e9).all()):
        bad = column.to_pylist() if values is None else values[~((values >= 0) & (values < 1e9))].tolist()
        raise DatasetError(f"{what}: {name} is {bad[0]!r}, expected seconds ≥ 0")
    return values


def _check_span(cols: dict[str, np.ndarray], what: str) -> None:
    """dataset_to_index = dataset_from_index + length (an exporter passes both on as they are)."""
    wrong = np.flatnonzero(cols["dataset_to_index"] != cols["dataset_from_index"] + cols["length"])
    if wrong.size:
        i = int(wrong[0])
        raise DatasetError(
            f"{what}: episode {int(cols['episode_index'][i])} has dataset_to_index {int(cols['dataset_to_index'][i])}, "
            f"expected dataset_from_index + length = {int(cols['dataset_from_index'][i] + cols['length'][i])}"
        )


def _check_lengths(lengths: np.ndarray, episodes: np.ndarray, what: str) -> None:
    if (lengths == 0).any():
        raise DatasetError(f"{what}: episode {int(episodes[np.argmin(lengths)])} has no frames (length 0)")
    if lengths.size and lengths.max() > safety.MAX_EPISODE_FRAMES:
        raise DatasetError(f"{what}: length {int(lengths.max())}, expected 1..{safety.MAX_EPISODE_FRAMES}")


def episode_stats(
    root: Path, f: Path, blob: bytes, sizes: dict[str, int] | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """One episode row's stats blob, checked (`stats.check`), or a DatasetError naming the file."""
    try:
        stats = stats_lib.from_blob(blob)
        stats_lib.check(stats, sizes)
        return stats
    except ValueError as exc:
        raise DatasetError(f"dataset {root}: {f.relative_to(root)}: {STATS_COLUMN} unreadable ({exc})") from None


def _pack_stats(schema: pa.Schema, what: str) -> dict | None:
    raw = (schema.metadata or {}).get(PACK_KEY)
    if raw is None:
        return None
    try:
        stats = stats_lib.from_json(json.loads(raw)["stats"])
        stats_lib.check(stats)
        return stats
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise DatasetError(f"{what}: {PACK_KEY.decode()} metadata is not pack stats ({exc})") from None
