"""Replay and generation run the robot that recorded the source (meta/info.json `robot`), in the
spawned workers too, and refuse in one line a robot this process does not know."""

import json

import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.data.record import features_for, rollout
from demoforge.augment.data.replay import Replayer
from demoforge.augment.data.safety import DatasetError
from demoforge.augment.data.writer import DatasetWriter
from demoforge.augment.domain.wrapper import DomainRandomizationWrapper
from demoforge.augment.generate import GenerateConfig, generate
from demoforge.envs import EnvConfig, make_task_env
from demoforge.envs.experts import ExpertConfig, make_expert
from demoforge.envs.robots import get_robot, register_robot

from tests.registrations import registrations_restored
from tests.robot_files import panda_toml

TURN = 0.08  # rad on the first joint's home: the variant's demos start visibly elsewhere


def _record(robot: str, out, episodes: int = 2):
    env = DomainRandomizationWrapper(make_task_env("Lift", config=EnvConfig(robot=robot)), "target")
    base = env.unwrapped
    expert = make_expert(base, ExpertConfig())
    layout = base.robot.layout()
    with DatasetWriter.create(out, features_for(base), fps=20, robot_type=robot, robot=layout) as writer:
        seed = kept = 0
        while kept < episodes and seed < 10:
            episode, ok = rollout(
                env, lambda _obs: expert.act(base), seed, on_reset=lambda s=seed: expert.reset(np.random.default_rng(s))
            )
            seed += 1
            if ok:
                writer.add_episode(episode)
                kept += 1
    return out


def _first_joint(root) -> np.ndarray:
    with Dataset(root) as ds:
        return np.array([ds.episode(i).data["observation.state"][0, 0] for i in range(len(ds))])


def test_replay_and_generation_run_the_recording_robot(tmp_path):
    home = list(get_robot("panda").arm.home_qpos)
    home[0] += TURN
    path = tmp_path / "turned.toml"
    path.write_text(panda_toml(name="turned", home_qpos=json.dumps(home)))
    with registrations_restored():
        register_robot(path)
        source = _record("turned", tmp_path / "src")
        assert abs(np.mean(_first_joint(source)) - TURN) < 0.03  # the variant's home, not the Panda's 0
        replayer = Replayer(source, "target")
        assert replayer.env.unwrapped.robot.name == "turned"
        assert replayer.replay(0).reproduced
        for backend, workers in (("process", 2), ("batch", 1)):  # process: spawned workers must know it
            out = tmp_path / backend
            generate(source, out, GenerateConfig(num=2, workers=workers, backend=backend))
            with Dataset(out) as ds:
                assert ds.info["robot"]["name"] == "turned" and ds.info["robot_type"] == "turned"
            assert abs(np.mean(_first_joint(out)) - TURN) < 0.03
    with pytest.raises(DatasetError, match=r"made with robot 'turned', which is not registered here") as info:
        generate(source, tmp_path / "unknown", GenerateConfig(num=1, workers=1))
    assert "\n" not in str(info.value)
