"""Real-robot data in (issue 39): a LeRobot dataset of joint angles, gripper and actions plus a
CSV of initial object poses generates the same demos as the full simulated recording."""

import json
import shutil
from pathlib import Path

import mujoco
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.data.record import CollectConfig, collect
from demoforge.augment.generate import GenerateConfig, generate
from demoforge.augment.io.convert import export_dataset
from demoforge.augment.io.real_robot import RealRobotImport
from demoforge.envs import make_task_env
from demoforge.envs.kinematics import ForwardKinematics
from demoforge.train.cli.main import main

CSV_HEADER = "episode,object,x,y,z,qw,qx,qy,qz\n"


def strip_to_real(full: Path, out: Path) -> None:
    """A LeRobot v3 dataset as a real arm records it, made from the export of a collected one:
    `observation.state` = the arm's 7 joint angles ‖ its 2 finger joints, `action`, and the five
    LeRobot defaults — nothing else, and lerobot's own episode metadata (no demoforge columns).
    The joint angles are the simulator's true ones (`sim.state`), as a real arm's encoders report
    them (~1e-4 rad); the target profile's 2 mrad observation noise is a camera-free sensor model
    for policies, not what an encoder reads."""
    env = make_task_env("Lift")
    qpos = list(env.control.arm_qpos) + list(env.control.finger_qpos)
    env.close()
    (out / "meta" / "episodes" / "chunk-000").mkdir(parents=True)
    (out / "data" / "chunk-000").mkdir(parents=True)
    data = pq.read_table(full / "data" / "chunk-000" / "file-000.parquet").to_pydict()
    state = np.asarray(data["sim.state"])[:, qpos].astype(np.float32)
    columns = {
        "observation.state": pa.array(list(state), pa.list_(pa.float32(), 9)),
        "action": pa.array(data["action"], pa.list_(pa.float32(), 7)),
        **{k: data[k] for k in ("timestamp", "frame_index", "episode_index", "index", "task_index")},
    }
    pq.write_table(pa.table(columns), out / "data" / "chunk-000" / "file-000.parquet")
    info = json.loads((full / "meta" / "info.json").read_text())
    names = [f"joint_pos.{i}" for i in range(7)] + ["gripper_qpos.0", "gripper_qpos.1"]
    keep = ("action", "timestamp", "frame_index", "episode_index", "index", "task_index")
    info["features"] = {
        "observation.state": {"dtype": "float32", "shape": [9], "names": names},
        **{k: info["features"][k] for k in keep},
    }
    info.pop("robot", None)  # a real dataset names its robot_type only
    (out / "meta" / "info.json").write_text(json.dumps(info, indent=2))
    episodes = pq.read_table(full / "meta" / "episodes" / "chunk-000" / "file-000.parquet")
    lerobot_columns = [c for c in episodes.column_names if not c.startswith("demoforge/")]
    pq.write_table(episodes.select(lerobot_columns), out / "meta" / "episodes" / "chunk-000" / "file-000.parquet")
    shutil.copy(full / "meta" / "tasks.parquet", out / "meta" / "tasks.parquet")


def write_pose_csv(full: Path, path: Path, drop_episode: int | None = None) -> None:
    """Each episode's initial cube pose, as someone measured it: `datagen.object_poses` frame 0."""
    ds = Dataset(full)
    rows = [CSV_HEADER]
    for i in range(len(ds)):
        if i != drop_episode:
            p = ds.episode(i, videos=False).data["datagen.object_poses"][0]
            rows.append(f"{i},cube," + ",".join(f"{v:.6f}" for v in p) + "\n")
    ds.close()
    path.write_text("".join(rows))


@pytest.fixture(scope="module")
def lift_sources(demo_dataset):
    """Ten human-like Lift demos in the target profile (the built-in 'real' demos)."""
    return demo_dataset("Lift", episodes=10)


@pytest.fixture(scope="module")
def real(lift_sources, tmp_path_factory):
    """(full dataset, real-robot LeRobot folder, pose CSV)."""
    root = tmp_path_factory.mktemp("real")
    export_dataset(lift_sources, "lerobot", root / "exported")
    strip_to_real(root / "exported", root / "real")
    write_pose_csv(lift_sources, root / "poses.csv")
    return lift_sources, root / "real", root / "poses.csv"


