"""Issue #14, hardening: every case a hostile user found, reproduced. Each bad input must end in
ONE line on stderr naming the file or field, a nonzero exit, nothing half-written, and nothing
read from outside the dataset. Grouped by the issue's numbered items (most severe first)."""

import fcntl
import json
import os
import shutil

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from demoforge.augment.data.dataset import DEFAULT_FEATURES, Dataset
from demoforge.augment.data.record import CollectConfig, collect
from demoforge.augment.data.writer import DatasetWriter
from demoforge.train.cli import main
from hostile import cli, refused

EP0 = "data/chunk-000/file-000.parquet"
META0 = "meta/episodes/chunk-000/file-000.parquet"


def _rewrite_parquet(path, **columns):
    table = pq.read_table(path)
    for name, values in columns.items():
        i = table.column_names.index(name)
        table = table.set_column(i, name, values)
    pq.write_table(table, path)


def _leftovers(folder, before):
    return sorted(set(p.name for p in folder.iterdir()) - set(before))


# 1. Data loss ----------------------------------------------------------------------------------


def test_run_refuses_a_folder_it_did_not_create_and_deletes_nothing(tmp_path, capsys, monkeypatch):
    import demoforge.train.pipeline as pipeline

    monkeypatch.setattr(pipeline, "collect", lambda *a, **k: pytest.fail("a stage started"))
    user_file = tmp_path / "proj" / "data" / "real" / "notes.txt"
    user_file.parent.mkdir(parents=True)
    user_file.write_text("mine")
    refused(capsys, "run", "--quick", "--out", tmp_path / "proj", names=["proj", "run_config.yaml"])
    assert user_file.read_text() == "mine"


def test_run_stage_removes_only_what_it_wrote(tmp_path, monkeypatch):
    """In a genuine run folder, a training stage that starts over removes train()'s own files only."""
    import demoforge.train.pipeline as pipeline
    from demoforge.envs import ConfigError

    config = pipeline.RunConfig.quick(workers=1)
    out = tmp_path / "run"
    out.mkdir()
    (out / "run_config.yaml").write_text(yaml.safe_dump(config.model_dump(), sort_keys=False))
    done = {"collect real demos": 1.0, "calibrate the real domain": 1.0, "generate synthetic demos": 1.0}
    (out / "stages.json").write_text(json.dumps(done))
    notes = out / "runs" / "real_only" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("mine")
    monkeypatch.setattr(pipeline, "train", lambda *a, **k: pytest.fail("trained over a user file"))
    with pytest.raises(ConfigError, match="notes.txt"):
        pipeline.run_pipeline(config, out, log=lambda _: None)
    assert notes.read_text() == "mine"


# 2. Reading outside the dataset ----------------------------------------------------------------


def _robomimic(path, actions=None, **kwargs):
    with h5py.File(path, "w") as f:
        g = f.create_group("data/demo_0")
        g["actions"] = np.zeros((5, 7)) if actions is None else actions
        for name, make in kwargs.items():
            make(g, name)


@pytest.mark.parametrize("how", ["external_link", "external_storage", "virtual"])
def test_hdf5_that_points_at_other_files_is_refused(tmp_path, capsys, how):
    secret = tmp_path / "id_rsa"
    secret.write_bytes(b"PRIVATE KEY " * 10)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(5.0)
    makers = {
        "external_link": lambda g, n: g.__setitem__("obs", h5py.ExternalLink(str(other), "/")),
        "external_storage": lambda g, n: g["obs"].create_dataset(
            "leak", (5, 24), "u1", external=[(str(secret), 0, 120)]
        ),
        "virtual": lambda g, n: g["obs"].create_virtual_dataset("leak", _layout(other)),
    }

    def make(g, name):
        if how != "external_link":
            g.create_group("obs")
        makers[how](g, name)

    src = tmp_path / "hostile.hdf5"
    _robomimic(src, extra=make)
    refused(capsys, "import", src, "--out", tmp_path / "out", names=["hostile.hdf5", "data/demo_0/obs"])
    assert not (tmp_path / "out").exists()


