"""One writer per output folder: `exclusive(folder)` takes an advisory lock on the folder itself
(flock on its directory descriptor), so a second `collect`/`generate` on the same `--out` is
refused at once instead of interleaving writes. `train`, `import` and `export` hold the same lock
on their --out. The kernel drops the lock when the process dies,
kill -9 included, so a killed run never leaves a stale lock behind."""

from __future__ import annotations

import errno
import fcntl
import glob
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .dataset import DatasetError


@contextmanager
def exclusive(folder: Path, what: str, sidecars: set[str] = frozenset(), dataset: bool = True) -> Iterator[None]:
    """Create `folder` if needed and hold an exclusive lock on it for the block. A folder this
    call created is removed again if the block fails before an episode committed (it then holds
    at most an empty dataset: `is_blank`, with `sidecars`), so a failed first run leaves nothing.
    `dataset=False` (train, import, export: they write no dataset into `folder` itself): removed
    only when empty, so nothing that appeared in it is taken for a blank dataset's files."""
    from .writer import clear_blank, is_blank

    if folder.exists() and not folder.is_dir():
        raise DatasetError(f"--out {folder}: is a file, expected a folder")
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatasetError(
                f"--out {folder}: another process ({what}) is writing it; wait for it to finish or use another --out"
            ) from None
        try:
            yield
        except BaseException:
            if created and folder.is_dir() and (not any(folder.iterdir()) or (dataset and is_blank(folder, sidecars))):
                clear_blank(folder)
                folder.rmdir()
            raise
    finally:
        os.close(fd)


def rename_new(src: Path, dst: Path, what: str) -> None:
    """Move the finished `src` to `dst`, never replacing what is there: a plain `os.replace` after
    an existence check loses a file made at `dst` in between (another export, the user). A file
    is hard-linked (which fails on an existing name) and its temporary name dropped; a folder is
    renamed, which Linux allows only onto an empty folder (the one `exclusive` holds)."""
    try:
        if src.is_dir():
            os.rename(src, dst)
        else:
            os.link(src, dst)
            src.unlink()
    except OSError as exc:
        if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR):
            raise
        raise DatasetError(f"{what} {dst}: appeared while it was written (refusing to overwrite it)") from None


def temp_sibling(out: Path) -> Path:
    """Where an output is built before `rename_new` publishes it: a hidden sibling named for this
    process, after removing those a killed process left."""
    _remove_dead_partials(out)
    return out.with_name(f".{out.name}.partial-{os.getpid()}")


def _remove_dead_partials(out: Path) -> None:
    """Delete `.NAME.partial-PID` siblings whose process is gone (a killed import or export)."""
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        return
    for p in parent.glob(f".{glob.escape(out.name)}.partial-*"):
        pid = p.name.rsplit("-", 1)[1]
        if not pid.isdigit() or int(pid) == os.getpid() or p.is_symlink():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            discard(p)
        except PermissionError:
            pass  # alive, another user's


@contextmanager
def claimed_out(out: Path, what: str, folder: bool) -> Iterator[None]:
    """Hold `out` for the block: absent or an empty folder, then (for a folder output) created and
    locked as collect locks its --out. A file output is guarded by `rename_new` alone."""
    if out.exists() and not (folder and out.is_dir() and not any(out.iterdir())):
        raise DatasetError(f"{what} destination {out} already exists (refusing to overwrite)")
    if not folder:
        yield
        return
    with exclusive(out, f"demoforge {what}", dataset=False):
        if any(out.iterdir()):  # written between the check and the lock
            raise DatasetError(f"{what} destination {out} already exists (refusing to overwrite)")
        yield


def discard(tmp: Path) -> None:
    """Remove a partial output (folder or file)."""
    if tmp.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
    elif tmp.exists():
        tmp.unlink()


@contextmanager
def published(out: Path, what: str, folder: bool = True) -> Iterator[Path]:
    """Build a new `out` at a hidden sibling, which the block gets: `rename_new` publishes it when
    the block ends, and it is discarded when the block raises. `out` is claimed meanwhile
    (`claimed_out`), so it is never replaced nor left half-written."""
    with claimed_out(out, what, folder):
        tmp = temp_sibling(out)
        try:
            yield tmp
            rename_new(tmp, out, f"{what} destination")
        except BaseException:
            discard(tmp)
            raise
