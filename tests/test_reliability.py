"""Issue #42, reliability round 3: the cases a hostile user found on top of test_hardening.py's.
Grouped by the issue's headings; each test failed before its fix. Bad input ends in one line on
stderr naming the file or field, a nonzero exit, and nothing of the user's lost."""

import fcntl
import os
import shutil

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
