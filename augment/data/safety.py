"""Guards for reading files a user (or an attacker) handed us: nothing is read from outside the
dataset, nothing is allocated that the file does not justify, and every refusal is one line that
names the file and the field.

- `inside(root, rel, what)`: `root / rel`, refused when `rel` is absolute, holds `..`, or resolves
  (through symbolic links) outside `root`.
- `read_parquet(path, ...)`: pyarrow's reader after checking the footer's declared row and value
  counts against `MAX_READ_BYTES`.
- `check_hdf5(path)`: walks an HDF5 file and refuses external links, external storage, virtual
  datasets, and datasets that declare more bytes than their storage can hold (a chunked dataset
  with unallocated chunks, a compression bomb) or than `MAX_READ_BYTES`.
- `read_text` / `read_json`: UTF-8 and JSON errors as one line naming the file.
"""

from __future__ import annotations

import json
import math
import os
import re
import string
from pathlib import Path, PurePosixPath
from typing import Any

from ...envs import DemoforgeError

# What one read may allocate (one parquet file, one HDF5 dataset, one episode's decoded video).
MAX_READ_BYTES = int(os.environ.get("DEMOFORGE_MAX_READ_BYTES", 4 << 30))
MAX_EPISODE_FRAMES = 1_000_000  # ~14 h at 20 Hz
# zlib cannot compress better than ~1032:1; a dataset claiming more is a bomb or a sparse lie.
MAX_COMPRESSION_RATIO = 1100
MAX_ELEMENTS_PER_FRAME = 1 << 24  # a declared feature shape's element count


class DatasetError(DemoforgeError, ValueError):
    """A dataset folder or file that is missing, truncated or inconsistent (the message names it)."""


class UnsafeInputError(DatasetError):
    """A file that would make us read outside the dataset or allocate what it cannot justify."""


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def check_bytes(nbytes: float, what: str) -> None:
    if nbytes > MAX_READ_BYTES:
        raise UnsafeInputError(
            f"{what}: declares {_human(nbytes)}, over the {_human(MAX_READ_BYTES)} limit on one read "
            "(DEMOFORGE_MAX_READ_BYTES raises it)"
        )


# A field's format spec in a path template: lerobot writes `03d`/`06d`. A width is what formatting
# allocates, so it stays small (`{chunk_index:>50000000}` built a 50 MB path).
_FIELD_SPEC = re.compile(r"0?\d?\d?d?")


def check_template(template: Any, what: str, fields: tuple[str, ...]) -> str:
    """A path template from a file (info.json's data_path, video_path): a relative path with no
    `..` or NUL, whose `{...}` are among `fields` (by name, no conversion) with at most a
    two-digit width, so formatting it cannot fail or allocate."""
    if not isinstance(template, str) or not template:
        raise UnsafeInputError(f"{what}: expected a relative path template (string), got {template!r}")
    if "\0" in template:
        raise UnsafeInputError(f"{what}: {template!r} holds a NUL byte")
    pure = PurePosixPath(template.replace("\\", "/"))
    if pure.is_absolute() or template.startswith(("/", "\\")) or ":" in pure.parts[0] or ".." in pure.parts:
        raise UnsafeInputError(f"{what}: {template!r} points outside the dataset (expected a relative path, no '..')")
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:  # Python's text ("unexpected '{'") would read as demoforge's own surprise
        raise UnsafeInputError(f"{what}: {template!r} is not a path template (braces do not pair up)") from None
    for _text, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in fields or conversion or not _FIELD_SPEC.fullmatch(spec or ""):
            raise UnsafeInputError(
                f"{what}: {template!r} has {{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
                f", expected fields among {', '.join(fields)} with at most a 2-digit width (e.g. {{{fields[0]}:03d}})"
            )
    return template


