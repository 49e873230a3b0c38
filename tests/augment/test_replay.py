"""Every stored demo replays: its domain redrawn from its seed, its first state restored, its
actions stepped, the simulator retraces the recorded states and the task succeeds as recorded
(issue 37). A replay that diverges names the frame."""

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.data.replay import Replayer, replay_episodes
from demoforge.augment.generate import GenerateConfig, generate
from demoforge.envs import ConfigError
from registrations import registrations_restored

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tasks"
# the four built-in tasks and shipped task files (their recipes are their experts); the drawer's
# subtasks are relative to a handle and a drawer that move with its joint
TASKS = ["Lift", "Stack", "PickPlace", "PegInsert", str(EXAMPLES / "square.toml"), str(EXAMPLES / "drawer.toml")]


@pytest.fixture(scope="module", autouse=True)
def _forget_the_task_file():
    with registrations_restored():
        yield


@pytest.fixture(scope="module")
def generated(demo_dataset, tmp_path_factory):
    """Per task: 2 human-like demos in target, and 2 generated from them in randomized."""
    out = {}
    for task in TASKS:
        real = demo_dataset(task, 2)
        synthetic = tmp_path_factory.mktemp("replay") / Path(task).stem
        generate(real, synthetic, GenerateConfig(num=2, workers=1, profile="randomized"))
        out[task] = (real, synthetic)
    return out


@pytest.mark.parametrize("task", TASKS, ids=lambda t: Path(t).stem)
def test_collected_and_generated_demos_replay_to_their_recorded_states_and_success(generated, task):
    for dataset in generated[task]:
        replays = replay_episodes(dataset)
        assert len(replays) == 2
        for r in replays:
            assert r.success and r.recorded_success and r.first_divergence is None, (dataset, r)
            assert r.max_state_error == 0.0, (dataset, r)  # the same simulator, bit for bit


def test_a_changed_action_is_reported_at_the_frame_it_diverges(generated):
    _, synthetic = generated["Stack"]
    replayer = Replayer(synthetic)
    original = replayer.dataset.episode

    def tampered(index, videos=True):
        episode = original(index, videos=videos)
        actions = episode.data["action"].copy()
        actions[5, :3] = -actions[5, :3] + 0.5  # frame 5's motion reversed
        return dataclasses.replace(episode, data={**episode.data, "action": actions})

    replayer.dataset.episode = tampered
    try:
        result = replayer.replay(0)
    finally:
        replayer.close()
    assert result.first_divergence == 6 and not result.reproduced  # the state after frame 5's action


def test_the_wrong_profile_is_refused_and_a_profile_file_is_not_opened_on_the_datasets_say_so(generated, tmp_path):
    real, _ = generated["Lift"]
    with pytest.raises(ConfigError, match="another domain than profile 'nominal'"):
        replay_episodes(real, [0], profile="nominal")
    copy = tmp_path / "copy"

    shutil.copytree(real, copy)
    settings = json.loads((copy / "meta/collect.json").read_text())
    (copy / "meta/collect.json").write_text(json.dumps({**settings, "profile": str(tmp_path / "elsewhere.toml")}))
    with pytest.raises(ConfigError, match=r"recorded in the profile file .*elsewhere\.toml.*pass that file"):
        replay_episodes(copy)
    assert [r.reproduced for r in replay_episodes(copy, profile="target")] == [True, True]
    assert len(Dataset(copy)) == 2


def test_the_cli_replays_a_dataset_and_says_how_many_retrace(generated, capsys):
    from demoforge.train.cli import main

    _, synthetic = generated["PickPlace"]
    assert main(["replay", str(synthetic)]) == 0
    assert "2/2 episodes replay (largest state error 0)" in capsys.readouterr().out
    assert main(["replay", str(synthetic), "--profile", "nominal"]) == 1
    assert "another domain than profile 'nominal'" in capsys.readouterr().err
