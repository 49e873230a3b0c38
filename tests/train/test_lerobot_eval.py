"""`demoforge eval` of a LeRobot pretrained_model folder: without lerobot, one line naming the
extra and nothing written; with a stand-in for lerobot's factory (lerobot is not installed here),
the rollout, its seeds, success counting and report are those of our own evaluation."""

import json
import sys
import types

import numpy as np
import pytest
import torch
from demoforge.augment.domain.wrapper import make_domain_env
from demoforge.envs.experts import make_expert, run_expert_episode
from demoforge.envs.observation import observation_features
from demoforge.train import lerobot_eval
from demoforge.train.cli import main
from demoforge.train.evaluate import EvalConfig
from demoforge.train.stats import wilson_interval

STILL = np.array([0, 0, 0, 0, 0, 0, -1], np.float32)


def _checkpoint(folder, env_state_dim=10, **config):
    """A folder laid out as lerobot-train saves a policy (the weights are not read by these tests)."""
    folder.mkdir(parents=True)
    inputs = {
        "observation.state": {"type": "STATE", "shape": [23]},
        "observation.environment_state": {"type": "ENV", "shape": [env_state_dim]},
    }
    (folder / "config.json").write_text(json.dumps({"type": "act", "input_features": inputs, **config}))
    (folder / "model.safetensors").write_bytes(b"")
    return folder


def _tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_without_lerobot_one_line_names_the_extra_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "lerobot", None)  # not importable, whether or not it is installed
    model = _checkpoint(tmp_path / "outputs" / "train" / "act_lift" / "pretrained_model")
    before = _tree(tmp_path)
    assert main(["eval", str(model), "--profile", "target", "--episodes", "2"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'demoforge[lerobot]'" in err and str(model) in err
    assert _tree(tmp_path) == before


class ScriptedBatchPolicy:
    """Stands in for a LeRobot policy: the scripted expert in every env of the batch but row 1,
    which holds still. Checks it is fed what lerobot-eval feeds a policy."""

    def __init__(self, vecs):
        self.vecs, self.config = vecs, types.SimpleNamespace(device="cpu")
        self.first_states: list[np.ndarray] = []  # each batch's first observation.environment_state

    def eval(self):
        return self

    def reset(self):
        self.experts = None

    def select_action(self, batch):
        envs = [env.unwrapped for env in self.vecs[-1].envs]
        n = len(envs)
        assert batch["observation.state"].shape == (n, 23) and batch["observation.state"].dtype == torch.float32
        assert batch["observation.environment_state"].shape == (n, 10)
        assert batch["task"] == ["lift the red cube"] * n
        if self.experts is None:  # after the envs' reset (experts read the scene)
            self.first_states.append(batch["observation.environment_state"].numpy())
            self.experts = [make_expert(e) for e in envs]
            for expert in self.experts:
                expert.reset(np.random.default_rng(0))
        rows = [
            STILL if i == 1 else ex.act(env).astype(np.float32) for i, (ex, env) in enumerate(zip(self.experts, envs))
        ]
        return torch.from_numpy(np.stack(rows))


@pytest.fixture
def fake_lerobot(monkeypatch):
    """lerobot's three entry points the eval path uses, as modules in sys.modules. The faithful
    re-implementation of preprocess_observation is checked in tests/augment/test_lerobot_env.py."""
    vecs = []
    real_make_vec_env = lerobot_eval.make_vec_env

    def make_vec_env(*args, **kwargs):
        vecs.append(real_make_vec_env(*args, **kwargs))
        return vecs[-1]

    monkeypatch.setattr(lerobot_eval, "make_vec_env", make_vec_env)
    policy = ScriptedBatchPolicy(vecs)

    def preprocess_observation(obs):
        return {
            "observation.state": torch.from_numpy(obs["agent_pos"]).float(),
            "observation.environment_state": torch.from_numpy(obs["environment_state"]).float(),
        }

    def get_policy_class(name):
        assert name == "act"
        return types.SimpleNamespace(from_pretrained=lambda path: policy)

    def make_pre_post_processors(cfg, pretrained_path, preprocessor_overrides):
        assert preprocessor_overrides == {"device_processor": {"device": "cpu"}}
        return (lambda batch: batch), (lambda action: action)

    modules = {
        "lerobot": {},
        "lerobot.envs": {},
        "lerobot.envs.utils": {"preprocess_observation": preprocess_observation},
        "lerobot.policies": {},
        "lerobot.policies.factory": {
            "get_policy_class": get_policy_class,
            "make_pre_post_processors": make_pre_post_processors,
        },
    }
    for name, attrs in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        monkeypatch.setitem(sys.modules, name, module)
    return policy


def test_rollout_seeds_successes_and_report_match_our_eval(tmp_path, fake_lerobot, tiny_lift):
    # The task comes from the training dataset lerobot-train recorded in train_config.json.
    model = _checkpoint(tmp_path / "last" / "pretrained_model")
    (model / "train_config.json").write_text(json.dumps({"dataset": {"repo_id": "local/lift", "root": str(tiny_lift)}}))
    config = EvalConfig(profile="nominal", episodes=3, seed=500, workers=2, videos=1, video_size=32)
    result = lerobot_eval.evaluate_lerobot(model, config, use_async_envs=False)

    # batches [500, 501] and [502]; row 1 (seed 501) held still, the others ran the expert
    firsts = np.concatenate(fake_lerobot.first_states)
    for row, seed in zip(firsts, (500, 501, 502)):
        obs, _ = make_domain_env("Lift", "nominal").reset(seed=seed)
        assert np.array_equal(row, observation_features(obs)["observation.environment_state"]), seed
    expected = [run_expert_episode(make_domain_env("Lift", "nominal"), s)[0] for s in (500, 502)]
    wins = sum(expected)
    assert (result.task, result.profile, result.episodes, result.successes) == ("Lift", "nominal", 3, wins)
    assert result.ci95 == wilson_interval(wins, 3)
    report = json.loads((tmp_path / "last" / "eval_nominal" / "eval.json").read_text())
    detail = report["episodes_detail"]
    assert [e["seed"] for e in detail] == [500, 501, 502]
    assert [e["success"] for e in detail] == [expected[0], False, expected[1]]
    assert detail[1]["length"] == 150 and not detail[1]["subtasks"]["grasped"]  # the still arm timed out
    assert all(e["length"] < 150 for e, ok in zip(detail[::2], expected) if ok)
    assert [p.name.split("_")[1] for p in (tmp_path / "last" / "eval_nominal").glob("*.gif")] == ["seed500"]


def test_bad_checkpoints_and_flags_are_one_line_errors_that_write_nothing(tmp_path, fake_lerobot, capsys):
    model = _checkpoint(tmp_path / "pretrained_model", env_state_dim=20)  # two objects' poses: not Lift's
    assert main(["eval", str(model), "--task", "Lift", "--episodes", "1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "input_features.observation.environment_state has shape [20]" in err
    model2 = _checkpoint(tmp_path / "no_task")
    assert main(["eval", str(model2), "--episodes", "1"]) == 1
    assert "pass --task" in capsys.readouterr().err
    (model2 / "config.json").write_text(json.dumps({"input_features": {}}))
    assert main(["eval", str(model2), "--task", "Lift"]) == 1
    assert "field 'type'" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "our_run"), "--task", "Lift"]) == 1  # our runs record their task
    assert "--task is for LeRobot checkpoints" in capsys.readouterr().err
    assert not list(tmp_path.rglob("eval_*"))  # nothing written
