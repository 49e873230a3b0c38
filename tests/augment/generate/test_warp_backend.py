"""The warp backend (`--backend warp`): generation attempts as the worlds of one MuJoCo Warp model.
Warp runs on the CPU too, which is where this checks it: on a few worlds it keeps the demos the
process backend keeps, with near-equal trajectories (float32 physics, its own contact pipeline: not
the same bytes), and a rerun with the same seed and world count writes the same bytes."""

import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.generate import GenerateConfig, batch_physics, generate
from demoforge.augment.generate import parallel as parallel_module
from demoforge.envs import ConfigError


def _lengths_and_states(root):
    with Dataset(root) as ds:
        episodes = [ds.episode(i, videos=False) for i in range(len(ds))]
    return [e.length for e in episodes], [e.data["observation.state"] for e in episodes]


@pytest.mark.skipif(not batch_physics.has_warp(), reason="MuJoCo Warp not installed (pip install 'demoforge[gpu]')")
@pytest.mark.slow  # ~45 s on 2 cores, most of it Warp compiling its kernels on first use
def test_warp_on_the_cpu_keeps_the_process_backends_demos_and_repeats_itself(lift_sources, tmp_path, same_tree):
    process = generate(lift_sources, tmp_path / "process", GenerateConfig(num=4, workers=1))
    config = GenerateConfig(num=4, backend="warp", batch_size=3)
    warp = generate(lift_sources, tmp_path / "warp", config)
    # the same attempts succeed (4 of 4 on Lift) and fail for the same causes
    assert (warp.episodes, warp.attempts, warp.causes) == (process.episodes, process.attempts, process.causes)
    lengths_w, states_w = _lengths_and_states(tmp_path / "warp")
    lengths_p, states_p = _lengths_and_states(tmp_path / "process")
    assert all(abs(a - b) <= 2 for a, b in zip(lengths_w, lengths_p)), (lengths_w, lengths_p)
    for w, p in zip(states_w, states_p):  # the same motions to within a few mm and mrad
        n = min(len(w), len(p)) - 3
        assert np.abs(w[:n] - p[:n]).max() < 0.02
    generate(lift_sources, tmp_path / "again", config)
    same_tree(tmp_path / "warp", tmp_path / "again")  # deterministic for a fixed seed and world count


def test_warp_without_mujoco_warp_is_a_one_line_error_before_anything_is_written(lift_sources, tmp_path, monkeypatch):
    monkeypatch.setattr(batch_physics, "has_warp", lambda: False)
    with pytest.raises(ConfigError, match=r"needs MuJoCo Warp: pip install 'demoforge\[gpu\]'"):
        parallel_module.check_backend(GenerateConfig(backend="warp"))
    with pytest.raises(ConfigError, match="MuJoCo Warp"):
        generate(lift_sources, tmp_path / "out", GenerateConfig(num=2, backend="warp"))
    assert not (tmp_path / "out").exists()
