"""Tasks as files (envs/task_file.py, envs/file_task.py): the shipped stack_three.toml builds, resets
inside its distribution, steps, and its predicates answer hand-set states; a task file is accepted
wherever a task name is, and reaches spawned worker processes."""

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import gymnasium as gym
import mujoco
import numpy as np
import pytest
from demoforge.envs import TASKS, ConfigError, carry_registrations, make_task_env, resolve_task_name
from demoforge.envs.file_task import FileTask
from demoforge.envs.geometry import yaw_quat
from demoforge.envs.predicate_parser import parse_predicate
from demoforge.envs.predicates import evaluate
from demoforge.envs.scene import TABLE_TOP_Z, WORKSPACE_CENTER
from demoforge.envs.task_file import read_task_file
from demoforge.train.cli.main import main
from registrations import registrations_restored

ROOT = Path(__file__).resolve().parents[2]
STACK_THREE = ROOT / "examples" / "tasks" / "stack_three.toml"
HALF = {"cubeA": 0.025, "cubeB": 0.022, "cubeC": 0.02}  # the file's half-sizes


@pytest.fixture
def forget_file_tasks():
    with registrations_restored():
        yield


@pytest.fixture
def env(forget_file_tasks):
    e = make_task_env(str(STACK_THREE))
    e.reset(seed=0)
    yield e
    e.close()


def _place(env, poses: dict[str, tuple[float, float, float]], yaw: float = 0.0) -> None:
    """Cubes at (x, y, z) of their centres, at rest; the arm stays at home, above them."""
    for name, pos in poses.items():
        env.task.set_free_pose(name, pos, yaw_quat(yaw))
    mujoco.mj_forward(env.model, env.data)


def _stacked(x=0.5, y=0.18, b_dx=0.0, c_dx=0.0, c_gap=0.0) -> dict:
    """A on the table, B on A (shifted b_dx in x), C on B (shifted c_dx, lifted c_gap); 0.5 mm into
    each other so that MuJoCo reports the contact."""
    za = TABLE_TOP_Z + HALF["cubeA"]
    zb = za + HALF["cubeA"] + HALF["cubeB"] - 0.0005
    zc = zb + HALF["cubeB"] + HALF["cubeC"] - 0.0005 + c_gap
    return {"cubeA": (x, y, za), "cubeB": (x + b_dx, y, zb), "cubeC": (x + b_dx + c_dx, y, zc)}


def test_stack_three_builds_with_its_objects_stages_and_instruction(env):
    task = env.task
    assert (
        isinstance(task, FileTask)
        and task.name == "StackThree"
        and TASKS.origin("StackThree").endswith("stack_three.toml")
    )
    assert task.objects == ("cubeA", "cubeB", "cubeC") and task.symmetry == {"cubeA": 4, "cubeB": 4, "cubeC": 4}
    assert [(s.signal, s.object, s.grasp) for s in task.subtasks] == [
        ("grasped_b", "cubeB", True),
        ("b_on_a", "cubeA", False),
        ("grasped_c", "cubeC", True),
        (None, "cubeB", False),
    ]
    assert task.description.startswith("stack the green cube on the red cube") and task.max_episode_steps == 500
    assert env.observation_space["object_pos"].shape == (9,)
    masses = {n: env.model.body_mass[env.sim.body_id(n)] for n in HALF}
    assert masses == pytest.approx({"cubeA": 0.06, "cubeB": 0.05, "cubeC": 0.04})


@pytest.mark.parametrize(
    "layout, b_on_a, success",
    [
        (_stacked(), True, True),
        (_stacked(b_dx=0.004, c_dx=-0.004), True, True),  # a little off-centre still stacks
        ({**_stacked(), "cubeC": (0.45, -0.15, TABLE_TOP_Z + HALF["cubeC"])}, True, False),  # C still on the table
        ({**_stacked(), "cubeB": (0.45, -0.15, TABLE_TOP_Z + HALF["cubeB"])}, False, False),  # B beside A, C in air
        (_stacked(c_gap=0.01), True, False),  # C hovers 1 cm over B: not touching
        (_stacked(c_dx=0.03), True, False),  # C's centre off B's top face
    ],
)
def test_stack_three_success_answers_hand_set_states(env, layout, b_on_a, success):
    _place(env, layout)
    info = env.unwrapped._info()
    assert info["is_success"] is success
    assert info["subtasks"]["b_on_a"] is b_on_a and not info["subtasks"]["grasped_b"]
    # staged dense reward: 1 at success, else 0.9 × the share of the three stage signals holding
    assert env.task.dense_reward() == pytest.approx(1.0 if success else 0.9 * b_on_a / 3)