def inside(root: Path, rel: str | Path, what: str) -> Path:
    """`root / rel`, refused unless it stays inside `root` once symbolic links are resolved."""
    rel_s = str(rel)
    pure = PurePosixPath(rel_s.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        raise UnsafeInputError(f"{what}: {rel_s!r} points outside the dataset {root}")
    path = root / rel_s
    real_root = root.resolve()
    real = path.resolve()
    if real != real_root and real_root not in real.parents:
        raise UnsafeInputError(f"{what}: {rel_s!r} resolves to {real}, outside the dataset {root}")
    return path


def refuse_symlinks(root: Path, what: str) -> None:
    """Refuse a folder that holds symbolic links (a copy would follow them out of the folder)."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if p.is_symlink():
                raise UnsafeInputError(
                    f"{what} {root}: {p.relative_to(root)} is a symbolic link (only regular files are copied)"
                )


def read_text(path: Path, what: str) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{what} {path}: not UTF-8 text (byte {exc.start})") from None
    except IsADirectoryError:
        raise DatasetError(f"{what} {path}: is a folder, expected a file") from None


def read_json(path: Path, what: str, expect: type | None = dict) -> Any:
    text = read_text(path, what)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{what} {path}: not valid JSON ({exc})") from None
    except RecursionError:  # nesting deeper than Python's stack: no file of ours is shaped so
        raise DatasetError(f"{what} {path}: JSON nested too deeply") from None
    if expect is not None and not isinstance(value, expect):
        names = {dict: "object", list: "array", str: "string"}
        raise DatasetError(
            f"{what} {path}: expected a JSON {names.get(expect, expect.__name__)}, "
            f"got {names.get(type(value), type(value).__name__)}"
        )
    return value


def read_parquet(path: Path, what: str, columns: list[str] | None = None):
    """pyarrow.parquet.read_table after checking what the footer declares."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        meta = pf.metadata
        # Row count × the schema's width (fixed-size lists count their size), and the row groups'
        # uncompressed bytes. Column-chunk metadata is not touched: pyarrow aborts the process
        # (C++ terminate, uncatchable) on some corrupt column statistics.
        fields = [pf.schema_arrow.field(n) for n in columns] if columns else list(pf.schema_arrow)
        width = sum(_width(f.type) for f in fields)
        check_bytes(8 * meta.num_rows * max(width, 1), what)
        check_bytes(sum(meta.row_group(g).total_byte_size for g in range(meta.num_row_groups)), what)
        return pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError) as exc:
        raise DatasetError(f"{what} unreadable ({type(exc).__name__}: {exc})") from None


def _width(arrow_type) -> int:
    """Values per row a column holds (a fixed-size list's size, nested; 1 otherwise)."""
    import pyarrow as pa

    if pa.types.is_fixed_size_list(arrow_type):
        return arrow_type.list_size * _width(arrow_type.value_type)
    return 1


def check_hdf5(path: Path) -> None:
    """Walk every link and dataset of an HDF5 file; refuse what reads outside it or bursts memory."""
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise DatasetError(f"HDF5 file {path}: not a readable HDF5 file ({exc})") from None
    with f:
        stack: list[tuple[str, h5py.Group]] = [("", f)]
        seen: set = set()
        while stack:
            prefix, group = stack.pop()
            for name in group:
                where = f"{prefix}/{name}" if prefix else name
                link = group.get(name, getlink=True)
                if isinstance(link, h5py.ExternalLink):
                    raise UnsafeInputError(
                        f"HDF5 file {path}: {where} is an external link to {link.filename}:{link.path} (refused)"
                    )
                try:
                    obj = group[name]
                except (KeyError, OSError) as exc:
                    raise DatasetError(f"HDF5 file {path}: {where} unreadable ({exc})") from None
                if isinstance(obj, h5py.Group):
                    if hash(obj.id) in seen:
                        continue
                    seen.add(hash(obj.id))
                    stack.append((where, obj))
                elif isinstance(obj, h5py.Dataset):
                    _check_h5_dataset(path, where, obj)


def _check_h5_dataset(path: Path, where: str, ds) -> None:
    what = f"HDF5 file {path}: {where}"
    if ds.external:
        raise UnsafeInputError(f"{what} stores its data in external file(s) {[e[0] for e in ds.external]} (refused)")
    if ds.is_virtual:
        raise UnsafeInputError(f"{what} is a virtual dataset mapping other files (refused)")
    shape = ds.shape or ()
    count = math.prod(shape) if shape else 1
    nbytes = count * ds.dtype.itemsize
    check_bytes(nbytes, what)
    if shape and shape[0] > MAX_EPISODE_FRAMES:
        raise UnsafeInputError(f"{what}: declares {shape[0]:,} frames, over the {MAX_EPISODE_FRAMES:,} limit")
    if nbytes == 0:
        return
    storage = ds.id.get_storage_size()
    filtered = bool(ds.chunks) and bool(ds.compression or ds.fletcher32 or ds.shuffle or ds.scaleoffset)
    if not filtered and storage < nbytes:
        raise UnsafeInputError(f"{what}: declares {shape} ({_human(nbytes)}) but the file stores {_human(storage)}")
    if filtered and nbytes > MAX_COMPRESSION_RATIO * storage + (1 << 20):
        raise UnsafeInputError(
            f"{what}: declares {shape} ({_human(nbytes)}) from {_human(storage)} compressed "
            f"(over {MAX_COMPRESSION_RATIO}:1, refused)"
        )