def _layout(other):
    layout = h5py.VirtualLayout(shape=(5,), dtype="f8")
    layout[:] = h5py.VirtualSource(str(other), "x", shape=(5,))
    return layout


@pytest.mark.parametrize("field", ["data_path", "video_path"])
@pytest.mark.parametrize("template", ["../secret/{chunk_index}-{file_index}.parquet", "/etc/{chunk_index}{file_index}"])
def test_lerobot_paths_outside_the_dataset_are_refused(video_demos, tmp_path, capsys, field, template):
    src = tmp_path / "src"
    shutil.copytree(video_demos, src)
    info = json.loads((src / "meta/info.json").read_text())
    info[field] = template
    (src / "meta/info.json").write_text(json.dumps(info))
    for argv in (
        ["import", src, "--out", tmp_path / "imp"],
        ["export", src, "--format", "gr00t", "--out", tmp_path / "g"],
        ["export", src, "--format", "lerobot", "--out", tmp_path / "l"],
    ):
        refused(capsys, *argv, names=["meta/info.json", field])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_symlinks_to_outside_are_not_followed(copy, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("PRIVATE")
    (copy / "meta" / "notes.txt").symlink_to(secret)
    refused(capsys, "export", copy, "--format", "lerobot", "--out", tmp_path / "exp", names=["notes.txt"])
    assert not (tmp_path / "exp").exists()
    # A data file that is a link out of the dataset is not read either.
    data = copy / EP0
    shutil.move(data, tmp_path / "elsewhere.parquet")
    data.symlink_to(tmp_path / "elsewhere.parquet")
    refused(capsys, "export", copy, "--format", "robomimic", "--out", tmp_path / "x.hdf5", names=["outside"])


def test_dataset_id_cannot_climb_out_of_out(demos, tmp_path, capsys):
    out = tmp_path / "deep" / "minari"
    refused(
        capsys,
        "export",
        demos,
        "--format",
        "minari",
        "--out",
        out,
        "--dataset-id",
        "../../evil",
        names=["--dataset-id"],
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# 3. Memory blow-ups from small files ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sparse", "bomb"])
def test_hdf5_declaring_more_than_it_stores_is_refused_before_reading(tmp_path, capsys, kind):
    src = tmp_path / f"{kind}.hdf5"
    with h5py.File(src, "w") as f:
        g = f.create_group("data/demo_0")
        if kind == "sparse":  # 3 KB file, 28 MB declared: chunks never written read as fill values
            g.create_dataset("actions", (500_000, 7), "f8", chunks=(1000, 7))
        else:  # one gzip chunk written, the rest declared
            d = g.create_dataset("actions", (500_000, 7), "f8", chunks=(1000, 7), compression="gzip")
            d[:1000] = 1.0
    assert src.stat().st_size < 100_000
    refused(capsys, "import", src, "--out", tmp_path / "out", names=[src.name, "data/demo_0/actions"])
    assert not (tmp_path / "out").exists()


def test_reads_over_the_size_limit_are_refused(tmp_path, capsys, monkeypatch, copy):
    from demoforge.augment.data import safety

    monkeypatch.setattr(safety, "MAX_READ_BYTES", 10_000)
    src = tmp_path / "big.hdf5"
    _robomimic(src, actions=np.random.default_rng(0).normal(size=(1000, 7)))
    refused(capsys, "import", src, "--out", tmp_path / "out", names=["big.hdf5", "limit"])
    refused(capsys, "train", "--real", copy, "--steps", "1", "--out", tmp_path / "run", names=[".parquet", "limit"])


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["train", "--real", "D", "--out", "R", "--batch-size", "100000000"], "--batch-size"),
        (["generate", "--source", "D", "--out", "R", "--workers", "100000"], "--workers"),
        (["eval", "R", "--workers", "100000"], "--workers"),
        (["run", "--quick", "--out", "R", "--workers", "100000"], "--workers"),
    ],
)
def test_sizes_users_ask_for_are_bounded(tmp_path, capsys, monkeypatch, argv, name):
    import demoforge.train.pipeline as pipeline

    monkeypatch.setattr(pipeline, "collect", lambda *a, **k: pytest.fail("a stage started"))
    argv = [str(tmp_path / a) if a in ("D", "R") else a for a in argv]
    refused(capsys, *argv, names=[name])
    assert list(tmp_path.iterdir()) == []


