"""Packing: many episodes per data file, mp4 and meta/episodes file, as LeRobot v3 does.

An episode first commits *loose* (its own data file, mp4s and one-row meta file, at the next free
file index: the layout demoforge wrote before packing, so old datasets are simply all loose). When
the next episode would not fit the pack being filled (`data_files_size_in_mb`,
`video_files_size_in_mb`, `MAX_PACK_EPISODES`) or the writer closes, `write_pack` rewrites the
pack's episodes into one file of each kind at the pack's index (write-new-then-rename):

1. the data file, then each camera's mp4 (packets copied, not re-encoded), renamed over the file
   at the pack's index. That file held the pack's first episodes already, at the same offsets, so
   their committed rows still read correctly from the new file;
2. the pack's meta/episodes file, renamed into place: the commit;
3. the loose files of the packed episodes are deleted (meta files first).

A kill before 2 leaves the old rows valid (and a longer file than they describe); a kill during 3
leaves one-row meta files whose episodes the pack holds, which readers skip (episode_index.py)
and the next writer deletes. Each episode is written twice; in exchange no file is ever appended
to in place, so no state exists in which a reader can see a torn parquet footer or mp4 index.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import stats as stats_lib
from .dataset import CHUNKS_SIZE, DATA_PATH, EPISODES_PATH, VIDEO_PATH, atomic_write_bytes, chunk_location
from .episode_index import PACK_KEY
from .video import concat_videos, decode_video, encode_video

DATA_BYTES = "demoforge/data_bytes"  # the episode's loose data file size: what it adds to a pack
VIDEO_BYTES = "demoforge/video_bytes"  # its largest loose mp4
# Bounds the loose tail (files while writing, rows an open reads one file at a time) when
# episodes are tiny; a 100-frame state-only episode (~60 kB) fills 100 MB at ~1,700 episodes.
MAX_PACK_EPISODES = 2000
MB = 1 << 20  # lerobot's file size limits count MiB
# Small files: parquet's dictionary pages and column statistics cost more time than they save
# (readers here scan whole files), ~25 % of a state-only episode's write time.
PARQUET_OPTIONS = {"use_dictionary": False, "write_statistics": False}


def file_number(row: dict[str, Any]) -> int:
    """The global file number (chunk × chunks_size + file) of a row's data file."""
    return chunk_number(row["data/chunk_index"], row["data/file_index"])


def chunk_number(chunk: int, file: int) -> int:
    return chunk * CHUNKS_SIZE + file


@dataclass
class Pack:
    """The pack being filled: `packed` rows already in its files at `index` (None before its first
    write), then `loose` rows, each in its own files; `stats` per episode, in the same order.
    `tables` holds the data tables this writer has in memory, by file number, so that packing need
    not read them back."""

    index: int | None = None
    packed: list[dict] = field(default_factory=list)
    loose: list[dict] = field(default_factory=list)
    stats: list[dict] = field(default_factory=list)
    data_bytes: int = 0
    video_bytes: int = 0
    tables: dict[int, pa.Table] = field(default_factory=dict)

    def add(self, row: dict, ep_stats: dict, loose: bool = True, table: pa.Table | None = None) -> None:
        (self.loose if loose else self.packed).append(row)
        if table is not None:
            self.tables[file_number(row)] = table
        self.stats.append(ep_stats)
        self.data_bytes += int(row[DATA_BYTES])
        self.video_bytes += int(row[VIDEO_BYTES])

    def fits(self, data_bytes: int, video_bytes: int, limits: tuple[int, int]) -> bool:
        """Whether an episode of these sizes joins this pack (a first episode always does)."""
        n = len(self.packed) + len(self.loose)
        return n == 0 or (
            n < MAX_PACK_EPISODES
            and self.data_bytes + data_bytes <= limits[0]
            and self.video_bytes + video_bytes <= limits[1]
        )

    @property
    def target(self) -> int:
        return self.index if self.index is not None else file_number(self.loose[0])


def write_pack(root: Path, pack: Pack, video_keys: list[str], fps: int) -> list[dict]:
    """Rewrite `pack`'s episodes into single files at `pack.target` (protocol above); its rows.
    The written data table replaces `pack.tables`."""
    target = pack.target
    loc = chunk_location(target)
    sources = ([(target, pack.packed)] if pack.packed else []) + [(file_number(r), [r]) for r in pack.loose]

    tables = []
    for number, rows in sources:  # each source file starts with its rows' frames (step 1 above)
        frames = sum(int(r["length"]) for r in rows)
        held = pack.tables.get(number)
        if held is None:
            held = pq.read_table(root / DATA_PATH.format(**chunk_location(number)))
        tables.append(held.slice(0, frames))
    table = pa.concat_tables(tables).combine_chunks()
    atomic_write_bytes(root / DATA_PATH.format(**loc), lambda tmp: pq.write_table(table, tmp, **PARQUET_OPTIONS))
    for key in video_keys:
        parts = [
            (root / VIDEO_PATH.format(video_key=key, **chunk_location(n)), sum(int(r["length"]) for r in rows))
            for n, rows in sources
        ]
        atomic_write_bytes(
            root / VIDEO_PATH.format(video_key=key, **loc), lambda tmp, parts=parts: _concat(parts, fps, tmp)
        )

    rows, offset = [], 0
    for row in pack.packed + pack.loose:
        row = dict(row)
        row["data/chunk_index"], row["data/file_index"] = loc["chunk_index"], loc["file_index"]
        for key in video_keys:
            row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"] = loc["chunk_index"], loc["file_index"]
            row[f"videos/{key}/from_timestamp"] = offset / fps
            row[f"videos/{key}/to_timestamp"] = (offset + int(row["length"])) / fps
        row["meta/episodes/chunk_index"], row["meta/episodes/file_index"] = loc["chunk_index"], loc["file_index"]
        offset += int(row["length"])
        rows.append(row)
    merged = stats_lib.merge(pack.stats)
    meta = pa.Table.from_pylist(rows).replace_schema_metadata(
        {PACK_KEY: json.dumps({"stats": {k: stats_lib.to_json(v) for k, v in merged.items()}})}
    )
    atomic_write_bytes(root / EPISODES_PATH.format(**loc), lambda tmp: pq.write_table(meta, tmp, **PARQUET_OPTIONS))

    # committed: the packed episodes' loose files are now unreferenced
    done = [n for n, _ in sources if n != target]
    for template in [EPISODES_PATH, DATA_PATH] + [VIDEO_PATH.replace("{video_key}", k) for k in video_keys]:
        for number in done:
            (root / template.format(**chunk_location(number))).unlink(missing_ok=True)
    pack.tables = {target: table}
    return rows


def _concat(parts: list[tuple[Path, int]], fps: int, out: Path) -> None:
    try:
        concat_videos(parts, fps, out)
    except ValueError:  # codec headers differ (another encoder build wrote a part): re-encode
        frames = [decode_video(path, count=n, fps=fps) for path, n in parts]
        encode_video(out, np.concatenate(frames), fps)
