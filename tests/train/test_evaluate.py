"""evaluate(): its numbers, seeds, files and worker-count independence, against policies whose
outcome is known (the scripted expert, a policy that never moves, and a real checkpoint)."""

import json

import numpy as np
import pytest
import torch
from demoforge.augment.domain.wrapper import make_domain_env
from demoforge.envs import ConfigError, make_task
from demoforge.envs.experts import make_expert, run_expert_episode
from demoforge.envs.observation import observation_features, vector_feature
from demoforge.train import evaluate as evaluate_module
from demoforge.train.checkpoint import read_meta, save_checkpoint, trained_obs_keys
from demoforge.train.cli import main
from demoforge.train.data import DEFAULT_OBS_KEYS, Frames, load_frames
from demoforge.train.evaluate import EvalConfig, evaluate
from demoforge.train.normalize import Normalizer
from demoforge.train.policies import policy_classes
from demoforge.train.stats import wilson_interval


def _checkpoint(frames, folder, task: str, obs_keys: tuple[str, ...] = DEFAULT_OBS_KEYS):
    config_cls, policy_cls = policy_classes("bc")
    torch.manual_seed(0)
    norm = Normalizer.from_arrays(frames.obs, frames.actions)
    policy = policy_cls(config_cls(), frames.obs.shape[1], frames.actions.shape[1], norm).eval()
    path = folder / task / "checkpoints" / "last.safetensors"
    save_checkpoint(path, policy, None, {}, {"step": 0, "task": task}, obs_keys)
    return path


def _stub_frames(task: str, obs_keys: tuple[str, ...] = DEFAULT_OBS_KEYS) -> Frames:
    """Frames as wide as `task`'s `obs_keys`, for checkpoints whose weights a test never uses."""
    width = sum(vector_feature(k).size(make_task(task).objects) for k in obs_keys)
    rng = np.random.default_rng(0)
    n = 16
    obs = rng.standard_normal((n, width)).astype(np.float32)
    return Frames(obs, rng.uniform(-1, 1, (n, 7)).astype(np.float32), np.zeros(n, int), np.full(n, n))


@pytest.fixture(scope="module")
def checkpoint(tiny_lift, tmp_path_factory):
    """An untrained BC policy for Lift, saved as a run's last checkpoint."""
    return _checkpoint(load_frames([tiny_lift]), tmp_path_factory.mktemp("eval"), "Lift")


class ScriptedPolicy:
    """Stands in for a trained policy: acts as the scripted expert on the env evaluate() made,
    except in episodes whose seed `still(seed)` picks, where it holds still with the gripper open."""

    def __init__(self, envs: list, still):
        self.envs, self.still_for = envs, still

    def reset(self, seed=None):
        self.still = self.still_for(seed)
        self.expert = make_expert(self.envs[-1].unwrapped)
        self.expert.reset(np.random.default_rng(seed))

    def select_action(self, vec):
        assert vec.ndim == 1 and vec.dtype == np.float32  # the observation vector, as policies get it
        if self.still:
            return np.array([0, 0, 0, 0, 0, 0, -1], np.float32)
        return self.expert.act(self.envs[-1].unwrapped)


def _in_process_with(monkeypatch, still=lambda seed: False) -> None:
    envs: list = []
    real_wrapper = evaluate_module.DomainRandomizationWrapper

    def wrapper(env, profile):
        envs.append(real_wrapper(env, profile))
        return envs[-1]

    monkeypatch.setattr(evaluate_module, "DomainRandomizationWrapper", wrapper)
    monkeypatch.setattr(evaluate_module, "load_policy", lambda path: ScriptedPolicy(envs, still))


