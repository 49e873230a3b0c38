"""Generation end to end: replayable successes, worker-count independence, resume after kill."""

import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset, DatasetError
from demoforge.augment.domain.wrapper import make_domain_env
from demoforge.augment.generate import GenerateConfig, generate
from demoforge.augment.generate.runner import AttemptRunner
from demoforge.augment.generate.stitch import WaypointSequence
from demoforge.envs import ConfigError, Subtask


def test_generated_episodes_succeed_when_replayed_from_their_seed(lift_sources, tmp_path):
    summary = generate(lift_sources, tmp_path / "gen", GenerateConfig(num=4, workers=1))
    assert summary.episodes == 4 and summary.complete
    ds = Dataset(tmp_path / "gen")
    for i in range(len(ds)):
        ep, meta = ds.episode(i), ds.meta(i)
        assert meta["source"] == "synthetic" and meta["success"]
        segments = meta["origin"]["segments"]
        assert segments[0]["subtask"] == 0 and 0 <= segments[0]["source_episode"] < 10
        env = make_domain_env("Lift", meta["profile"])
        _, info = env.reset(seed=meta["seed"])
        assert info["domain"] == meta["domain"]  # the drawn domain is reproduced from the seed
        for action in ep.data["action"]:
            *_, terminated, _, info = env.step(action)
        assert terminated and info["is_success"]
        assert np.array_equal(ep.data["next.success"], np.arange(ep.length) == ep.length - 1)


def test_output_is_identical_for_one_and_two_workers(lift_sources, tmp_path, same_tree):
    generate(lift_sources, tmp_path / "one", GenerateConfig(num=6, workers=1))
    generate(lift_sources, tmp_path / "two", GenerateConfig(num=6, workers=2))
    same_tree(tmp_path / "one", tmp_path / "two")


KILLER = textwrap.dedent(
    """
    import os, signal
    from demoforge.augment.data.writer import DatasetWriter
    from demoforge.augment.generate import GenerateConfig, generate
    real_add = DatasetWriter.add_episode
    def add(self, episode):
        if self.num_episodes == 4:  # die while writing the fifth episode
            os.kill(os.getpid(), signal.SIGKILL)
        return real_add(self, episode)
    DatasetWriter.add_episode = add
    generate({src!r}, {out!r}, GenerateConfig(num=8, workers=1))
    """
)


def test_resume_after_kill_equals_an_uninterrupted_run(lift_sources, tmp_path, same_tree):
    out = tmp_path / "resumed"
    proc = subprocess.run(
        [sys.executable, "-c", KILLER.format(src=str(lift_sources), out=str(out))], capture_output=True, text=True
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert len(Dataset(out)) == 4
    summary = generate(lift_sources, out, GenerateConfig(num=8, workers=1))
    assert summary.new_episodes == 4 and summary.episodes == 8
    generate(lift_sources, tmp_path / "straight", GenerateConfig(num=8, workers=1))
    same_tree(out, tmp_path / "straight")


def test_resume_with_other_settings_is_refused(lift_sources, tmp_path):
    generate(lift_sources, tmp_path / "g", GenerateConfig(num=2, workers=1))
    with pytest.raises(ConfigError, match="generated with action_noise=0.05, this run asks action_noise=0.1"):
        generate(lift_sources, tmp_path / "g", GenerateConfig(num=3, workers=1, action_noise=0.1))
    more = generate(lift_sources, tmp_path / "g", GenerateConfig(num=3, workers=1))  # a larger num continues
    assert more.episodes == 3 and more.new_episodes == 1


def test_failures_are_counted_by_cause_and_kept_out(lift_sources, tmp_path, monkeypatch):
    real = AttemptRunner._execute

    def flaky(self, seq, recorder, state, rng, noise=True):
        if self.base.data.time < 0.5 and rng.random() < 0.5:  # diverge early in about half the attempts
            return "diverged"
        return real(self, seq, recorder, state, rng, noise)

    monkeypatch.setattr(AttemptRunner, "_execute", flaky)
    summary = generate(lift_sources, tmp_path / "g", GenerateConfig(num=5, workers=1))
    assert summary.causes["physics diverged"] > 0
    assert summary.attempts == summary.episodes + sum(summary.causes.values())
    ds = Dataset(tmp_path / "g")
    recorded = [f["cause"] for i in range(len(ds)) for f in ds.meta(i)["failed_attempts"]]
    assert recorded.count("physics diverged") == summary.causes["physics diverged"]
    assert (tmp_path / "g/plots/coverage.png").is_file()


def test_source_without_poses_is_refused_before_writing(tmp_path):
    from demoforge.augment.io.convert import import_dataset

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    import_dataset(fixtures / "lerobot-v3", tmp_path / "foreign")
    with pytest.raises(DatasetError, match="cannot tell the task|lacks"):
        generate(tmp_path / "foreign", tmp_path / "out", GenerateConfig(num=2, workers=1))
    with pytest.raises(DatasetError, match="lacks"):
        generate(tmp_path / "foreign", tmp_path / "out", GenerateConfig(num=2, workers=1), task="Lift")
    assert not (tmp_path / "out").exists()


@pytest.fixture
def local_ray(monkeypatch):
    """A local Ray started by `generate`, its session files in a temp dir of our own; shut down and removed after."""
    import ray  # in the test extra: a missing Ray is a broken install, not a reason to skip

    temp = tempfile.mkdtemp(prefix="ray-")  # short: Ray's socket paths must fit in 107 bytes
    monkeypatch.setenv("RAY_TMPDIR", temp)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)  # never join someone else's cluster
    yield
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