# 4. Stale metadata after kill -9 ---------------------------------------------------------------


def test_metadata_is_derived_from_committed_episodes(demos, tmp_path, capsys):
    """A writer killed after its 3rd commit: info.json/stats.json still describe episode 0 only."""
    src = Dataset(demos)
    episodes = [src.episode(i) for i in range(len(src))] + [src.episode(0)]
    feats = {k: v for k, v in src.features.items() if k not in DEFAULT_FEATURES}
    killed = tmp_path / "killed"
    writer = DatasetWriter.create(killed, feats, fps=src.fps)
    for ep in episodes:
        writer.add_episode(ep)  # never closed: as after kill -9
    assert json.loads((killed / "meta/info.json").read_text())["total_episodes"] == 1
    frames = sum(ep.length for ep in episodes)

    rc, out, _ = cli(capsys, "info", killed)
    assert rc == 0 and "3 episodes" in out
    assert cli(capsys, "export", killed, "--format", "lerobot", "--out", tmp_path / "le")[0] == 0
    assert cli(capsys, "export", killed, "--format", "gr00t", "--out", tmp_path / "gr")[0] == 0
    for folder in ("le", "gr"):
        info = json.loads((tmp_path / folder / "meta/info.json").read_text())
        stats = json.loads((tmp_path / folder / "meta/stats.json").read_text())
        assert (info["total_episodes"], info["total_frames"]) == (3, frames), folder
        # GR00T's stats carry no count (N1.5 slices every stat): its mean must be the committed frames' mean
        actions = np.concatenate([ep.data["action"] for ep in episodes])
        assert np.allclose(stats["action"]["mean"], actions.mean(0), atol=1e-5), folder
    assert Dataset(tmp_path / "le").stats["action"]["count"][0] == frames


# 5. Silent garbage -----------------------------------------------------------------------------


@pytest.mark.parametrize("feature", ["action", "observation.state"])
def test_nan_and_inf_are_refused_by_readers_and_exporters(copy, tmp_path, capsys, feature):
    table = pq.read_table(copy / EP0)
    values = np.stack(table.column(feature).to_numpy(zero_copy_only=False)).copy()
    values[3, 1] = np.nan if feature == "action" else np.inf
    flat = pa.FixedSizeListArray.from_arrays(pa.array(values.ravel().astype(np.float32)), values.shape[1])
    _rewrite_parquet(copy / EP0, **{feature: flat})
    names = [EP0, feature, "NaN or inf"]
    refused(capsys, "train", "--real", copy, "--steps", "2", "--out", tmp_path / "run", names=names)
    for fmt in ("lerobot", "robomimic", "gr00t", "minari"):
        refused(capsys, "export", copy, "--format", fmt, "--out", tmp_path / f"x.{fmt}", names=names)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]
    bad = tmp_path / "nan.hdf5"
    _robomimic(bad, actions=np.full((5, 7), np.nan))
    refused(capsys, "import", bad, "--out", tmp_path / "imp", names=["action", "NaN"])


@pytest.mark.parametrize("fps", [0, -20, "twenty", 2.5, None])
def test_fps_must_be_a_positive_whole_number(copy, tmp_path, capsys, fps):
    info = json.loads((copy / "meta/info.json").read_text())
    info["fps"] = fps
    (copy / "meta/info.json").write_text(json.dumps(info))
    refused(capsys, "info", copy, names=["meta/info.json", "fps"])
    refused(capsys, "import", copy, "--out", tmp_path / "imp", names=["fps"])