@pytest.mark.parametrize("task", ["Lift", "Stack"])
def test_evaluate_counts_the_experts_successes_lengths_and_subtasks(tiny_lift, task, tmp_path, monkeypatch):
    _in_process_with(monkeypatch)
    run = _checkpoint(_stub_frames(task), tmp_path, task).parents[1]  # the stub ignores its weights
    cfg = EvalConfig(profile="nominal", episodes=4, seed=500, workers=1, videos=1, video_size=32)
    result = evaluate(run, cfg, out=tmp_path / "ev")
    env = make_domain_env(task, "nominal")
    expected = [run_expert_episode(env, 500 + k) for k in range(4)]  # episode k starts from seed + k
    assert all(ok for ok, _ in expected)
    assert (result.task, result.profile, result.episodes, result.successes) == (task, "nominal", 4, 4)
    assert result.success_rate == 1.0 and result.ci95 == wilson_interval(4, 4)
    assert result.mean_length == np.mean([n for _, n in expected])
    # every signal was reached at some step (Stack's "grasped" is over by the end: A was released)
    assert result.subtask_rates == {s: 1.0 for s in env.unwrapped.task.signals()}
    saved = json.loads((tmp_path / "ev/eval.json").read_text())
    assert [e["seed"] for e in saved["episodes_detail"]] == [500, 501, 502, 503]
    assert [e["length"] for e in saved["episodes_detail"]] == [n for _, n in expected]
    assert sorted(p.name for p in (tmp_path / "ev").glob("*.gif")) == ["rollout_seed500_success.gif"]


def test_evaluate_counts_failures_and_runs_them_to_the_step_limit(checkpoint, tmp_path, monkeypatch):
    _in_process_with(monkeypatch, still=lambda seed: seed % 2 == 1)  # fails every odd seed
    cfg = EvalConfig(profile="nominal", episodes=4, seed=500, workers=1, videos=2, video_size=32)
    result = evaluate(checkpoint, cfg, out=tmp_path / "ev")
    expert = [run_expert_episode(make_domain_env("Lift", "nominal"), seed)[1] for seed in (500, 502)]
    assert result.successes == 2 and result.success_rate == 0.5 and result.ci95 == wilson_interval(2, 4)
    assert result.mean_length == np.mean(expert + [150, 150])  # Lift's step limit
    assert result.subtask_rates == {"grasped": 0.5, "lifted": 0.5}
    gifs = sorted(p.name for p in (tmp_path / "ev").glob("*.gif"))
    assert gifs == ["rollout_seed500_success.gif", "rollout_seed501_failure.gif"]


def test_evaluate_gives_the_same_result_with_one_or_two_workers(checkpoint, tmp_path):
    cfg = EvalConfig(profile="target", episodes=2, workers=1, videos=0)
    one = evaluate(checkpoint, cfg, out=tmp_path / "one")
    two = evaluate(checkpoint, EvalConfig(**{**cfg.__dict__, "workers": 2}), out=tmp_path / "two")
    assert one == two
    detail = [json.loads((tmp_path / d / "eval.json").read_text())["episodes_detail"] for d in ("one", "two")]
    assert detail[0] == detail[1]
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        evaluate(tmp_path / "nothing_here", cfg)


class RecordingPolicy:
    """Holds still and keeps every input vector evaluate() fed it."""

    def __init__(self):
        self.inputs = []

    def reset(self, seed=None):
        pass

    def select_action(self, vec):
        self.inputs.append(vec)
        return np.array([0, 0, 0, 0, 0, 0, -1], np.float32)


def test_evaluate_feeds_exactly_the_observation_keys_the_checkpoint_stores(tmp_path, monkeypatch):
    keys = ("observation.state",)  # proprioception only: no object poses
    checkpoint = _checkpoint(_stub_frames("Lift", keys), tmp_path, "Lift", keys)
    assert trained_obs_keys(read_meta(checkpoint)) == keys
    policy = RecordingPolicy()
    monkeypatch.setattr(evaluate_module, "load_policy", lambda path: policy)
    evaluate(checkpoint, EvalConfig(profile="nominal", episodes=1, seed=500, workers=1, videos=0), out=tmp_path / "ev")
    obs, _ = make_domain_env("Lift", "nominal").reset(seed=500)
    np.testing.assert_array_equal(policy.inputs[0], observation_features(obs)["observation.state"])
    assert {v.shape for v in policy.inputs} == {(23,)}