def test_forward_kinematics_gives_the_recorded_tcp(lift_sources):
    """FK of the recorded joint angles lands on the TCP the recorder stored; the recorder reads
    MuJoCo's site pose after mj_step, which is one physics substep old, so the two differ by at
    most the TCP's motion over one substep (< 2 mm), and exactly at rest (the first frame)."""
    env = make_task_env("Lift")
    fk = ForwardKinematics(env)
    ep = Dataset(lift_sources).episode(0, videos=False)
    poses = fk.tcp_poses(ep.data["sim.state"][:, env.control.arm_qpos])
    env.close()
    gap = np.linalg.norm(poses[:, :3] - ep.data["datagen.eef_pose"][:, :3], axis=1)
    assert gap[0] < 1e-5 and gap.max() < 2e-3, gap.max()


def _import(src: Path, out: Path, poses: Path, *extra: str) -> int:
    return main(["import", str(src), "--out", str(out), "--robot", "panda", "--task", "Lift",
                 "--object-poses", str(poses), *extra])  # fmt: skip


def test_import_makes_what_generation_reads_from_joint_angles_and_start_poses(real, tmp_path):
    """The imported poses are the recorded ones where they can be: the object's exactly until
    the grasp, the grasp signal on the recorded frame, the action unchanged."""
    full, src, poses = real
    assert _import(src, tmp_path / "imp", poses) == 0
    a, b = Dataset(full), Dataset(tmp_path / "imp")
    assert b.info["robot"]["name"] == "panda" and len(b) == len(a) == 10
    for i in range(len(a)):
        x, y = a.episode(i, videos=False).data, b.episode(i, videos=False).data
        assert y.keys() >= {"datagen.eef_pose", "datagen.object_poses", "next.subtask_signals", "action"}
        assert np.array_equal(x["action"], y["action"])
        grasp = int(np.flatnonzero(x["next.subtask_signals"][:, 0])[0])
        assert int(np.flatnonzero(y["next.subtask_signals"][:, 0])[0]) == grasp
        assert b.meta(i)["object_poses"] == "start-only" and b.meta(i)["grasp_frames"] == [grasp]
        # resting until the grasp: the measured start pose (the simulated cube settles < 0.1 mm)
        assert np.abs(x["datagen.object_poses"][: grasp + 1] - y["datagen.object_poses"][: grasp + 1]).max() < 1e-4
        # carried: rigidly with the TCP, centred in the jaws; the simulated cube slips a few mm
        assert np.abs(x["datagen.object_poses"][:, :3] - y["datagen.object_poses"][:, :3]).max() < 6e-3


def _tcp_gaps(a: Path, b: Path) -> np.ndarray:
    """Per generated episode, the largest TCP position difference (m) between two generations
    (inf where the episodes differ in length)."""
    x, y = Dataset(a), Dataset(b)
    assert len(x) == len(y)
    gaps = []
    for i in range(len(x)):
        p, q = (d.episode(i, videos=False).data["datagen.eef_pose"][:, :3] for d in (x, y))
        gaps.append(np.abs(p - q).max() if len(p) == len(q) else np.inf)
    return np.array(gaps)


def test_import_then_generate_keeps_90_percent(real, tmp_path):
    """Issue 39's done-when, on the simulator as it is: generation from the imported real-robot
    dataset keeps ≥ 90 % of its attempts. Its demos follow those generated from the full
    recording closely but not within 1 mm everywhere: the recorder's TCP pose is MuJoCo's site pose
    after `mj_step`, one physics substep (2 ms) behind the joint angles FK reads, up to 1.4 mm
    apart while the arm moves; generation's idle trimming turns such a gap into a gripper switch
    one frame earlier in some attempts, and those demos part by centimetres
    (test_..._within_1_mm shows the import itself is exact once the two agree)."""
    full, src, poses = real
    assert _import(src, tmp_path / "imp", poses) == 0
    config = GenerateConfig(num=20, seed=3, workers=1)
    ref = generate(full, tmp_path / "from_full", config)
    got = generate(tmp_path / "imp", tmp_path / "from_real", config)
    assert got.episodes == 20 and got.episodes / got.attempts >= 0.9, (got.episodes, got.attempts)
    gaps = _tcp_gaps(tmp_path / "from_full", tmp_path / "from_real")
    print(f"kept {got.episodes}/{got.attempts} (full {ref.episodes}/{ref.attempts}); TCP gap per demo (mm): "
          f"median {np.median(gaps) * 1e3:.2f}, worst {gaps.max() * 1e3:.2f}")  # fmt: skip
    assert np.median(gaps) < 2e-3