def test_a_finished_stack_stays_a_success_under_physics(env):
    _place(env, _stacked(), yaw=0.3)
    for _ in range(10):  # the arm holds still, gripper open; the stack settles
        _, reward, terminated, _, info = env.step(np.zeros(7, np.float32))
    assert info["is_success"] and terminated and reward == 1.0


def test_stack_three_resets_inside_its_distribution_without_overlaps(env):
    for seed in range(25):
        env.reset(seed=seed)
        poses = env.object_poses()
        xy = {n: poses[n][:2, 3] - WORKSPACE_CENTER[:2] for n in HALF}
        for n, h in HALF.items():
            assert -0.1 <= xy[n][0] <= 0.1 and -0.15 <= xy[n][1] <= 0.15
            assert poses[n][2, 3] == pytest.approx(TABLE_TOP_Z + h)
            assert abs(math.degrees(math.atan2(poses[n][1, 0], poses[n][0, 0]))) <= 45 + 1e-6
        for a, b in (("cubeA", "cubeB"), ("cubeA", "cubeC"), ("cubeB", "cubeC")):
            assert np.linalg.norm(xy[a] - xy[b]) > math.sqrt(2) * (HALF[a] + HALF[b])  # circles apart
        assert not any(env.unwrapped._info()["subtasks"].values())


def test_stack_three_steps_with_random_actions(env):
    env.action_space.seed(0)
    for _ in range(30):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs) and not info["physics_diverged"]
    assert set(info["subtasks"]) == {"grasped_b", "b_on_a", "grasped_c"}


def test_each_vocabulary_predicate_on_hand_set_states(env):
    task = env.task

    def holds(text: str) -> bool:
        return evaluate(parse_predicate(text, task.objects), task)

    _place(env, _stacked())
    assert holds("on(cubeB, cubeA)") and not holds("on(cubeA, cubeB)")
    assert holds("lifted(cubeC, 0.09)") and not holds("lifted(cubeC, 0.1)") and not holds("lifted(cubeA, 0.001)")
    assert holds("near(cubeA, cubeB, 0.05)") and not holds("near(cubeA, cubeC, 0.05)")
    assert holds("aligned(cubeC, cubeA, 0.001, 1)") and holds("upright(cubeA)")
    assert holds("all(upright(cubeA), any(grasped(cubeA), not(grasped(cubeB))))")
    sunk = {"cubeA": (0.45, -0.15, HALF["cubeA"]), "cubeB": (0.5, 0.18, HALF["cubeB"]), "cubeC": (0.5, 0.18, 0.03)}
    _place(env, sunk)  # C sunk into B as into a bin; A elsewhere on the table
    assert holds("inside(cubeC, cubeB)") and not holds("inside(cubeA, cubeB)")
    # turned 30° on z: aligned modulo a cube's 90° only within a tolerance above 30°
    env.task.set_free_pose("cubeC", (0.5, 0.18, 0.2), yaw_quat(math.radians(30)))
    mujoco.mj_forward(env.model, env.data)
    assert not holds("aligned(cubeC, cubeB, 0.001, 29)") and holds("aligned(cubeC, cubeB, 0.001, 31)")
    env.task.set_free_pose("cubeC", (0.5, 0.18, 0.2), [math.cos(0.3), math.sin(0.3), 0, 0])  # tilted 34° about x
    mujoco.mj_forward(env.model, env.data)
    assert not holds("upright(cubeC)") and holds("upright(cubeC, 40)")


