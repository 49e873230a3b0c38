"""Scripted recipes of task files (envs/task_recipe.py, envs/recipe_expert.py): reading a file with a
`[[recipe]]` registers its expert with its task; the shipped recipes succeed, clean and human-like;
`collect` records them; a spawned worker runs the expert from what is carried to it."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from demoforge.envs import UnknownNameError, carry_registrations, make_task_env, resolve_task_name
from demoforge.envs.experts import EXPERTS, ExpertConfig, make_expert, run_expert_episode
from demoforge.envs.recipe_expert import recipe_phases
from registrations import registrations_restored

ROOT = Path(__file__).resolve().parents[2]
STACK_THREE = ROOT / "examples" / "tasks" / "stack_three.toml"
SQUARE = ROOT / "examples" / "tasks" / "square.toml"
DRAWER = ROOT / "examples" / "tasks" / "drawer.toml"
THREADING = ROOT / "examples" / "tasks" / "threading.toml"


@pytest.fixture
def forget_file_tasks():
    with registrations_restored():
        yield


def test_reading_a_file_with_a_recipe_registers_its_expert_with_its_task(forget_file_tasks):
    assert "StackThree" not in EXPERTS
    assert resolve_task_name(str(STACK_THREE)) == "StackThree"
    assert EXPERTS["StackThree"] is recipe_phases and EXPERTS.origin("StackThree") == "registered at run time"
    env = make_task_env("StackThree")
    env.reset(seed=0)
    phases = make_expert(env).phases
    names = [p.name for i, p in enumerate(phases) if i == 0 or p.name != phases[i - 1].name]
    assert names == ["approach", "descend", "close", "lift", "carry", "lower", "release", "retreat"] * 2
    closing = [p.gripper for p in phases[: [p.name for p in phases].index("lift")] if p.name == "close"]
    # from each finger 3 mm outside cubeB (2.2 cm half-size), 3 mm more per step, then shut
    assert closing[0] == pytest.approx(1 - 2 * 0.025 / 0.04) and closing[-1] == 1.0
    assert np.diff(closing[:-1]) == pytest.approx([2 * 0.003 / 0.04] * (len(closing) - 2))


@pytest.mark.parametrize(
    "file, seeds",
    [(STACK_THREE, range(4)), (SQUARE, range(4)), (DRAWER, range(4)), (THREADING, range(4))],
    ids=["stack_three", "square", "drawer", "threading"],
)
@pytest.mark.parametrize("human_like", [False, True], ids=["clean", "human_like"])
def test_the_shipped_recipes_succeed_in_nominal(forget_file_tasks, file, seeds, human_like):
    env = make_task_env(str(file))
    results = [run_expert_episode(env, seed, ExpertConfig(human_like=human_like)) for seed in seeds]
    assert all(ok for ok, _ in results), results
    assert all(steps < env.task.max_episode_steps for _, steps in results)


def test_collect_records_successful_episodes_of_a_file_task_with_a_recipe(forget_file_tasks, tmp_path):
    import demoforge
    from demoforge.augment.data.dataset import Dataset

    summary = demoforge.collect_demos(str(SQUARE), 2, tmp_path / "real", profile="target", human_like=True)
    assert summary["episodes"] == 2
    ds = Dataset(tmp_path / "real")
    assert len(ds) == 2 and all(ds.meta(i)["success"] and ds.meta(i)["task"] == "Square" for i in range(2))


def _expert_episode(name: str, seed: int) -> tuple[bool, int]:
    return run_expert_episode(make_task_env(name), seed, ExpertConfig(human_like=True))


def test_a_spawned_worker_runs_the_file_tasks_expert_from_what_is_carried(forget_file_tasks):
    name = resolve_task_name(str(STACK_THREE))
    here = _expert_episode(name, 3)
    for carried in (True, False):
        fn = carry_registrations(_expert_episode) if carried else _expert_episode
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            if carried:  # the same episode, action for action: the worker built the same expert
                assert pool.submit(fn, name, 3).result() == here
            else:  # what a bare spawn sees
                with pytest.raises(UnknownNameError, match="unknown task 'StackThree'"):
                    pool.submit(fn, name, 3).result()
    assert here[0]


def test_a_recipe_steps_keys_reach_the_expert(forget_file_tasks, tmp_path):
    """A pick's approach height and lift, a place's via point: the phases go where the keys say."""
    text = STACK_THREE.read_text()
    recipe = text.index("[[recipe]]")
    edited = text[:recipe] + (
        '[[recipe]]\ndo = "pick"\nobject = "cubeB"\napproach = 0.15\nlift = 0.2\n\n'
        '[[recipe]]\ndo = "place_on"\nobject = "cubeB"\nonto = "cubeA"\nvia = [[0, 0, 0.3]]\n'
    )
    path = tmp_path / "stack_two.toml"
    path.write_text(edited.replace('name = "StackThree"', 'name = "StackTwo"'))
    env = make_task_env(str(path))
    env.reset(seed=1)
    expert = make_expert(env)
    expert.reset(np.random.default_rng(1))
    reached = {}  # phase → the TCP's height when it ended
    for _ in range(env.task.max_episode_steps):
        phase = expert.phase.name
        env.step(expert.act(env))
        reached[phase] = float(env.eef_pose()[2, 3])
        if phase == "lower":
            break
    # the TCP holds cubeB by its centre (22 mm over the table); cubeA's centre is 25 mm over it
    assert reached["approach"] == pytest.approx(0.022 + 0.15, abs=0.012)  # 15 cm over cubeB's centre
    assert reached["lift"] == pytest.approx(0.022 + 0.2, abs=0.02)  # lifted 20 cm
    assert reached["via"] == pytest.approx(0.025 + 0.3, abs=0.015)  # the via point: 30 cm over cubeA's centre


def test_a_thread_pushes_the_needle_level_through_the_opening_along_the_rings_axis(forget_file_tasks):
    env = make_task_env(str(THREADING))
    env.reset(seed=2)
    expert = make_expert(env, ExpertConfig(human_like=False))
    expert.reset(np.random.default_rng(2))
    tips = []
    for _ in range(env.task.max_episode_steps):
        if expert.phase.name == "thread":
            needle, ring = env.object_poses()["needle"], env.object_poses()["ring"]
            tip = needle[:3, :3] @ [0.06, 0, 0] + needle[:3, 3]
            tips.append(ring[:3, :3].T @ (tip - ring[:3, 3]))  # in the ring's frame
            assert needle[2, 2] > 0.99  # kept level
        _, _, terminated, _, info = env.step(expert.act(env))
        if terminated:
            break
    assert info["is_success"]
    tips = np.array(tips)
    assert tips[0, 0] < -0.03 and tips[-1, 0] > 0.05  # from before the opening to 6 cm beyond it
    # on the opening's axis all the way: within its 4 mm of spare room, at its 7.5 cm height
    assert np.all(np.abs(tips[:, 1]) < 0.004) and np.all(np.abs(tips[:, 2] - 0.075) < 0.004)
