"""Issue #42, reliability round 3: the cases a hostile user found on top of test_hardening.py's.
Grouped by the issue's headings; each test failed before its fix. Bad input ends in one line on
stderr naming the file or field, a nonzero exit, and nothing of the user's lost."""

import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from demoforge.augment.data.record import CollectConfig, collect
from demoforge.train import trainer
from demoforge.train.cli import main
from demoforge.train.trainer import TrainConfig, train


def cli(capsys, *argv):
    """Run `demoforge argv` in-process: (exit code, stdout, stderr). An escaping exception fails."""
    capsys.readouterr()
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def refused(capsys, *argv, names=()):
    """Assert `demoforge argv` fails with one line on stderr that contains every string in `names`."""
    rc, out, err = cli(capsys, *argv)
    assert rc != 0, f"exit 0 for {argv}: {out[-300:]}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {err!r}"
    assert "Traceback" not in err + out and "unexpected" not in err, err
    for name in names:
        assert str(name) in lines[0], f"{name!r} not in {lines[0]!r}"
    return lines[0]


@pytest.fixture(scope="module")
def demos(demo_dataset):
    return demo_dataset("Lift", 2, profile="nominal", human_like=False)


@pytest.fixture(scope="module")
def video_demos(demo_dataset):
    return demo_dataset("Lift", 1, profile="nominal", human_like=False, cameras=("front",), image_size=(32, 32))


@pytest.fixture
def copy(demos, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(demos, dst)
    return dst


def _collect(out, episodes=1):
    collect(CollectConfig(task="Lift", episodes=episodes, profile="nominal", human_like=False), out)


# 1–4. Data loss --------------------------------------------------------------------------------


@pytest.mark.parametrize("existing", [False, True], ids=["new folder", "resumed dataset"])
def test_tmp_files_demoforge_did_not_write_survive_collect(tmp_path, existing):
    out = tmp_path / "D"
    if existing:
        _collect(out)
    drafts = [out / "notes" / "draft.tmp", out / "data" / "mine.tmp", out / "meta" / "notes.json.tmp"]
    for draft in drafts:
        draft.parent.mkdir(parents=True, exist_ok=True)
        draft.write_text("mine")
    try:
        _collect(out, episodes=2)
    except Exception as exc:  # refusing the folder is fine; deleting the user's files is not
        assert str(out) in str(exc)
    for draft in drafts:
        assert draft.read_text() == "mine", draft


@pytest.mark.parametrize(("fmt", "out_name"), [("lerobot", "le"), ("robomimic", "x.hdf5")])
def test_export_never_replaces_what_appears_at_out_while_it_runs(demos, tmp_path, capsys, monkeypatch, fmt, out_name):
    """What is made at --out after export's existence check (another export, the user) is kept:
    a file there, or one in the (locked, empty) folder export holds for a folder output."""
    from demoforge.augment.io import convert

    out = tmp_path / out_name
    module = {"lerobot": convert.lerobot, "robomimic": convert.robomimic}[fmt]
    name = f"save_{fmt}"
    save = getattr(module, name)

    theirs = out / "theirs" if fmt == "lerobot" else out

    def save_then_someone_writes_out(ds, path):
        save(ds, path)
        theirs.write_text("theirs")

    monkeypatch.setattr(module, name, save_then_someone_writes_out)
    refused(capsys, "export", demos, "--format", fmt, "--out", out, names=[str(out)])
    assert theirs.read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out_name]  # and no partial folder left


class Killed(BaseException):
    pass


