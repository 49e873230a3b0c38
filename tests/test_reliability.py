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
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.data.record import CollectConfig, collect
from demoforge.train import trainer
from demoforge.train.cli import main
from demoforge.train.trainer import TrainConfig, train
from hostile import cli, refused


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

    # in the folder: a name a blank dataset holds too, which must not be taken for one
    theirs = out / "meta" / "info.json" if fmt == "lerobot" else out

    def save_then_someone_writes_out(ds, path):
        save(ds, path)
        theirs.parent.mkdir(exist_ok=True)
        theirs.write_text("theirs")

    monkeypatch.setattr(module, name, save_then_someone_writes_out)
    refused(capsys, "export", demos, "--format", fmt, "--out", out, names=[str(out)])
    assert theirs.read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out_name]  # and no partial folder left


class Killed(BaseException):
    pass


@pytest.mark.parametrize("when", ["before", "after"])
def test_train_killed_around_a_checkpoint_resumes_with_the_whole_loss_log(demos, tmp_path, monkeypatch, when):
    cfg = TrainConfig(policy="bc", steps=24, batch_size=8, checkpoint_every=8, log_every=2)
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

    def plant():
        _rewrite_meta(root, **{"demoforge/stats": pa.array([blob] * n, pa.binary())})

    return ["info", root], META0, plant


def _big_video(path, frames, side=1024):
    from demoforge.augment.data.video import encode_video

    encode_video(path, np.zeros((frames, side, side, 3), np.uint8), fps=20)


def _video_resolution_bomb(root, _tmp):
    """A 1024 × 1024 mp4 where info.json declares 32 × 32 (≥ 3 MB a decoded frame)."""
    rel = "videos/observation.images.front/chunk-000/file-000.mp4"

    def plant():
        _big_video(root / rel, int(pq.read_table(root / META0).column("length")[0].as_py()))

    return ["export", root, "--format", "robomimic", "--out", root.parent / "x.hdf5"], rel, plant


def _gr00t_video_bomb(root, tmp):
    """The same in a GR00T folder, read by `import`."""
    assert main(["export", str(root), "--format", "gr00t", "--out", str(tmp / "gr")]) == 0
    (video,) = (tmp / "gr" / "videos").rglob("*.mp4")

    def plant():
        _big_video(video, int(pq.read_table(root / META0).column("length")[0].as_py()))

    return ["import", tmp / "gr", "--out", tmp / "imp"], video.name, plant


def _template_width_bomb(root, _tmp):
    """A format width in data_path: formatting it builds a 250 MB string."""
    info = json.loads((root / "meta/info.json").read_text())
    info["data_path"] = "data/{chunk_index:>" + str(BOMB_MB << 20) + "}/file.parquet"

    def plant():
        (root / "meta/info.json").write_text(json.dumps(info))

    return ["export", root, "--format", "robomimic", "--out", root.parent / "x.hdf5"], "data_path", plant


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

    def plant():
        save_file(load_file(ckpt), ckpt, metadata={"demoforge": json.dumps(meta)})

    return ["eval", run, "--episodes", "1"], "policy_config", plant


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


BOMB_ENV = {**os.environ, "DEMOFORGE_MAX_READ_BYTES": str(LIMIT_MB << 20), "MUJOCO_GL": "egl"}


def _remove_new(folder, before: set) -> None:
    """Remove what appeared under `folder` since `before` (the intact run's outputs)."""
    for path in sorted(set(folder.rglob("*")) - before, key=lambda p: len(p.parts)):
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_small_files_claiming_big_memory_are_refused_before_allocating(bomb, request, tmp_path):
    """The same command on the same data, intact and then with the bomb planted: the refused one
    peaks less than the limit above the intact one (which does the whole job)."""
    make, fixture = BOMBS[bomb]
    root = tmp_path / "ds"
    shutil.copytree(request.getfixturevalue(fixture), root)
    argv, names, plant = make(root, tmp_path)
    before = set(tmp_path.rglob("*"))
    rc, err, intact = _peak_rss_mb(argv, BOMB_ENV)
    assert rc == 0, err
    _remove_new(tmp_path, before)
    plant()
    rc, err, peak = _peak_rss_mb(argv, BOMB_ENV)
    assert rc != 0 and len(err.splitlines()) == 1, err
    assert names in err and "unexpected" not in err, err
    assert peak < intact + LIMIT_MB, f"{bomb}: peak RSS {peak:.0f} MB, the same command on intact data {intact:.0f} MB"


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


# 11–16. Silent garbage (each was exit 0) --------------------------------------------------------

