"""make_vec_env speaks LeRobot's env dialect: after LeRobot's own observation preprocessing, a
policy trained on `demoforge collect` data gets exactly the inputs it was built from that data's
meta/info.json, with the recorded values; success and seeds behave as lerobot-eval reads them.

lerobot is not installed here, so its two functions involved are re-implemented below from its
source (huggingface/lerobot, identical in v0.4.0–v0.6.1 for what they do with these envs).
"""

import json

import numpy as np
import pytest
import torch
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.io.lerobot_env import make_vec_env
from demoforge.envs.experts import make_expert

OBS = "observation"
SEED, SIZE = 7, (48, 64)  # (height, width): not square, so a transposed image cannot pass


def preprocess_observation(observations: dict) -> dict[str, torch.Tensor]:
    """lerobot.envs.utils.preprocess_observation: raw env keys → policy keys, numpy → torch, batch first."""
    out = {}
    if "pixels" in observations:
        pixels = observations["pixels"]
        imgs = (
            {f"{OBS}.images.{k}": v for k, v in pixels.items()}
            if isinstance(pixels, dict)
            else {f"{OBS}.image": pixels}
        )
        for key, img in imgs.items():
            t = torch.from_numpy(img)
            if t.ndim == 3:
                t = t.unsqueeze(0)
            _, h, w, c = t.shape
            assert c < h and c < w, f"expect channel last images, but instead got {t.shape=}"
            assert t.dtype == torch.uint8, f"expect torch.uint8, but instead {t.dtype=}"
            out[key] = t.permute(0, 3, 1, 2).contiguous().type(torch.float32) / 255
    for raw, key in (("environment_state", f"{OBS}.environment_state"), ("agent_pos", f"{OBS}.state")):
        if raw in observations:
            t = torch.from_numpy(observations[raw]).float()
            out[key] = t.unsqueeze(0) if t.dim() == 1 else t
    # 0.6.x passes any other array through as `observation.<key>` (0.4–0.5 drop it)
    handled = {"pixels", "environment_state", "agent_pos", "robot_state", "policy", "camera_obs"}
    for key, value in observations.items():
        if key not in handled and isinstance(value, np.ndarray) and f"{OBS}.{key}" not in out:
            t = torch.from_numpy(value).float()
            out[f"{OBS}.{key}"] = t.unsqueeze(0) if t.dim() == 1 else t
    return out


def policy_inputs(features: dict) -> dict[str, tuple[int, ...]]:
    """lerobot.datasets.utils.dataset_to_policy_features, the inputs (VISUAL, ENV, STATE) a policy
    is built with from a dataset's info.json features: images become channel first."""
    inputs = {}
    for key, ft in features.items():
        shape = tuple(ft["shape"])
        if ft["dtype"] in ("image", "video"):
            if ft["names"][2] in ("channel", "channels"):
                shape = (shape[2], shape[0], shape[1])
            inputs[key] = shape
        elif key.startswith(OBS):
            inputs[key] = shape
    return inputs


def mismatches(batch: dict[str, torch.Tensor], features: dict, n: int) -> list[str]:
    expected = policy_inputs(features)
    problems = [f"{k}: missing" for k in expected if k not in batch]
    problems += [f"{k}: not in the dataset" for k in batch if k not in expected]
    for key in set(expected) & set(batch):
        value = batch[key]
        if value.dtype != torch.float32 or tuple(value.shape) != (n, *expected[key]):
            problems.append(
                f"{key}: {value.dtype} {tuple(value.shape)}, policy built for float32 {(n, *expected[key])}"
            )
    return problems


@pytest.fixture(scope="module")
def demos(demo_dataset):
    return demo_dataset("Lift", episodes=1, profile="target", cameras=("front",), image_size=(48, 48), seed=SEED)


def test_preprocessed_observations_are_what_the_policy_trained_on(demos):
    info = json.loads((demos / "meta" / "info.json").read_text())
    ds = Dataset(demos)
    first, seed = ds.episode(0), int(ds.meta(0)["seed"])  # the first kept attempt's seed
    vec = make_vec_env("Lift", 2, profile="target", cameras=("front",), image_size=(48, 48))
    obs, _ = vec.reset(seed=[seed, seed + 1])
    for _ in range(2):
        batch = preprocess_observation(obs)
        assert mismatches(batch, info["features"], 2) == []
        obs, *_ = vec.step(np.tile(np.array([0.2, 0, 0, 0, 0, 0, -1], np.float32), (2, 1)))
    vec.close()

    # The reset values are the recorded first frame: same layout, same seed, same domain draw.
    vec = make_vec_env("Lift", 1, profile="target", cameras=("front",), image_size=(48, 48))
    batch = preprocess_observation(vec.reset(seed=seed)[0])
    assert mismatches(batch, info["features"], 1) == []
    for key in (f"{OBS}.state", f"{OBS}.environment_state"):
        assert np.array_equal(batch[key][0].numpy(), first.data[key][0]), key
    # the camera frame, within h264's loss, in RGB (a channel swap of the red cube fails this)
    recorded = first.videos[f"{OBS}.images.front"][0].astype(np.float32) / 255  # (H, W, 3)
    live = batch[f"{OBS}.images.front"][0].permute(1, 2, 0).numpy()
    assert np.abs(live - recorded).mean() < 0.03
    assert np.abs(live[..., ::-1] - recorded).mean() > np.abs(live - recorded).mean() + 0.01
    vec.close()


