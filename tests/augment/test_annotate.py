"""`demoforge annotate --auto` (issue 39): demos recorded with their subtask signals stripped get
them back by replay, the same as recorded; generation cuts the annotated demos; a demo whose
replay diverges is reported with its frame."""

import hashlib
import json

import numpy as np
import pytest
from demoforge.augment.data.annotate import annotate_auto
from demoforge.augment.data.dataset import DEFAULT_FEATURES, Dataset, Episode
from demoforge.augment.data.record import SIDECAR, SIGNALS_AFTER
from demoforge.augment.data.writer import DatasetWriter
from demoforge.augment.generate import GenerateConfig, generate
from demoforge.train.cli.main import main


def _rewrite(src, dst, edit=None, drop=(SIGNALS_AFTER,)):
    """`src` written again without `next.subtask_signals` (or the columns `drop`), as a recorder
    that lacks them would (through the store's own writer, so the metadata and stats agree);
    `edit(index, data)` may change an episode's columns on the way."""
    ds = Dataset(src)
    features = {k: v for k, v in ds.info["features"].items() if k not in DEFAULT_FEATURES and k not in drop}
    sidecar = json.loads((ds.root / SIDECAR).read_text())
    with DatasetWriter.create(dst, features, fps=ds.info["fps"], sidecars={SIDECAR: sidecar}) as writer:
        for i in range(len(ds)):
            ep = ds.episode(i)
            data = {k: v for k, v in ep.data.items() if k not in drop}
            if edit:
                data = edit(i, data)
            writer.add_episode(Episode(ep.task, data, ep.videos, ep.meta))
    return dst


def _bytes(root):
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())).hexdigest()


@pytest.mark.parametrize("task", ["Lift", "Stack"])
def test_stripped_signals_are_restored_exactly_and_generation_cuts_the_annotated_demos(demo_dataset, tmp_path, task):
    recorded = demo_dataset(task, 2)
    stripped = _rewrite(recorded, tmp_path / "stripped")
    assert SIGNALS_AFTER not in Dataset(stripped).info["features"]
    out, before_bytes = tmp_path / "annotated", _bytes(stripped)
    assert main(["annotate", str(stripped), "--auto", "--out", str(out)]) == 0
    assert _bytes(stripped) == before_bytes  # the input is only read
    before, after = Dataset(recorded), Dataset(out)
    assert after.info["features"][SIGNALS_AFTER] == before.info["features"][SIGNALS_AFTER]
    assert len(after) == len(before) == 2
    for i in range(len(before)):
        original, restored = before.episode(i).data[SIGNALS_AFTER], after.episode(i).data[SIGNALS_AFTER]
        assert restored.dtype == original.dtype and np.array_equal(restored, original), (task, i)
        assert original.any(), "a demo with no boundary would make this check vacuous"
    # Generation cuts the annotated demos where it cuts the recorded ones: the same episodes come out.
    config = GenerateConfig(num=2, workers=1, profile="randomized")
    generate(recorded, tmp_path / "from_recorded", config)
    generate(out, tmp_path / "from_annotated", config)
    expected, got = Dataset(tmp_path / "from_recorded"), Dataset(tmp_path / "from_annotated")
    assert len(got) == len(expected) == 2
    for i in range(2):
        assert got.meta(i)["origin"]["segments"] == expected.meta(i)["origin"]["segments"], (task, i)
        assert np.array_equal(got.episode(i).data["action"], expected.episode(i).data["action"]), (task, i)
    if task != "Stack":
        return  # Lift's demos are cut at the same frame with or without signals: no contrast there
    # ... and not where it cuts demos without signals (at the first gripper close): the check has teeth.
    generate(stripped, tmp_path / "from_stripped", config)
    unannotated = Dataset(tmp_path / "from_stripped")
    cuts = [[m["origin"]["segments"] for m in (d.meta(0), d.meta(1))] for d in (expected, unannotated)]
    assert cuts[0] != cuts[1], task


def test_a_demo_whose_replay_diverges_is_reported_with_its_frame(demo_dataset, tmp_path, capsys):
    recorded = demo_dataset("Lift", 2)

    def tamper(i, data):
        if i == 1:
            actions = data["action"].copy()
            actions[5, :3] = -actions[5, :3] + 0.5  # frame 5's motion reversed
            data = {**data, "action": actions}
        return data

    stripped = _rewrite(recorded, tmp_path / "stripped", tamper)
    out = tmp_path / "annotated"
    # target's one step of action latency: action 5 moves the robot in step 6, which leads to frame 7
    # Without --skip-diverged: exit 1, one line naming the episode and frame, nothing written.
    assert main(["annotate", str(stripped), "--auto", "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "episode 1: replay diverges at frame 7" in err, err
    assert not out.exists() and not list(tmp_path.glob(".annotated.partial-*"))
    # With it: the episode is left out, reported, and the rest written.
    assert main(["annotate", str(stripped), "--auto", "--out", str(out), "--skip-diverged"]) == 0
    assert "episode 1: replay diverges at frame 7" in capsys.readouterr().out
    report = annotate_auto(stripped, tmp_path / "again", skip_diverged=True)
    assert report.annotated == [0] and report.diverged == {1: 7}
    annotated = Dataset(out)
    assert len(annotated) == 1
    assert np.array_equal(annotated.episode(0).data[SIGNALS_AFTER], Dataset(recorded).episode(0).data[SIGNALS_AFTER])


def test_bad_input_is_one_line_and_nothing_is_written(demo_dataset, tmp_path, capsys):
    recorded = demo_dataset("Lift", 2)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    no_state = _rewrite(recorded, tmp_path / "no_state", drop=(SIGNALS_AFTER, "sim.state"))
    cases = {
        str(tmp_path / "missing"): "",
        str(recorded): "already exists",  # --out taken below
        str(no_state): "sim.state",
    }
    for dataset, words in cases.items():
        out = taken if dataset == str(recorded) else tmp_path / "out"
        assert main(["annotate", dataset, "--auto", "--out", str(out)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and len(err.splitlines()) == 1 and words in err, err
        assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in taken.iterdir()) == ["notes.txt"]
    with pytest.raises(SystemExit):  # --auto is required while it is the only mode
        main(["annotate", str(recorded), "--out", str(tmp_path / "out")])


def test_camera_frames_come_along(demo_dataset, tmp_path):
    recorded = demo_dataset("Lift", 1, profile="nominal", human_like=False, cameras=("front",), image_size=(32, 32))
    out = tmp_path / "annotated"
    annotate_auto(_rewrite(recorded, tmp_path / "stripped"), out)
    before, after = Dataset(recorded).episode(0), Dataset(out).episode(0)
    assert np.array_equal(after.data[SIGNALS_AFTER], before.data[SIGNALS_AFTER])
    (key,) = before.videos
    assert after.videos[key].shape == before.videos[key].shape
    assert np.abs(after.videos[key].astype(int) - before.videos[key]).mean() < 5  # decoded and encoded again (lossy)