def test_evaluate_refuses_observation_keys_it_cannot_feed_in_one_line(tmp_path, capsys):
    keys = ("observation.state", "observation.images.front")  # a camera key, but no image size stored
    checkpoint = _checkpoint(_stub_frames("Lift", keys[:1]), tmp_path, "Lift", keys)
    cfg = EvalConfig(profile="nominal", episodes=1, workers=1, videos=0)
    with pytest.raises(ConfigError, match="trained on observation key 'observation.images.front'"):
        evaluate(checkpoint, cfg, out=tmp_path / "ev")
    assert not (tmp_path / "ev").exists()  # refused before any episode ran
    assert main(["eval", str(checkpoint), "--episodes", "1", "--profile", "nominal"]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'observation.images.front'" in err, err


def test_evaluate_refuses_keys_whose_widths_do_not_fit_the_policy(tiny_lift, tmp_path):
    # a Lift policy (one cube) whose checkpoint names Stack (two cubes): environment_state is 10 vs 20 wide
    checkpoint = _checkpoint(load_frames([tiny_lift]), tmp_path, "Stack")
    with pytest.raises(
        ConfigError,
        match=r"obs_dim=33, but Stack's observation.state \(23\) \+ "
        r"observation.environment_state \(20\) give 43",
    ):
        evaluate(checkpoint, EvalConfig(profile="nominal", episodes=1, workers=1, videos=0), out=tmp_path / "ev")


def test_a_checkpoint_without_stored_keys_evaluates_on_the_default_keys(tiny_lift, tmp_path):
    """Checkpoints written before the keys were stored still load and run."""
    from safetensors.torch import load_file, save_file

    path = _checkpoint(load_frames([tiny_lift]), tmp_path, "Lift")
    meta = read_meta(path)
    del meta["obs_keys"]
    save_file(load_file(path), path, metadata={"demoforge": json.dumps(meta)})
    assert "obs_keys" not in read_meta(path) and trained_obs_keys(read_meta(path)) == DEFAULT_OBS_KEYS
    result = evaluate(path, EvalConfig(profile="nominal", episodes=1, workers=1, videos=0), out=tmp_path / "ev")
    assert result.episodes == 1


@pytest.mark.parametrize("run_config", [None, {"steps": 10}])
def test_evaluate_refuses_a_run_that_names_no_task_instead_of_guessing_lift(tmp_path, run_config):
    """Neither the checkpoint nor the run's config.json names a task (or there is no config.json):
    evaluating it as Lift would report a number for the wrong task, so it is an error naming the run."""
    path = _checkpoint(_stub_frames("Lift"), tmp_path, "Lift")
    meta_free = path.with_name("untasked.safetensors")
    config_cls, policy_cls = policy_classes("bc")
    frames = _stub_frames("Lift")
    policy = policy_cls(config_cls(), frames.obs.shape[1], 7, Normalizer.from_arrays(frames.obs, frames.actions))
    save_checkpoint(meta_free, policy, None, {}, {"step": 0}, DEFAULT_OBS_KEYS)
    if run_config is not None:
        (meta_free.parents[1] / "config.json").write_text(json.dumps(run_config))
    with pytest.raises(ConfigError, match=rf"{meta_free.name}.*names no task"):
        evaluate(meta_free, EvalConfig(episodes=1, workers=1, videos=0))


def test_evaluation_workers_know_a_task_registered_at_run_time(tmp_path, their_task):
    import demoforge

    demoforge.register_task(their_task.TheirLift)
    path = _checkpoint(_stub_frames("TheirLift"), tmp_path, "TheirLift")
    result = evaluate(path, EvalConfig(episodes=2, workers=2, videos=0))
    assert result.task == "TheirLift" and result.episodes == 2