@pytest.fixture
def current_kinematics(monkeypatch):
    """The simulator reading poses of the state it holds: `mj_kinematics` after each `mj_step`,
    so a recorded TCP pose is the FK of the recorded joint angles, as on a real robot."""
    mj_step = mujoco.mj_step

    def step(model, data, nstep=1):
        mj_step(model, data, nstep=nstep)
        mujoco.mj_kinematics(model, data)

    monkeypatch.setattr(mujoco, "mj_step", step)


def test_import_then_generate_matches_the_full_dataset_within_1_mm(current_kinematics, tmp_path):
    """With recorded TCP poses consistent with the joint angles, demos generated from the
    real-robot import follow those from the full recording within 1 mm (the done-when), except
    where the simulated cube slips in the hand by a few mm during the lift — which no real
    dataset records (the import holds it rigid): there within 2 mm."""
    full = tmp_path / "full"
    collect(CollectConfig(task="Lift", episodes=10, seed=0), full)
    export_dataset(full, "lerobot", tmp_path / "exported")
    strip_to_real(tmp_path / "exported", tmp_path / "real")
    write_pose_csv(full, tmp_path / "poses.csv")
    assert _import(tmp_path / "real", tmp_path / "imp", tmp_path / "poses.csv") == 0
    config = GenerateConfig(num=20, seed=3, workers=1, backend="process")  # in this process: the patch holds
    generate(full, tmp_path / "from_full", config)
    got = generate(tmp_path / "imp", tmp_path / "from_real", config)
    gaps = _tcp_gaps(tmp_path / "from_full", tmp_path / "from_real")
    print(f"kept {got.episodes}/{got.attempts}; TCP gap per demo (mm): {[round(float(g) * 1e3, 2) for g in gaps]}")
    assert got.episodes / got.attempts >= 0.9
    assert np.mean(gaps < 1e-3) >= 0.9 and gaps.max() < 2e-3


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _csv_without_episode(real, tmp_path):
    full, _, _ = real
    write_pose_csv(full, tmp_path / "p.csv", drop_episode=4)
    return tmp_path / "p.csv", "no poses for episode 4"


def _csv_bad_quaternion(real, tmp_path):
    text = real[2].read_text().splitlines()
    cells = text[3].split(",")
    cells[5] = "0.5"  # qw of episode 2: norm off 1
    text[3] = ",".join(cells)
    return _write(tmp_path / "p.csv", "\n".join(text) + "\n"), "line 4: quaternion (w, x, y, z)"


def _csv_unknown_object(real, tmp_path):
    return _write(tmp_path / "p.csv", real[2].read_text().replace("3,cube,", "3,block,")), "unknown object 'block'"


def _json_bad_quaternion(real, tmp_path):
    poses = {str(i): {"cube": {"pos": [0.5, 0.0, 0.82], "quat": [1.0, 0.0, 0.0, 0.0]}} for i in range(10)}
    poses["7"]["cube"]["quat"] = [0.0, 0.0, 0.0, 0.0]
    return _write(tmp_path / "p.json", json.dumps(poses)), "episode '7' object 'cube': quaternion"


@pytest.mark.parametrize("make", [_csv_without_episode, _csv_bad_quaternion, _csv_unknown_object, _json_bad_quaternion])
def test_a_bad_pose_file_is_one_line_and_writes_nothing(real, tmp_path, capsys, make):
    poses, expected = make(real, tmp_path)
    assert _import(real[1], tmp_path / "out", poses) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and str(poses) in err, err
    assert not (tmp_path / "out").exists()