def test_non_square_cameras_come_out_channel_first_at_the_dataset_size(demos):
    info = json.loads((demos / "meta" / "info.json").read_text())
    feats = dict(info["features"])
    feats[f"{OBS}.images.front"] = {**feats[f"{OBS}.images.front"], "shape": [SIZE[0], SIZE[1], 3]}
    vec = make_vec_env("Lift", 1, cameras=("front",), image_size=SIZE)
    batch = preprocess_observation(vec.reset(seed=0)[0])
    vec.close()
    assert mismatches(batch, feats, 1) == []
    assert tuple(batch[f"{OBS}.images.front"].shape) == (1, 3, *SIZE)
    assert 0.0 <= batch[f"{OBS}.images.front"].min() and batch[f"{OBS}.images.front"].max() <= 1.0


def test_the_check_fails_on_layouts_lerobot_would_misread(demos):
    """Env observations a LeRobot policy would not get right are caught by the same check."""
    feats = json.loads((demos / "meta" / "info.json").read_text())["features"]
    vec = make_vec_env("Lift", 1, profile="target", cameras=("front",), image_size=(48, 48))
    obs, _ = vec.reset(seed=SEED)
    vec.close()
    assert mismatches(preprocess_observation(obs), feats, 1) == []
    # dataset keys straight from the env: lerobot 0.6 renames them observation.observation.*
    renamed = {f"{OBS}.state": obs["agent_pos"], f"{OBS}.environment_state": obs["environment_state"]}
    assert mismatches(preprocess_observation({**renamed, "pixels": obs["pixels"]}), feats, 1)
    # a state vector in another layout (the object pose dropped)
    short = {**obs, "environment_state": obs["environment_state"][:, :7]}
    assert mismatches(preprocess_observation(short), feats, 1)
    # channel-first frames from the env: lerobot's own assertion refuses them
    with pytest.raises(AssertionError, match="channel last"):
        preprocess_observation({**obs, "pixels": {"front": obs["pixels"]["front"].transpose(0, 3, 1, 2)}})
    # a missing batch dimension in the policy's input (an unbatched reading of one env)
    unbatched = {k: v[0] for k, v in preprocess_observation(obs).items()}
    assert mismatches(unbatched, feats, 1)


def test_seeds_reproduce_episodes():
    def run(seeds):
        vec = make_vec_env("Lift", 2, profile="target")
        obs, _ = vec.reset(seed=seeds)
        trace = [np.concatenate([obs["agent_pos"], obs["environment_state"]], 1)]
        for t in range(5):
            obs, *_ = vec.step(np.full((2, 7), 0.1 * (t - 2), np.float32))
            trace.append(np.concatenate([obs["agent_pos"], obs["environment_state"]], 1))
        vec.close()
        return np.stack(trace)

    a, b = run([11, 12]), run([11, 12])
    assert np.array_equal(a, b)
    assert not np.array_equal(a, run([12, 11]))
    assert np.array_equal(a[:, 0], run([11, 99])[:, 0])  # sub-env 0's episode depends on its seed only


def test_success_reaches_lerobot_eval_through_final_info():
    """A scripted expert in sub-env 0 and a still arm in sub-env 1: the step the expert's episode
    ends, `final_info["is_success"]` (lerobot 0.4–0.5) and `is_success` (0.6) say so for env 0 only."""
    vec = make_vec_env("Lift", 2, profile="nominal")
    obs, _ = vec.reset(seed=[3, 4])
    assert vec.call("task_description") == ("lift the red cube",) * 2
    steps = vec.call("_max_episode_steps")[0]
    base = vec.envs[0].unwrapped
    expert = make_expert(base)
    expert.reset(np.random.default_rng(3))
    for _ in range(steps):
        still = np.array([0, 0, 0, 0, 0, 0, -1], np.float32)
        obs, _, terminated, truncated, info = vec.step(np.stack([expert.act(base).astype(np.float32), still]))
        if terminated[0] or truncated[0]:
            break
    vec.close()
    assert terminated.tolist() == [True, False]
    assert info["final_info"]["is_success"].tolist() == [True, False]
    assert info["is_success"].tolist() == [True, False]


def test_async_vector_envs_know_a_task_registered_at_run_time(their_task):
    """Async envs are made in spawned processes: the task must travel with each env maker."""
    import demoforge

    demoforge.register_task(their_task.TheirLift)
    envs = make_vec_env("TheirLift", n_envs=2, profile="nominal", use_async_envs=True)
    try:
        obs, _ = envs.reset(seed=SEED)
        assert obs["agent_pos"].shape[0] == 2
        assert envs.call("task_description") == ("lift the big red cube",) * 2
    finally:
        envs.close()