def test_grasped_is_the_finger_pad_test_of_the_built_in_tasks(env):
    """Closing the gripper on cubeB from the Stack expert's approach makes grasped(cubeB) true."""
    from demoforge.envs.experts import aligned_grasp_rotation

    _place(env, {"cubeB": (0.5, 0.0, TABLE_TOP_Z + HALF["cubeB"])})
    u = env.unwrapped
    target = np.eye(4)
    target[:3, :3] = aligned_grasp_rotation(u, u.object_poses()["cubeB"][:3, :3])
    for z, gripper, steps in ((0.12, -1.0, 40), (HALF["cubeB"], -1.0, 40), (HALF["cubeB"], 1.0, 15)):
        target[:3, 3] = (0.5, 0.0, TABLE_TOP_Z + z)
        for _ in range(steps):
            _, _, _, _, info = env.step(u.ee_action_to(target, gripper))
    assert info["subtasks"]["grasped_b"] and not info["subtasks"]["grasped_c"]


def test_a_task_file_path_resolves_registers_and_gymnasium_makes_it(forget_file_tasks, tmp_path):
    assert resolve_task_name(str(STACK_THREE)) == "StackThree" == resolve_task_name("stackthree")
    env = gym.make("demoforge/StackThree-v0")
    assert type(env.unwrapped.task).name == "StackThree"
    env.close()
    moved = tmp_path / "renamed.toml"  # the name comes from the file, not its file name
    moved.write_text(STACK_THREE.read_text().replace('name = "StackThree"', 'name = "MyStack"'))
    assert resolve_task_name(str(moved)) == "MyStack" and list(TASKS)[-2:] == ["StackThree", "MyStack"]