DATA0 = "data/chunk-000/file-000.parquet"
STATE = "observation.state"


def _set_column(path, name, values):
    table = pq.read_table(path)
    pq.write_table(table.set_column(table.column_names.index(name), name, values), path)


def _ragged_state(root):
    """Frame 0 one value short, frame 1 one long: the flattened total still fits."""
    rows = pq.read_table(root / DATA0).column(STATE).to_pylist()
    rows[0], rows[1] = rows[0][:-1], rows[1] + [0.5]
    _set_column(root / DATA0, STATE, pa.array(rows, pa.list_(pa.float32())))
    return [DATA0, STATE]


def _tasks_as_text(root):
    (root / "meta/tasks.parquet").unlink()
    n = pq.read_metadata(root / META0).num_rows
    table = pq.read_table(root / META0)
    _set_column(root / META0, "tasks", pa.array(["lift the cube"] * n))
    pq.write_table(pq.read_table(root / META0).replace_schema_metadata(table.schema.metadata), root / META0)
    return [META0, "tasks"]


def _conflicting_tasks_parquet(root):
    import pandas as pd

    pd.DataFrame({"task_index": [0]}, index=pd.Index(["stack the cubes"], name="task")).to_parquet(
        root / "meta/tasks.parquet"
    )
    return ["meta/tasks.parquet"]


def _pack_stats(edit):
    def mutate(root):
        table = pq.read_table(root / META0)
        pack = json.loads(table.schema.metadata[b"demoforge/pack"])
        edit(pack["stats"])
        pq.write_table(table.replace_schema_metadata({b"demoforge/pack": json.dumps(pack)}), root / META0)
        return [META0]

    return mutate


def _to_index_off_by_one(root):
    table = pq.read_table(root / META0)
    to = pa.array([v + 1 for v in table.column("dataset_to_index").to_pylist()], pa.int64())
    pq.write_table(table.set_column(table.column_names.index("dataset_to_index"), "dataset_to_index", to), root / META0)
    return [META0, "dataset_to_index"]


GARBAGE = {
    "ragged list column": _ragged_state,
    "tasks as a string": _tasks_as_text,
    "tasks.parquet against the rows": _conflicting_tasks_parquet,
    "pack stats count 0": _pack_stats(lambda s: s["action"].update(count=[0])),
    "pack stats of another shape": _pack_stats(lambda s: s["action"].update(mean=s["action"]["mean"][:-1])),
    "pack stats of the wrong feature size": _pack_stats(
        lambda s: s["action"].update({k: v[:-1] for k, v in s["action"].items() if k != "count"})
    ),
    "dataset_to_index": _to_index_off_by_one,
}


@pytest.mark.parametrize("case", list(GARBAGE))
def test_inconsistent_datasets_are_refused_not_passed_on(copy, tmp_path, capsys, case):
    names = GARBAGE[case](copy)
    refused(capsys, "export", copy, "--format", "lerobot", "--out", tmp_path / "le", names=names)
    if case == "ragged list column":  # the frames themselves: what training reads
        argv = ["train", "--real", copy, "--steps", "1", "--batch-size", "8", "--out", tmp_path / "run"]
        refused(capsys, *argv, names=names)


def test_a_float32_extreme_trains_to_finite_weights_or_is_refused(copy, tmp_path, capsys):
    rows = pq.read_table(copy / DATA0).column(STATE).to_pylist()
    rows[3][0] = 3e38  # a valid float32; its square and sums overflow float32
    _set_column(copy / DATA0, STATE, pa.array(rows, pa.list_(pa.float32(), len(rows[0]))))
    rc, out, err = cli(capsys, "train", "--real", copy, "--steps", "3", "--batch-size", "8", "--out", tmp_path / "run")
    if rc != 0:
        assert len(err.strip().splitlines()) == 1 and "unexpected" not in err, err
        return
    from safetensors.torch import load_file

    assert "nan" not in out
    tensors = load_file(tmp_path / "run/checkpoints/last.safetensors")
    assert all(bool(t.isfinite().all()) for t in tensors.values() if t.is_floating_point())


def _gr00t(demos, tmp_path, edit_info=None, edit_episodes=None):
    """A GR00T export of `demos`, its info.json and episodes.jsonl edited."""
    out = tmp_path / "gr"
    assert main(["export", str(demos), "--format", "gr00t", "--out", str(out)]) == 0
    if edit_info:
        info = json.loads((out / "meta/info.json").read_text())
        edit_info(info)
        (out / "meta/info.json").write_text(json.dumps(info))
    if edit_episodes:
        path = out / "meta/episodes.jsonl"
        rows = edit_episodes([json.loads(line) for line in path.read_text().splitlines()])
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out


