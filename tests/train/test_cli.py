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