def test_ray_backend_writes_the_same_dataset_as_the_process_pool(lift_sources, tmp_path, local_ray, same_tree):
    generate(lift_sources, tmp_path / "pool", GenerateConfig(num=4, workers=2))
    generate(lift_sources, tmp_path / "ray", GenerateConfig(num=4, workers=2, backend="ray"))
    same_tree(tmp_path / "pool", tmp_path / "ray")


def test_ray_backend_without_ray_is_a_clear_error(lift_sources, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(ConfigError, match=r"pip install 'demoforge\[ray\]'"):
        generate(lift_sources, tmp_path / "g", GenerateConfig(num=2, workers=2, backend="ray"))
    assert not (tmp_path / "g").exists()  # refused before anything was written


def test_a_stage_after_a_non_grasp_stage_still_tracks_the_object_grasped_before(lift_sources):
    """Held-object tracking follows the last grasp, not just the stage before: a task split as
    grasp → line up → insert carries the object through both later stages."""
    runner = AttemptRunner(lift_sources, None, GenerateConfig())
    runner.base.task.subtasks = (
        Subtask("grasped", "cube", grasp=True),
        Subtask("lined_up", "table"),
        Subtask(None, "table"),
    )
    assert runner._held_object(1, {"signals": {"grasped": True}}) == "cube"
    assert runner._held_object(2, {"signals": {"grasped": True}}) == "cube"
    assert runner._held_object(2, {"signals": {"grasped": False}}) is None  # dropped: nothing to track
    assert runner._held_object(0, {"signals": {"grasped": True}}) is None


def test_a_replay_off_its_waypoint_near_the_goal_holds_the_waypoint(stack_sources):
    """Line-up: within `line_up_distance` of the goal, a carried object more than
    `line_up_tolerance` off its waypoint sideways makes the replay wait there."""
    runner = AttemptRunner(stack_sources, None, GenerateConfig(line_up_tolerance=0.002))
    runner.env.reset(seed=0)
    cube, eef = runner.base.object_poses()["cubeA"], runner.base.eef_pose()

    def path(now):  # 20 cm above and 1 cm aside, 1 cm from the goal and 1 cm aside, the goal
        far, near = now.copy(), now.copy()
        far[0, 3] += 0.01
        far[2, 3] += 0.2
        near[0, 3] += 0.01
        return np.stack([far, near, now.copy()])

    carry = WaypointSequence(path(cube), np.ones(3), object_targets=path(cube))
    state = {"held": ("cubeA", np.eye(4), "grasped"), "signals": {"grasped": True}}
    goal = runner._line_up_goal(carry)
    assert goal == 2 and [runner._lagging(carry, t, goal, state) for t in range(3)] == [False, True, False]
    assert not runner._lagging(carry, 1, goal, {**state, "signals": {"grasped": False}})  # dropped
    # never before a release (placing) nor when nothing is carried (approaching a grasp)
    release = WaypointSequence(path(cube), np.array([1.0, 1.0, -1.0]), object_targets=path(cube))
    assert runner._line_up_goal(release) is None
    grasp = WaypointSequence(path(eef), np.array([-1.0, -1.0, 1.0]))  # closes at the last waypoint
    assert runner._line_up_goal(grasp) is None
    # with line_up_grasp the TCP lines up over the object before closing on it
    runner.config = GenerateConfig(line_up_tolerance=0.002, line_up_grasp=True)
    goal = runner._line_up_goal(grasp)
    assert goal == 2 and [runner._lagging(grasp, t, goal, {}) for t in range(3)] == [False, True, False]
    assert runner._line_up_goal(release) is None  # still never before a release
    runner.config = GenerateConfig(line_up_tolerance=0.0)
    assert runner._line_up_goal(carry) is None  # off


def test_the_runner_closes_its_source_dataset_once_read(lift_sources, monkeypatch):
    from demoforge.augment.data.dataset import Dataset

    closed = []
    original = Dataset.close
    monkeypatch.setattr(Dataset, "close", lambda self: (closed.append(self.root), original(self))[1])
    runner = AttemptRunner(lift_sources, None, GenerateConfig())
    assert closed == [Path(lift_sources)] and runner.source_count > 0


def test_a_task_registered_at_run_time_reaches_the_generation_workers(their_task, tmp_path):
    """Workers start with spawn and import demoforge afresh: without the parent's run-time
    registrations carried to them, each would fail with "unknown task 'TheirLift'"."""
    import demoforge

    demoforge.register_task(their_task.TheirLift)
    demoforge.register_expert("TheirLift", their_task.their_phases)
    demoforge.collect_demos("TheirLift", 3, tmp_path / "real", profile="nominal", human_like=False)
    summary = generate(tmp_path / "real", tmp_path / "gen", GenerateConfig(num=3, workers=2, profile="nominal"))
    assert summary.task == "TheirLift" and summary.episodes == 3
    out = Dataset(tmp_path / "gen")
    assert len(out) == 3 and {out.meta(i)["task"] for i in range(3)} == {"TheirLift"}
