"""Articulated fixtures in task files (envs/mjcf_body.py): the shipped drawer's links are task
objects whose poses move with its joint, its reset draws the joint's value, `joint_at` and
`inside(cube, drawer)` answer hand-set states, and a pull moves the drawer to the value it names."""

from pathlib import Path

import mujoco
import numpy as np
import pytest
from demoforge.envs import make_task_env
from demoforge.envs.experts import ExpertConfig, make_expert
from demoforge.envs.geometry import yaw_quat
from demoforge.envs.mjcf_body import set_joint_value
from demoforge.envs.predicate_parser import parse_predicate
from demoforge.envs.predicates import evaluate
from registrations import registrations_restored

DRAWER = Path(__file__).resolve().parents[2] / "examples" / "tasks" / "drawer.toml"


@pytest.fixture
def env():
    with registrations_restored():
        e = make_task_env(str(DRAWER))
        e.reset(seed=0)
        yield e
        e.close()


def _open(env, value: float) -> None:
    set_joint_value(env.model, env.data, env.model.joint("slide").id, value)
    mujoco.mj_forward(env.model, env.data)


def test_the_drawer_and_its_handle_are_observed_objects_that_move_with_the_joint(env):
    assert env.task.objects == ("cube", "cabinet", "drawer", "handle")
    _open(env, 0.0)
    closed = env.object_poses()
    _open(env, 0.12)
    opened, cabinet = env.object_poses(), env.object_poses()["cabinet"]
    # out of the cabinet along its -x axis (towards the robot) by the joint's value, not turned
    for link in ("drawer", "handle"):
        shift = cabinet[:3, :3].T @ (opened[link][:3, 3] - closed[link][:3, 3])
        assert shift == pytest.approx([-0.12, 0.0, 0.0], abs=1e-9)
        assert opened[link][:3, :3] == pytest.approx(cabinet[:3, :3])
    assert np.array_equal(opened["cabinet"], closed["cabinet"])
    obs = env.unwrapped._observe()["object_pos"].reshape(-1, 3)
    assert obs[3] == pytest.approx(opened["handle"][:3, 3], abs=1e-6)  # what a policy sees moves too


def test_the_reset_draws_the_joint_within_its_range_from_the_seed(env):
    values = []
    for seed in range(12):
        env.reset(seed=seed)
        values.append(env.task.joint_value("slide"))
    assert min(values) >= 0.0 and max(values) <= 0.02 and len(set(values)) == 12  # the file's [0, 0.02] m
    env.reset(seed=3)
    assert env.task.joint_value("slide") == values[3]


def test_joint_at_and_inside_the_drawer_on_hand_set_states(env):
    task = env.task

    def holds(text: str) -> bool:
        return evaluate(parse_predicate(text, task.objects, ("slide",)), task)

    _open(env, 0.15)
    drawer = env.object_poses()["drawer"]
    in_drawer = drawer[:3, 3] + drawer[:3, :3] @ [-0.03, 0.0, 0.0] + [0.0, 0.0, 0.041]  # resting on its floor
    task.set_free_pose("cube", in_drawer, yaw_quat(0.0))
    mujoco.mj_forward(env.model, env.data)
    assert holds("joint_at(slide, 0.14, 0.16)") and not holds("joint_at(slide, 0, 0.01)")
    assert holds("inside(cube, drawer)") and not task.is_success()  # in, but the drawer is open
    _open(env, 0.005)
    drawer = env.object_poses()["drawer"]
    task.set_free_pose("cube", drawer[:3, 3] + drawer[:3, :3] @ [-0.03, 0.0, 0.0] + [0.0, 0.0, 0.041], yaw_quat(0))
    mujoco.mj_forward(env.model, env.data)
    assert holds("joint_at(slide, 0, 0.01)") and task.is_success()
    task.set_free_pose("cube", in_drawer + [0.0, 0.0, 0.2], yaw_quat(0.0))  # above the cabinet: not inside
    mujoco.mj_forward(env.model, env.data)
    assert not holds("inside(cube, drawer)") and not task.is_success()


def test_the_pull_stops_at_the_value_it_names_and_the_stage_signal_follows(env):
    """The recipe's pull (to 0.15 m): when the expert moves past it the joint reads 0.15 ± 4 mm, and
    the `opened` signal rises once the gripper let go."""
    expert = make_expert(env, ExpertConfig())
    expert.reset(np.random.default_rng(0))
    names = [p.name for p in expert.phases]
    after_pull = names.index("pull") + 1
    while expert.index < after_pull:
        _, _, _, _, info = env.step(expert.act(env))
    assert env.task.joint_value("slide") == pytest.approx(0.15, abs=0.004)
    for _ in range(40):  # the release takes 6 steps, and the signal needs the pads off the handle
        _, _, _, _, info = env.step(expert.act(env))
        if info["subtasks"]["opened"]:
            break
    assert info["subtasks"]["opened"] and expert.phase.name in ("release", "retreat")
    assert env.task.joint_value("slide") == pytest.approx(0.15, abs=0.004)  # letting go left it there