def test_info_lists_a_task_file_given_with_task(forget_file_tasks, capsys):
    assert main(["info", "--tasks", "--task", str(STACK_THREE)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:5] == ["Lift", "Stack", "PickPlace", "PegInsert", "StackThree"]
    assert f"StackThree: task file {STACK_THREE}" in out


def _reset_in_worker(name: str) -> tuple[str, list[float]]:
    env = gym.make(f"demoforge/{name}-v0")
    _, info = env.reset(seed=3)
    return type(env.unwrapped.task).__name__, sorted(info["subtasks"])


def test_a_task_file_reaches_spawned_workers(forget_file_tasks):
    name = resolve_task_name(str(STACK_THREE))
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert pool.submit(carry_registrations(_reset_in_worker), name).result() == (
            "StackThree",
            ["b_on_a", "grasped_b", "grasped_c"],
        )
    vector = gym.vector.AsyncVectorEnv(
        [carry_registrations(partial(gym.make, "demoforge/StackThree-v0"))] * 2, context="spawn"
    )
    try:
        obs, _ = vector.reset(seed=0)
        assert obs["object_pos"].shape == (2, 9)
        vector.step(np.zeros((2, 7), np.float32))
    finally:
        vector.close()


SQUARE = ROOT / "examples" / "tasks" / "square.toml"


@pytest.mark.parametrize(
    "nut, yaw, over_peg, success",
    [
        ((0.5, 0.15, 0.006), math.pi / 2, False, True),  # round the peg, on the table, turned 90°: a square's same
        ((0.5, 0.152, 0.006), 0.0, False, True),  # 2 mm off centre still round it
        ((0.5, 0.15, 0.12), 0.05, True, False),  # turned to the peg above it, not yet down
        ((0.5, 0.15, 0.12), 0.5, False, False),  # above it but turned 29°
        ((0.5, -0.1, 0.006), 0.0, False, False),  # on the table beside it
    ],
)
def test_square_success_answers_hand_set_states(forget_file_tasks, nut, yaw, over_peg, success):
    env = make_task_env(str(SQUARE))
    env.reset(seed=0)
    assert env.task.objects == ("nut", "peg") and [s.grasp for s in env.task.subtasks] == [True, False]
    env.task.set_mocap_pose("peg", (0.5, 0.15, 0.05), yaw_quat(0.0))
    env.task.set_free_pose("nut", nut, yaw_quat(yaw))
    mujoco.mj_forward(env.model, env.data)
    info = env._info()
    assert info == {"subtasks": {"grasped": False, "over_peg": over_peg}, "is_success": success}
    if success:  # the nut rests round the peg under physics: the parts build a ring with a hole
        for _ in range(10):
            _, _, _, _, info = env.step(np.zeros(7, np.float32))
        assert info["is_success"] and env.object_poses()["nut"][2, 3] == pytest.approx(0.006, abs=1e-3)


def test_square_resets_put_the_peg_on_the_left_and_the_nut_on_the_right(forget_file_tasks):
    env = make_task_env(str(SQUARE))
    for seed in range(10):
        env.reset(seed=seed)
        poses = env.object_poses()
        assert poses["nut"][1, 3] < -0.07 and poses["peg"][1, 3] > 0.09
        assert poses["peg"][2, 3] == pytest.approx(0.05) and poses["nut"][2, 3] == pytest.approx(0.006)


def test_eval_of_a_run_takes_a_task_file_to_make_its_task_known(forget_file_tasks, tmp_path, capsys):
    from hostile import refused

    refused(capsys, "eval", tmp_path / "no_run", "--task", "Lift", names=["--task is for LeRobot checkpoints"])
    assert "StackThree" not in TASKS
    line = refused(capsys, "eval", tmp_path / "no_run", "--task", STACK_THREE, names=["no_run"])
    assert "LeRobot" not in line and "StackThree" in TASKS  # read, then the missing run is the error


def test_run_and_collect_of_a_task_without_an_expert_stop_before_writing(forget_file_tasks, tmp_path, capsys):
    from hostile import refused

    text = STACK_THREE.read_text()
    no_recipe = tmp_path / "stack_three.toml"
    no_recipe.write_text(text[: text.index("[[recipe]]")])
    for verb in ("collect", "run"):
        out = tmp_path / verb
        refused(capsys, verb, "--task", no_recipe, "--out", out, names=["no scripted expert for task 'StackThree'"])
        assert not out.exists()


ON_A_PLATE = """
name = "CubeOnPlate"
instruction = "lift the cube off the plate"
success = "lifted(cube, 0.1)"

[objects.cube]
shape = "box"
size = [0.02, 0.02, 0.02]
mass = 0.05
on_top_of = "plate"
x = [-0.03, 0.03]  # m in the plate's frame
y = [-0.03, 0.03]
yaw_deg = [-90, 90]

[fixtures.plate]
shape = "cylinder"
size = [0.08, 0.01]
x = [-0.05, 0.05]
y = [-0.1, 0.1]
yaw_deg = [0, 360]
"""


def test_on_top_of_places_a_body_on_its_support_inside_the_region_in_the_supports_frame(forget_file_tasks, tmp_path):
    path = tmp_path / "plate.toml"
    path.write_text(ON_A_PLATE)
    env = make_task_env(str(path))
    assert env.task.objects == ("cube", "plate") and env.task.subtasks[0].object == "cube"
    for seed in range(10):
        env.reset(seed=seed)
        poses = env.object_poses()
        cube, plate = poses["cube"][:3, 3], poses["plate"][:3, 3]
        assert plate[2] == pytest.approx(0.01) and cube[2] == pytest.approx(0.02 + 0.02)
        local = poses["plate"][:3, :3].T @ (cube - plate)
        assert np.all(np.abs(local[:2]) <= 0.03 + 1e-9)
    for _ in range(10):  # it rests there: the plate holds it up
        _, _, _, _, info = env.step(np.zeros(7, np.float32))
    assert env.object_poses()["cube"][2, 3] == pytest.approx(0.04, abs=2e-3) and not info["is_success"]


def _block_mesh(folder: Path) -> None:
    """A 4 × 4 × 6 cm block whose file origin is its bottom centre, in millimetres: block.obj, and
    the same triangles as a binary STL (block.stl) and an ASCII one (block_ascii.stl, which MuJoCo
    does not read)."""
    import struct

    v = np.array([[x, y, z] for z in (0, 60) for y in (-20, 20) for x in (-20, 20)], float)
    faces = [(0, 2, 1), (1, 2, 3), (4, 5, 6), (5, 7, 6), (0, 1, 4), (1, 5, 4)]
    faces += [(2, 6, 3), (3, 6, 7), (0, 4, 2), (2, 4, 6), (1, 3, 5), (3, 7, 5)]
    obj = "".join(f"v {a:g} {b:g} {c:g}\n" for a, b, c in v) + "".join(
        f"f {i + 1} {j + 1} {k + 1}\n" for i, j, k in faces
    )
    (folder / "block.obj").write_text(obj)
    binary = b"\0" * 80 + struct.pack("<I", len(faces))
    binary += b"".join(struct.pack("<12f", 0, 0, 1, *v[list(f)].ravel()) + b"\0\0" for f in faces)
    (folder / "block.stl").write_bytes(binary)
    ascii_stl = "solid block\n" + "".join(
        "facet normal 0 0 1\nouter loop\n"
        + "".join(f"vertex {a:g} {b:g} {c:g}\n" for a, b, c in v[list(f)])
        + "endloop\nendfacet\n"
        for f in faces
    )
    (folder / "block_ascii.stl").write_text(ascii_stl + "endsolid block\n")


@pytest.mark.parametrize("file, collision", [("block.obj", "convex_hull"), ("block.stl", "box")])
def test_a_mesh_object_rests_on_the_table_by_its_files_bounding_box(forget_file_tasks, tmp_path, file, collision):
    folder = tmp_path / 'mesh & "files"'  # a path MJCF must quote
    folder.mkdir()
    _block_mesh(folder)
    path = tmp_path / "block.toml"
    path.write_text(
        f'name = "Block"\ninstruction = "lift the block"\nsuccess = "lifted(block, 0.05)"\n[objects.block]\n'
        f'shape = "mesh"\nfile = \'{folder.name}/{file}\'\nscale = 0.001\ncollision = "{collision}"\nmass = 0.1\n'
        "x = [-0.05, 0.05]\ny = [-0.1, 0.1]\nyaw_deg = [-45, 45]\n"
    )
    env = make_task_env(str(path))
    body = env.task.config.bodies[0]
    assert (body.bottom, body.top, *body.footprint) == pytest.approx((0.0, 0.06, 0.02, 0.02))
    env.reset(seed=0)
    assert env.object_poses()["block"][2, 3] == pytest.approx(TABLE_TOP_Z)  # its origin is its bottom
    for _ in range(10):
        _, _, _, _, info = env.step(np.zeros(7, np.float32))
    # resting, not sunk by a wrong box nor floating: MuJoCo 3.3's mesh contact settles 1.2 mm deep, 4.0's less
    assert env.object_poses()["block"][2, 3] == pytest.approx(TABLE_TOP_Z, abs=2.5e-3) and not info["is_success"]
    colliding = [g for g in env.task.object_geoms["block"] if env.model.geom_contype[g]]
    assert [env.model.geom_type[g] for g in colliding] == [
        mujoco.mjtGeom.mjGEOM_MESH if collision == "convex_hull" else mujoco.mjtGeom.mjGEOM_BOX
    ]
    assert env.model.body_mass[env.sim.body_id("block")] == pytest.approx(0.1)
    env.task.set_free_pose("block", (0.5, 0.0, 0.08), yaw_quat(0.0))  # its bottom 8 cm up: lifted
    mujoco.mj_forward(env.model, env.data)
    assert env._info()["is_success"]


def test_an_ascii_stl_is_refused_in_one_line_as_mujoco_reads_binary_stl_only(forget_file_tasks, tmp_path):
    _block_mesh(tmp_path)
    path = tmp_path / "block.toml"
    path.write_text(
        'name = "Block"\ninstruction = "lift it"\nsuccess = "lifted(block, 0.05)"\n[objects.block]\n'
        'shape = "mesh"\nfile = "block_ascii.stl"\nmass = 0.1\n'
    )
    with pytest.raises(ConfigError, match=r"line 6, objects.block.file: block_ascii.stl is not a binary STL"):
        read_task_file(path)


STACK_AS_A_FILE = """
name = "StackFile"
instruction = "stack the red cube on the green cube"
max_episode_steps = 250
success = "all(on(cubeA, cubeB), not(grasped(cubeA)))"

[objects.cubeA]
shape = "box"
size = [0.02, 0.02, 0.02]
mass = 0.06
rgba = [0.85, 0.15, 0.15, 1]
symmetry = 4

[objects.cubeB]
shape = "box"
size = [0.025, 0.025, 0.025]
mass = 0.06
rgba = [0.15, 0.65, 0.2, 1]
symmetry = 4
y = [0.1, 0.1]

[[subtasks]]
object = "cubeA"
until = "grasped(cubeA)"
signal = "grasped"

[[subtasks]]
object = "cubeB"
"""


def test_the_built_in_stack_written_as_a_file_agrees_with_it_along_an_expert_episode(forget_file_tasks, tmp_path):
    """The Stack expert's episode, replayed state by state in the file version of Stack: grasped
    and success answer as the built-in task's signals do (the predicates read the same quantities)."""
    from demoforge.envs.experts import make_expert

    path = tmp_path / "stack.toml"
    path.write_text(STACK_AS_A_FILE)
    built_in, as_file = make_task_env("Stack"), make_task_env(str(path))
    assert (built_in.model.nq, built_in.model.nv) == (as_file.model.nq, as_file.model.nv)
    built_in.reset(seed=4)
    as_file.reset(seed=4)
    expert = make_expert(built_in)
    expert.reset(np.random.default_rng(4))
    seen = {"grasped": set(), "success": set()}
    for _ in range(built_in.task.max_episode_steps):
        _, _, terminated, _, info = built_in.step(expert.act(built_in))
        as_file.set_sim_state(built_in.sim_state())
        mine = as_file._info()
        assert mine["subtasks"]["grasped"] == info["subtasks"]["grasped"]
        assert mine["is_success"] == info["is_success"]
        seen["grasped"].add(info["subtasks"]["grasped"])
        seen["success"].add(info["is_success"])
        if terminated:
            break
    assert seen == {"grasped": {False, True}, "success": {False, True}}  # both answers were compared


@pytest.mark.parametrize(
    "file",
    [STACK_THREE, SQUARE, ROOT / "examples" / "tasks" / "drawer.toml", ROOT / "examples" / "tasks" / "threading.toml"],
    ids=lambda p: p.name,
)
def test_each_shipped_task_file_passes_gymnasiums_env_check_and_resets_by_seed(forget_file_tasks, file):
    from gymnasium.utils.env_checker import check_env

    env = gym.make(f"demoforge/{resolve_task_name(str(file))}-v0")
    check_env(env.unwrapped, skip_render_check=True)
    first = env.reset(seed=5)[0]["object_pos"]
    again = env.reset(seed=5)[0]["object_pos"]
    other = env.reset(seed=6)[0]["object_pos"]
    assert np.array_equal(first, again) and not np.allclose(first, other)
    env.close()


LIFT_AS_A_FILE = """
name = "FileLift"
instruction = "lift the red cube"
max_episode_steps = 150
success = "lifted(cube, 0.04)"

[objects.cube]
shape = "box"
size = [0.02, 0.02, 0.02]
mass = 0.06
rgba = [0.85, 0.15, 0.15, 1]
symmetry = 4
x = [-0.08, 0.08]
y = [-0.12, 0.12]
yaw_deg = [-45, 45]

[[subtasks]]
object = "cube"
until = "grasped(cube)"
signal = "grasped"

[[subtasks]]
object = "cube"
"""


def test_a_file_task_with_an_expert_registered_from_python_collects_and_generates_in_spawned_workers(
    forget_file_tasks, tmp_path
):
    """The route the docs give until file tasks have recipes: the file's task plus an expert from
    Python (the built-in Lift's, which only needs an object named cube), through collection and
    generation with two spawned workers, which rebuild the task from what is carried to them."""
    import demoforge
    from demoforge.augment.data.dataset import Dataset
    from demoforge.augment.generate import GenerateConfig, generate
    from demoforge.envs.experts import lift_phases

    path = tmp_path / "lift.toml"
    path.write_text(LIFT_AS_A_FILE)
    name = demoforge.register_task_file(path)
    demoforge.register_expert(name, lift_phases)
    demoforge.collect_demos(str(path), 2, tmp_path / "real", profile="nominal", human_like=False)
    config = GenerateConfig(num=2, workers=2, profile="nominal")
    summary = generate(tmp_path / "real", tmp_path / "gen", config, task=str(path))
    assert summary.task == "FileLift" and summary.episodes == 2
    real, out = Dataset(tmp_path / "real"), Dataset(tmp_path / "gen")
    assert {d.meta(i)["task"] for d in (real, out) for i in range(len(d))} == {"FileLift"}
