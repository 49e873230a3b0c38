import re
import subprocess
import sys

import pytest
from demoforge.train.cli import main


def test_info_envs_lists_every_gym_id(capsys):
    assert main(["info", "--envs"]) == 0
    out = capsys.readouterr().out
    for gym_id in ("demoforge/Lift-v0", "demoforge/Stack-v0", "demoforge/PickPlace-v0", "demoforge/PegInsert-v0"):
        assert gym_id in out


def test_info_tasks_lists_every_registered_task_one_name_per_line_first(capsys, their_task):
    import demoforge

    demoforge.register_task(their_task.TheirLift)
    assert main(["info", "--tasks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = ["Lift", "Stack", "PickPlace", "PegInsert", "TheirLift"]
    assert lines[: len(names) + 1] == [*names, ""]
    assert "Lift: built in" in lines and "TheirLift: registered at run time" in lines


def test_a_broken_task_plugin_is_one_line_naming_its_distribution(tmp_path, capsys, monkeypatch):
    info = tmp_path / "site" / "broken_plugin-0.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text("[demoforge.tasks]\nBroken = no_such_module_xyz:Broken\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert main(["collect", "--task", "Broken", "--episodes", "1", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert "task plugin 'Broken' (entry point 'no_such_module_xyz:Broken'" in err and "broken-plugin 0.3" in err


def test_console_script_is_installed_and_bad_verbs_fail():
    ok = subprocess.run(["demoforge", "info", "--envs"], capture_output=True, text=True)
    assert ok.returncode == 0 and "demoforge/Stack-v0" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "demoforge.train.cli", "fly"], capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_info_profile_prints_the_resolved_profile_and_writes_a_preview(capsys, tmp_path):
    out_png = tmp_path / "grid.png"
    assert main(["info", "--profile", "target", "--preview", str(out_png), "--count", "4"]) == 0
    out = capsys.readouterr().out
    assert "latency_steps=(1, 1)" in out and "physics (on)" in out
    import matplotlib.image

    grid = matplotlib.image.imread(out_png)
    assert grid.shape[0] > 200 and grid.shape[1] > 200  # 2×2 tiles of 128 px


def test_info_unknown_profile_is_one_line_and_nonzero(capsys):
    assert main(["info", "--profile", "mars"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "built-in: nominal, randomized, target" in err


def test_collect_info_export_import_through_the_cli(tmp_path, capsys):
    demos = tmp_path / "demos"
    assert main(["collect", "--task", "Lift", "--episodes", "2", "--out", str(demos)]) == 0
    assert main(["info", str(demos)]) == 0
    out = capsys.readouterr().out
    assert "2 episodes" in out and "success 100%" in out and "'real': 2" in out
    assert main(["export", str(demos), "--format", "robomimic", "--out", str(tmp_path / "d.hdf5")]) == 0
    assert main(["import", str(tmp_path / "d.hdf5"), "--out", str(tmp_path / "back")]) == 0
    assert "imported 2 episodes" in capsys.readouterr().out
    # The destination exists now: a second import refuses, one line, nonzero, nothing changed.
    before = sorted(p.name for p in (tmp_path / "back").rglob("*"))
    assert main(["import", str(tmp_path / "d.hdf5"), "--out", str(tmp_path / "back")]) == 1
    assert "already exists" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "back").rglob("*")) == before


def test_info_on_a_folder_that_is_not_a_dataset(tmp_path, capsys):
    assert main(["info", str(tmp_path)]) == 1
    assert "meta/info.json missing" in capsys.readouterr().err


VERBS = ("info", "collect", "generate", "train", "eval", "run", "import", "export", "replay", "annotate")


def test_help_lists_every_verb_and_each_verb_has_its_own_parser(capsys):
    out = subprocess.run(["demoforge", "--help"], capture_output=True, text=True).stdout
    listed = set(re.findall(r"^    ([a-z]+) +\S", out, flags=re.MULTILINE))  # one help row per verb
    assert set(VERBS) <= listed, sorted(set(VERBS) - listed)
    for verb in VERBS:
        with pytest.raises(SystemExit) as exit_:
            main([verb, "--help"])
        assert exit_.value.code == 0 and capsys.readouterr().out.startswith(f"usage: demoforge {verb} "), verb


@pytest.mark.parametrize("ratio", ["0", "0.5"])
def test_train_says_when_ratio_zero_leaves_the_real_demos_out_of_every_batch(tmp_path, capsys, ratio):
    demos = tmp_path / "demos"
    assert main(["collect", "--task", "Lift", "--episodes", "1", "--out", str(demos)]) == 0
    args = ["train", "--real", str(demos), "--synthetic", str(demos), "--steps", "1", "--ratio", ratio]
    assert main([*args, "--batch-size", "4", "--out", str(tmp_path / "run")]) == 0
    said = "no batch draws from --real" in capsys.readouterr().out
    assert said == (ratio == "0")


def test_info_keeps_a_long_path_and_its_counts_on_one_line(tmp_path, capsys, demo_dataset):
    """Piped output is for grep: a summary line longer than the console stays one line."""
    deep = tmp_path / ("d" * 150)
    deep.mkdir()
    demos = demo_dataset(copy_to=deep)
    assert main(["info", str(demos)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(str(demos) in line and "episodes" in line and "sources" in line for line in lines), lines[:3]