def test_a_joint_count_that_does_not_fit_the_robot_is_one_line(real, tmp_path, capsys):
    """Six joint angles per frame (an SO-101 dataset, say) for the Panda's seven."""
    _, src, poses = real
    bad = tmp_path / "six"
    shutil.copytree(src, bad)
    path = bad / "data" / "chunk-000" / "file-000.parquet"
    table = pq.read_table(path)
    six = pa.array([row[:6] for row in table["observation.state"].to_pylist()], pa.list_(pa.float32(), 6))
    pq.write_table(table.set_column(table.schema.get_field_index("observation.state"), "observation.state", six), path)
    info = json.loads((bad / "meta" / "info.json").read_text())
    info["features"]["observation.state"] = {"dtype": "float32", "shape": [6], "names": None}
    (bad / "meta" / "info.json").write_text(json.dumps(info))
    assert _import(bad, tmp_path / "out", poses) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has 6 values per frame; robot 'panda' has 7 arm joints" in err, err
    assert not (tmp_path / "out").exists()


def test_another_frame_rate_than_the_controller_is_one_line(real, tmp_path, capsys):
    _, src, poses = real
    assert _import(src, tmp_path / "out", poses, "--fps", "30") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "recorded at 30 fps, the Lift controller runs at 20 Hz" in err, err
    assert not (tmp_path / "out").exists()


def test_real_robot_flags_come_together_and_a_plain_import_names_what_generation_lacks(real, tmp_path, capsys):
    _, src, poses = real
    assert main(["import", str(src), "--out", str(tmp_path / "a"), "--robot", "panda"]) == 1
    err = capsys.readouterr().err
    assert "--task and --object-poses" in err and not (tmp_path / "a").exists()
    assert main(["import", str(src), "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "generation needs datagen.eef_pose, which it lacks: supplied by --robot" in out
    assert "generation needs datagen.object_poses, which it lacks: supplied by --object-poses" in out


def test_config_refuses_an_unknown_robot_like_the_cli(real):
    with pytest.raises(KeyError, match="robot"):
        RealRobotImport("ur5-nonexistent", "Lift", real[2])


def test_joint_position_actions_become_the_ee_delta_that_reaches_their_targets(real, tmp_path):
    """An action of 7 joint targets + gripper: its ee_delta is the TCP move FK of the targets
    asks for. With the next frame's joint angles as targets, that is the move the TCP made."""
    full, src, poses = real
    joint = tmp_path / "joint"
    shutil.copytree(src, joint)
    path = joint / "data" / "chunk-000" / "file-000.parquet"
    table = pq.read_table(path)
    state = np.asarray(table["observation.state"].to_pylist())
    episode = np.asarray(table["episode_index"].to_pylist())
    nxt = np.concatenate([state[1:], state[-1:]])
    last = np.append(episode[1:] != episode[:-1], True)
    nxt[last] = state[last]
    grip = np.asarray(table["action"].to_pylist())[:, -1:]
    actions = pa.array(list(np.concatenate([nxt[:, :7], grip], axis=1).astype(np.float32)), pa.list_(pa.float32(), 8))
    pq.write_table(table.set_column(table.schema.get_field_index("action"), "action", actions), path)
    info = json.loads((joint / "meta" / "info.json").read_text())
    info["features"]["action"] = {"dtype": "float32", "shape": [8], "names": None}
    (joint / "meta" / "info.json").write_text(json.dumps(info))
    assert _import(joint, tmp_path / "imp", poses) == 0
    ep = Dataset(tmp_path / "imp").episode(0, videos=False).data
    eef = ep["datagen.eef_pose"].astype(np.float64)
    moved = (eef[1:, :3] - eef[:-1, :3]) / 0.05  # ControllerConfig.max_pos_delta
    assert ep["action"].shape[1] == 7
    assert np.abs(np.clip(moved, -1, 1) - ep["action"][:-1, :3]).max() < 1e-3
    assert np.array_equal(ep["action"][:, -1], grip[: len(eef), 0].astype(np.float32))