def test_import_fps_argument_is_bounded(demos, tmp_path, capsys):
    refused(capsys, "import", demos, "--out", tmp_path / "imp", "--fps", "0", names=["--fps"])


@pytest.mark.parametrize(
    ("mapping", "names"),
    [
        ('[rename]\n"obs/a" = "observation.x"\n"obs/b" = "observation.x"\n', ["observation.x", "obs/a", "obs/b"]),
        ('[rename]\n"obs/a" = "observation.b"\n', ["obs/a", "obs/b", "observation.b"]),
        ('ignore = "obs/a"\n', ["ignore", "list"]),
    ],
)
def test_import_mapping_mistakes_are_refused(tmp_path, capsys, mapping, names):
    src = tmp_path / "src.hdf5"
    _robomimic(
        src,
        a=lambda g, n: g.create_dataset("obs/a", data=np.ones((5, 2))),
        b=lambda g, n: g.create_dataset("obs/b", data=np.zeros((5, 2))),
    )
    path = tmp_path / "map.toml"
    path.write_text(mapping)
    refused(capsys, "import", src, "--out", tmp_path / "out", "--mapping", path, names=names)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["train", "--real", "D", "--out", "R", "--set", "chunk_size=0"], ["chunk_size"]),
        (["train", "--real", "D", "--out", "R", "--set", "lr=-1"], ["lr"]),
        (["train", "--real", "D", "--out", "R", "--set", "nope=3"], ["nope", "chunk_size"]),
        (["train", "--real", "D", "--out", "R", "--set", "chunk_size=big"], ["chunk_size"]),
        (["train", "--real", "D", "--out", "R", "--set", "hidden=[0]"], ["hidden"]),
        (["train", "--real", "D", "--out", "R", "--ratio", "nan"], ["--ratio"]),
        (["generate", "--source", "D", "--out", "R", "--action-noise", "nan"], ["--action-noise"]),
        (["generate", "--source", "D", "--out", "R", "--action-noise", "-1"], ["--action-noise"]),
        (["collect", "--episodes", "0", "--out", "R"], ["--episodes"]),
        (["collect", "--episodes", "-3", "--out", "R"], ["--episodes"]),
        (["collect", "--seed", "-1", "--out", "R"], ["--seed"]),
        (["collect", "--image-size", "83", "--out", "R"], ["--image-size"]),
        (["collect", "--image-size", "0", "--out", "R"], ["--image-size"]),
        (["generate", "--source", "D", "--out", "R", "--seed", "-5"], ["--seed"]),
        (["generate", "--source", "D", "--out", "R", "--workers", "-1"], ["--workers"]),
        (["generate", "--source", "D", "--out", "R", "--num", "0"], ["--num"]),
        (["eval", "R", "--episodes", "-1"], ["--episodes"]),
        (["run", "--out", "R", "--real-demos", "0"], ["--real-demos"]),
    ],
)
def test_bad_arguments_are_one_line_and_write_nothing(demos, tmp_path, capsys, argv, names):
    argv = [demos if a == "D" else tmp_path / "R" if a == "R" else a for a in argv]
    refused(capsys, *argv, names=names)
    assert list(tmp_path.iterdir()) == []