GR00T_CASES = {
    "tasks as a string": (None, lambda rows: [{**r, "tasks": "lift the cube"} for r in rows], "tasks"),
    "an episode listed twice": (None, lambda rows: rows + rows[:1], "episode_index"),
    "demoforge_meta as a string": (None, lambda rows: [{**r, "demoforge_meta": "x"} for r in rows], "demoforge_meta"),
    "demoforge_meta as a list": (None, lambda rows: [{**r, "demoforge_meta": [1]} for r in rows], "demoforge_meta"),
    "data_path {foo}": (lambda i: i.update(data_path="data/{foo}.parquet"), None, "data_path"),
    "data_path {0}": (lambda i: i.update(data_path="data/{0}.parquet"), None, "data_path"),
    "data_path absent": (lambda i: i.pop("data_path"), None, "data_path"),
    "data_path with NUL": (lambda i: i.update(data_path="data/a\0{episode_index}.parquet"), None, "data_path"),
}


@pytest.mark.parametrize("case", list(GR00T_CASES))
def test_gr00t_import_refuses_what_it_cannot_read_faithfully(demos, tmp_path, capsys, case):
    edit_info, edit_episodes, field = GR00T_CASES[case]
    src = _gr00t(demos, tmp_path, edit_info, edit_episodes)
    refused(capsys, "import", src, "--out", tmp_path / "imp", names=[str(src), field])
    assert not (tmp_path / "imp").exists()


# "Unexpected" errors: one line naming the file or field -------------------------------------------


def _nested_json(depth=100_000):
    return "[" * depth + "]" * depth


def _nested_info(root):
    (root / "meta/info.json").write_text(_nested_json())
    return ["meta/info.json"]


def _nested_pack_stats(root):
    table = pq.read_table(root / META0)
    pq.write_table(table.replace_schema_metadata({b"demoforge/pack": _nested_json()}), root / META0)
    return [META0, "demoforge/pack"]


@pytest.mark.parametrize("mutate", [_nested_info, _nested_pack_stats], ids=["info.json", "pack stats footer"])
def test_deeply_nested_json_is_one_line_naming_the_file(copy, capsys, mutate):
    names = mutate(copy)
    refused(capsys, "info", copy, names=names)


@pytest.fixture(scope="module")
def trained(demos, tmp_path_factory):
    run = tmp_path_factory.mktemp("trained") / "run"
    assert main(["train", "--real", str(demos), "--steps", "1", "--batch-size", "8", "--out", str(run)]) == 0
    return run


def _edit_checkpoint(edit_meta=None, edit_tensors=None, metadata=True):
    def mutate(ckpt):
        from safetensors.torch import load_file, safe_open, save_file

        with safe_open(ckpt, framework="pt") as f:
            meta = json.loads(f.metadata()["demoforge"])
        tensors = load_file(ckpt)
        if edit_meta:
            edit_meta(meta)
        if edit_tensors:
            tensors = {k: v for k, v in tensors.items() if not edit_tensors(k)}
        save_file(tensors, ckpt, metadata={"demoforge": json.dumps(meta)} if metadata else None)

    return mutate


def _pickled(ckpt):
    import torch

    torch.save({"weights": torch.zeros(3)}, ckpt)


CHECKPOINTS = {
    "no policy": (_edit_checkpoint(lambda m: m.pop("policy")), "policy"),
    "policy_config as a string": (_edit_checkpoint(lambda m: m.update(policy_config="big")), "policy_config"),
    "policy_config with an extra key": (_edit_checkpoint(lambda m: m["policy_config"].update(extra=1)), "extra"),
    "task as a list": (_edit_checkpoint(lambda m: m.update(task=["Lift"])), "task"),
    "no metadata": (_edit_checkpoint(metadata=False), "metadata"),
    "no normalizer": (_edit_checkpoint(edit_tensors=lambda k: k.startswith("normalizer.")), "normalizer"),
    "no weights": (_edit_checkpoint(edit_tensors=lambda k: k.startswith("model.")), "last.safetensors"),
    "a pickle": (_pickled, "last.safetensors"),
    "random bytes": (lambda ckpt: ckpt.write_bytes(os.urandom(300)), "last.safetensors"),
}


@pytest.mark.parametrize("case", list(CHECKPOINTS))
def test_broken_checkpoints_are_one_line_naming_the_field(trained, tmp_path, capsys, monkeypatch, case):
    import pickle

    mutate, field = CHECKPOINTS[case]
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    mutate(run / "checkpoints/last.safetensors")
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled"))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    refused(capsys, "eval", run, "--episodes", "1", "--workers", "1", names=["last.safetensors", field])