@pytest.mark.parametrize("when", ["before", "after"])
def test_train_killed_around_a_checkpoint_resumes_with_the_whole_loss_log(demos, tmp_path, monkeypatch, when):
    cfg = TrainConfig(policy="bc", steps=60, batch_size=16, checkpoint_every=20, log_every=5)
    train(tmp_path / "straight", cfg, real=demos)
    save = trainer.save_checkpoint
    calls = []

    def killed_at_the_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2 and when == "before":
            raise Killed
        save(*args, **kwargs)
        if len(calls) == 2:
            raise Killed

    with monkeypatch.context() as m:
        m.setattr(trainer, "save_checkpoint", killed_at_the_second)
        with pytest.raises(Killed):
            train(tmp_path / "cut", cfg, real=demos)
    train(tmp_path / "cut", cfg, real=demos, resume=True)
    for name in ("loss.csv", "config.json"):
        assert (tmp_path / "cut" / name).read_text() == (tmp_path / "straight" / name).read_text(), name
    assert not list((tmp_path / "cut").rglob("*.tmp"))


def test_train_takes_the_folder_lock(demos, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another train holds the folder
        refused(capsys, "train", "--real", demos, "--steps", "2", "--out", out, names=[str(out)])
    finally:
        os.close(fd)
    assert list(out.iterdir()) == []


# 5–9. Small files that claim big memory ---------------------------------------------------------

META0 = "meta/episodes/chunk-000/file-000.parquet"
LIMIT_MB = 20  # DEMOFORGE_MAX_READ_BYTES in each bomb's run; every bomb claims ≥ 250 MB
BOMB_MB = 250


def _rewrite_meta(root, **columns):
    """Rewrite meta/episodes file 0 with `columns` replaced and without the pack stats footer, so
    readers take each episode's own stats blob."""
    table = pq.read_table(root / META0)
    for name, values in columns.items():
        table = table.set_column(table.column_names.index(name), name, values)
    pq.write_table(table.replace_schema_metadata(None), root / META0)


def _stats_blob_bomb(root, _tmp):
    """A bzip2 npz stats blob (~250 bytes) that inflates to 250 MB (the blob format datasets had)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_BZIP2) as z, z.open("action/mean.npy", "w", force_zip64=True) as f:
        n = BOMB_MB << 20
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (n // 8,)})
        f.write(header.getvalue())
        zeros = bytes(1 << 20)
        for _ in range(BOMB_MB):
            f.write(zeros)
    blob = buf.getvalue()
    assert len(blob) < 2000
    n = pq.read_table(root / META0).num_rows
    _rewrite_meta(root, **{"demoforge/stats": pa.array([blob] * n, pa.binary())})
    return ["info", root], META0


def _big_video(path, frames, side=1024):
    from demoforge.augment.data.video import encode_video

    encode_video(path, np.zeros((frames, side, side, 3), np.uint8), fps=20)


def _video_resolution_bomb(root, _tmp):
    """A 1024 × 1024 mp4 where info.json declares 32 × 32 (≥ 3 MB a decoded frame)."""
    rel = "videos/observation.images.front/chunk-000/file-000.mp4"
    _big_video(root / rel, int(pq.read_table(root / META0).column("length")[0].as_py()))
    return ["export", root, "--format", "robomimic", "--out", root.parent / "x.hdf5"], rel


def _gr00t_video_bomb(root, tmp):
    """The same in a GR00T folder, read by `import`."""
    assert main(["export", str(root), "--format", "gr00t", "--out", str(tmp / "gr")]) == 0
    (video,) = (tmp / "gr" / "videos").rglob("*.mp4")
    _big_video(video, int(pq.read_table(root / META0).column("length")[0].as_py()))
    return ["import", tmp / "gr", "--out", tmp / "imp"], video.name


def _template_width_bomb(root, _tmp):
    """A format width in data_path: formatting it builds a 250 MB string."""
    info = json.loads((root / "meta/info.json").read_text())
    info["data_path"] = "data/{chunk_index:>" + str(BOMB_MB << 20) + "}/file.parquet"
    (root / "meta/info.json").write_text(json.dumps(info))
    return ["export", root, "--format", "robomimic", "--out", root.parent / "x.hdf5"], "data_path"


def _checkpoint_config_bomb(root, tmp):
    """A checkpoint whose policy_config claims 12000-wide hidden layers (≥ 576 MB of weights)
    beside the tiny weights it holds."""
    from safetensors.torch import load_file, safe_open, save_file

    run = tmp / "run"
    assert main(["train", "--real", str(root), "--steps", "1", "--batch-size", "8", "--out", str(run)]) == 0
    ckpt = run / "checkpoints" / "last.safetensors"
    with safe_open(ckpt, framework="pt") as f:
        meta = json.loads(f.metadata()["demoforge"])
    meta["policy_config"]["hidden"] = [12000] * len(meta["policy_config"]["hidden"])
    save_file(load_file(ckpt), ckpt, metadata={"demoforge": json.dumps(meta)})
    return ["eval", run, "--episodes", "1"], "policy_config"


BOMBS = {
    "stats blob": (_stats_blob_bomb, "demos"),
    "video resolution": (_video_resolution_bomb, "video_demos"),
    "gr00t video resolution": (_gr00t_video_bomb, "video_demos"),
    "template width": (_template_width_bomb, "demos"),
    "checkpoint config": (_checkpoint_config_bomb, "demos"),
}


def _peak_rss_mb(argv, env) -> tuple[int, str, float]:
    """Run `demoforge argv` in a child of a fresh interpreter: (exit code, stderr, the child's peak
    RSS in MB, from getrusage(RUSAGE_CHILDREN) of that interpreter alone)."""
    code = (
        "import resource, subprocess, sys\n"
        "rc = subprocess.run(sys.argv[1:]).returncode\n"
        "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    )
    cmd = [sys.executable, "-c", code, sys.executable, "-m", "demoforge.train.cli", *map(str, argv)]
    err = subprocess.run(cmd, capture_output=True, text=True, env=env).stderr.strip().splitlines()
    rc, kb = err[-1].split()
    return int(rc), "\n".join(err[:-1]), int(kb) / 1024


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_small_files_claiming_big_memory_are_refused_before_allocating(bomb, request, tmp_path):
    make, fixture = BOMBS[bomb]
    root = tmp_path / "ds"
    shutil.copytree(request.getfixturevalue(fixture), root)
    env = {**os.environ, "DEMOFORGE_MAX_READ_BYTES": str(LIMIT_MB << 20), "MUJOCO_GL": "egl"}
    # the same verb on an intact dataset: what the command costs without the bomb
    argv, names = make(root, tmp_path)
    rc, err, peak = _peak_rss_mb(argv, env)
    assert rc != 0 and len(err.splitlines()) == 1, err
    assert names in err and "unexpected" not in err, err
    intact = tmp_path / "intact"
    shutil.copytree(request.getfixturevalue(fixture), intact)
    baseline = _peak_rss_mb(["info", intact], env)[2]
    assert peak < baseline + BOMB_MB / 2, (
        f"{bomb}: peak RSS {peak:.0f} MB, `info` of an intact dataset {baseline:.0f} MB"
    )


@pytest.mark.parametrize(
    ("section", "line", "field"),
    [
        ("image", "blur_prob = 1.0\nblur_sigma_px = 20000.0", "blur_sigma_px"),  # minutes per frame
        ("physics", "gravity_tilt_deg = [-1e308, 1e308]", "gravity_tilt_deg"),  # OverflowError
        ("scene", "object_xy_jitter = 1e308", "object_xy_jitter"),  # OverflowError
        ("action", "latency_steps = [0, 9000000000000000000]", "latency_steps"),
    ],
)
def test_profile_numbers_are_bounded_where_they_are_read(tmp_path, capsys, section, line, field):
    profile = tmp_path / "wild.toml"
    profile.write_text(f'name = "wild"\nversion = 1\n[{section}]\nenabled = true\n{line}\n')
    refused(capsys, "info", "--profile", profile, names=[field, "wild.toml"])