def test_api_configs_refuse_what_the_cli_refuses():
    from demoforge.envs import ConfigError

    for bad in ({"episodes": 0}, {"seed": -1}, {"image_size": (83, 83)}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            CollectConfig(**bad)


def test_profile_ranges_must_be_finite(tmp_path, capsys):
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\nversion = 1\n[physics]\nenabled = true\nfriction_scale = [1.0, inf]\n')
    refused(capsys, "info", "--profile", path, names=["p.toml", "physics.friction_scale", "finite"])
    path.write_text('name = "p"\nversion = 1\n[sensor]\nenabled = true\nproprio_noise_std = nan\n')
    refused(capsys, "info", "--profile", path, names=["sensor.proprio_noise_std", "finite"])


def test_a_source_replaced_under_a_resumed_generate_is_refused(tmp_path, capsys):
    source = tmp_path / "src"
    collect(CollectConfig(task="Lift", episodes=2, profile="nominal", human_like=False), source)
    out = tmp_path / "gen"
    argv = ["generate", "--source", source, "--out", out, "--workers", "1"]
    assert cli(capsys, *argv, "--num", "1")[0] == 0
    shutil.rmtree(source)
    collect(CollectConfig(task="Lift", episodes=2, profile="nominal", human_like=False, seed=40), source)
    before = sorted(p.name for p in (out / "data" / "chunk-000").iterdir())
    refused(capsys, *argv, "--num", "2", names=["--source", str(source)])
    assert sorted(p.name for p in (out / "data" / "chunk-000").iterdir()) == before


# 6. One-line errors instead of tracebacks --------------------------------------------------------


def _meta_json(copy):
    rows = pq.read_metadata(copy / META0).num_rows  # the episodes share one packed meta file
    _rewrite_parquet(copy / META0, **{"demoforge/meta": pa.array(["{not json"] * rows)})


def _length_text(copy):
    _rewrite_parquet(copy / META0, length=pa.array(["ten"] * pq.read_metadata(copy / META0).num_rows))


def _info(**changes):
    def edit(copy):
        info = json.loads((copy / "meta/info.json").read_text())
        info.update(changes)
        (copy / "meta/info.json").write_text(json.dumps(info))

    return edit


def _write(rel, data):
    def edit(copy):
        (copy / rel).write_bytes(data)

    return edit


CORRUPTIONS = {
    "episode meta JSON": (_meta_json, [META0, "demoforge/meta"]),
    "episode length": (_length_text, [META0, "length"]),
    "tasks.parquet": (_write("meta/tasks.parquet", b"PAR1 garbage PAR1"), ["meta/tasks.parquet"]),
    "features as a list": (_info(features=["action"]), ["meta/info.json", "features"]),
    "feature shape": (_info(features={"action": {"dtype": "float32", "shape": [-7]}}), ["features.action.shape"]),
    "fps text": (_info(fps="twenty"), ["meta/info.json", "fps"]),
    "info.json not UTF-8": (_write("meta/info.json", b"\xff\xfe{}"), ["meta/info.json", "UTF-8"]),
    "info.json a list": (_write("meta/info.json", b"[1, 2]"), ["meta/info.json", "object"]),
    "stats.json": (_write("meta/stats.json", b"{not json"), []),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupt_dataset_files_are_one_line_for_every_verb(copy, tmp_path, capsys, case):
    corrupt, names = CORRUPTIONS[case]
    corrupt(copy)
    verbs = [
        ["info", copy],
        ["export", copy, "--format", "robomimic", "--out", tmp_path / "x.hdf5"],
        ["export", copy, "--format", "lerobot", "--out", tmp_path / "le"],
        ["import", copy, "--out", tmp_path / "imp"],
        ["train", "--real", copy, "--steps", "1", "--out", tmp_path / "run"],
        ["generate", "--source", copy, "--out", tmp_path / "gen", "--num", "1", "--workers", "1"],
    ]
    for argv in verbs:
        rc, out, err = cli(capsys, *argv)
        if case == "stats.json" and rc == 0:
            continue  # demoforge's stats come from the episodes themselves: a broken stats.json is moot
        assert rc != 0 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (argv, err)
        assert all(n in err for n in names), (argv, err)
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name != "copy")
    if case != "stats.json":
        assert leftovers in ([], ["run"]), leftovers  # train leaves at most its (restartable) run folder


def test_invalid_stats_json_of_a_foreign_dataset_is_named(tmp_path, capsys):
    from pathlib import Path

    src = tmp_path / "lerobot"
    shutil.copytree(Path(__file__).parent / "fixtures" / "lerobot-v3", src)
    (src / "meta/stats.json").write_text('{"action": [1, 2]}')
    refused(capsys, "info", src, names=["meta/stats.json"])


def test_truncated_video_is_named(video_demos, tmp_path, capsys):
    src = tmp_path / "v"
    shutil.copytree(video_demos, src)
    mp4 = next(src.glob("videos/*/chunk-000/file-000.mp4"))
    mp4.write_bytes(mp4.read_bytes()[:600])
    rel = mp4.relative_to(src).as_posix()
    refused(capsys, "export", src, "--format", "robomimic", "--out", tmp_path / "x.hdf5", names=[rel])
    refused(capsys, "import", src, "--out", tmp_path / "imp", names=[rel])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v"]


def test_out_that_is_a_file(demos, tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("mine")
    for argv in (
        ["collect", "--episodes", "1", "--out", f],
        ["train", "--real", demos, "--steps", "1", "--out", f],
        ["generate", "--source", demos, "--num", "1", "--out", f],
        ["run", "--quick", "--out", f],
    ):
        refused(capsys, *argv, names=[str(f)])
    assert f.read_text() == "mine"


def test_non_utf8_config_files(demos, tmp_path, capsys):
    bad = tmp_path / "bad"
    for suffix, argv in (
        (".toml", ["info", "--profile"]),
        (".yaml", ["run", "--out", tmp_path / "r", "--config"]),
        (".toml", ["import", demos, "--out", tmp_path / "i", "--mapping"]),
    ):
        path = bad.with_suffix(suffix)
        path.write_bytes(b"name = \xff\xfe\n")
        refused(capsys, *argv, path, names=[path.name, "UTF-8"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "bad.yaml"]


def test_run_config_is_validated_before_any_stage(tmp_path, capsys, monkeypatch):
    import demoforge.train.pipeline as pipeline

    monkeypatch.setattr(pipeline, "collect", lambda *a, **k: pytest.fail("a stage started"))
    for text, name in (
        ("policy: transformer\n", "transformer"),
        ("profile_generate: mars\n", "mars"),
        ("task: Juggle\n", "Juggle"),
        ("train_steps: 0\n", "train_steps"),
        ("real_demos: -1\n", "real_demos"),
    ):
        cfg = tmp_path / "c.yaml"
        cfg.write_text(text)
        refused(capsys, "run", "--config", cfg, "--out", tmp_path / "r", names=[name])
        assert not (tmp_path / "r").exists()


def test_full_disk_is_one_line_and_leaves_no_dataset(tmp_path, capsys, monkeypatch):
    import errno

    from demoforge.augment.data import writer as dataset_writer

    def full(self, episode):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "d" / EP0))

    monkeypatch.setattr(dataset_writer.DatasetWriter, "add_episode", full)
    refused(capsys, "collect", "--episodes", "1", "--profile", "nominal", "--out", tmp_path / "d", names=["disk full"])
    assert list(tmp_path.iterdir()) == []


# 7. Broken behaviour ---------------------------------------------------------------------------


def test_minari_export_to_a_relative_out(demos, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, _, err = cli(capsys, "export", demos, "--format", "minari", "--out", "minari_root")
    assert rc == 0, err
    assert (tmp_path / "minari_root/demoforge/lift-v0/data/main_data.hdf5").is_file()


def test_bracketed_text_survives_in_messages(tmp_path, capsys):
    path = tmp_path / "m.toml"
    path.write_text('[rename]\n"obs/a" = 3\n')
    line = refused(capsys, "import", tmp_path / "x.hdf5", "--out", tmp_path / "o", "--mapping", path)
    assert "[rename]" in line or "x.hdf5" in line  # the source is checked first or the mapping: text intact
    _robomimic(tmp_path / "x.hdf5")
    refused(capsys, "import", tmp_path / "x.hdf5", "--out", tmp_path / "o", "--mapping", path, names=["[rename]"])


def test_train_killed_before_its_first_checkpoint_can_start_again(demos, tmp_path, capsys, monkeypatch):
    import demoforge.train.trainer as trainer

    def killed(*a, **k):
        raise KeyboardInterrupt

    run = tmp_path / "run"
    argv = ["train", "--real", demos, "--steps", "2", "--out", run]
    with monkeypatch.context() as m:
        m.setattr(trainer, "_save", killed)
        try:
            cli(capsys, *argv)
        except KeyboardInterrupt:
            pass
    assert (run / "config.json").is_file() and not (run / "checkpoints/last.safetensors").is_file()
    rc, _, err = cli(capsys, *argv, "--resume")
    assert rc == 0, err
    assert (run / "checkpoints/last.safetensors").is_file()
    # A folder holding anything train did not write is still refused, and kept.
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    refused(capsys, "train", "--real", demos, "--steps", "2", "--out", other, names=[str(other)])
    assert (other / "notes.txt").read_text() == "mine"


def test_collect_continues_after_a_kill_with_identical_bytes(tmp_path, capsys, monkeypatch):
    from demoforge.augment.data import writer as dataset_writer

    argv = ["collect", "--episodes", "3", "--profile", "nominal", "--clean", "--seed", "3"]
    assert cli(capsys, *argv, "--out", tmp_path / "whole")[0] == 0
    add = dataset_writer.DatasetWriter.add_episode
    calls = []

    def dies_on_second(self, episode):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return add(self, episode)

    with monkeypatch.context() as m:
        m.setattr(dataset_writer.DatasetWriter, "add_episode", dies_on_second)
        try:
            cli(capsys, *argv, "--out", tmp_path / "killed")
        except KeyboardInterrupt:
            pass
    assert len(Dataset(tmp_path / "killed")) == 1
    rc, _, err = cli(capsys, *argv, "--out", tmp_path / "killed")
    assert rc == 0, err
    for f in sorted((tmp_path / "whole").rglob("*.parquet")):
        rel = f.relative_to(tmp_path / "whole")
        assert (tmp_path / "killed" / rel).read_bytes() == f.read_bytes(), rel
    # Other settings on the same --out are refused, naming the field.
    refused(capsys, *argv[:-1], "4", "--out", tmp_path / "killed", names=["seed"])


def _generate_features(demos):
    from demoforge.augment.generate.runner import AttemptRunner

    return AttemptRunner(demos, None, __import__("demoforge").augment.generate.GenerateConfig(num=1)).features


def test_generate_killed_before_pinning_its_settings_starts_over(demos, tmp_path, capsys):
    out = tmp_path / "gen"
    DatasetWriter.create(out, _generate_features(demos), fps=Dataset(demos).fps).close()  # no generation.json
    rc, _, err = cli(capsys, "generate", "--source", demos, "--out", out, "--num", "1", "--workers", "1")
    assert rc == 0, err
    assert len(Dataset(out)) == 1 and (out / "meta/generation.json").is_file()


def test_two_writers_on_one_out_are_refused(demos, tmp_path, capsys):
    out = tmp_path / "gen"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another generate holds the folder
        refused(capsys, "generate", "--source", demos, "--out", out, "--num", "1", "--workers", "1", names=[str(out)])
        refused(capsys, "collect", "--episodes", "1", "--out", out, names=[str(out)])
    finally:
        os.close(fd)
    assert list(out.iterdir()) == []


def test_killed_imports_leave_no_partial_folders(demos, tmp_path, capsys):
    dead = tmp_path / ".imp.partial-999999999"  # a pid that is not running
    dead.mkdir()
    (dead / "junk").write_text("x")
    assert cli(capsys, "import", demos, "--out", tmp_path / "imp")[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imp"]


def test_train_on_a_dataset_whose_episode_index_is_gone_is_one_named_line(demo_dataset, tmp_path, capsys):
    """Found by the long fuzz run (seed 10052): with meta/episodes/ deleted, train said
    'ValueError: no episodes … (unexpected …)'."""
    ds = demo_dataset("Lift", 2, profile="nominal", human_like=False, copy_to=tmp_path)
    shutil.rmtree(ds / "meta" / "episodes")
    rc = main(["train", "--real", str(ds), "--steps", "1", "--batch-size", "8", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and err.count("\n") == 0 and "unexpected" not in err and str(ds) in err, err
