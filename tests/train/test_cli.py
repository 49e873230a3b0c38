import subprocess
import sys

from demoforge.train.cli import main


def test_info_envs_lists_every_gym_id(capsys):
    assert main(["info", "--envs"]) == 0
    out = capsys.readouterr().out
    for gym_id in ("demoforge/Lift-v0", "demoforge/Stack-v0", "demoforge/PickPlace-v0", "demoforge/PegInsert-v0"):
        assert gym_id in out


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
    err = capsys.readouterr().out.strip()
    assert err.count("\n") == 0 and "built-in: nominal, randomized, target" in err
