import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset, DatasetError, Episode
from demoforge.augment.generate.segment import boundaries, segment_episode
from demoforge.augment.generate.select import get_strategy, select_nearest_object
from demoforge.envs import Subtask, UnknownNameError, make_task_env
from demoforge.envs.geometry import make_pose


def _segments(ep, index=0, offset=0):
    env = make_task_env("Stack")
    c = env.config.controller
    return segment_episode(
        ep,
        index,
        env.task.subtasks,
        env.task.objects,
        list(env.task.signals()),
        c.max_pos_delta,
        c.max_rot_delta,
        offset,
    )


def test_segments_end_where_the_subtask_signals_turn_on(stack_sources):
    ds = Dataset(stack_sources)
    for i in range(len(ds)):
        ep = ds.episode(i, videos=False)
        # stored after each action: frame f's signal is that of the state frame f + 1 shows
        first_grasp = int(np.flatnonzero(ep.data["next.subtask_signals"][:, 0])[0]) + 1
        segs = _segments(ep, i)
        assert [s.subtask for s in segs] == [0, 1]
        assert segs[0].end == first_grasp + 1 and segs[1].start == segs[0].end and segs[1].end == ep.length
        assert len(segs[0].targets) == segs[0].end == len(segs[0].gripper)
        with_offset = _segments(ep, i, offset=10)
        assert with_offset[0].end == first_grasp + 11


def test_datasets_with_signals_of_the_state_before_each_action_segment_alike(stack_sources):
    """Datasets written before issue 41 store `subtask_signals` of the state each frame shows;
    they read as before, and cut where the same episode stored the current way is cut."""
    ds = Dataset(stack_sources)
    for i in range(len(ds)):
        ep = ds.episode(i, videos=False)
        after = ep.data["next.subtask_signals"]
        data = {k: v for k, v in ep.data.items() if k != "next.subtask_signals"}
        old = Episode(ep.task, {**data, "subtask_signals": np.concatenate([np.zeros_like(after[:1]), after[:-1]])})
        for offset in (0, 10):
            assert [(s.start, s.end) for s in _segments(old, i, offset=offset)] == [
                (s.start, s.end) for s in _segments(ep, i, offset=offset)
            ]


def test_gripper_heuristic_finds_the_grasp_without_signals(stack_sources):
    ep = Dataset(stack_sources).episode(0, videos=False)
    by_signal = _segments(ep)[0].end
    bare = Episode(ep.task, {k: v for k, v in ep.data.items() if k != "next.subtask_signals"})
    by_gripper = _segments(bare)[0].end
    first_close = int(np.flatnonzero(ep.data["action"][:, -1] > 0)[0])
    assert by_gripper == first_close + 1 and 0 <= by_signal - by_gripper <= 4  # contact follows the command
    # The heuristic follows the subtask's `grasp` flag, not its signal's name.
    renamed = (Subtask("holding", "cubeA", grasp=True), Subtask(None, "cubeB"))
    assert boundaries(bare, renamed, [])[0] == first_close + 1
    with pytest.raises(DatasetError, match="no signal 'grasped' to segment subtask 0"):
        boundaries(bare, (Subtask("grasped", "cubeA"), Subtask(None, "cubeB")), [])


def test_a_segment_whose_anchor_was_shoved_is_left_out(stack_sources):
    ep = Dataset(stack_sources).episode(0, videos=False)
    shoved = {k: v.copy() for k, v in ep.data.items()}
    n = ep.length
    shoved["datagen.object_poses"][n // 2 :, 7] += 0.05  # cube B slides 5 cm during the place
    segs = _segments(Episode(ep.task, shoved))
    assert [s.subtask for s in segs] == [0]


def test_a_stage_moving_the_object_the_stage_before_grasped_is_kept_anchored_at_its_start(stack_sources):
    """A pull after grasping a drawer's handle moves its own reference, as Stack's cube A moves
    while carried: with both stages on cube A, the second segment is kept although A travels, and
    its anchor is A's pose where the stage begins (MimicGen's), not where it ends."""
    ep = Dataset(stack_sources).episode(0, videos=False)
    env = make_task_env("Stack")
    c = env.config.controller
    subtasks = (Subtask("grasped", "cubeA", grasp=True), Subtask(None, "cubeA"))
    signals = list(env.task.signals())
    segs = segment_episode(ep, 0, subtasks, env.task.objects, signals, c.max_pos_delta, c.max_rot_delta)
    assert [s.subtask for s in segs] == [0, 1]
    poses = ep.data["datagen.object_poses"].reshape(ep.length, -1, 7)[:, 0, :3]
    assert np.linalg.norm(poses[-1] - poses[segs[1].start]) > 0.03  # A was carried onto B
    assert segs[1].object_pose[:3, 3] == pytest.approx(poses[segs[1].start + 1], abs=1e-6)  # the pose it reached


def test_source_without_poses_is_a_clear_error(stack_sources):
    ep = Dataset(stack_sources).episode(0, videos=False)
    bare = Episode(ep.task, {"action": ep.data["action"], "observation.state": ep.data["observation.state"]})
    with pytest.raises(DatasetError, match=r"lacks \['datagen.eef_pose', 'datagen.object_poses'\]"):
        _segments(bare)
    no_grasp = Episode(ep.task, {**ep.data, "next.subtask_signals": np.zeros_like(ep.data["next.subtask_signals"])})
    with pytest.raises(DatasetError, match="never reaches subtask 0"):
        boundaries(no_grasp, make_task_env("Stack").task.subtasks, ["grasped", "lifted", "above_target"])


class _Seg:
    def __init__(self, x):
        self.object_pose = make_pose(np.array([x, 0.0, 0.0]), np.eye(3))
        self.eef_pose = self.object_pose


def test_nearest_object_with_k1_picks_the_nearest_and_random_is_seeded():
    cands = [_Seg(x) for x in (0.1, 0.5, 0.3)]
    now = make_pose(np.array([0.28, 0.0, 0.0]), np.eye(3))
    assert select_nearest_object(cands, now, now, np.random.default_rng(0), k=1) is cands[2]
    picks = {id(select_nearest_object(cands, now, now, np.random.default_rng(s), k=2)) for s in range(20)}
    assert picks == {id(cands[2]), id(cands[0])}  # among the two nearest (0.02 and 0.18 away) only
    rand = get_strategy("random")
    a = [rand(cands, now, now, np.random.default_rng(5)) for _ in range(3)]
    b = [rand(cands, now, now, np.random.default_rng(5)) for _ in range(3)]
    assert a == b
    with pytest.raises(UnknownNameError, match="known: random, nearest_object, nearest_eef_object"):
        get_strategy("closest")
