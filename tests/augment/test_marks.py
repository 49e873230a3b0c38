"""`demoforge annotate --csv` (and the writer `--by-hand` shares): marked frames become the
subtask signals generation cuts at; a bad mark is one line and nothing is written (issue 39)."""

import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.data.marks import signals_from_marks
from demoforge.augment.data.record import signals_in_frames
from demoforge.augment.data.safety import DatasetError
from demoforge.augment.generate.segment import boundaries
from demoforge.envs import make_task_env
from demoforge.train.cli.main import main


def test_a_mark_is_the_first_frame_that_shows_the_signal_on():
    after = signals_from_marks(6, ["grasped", "lifted"], {"grasped": 2, "lifted": 4}, "ep")
    np.testing.assert_array_equal(signals_in_frames({"next.subtask_signals": after}).argmax(0), [2, 4])
    with pytest.raises(DatasetError, match="frame 6, expected a frame in 1..5"):
        signals_from_marks(6, ["grasped"], {"grasped": 6}, "ep")
    with pytest.raises(DatasetError, match="no frame marked for signal 'lifted'"):
        signals_from_marks(6, ["grasped", "lifted"], {"grasped": 2}, "ep")


def test_marks_from_a_csv_are_the_boundaries(demo_dataset, tmp_path, capsys):
    source = demo_dataset("Lift", 2)
    csv = tmp_path / "marks.csv"
    csv.write_text("episode,signal,frame\n0,grasped,10\n0,lifted,20\n1,grasped,12\n1,lifted,25\n")
    out = tmp_path / "annotated"
    assert main(["annotate", str(source), "--csv", str(csv), "--out", str(out)]) == 0
    subtasks = make_task_env("Lift").task.subtasks
    ds = Dataset(out)
    for i, grasped in enumerate((10, 12)):
        assert boundaries(ds.episode(i, videos=False), subtasks, ["grasped", "lifted"])[0] == grasped + 1
    bad = tmp_path / "bad.csv"
    bad.write_text("episode,signal,frame\n0,grasped,10\n0,lifted,20\n1,grasped,12\n1,lifted,9999\n")
    capsys.readouterr()
    assert main(["annotate", str(source), "--csv", str(bad), "--out", str(tmp_path / "no")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "episode 1: lifted at frame 9999" in err, err
    assert not (tmp_path / "no").exists()