def test_resuming_a_pack_whose_rows_lack_their_byte_counts_is_one_line(copy, capsys):
    table = pq.read_table(copy / META0)
    pq.write_table(table.drop_columns(["demoforge/data_bytes"]), copy / META0)
    argv = ["collect", "--episodes", "3", "--profile", "nominal", "--clean", "--out", copy]
    refused(capsys, *argv, names=[META0, "demoforge/data_bytes"])


def test_a_full_disk_while_saving_a_checkpoint_says_so(demos, tmp_path, capsys, monkeypatch):
    import errno
    import pathlib

    write_bytes = pathlib.Path.write_bytes

    def full(self, data):
        if self.name.endswith(".safetensors.tmp"):
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return write_bytes(self, data)

    def rust_full(*_a, **_k):  # what safetensors' own writer raises on a full disk
        from safetensors import SafetensorError

        raise SafetensorError(
            'Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No space" })'
        )

    monkeypatch.setattr(pathlib.Path, "write_bytes", full)
    monkeypatch.setattr("safetensors.torch.save_file", rust_full)
    run = tmp_path / "run"
    refused(capsys, "train", "--real", demos, "--steps", "1", "--batch-size", "8", "--out", run, names=["disk full"])
    assert not (run / "checkpoints/last.safetensors").exists()


# 10. Bounds live in the configs: `run --config` refuses what the flags refuse ---------------------


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("batch_size: 1.0e+9", "batch_size"),
        ("eval_episodes: 1.0e+12", "eval_episodes"),
        ("synthetic_demos: 1.0e+12", "synthetic_demos"),
        ("seed: 1.0e+30", "seed"),
        ("obs: [1]", "obs"),
        ("obs: {a: 1}", "obs"),
    ],
)
def test_run_config_files_are_bounded_as_the_flags_are(tmp_path, capsys, monkeypatch, line, field):
    import demoforge.train.pipeline as pipeline

    monkeypatch.setattr(pipeline, "collect", lambda *a, **k: pytest.fail("a stage started"))
    config = tmp_path / "run.yaml"
    config.write_text(line + "\n")
    refused(capsys, "run", "--config", config, "--out", tmp_path / "o", names=["run.yaml", field])
    assert not (tmp_path / "o").exists()


# 17. A reader racing the packer ----------------------------------------------------------------


def _episodes_of(ds):
    return [(ep.task, {k: v.tolist() for k, v in ep.data.items()}) for ep in ds.iter_episodes()]


@pytest.mark.parametrize("reuse", [False, True], ids=["pack", "pack then a new loose episode"])
def test_a_reader_opened_before_a_pack_reads_the_committed_episodes(demos, tmp_path, reuse):
    """The writer packs (moving loose episodes into one file and deleting theirs) between a reader's
    opening and its reads; with `reuse` it then commits a new loose episode under a freed number."""
    from demoforge.augment.data.writer import DatasetWriter

    source = Dataset(demos)
    episodes = [source.episode(i) for i in range(len(source))]
    root = tmp_path / "ds"
    writer = DatasetWriter.create(root, {k: source.features[k] for k in source.data_keys}, fps=source.fps)
    for ep in episodes + episodes:
        writer.add_episode(ep)  # four loose episodes, files 0-3
    reader = Dataset(root)
    assert len(reader) == 4
    writer.close()  # packs them into file 0
    if reuse:  # committed loose at file 1, which held episode 1 (not closed: closing would pack it)
        DatasetWriter.append(root).add_episode(episodes[0])
    assert _episodes_of(reader)[:4] == _episodes_of(Dataset(root))[:4]
    assert [reader.meta(i) for i in range(4)] == [Dataset(root).meta(i) for i in range(4)]


@pytest.mark.parametrize("fmt", ["gr00t", "lerobot"])
def test_exports_copying_mp4s_refuse_one_of_another_size_than_declared(video_demos, tmp_path, capsys, fmt):
    """Both exporters copy mp4s as they are (GR00T: a standalone episode's): sizes are checked first."""
    root = tmp_path / "ds"
    shutil.copytree(video_demos, root)
    rel = "videos/observation.images.front/chunk-000/file-000.mp4"
    _big_video(root / rel, int(pq.read_table(root / META0).column("length")[0].as_py()), side=64)
    refused(capsys, "export", root, "--format", fmt, "--out", tmp_path / "out", names=[rel])
    assert not (tmp_path / "out").exists()
