"""Policies, normalization, co-training, checkpoints and resume."""

import json

import numpy as np
import pytest
import torch
from demoforge.train.checkpoint import load_policy, save_checkpoint
from demoforge.train.data import ChunkDataset, MixedSampler, load_frames, windows
from demoforge.train.normalize import Normalizer
from demoforge.train.policies import policy_classes
from demoforge.train.policies.diffusion import (
    ConditionalUnet1D,
    DiffusionConfig,
    DiffusionPolicy,
    cosine_alphas_cumprod,
    ddim_timesteps,
)
from demoforge.train.stats import wilson_interval
from demoforge.train.trainer import TrainConfig, train


def test_wilson_interval_matches_the_reference_values():
    lo, hi = wilson_interval(45, 50)
    assert (round(lo, 3), round(hi, 3)) == (0.786, 0.957)
    assert tuple(round(x, 3) for x in wilson_interval(50, 50)) == (0.929, 1.0)
    assert wilson_interval(7, 7)[1] == 1.0 and wilson_interval(0, 7)[0] == 0.0  # exact, not 1 − 1e−16
    assert tuple(round(x, 3) for x in wilson_interval(0, 50)) == (0.0, 0.071)
    assert tuple(round(x, 3) for x in wilson_interval(8, 10)) == (0.49, 0.943)


def test_normalization_round_trips_and_scales():
    rng = np.random.default_rng(0)
    obs, act = rng.normal(3, 2, (500, 5)).astype(np.float32), rng.uniform(-0.3, 0.7, (500, 7)).astype(np.float32)
    obs[:, 4] = 1.0  # a constant dimension must not blow up
    n = Normalizer.from_arrays(obs, act)
    a = torch.from_numpy(act)
    assert torch.allclose(n.unaction(n.action(a)), a, atol=1e-6)
    na = n.action(a)
    assert na.min() >= -1 - 1e-6 and na.max() <= 1 + 1e-6
    no = n.obs(torch.from_numpy(obs))
    assert torch.allclose(no[:, :4].mean(0), torch.zeros(4), atol=1e-4) and torch.isfinite(no).all()
    back = Normalizer.from_tensors(n.tensors()).tensors()  # saved and loaded with a checkpoint
    assert back.keys() == n.tensors().keys() and all(torch.equal(back[k], v) for k, v in n.tensors().items())


def test_windows_pad_at_episode_edges(tiny_lift):
    frames = load_frames([tiny_lift])
    first_end = int(frames.ends[0])
    batch = windows(frames, np.array([0, first_end - 1]), n_obs=2, chunk=4)
    assert torch.equal(batch["obs"][0, 0], batch["obs"][0, 1])  # before the start: first frame repeated
    assert batch["action_is_pad"][1].tolist() == [False, True, True, True]  # past the end: padded
    assert torch.equal(batch["action"][1, 1], batch["action"][1, 0])
    ds = ChunkDataset(tiny_lift, n_obs=2, chunk=4)
    assert len(ds) == len(frames) and ds[0]["obs"].shape == (2, frames.obs.shape[1])


def test_past_actions_are_the_actions_sent_before_the_frame(tiny_lift):
    frames = load_frames([tiny_lift])
    second = int(frames.ends[0])  # the second episode's first row
    rows = np.array([0, 2, second, second + 1])
    past = windows(frames, rows, n_obs=1, chunk=2, n_past=3)["past_action"].numpy()
    assert past.shape == (4, 3, 7)
    assert not past[0].any() and not past[2].any()  # nothing sent before an episode's start
    np.testing.assert_array_equal(past[1], np.vstack([np.zeros(7), frames.actions[0:2]]))
    np.testing.assert_array_equal(past[3, 2], frames.actions[second])  # never the other episode's
    assert not past[3, :2].any()
    assert "past_action" not in windows(frames, rows, n_obs=1, chunk=2)


def test_a_policy_reading_past_actions_is_fed_what_it_sent(tiny_lift, tmp_path):
    """At evaluation the policy's input holds the actions it returned, newest last, as training's
    windows do: a changed past action changes the next prediction."""
    cfg = TrainConfig(policy="bc", steps=2, batch_size=8, policy_overrides={"n_past_actions": 2})
    train(tmp_path / "run", cfg, real=tiny_lift)
    policy = load_policy(tmp_path / "run/checkpoints/last.safetensors")
    assert policy.n_past_actions == 2
    frames = load_frames([tiny_lift])
    policy.reset(0)
    first = policy.select_action(frames.obs[0])
    assert torch.equal(policy._sent[-1], torch.from_numpy(first)) and not policy._sent[0].any()
    inputs = []
    policy.net.register_forward_hook(lambda module, args, out: inputs.append(args[0]))
    policy.select_action(frames.obs[1])
    width = policy.net[0].in_features
    assert width == frames.obs.shape[1] + 2 * 7
    sent = policy.normalizer.unaction(inputs[-1][0, -14:].view(2, 7))
    np.testing.assert_allclose(sent[1].numpy(), first, atol=1e-5)
    with pytest.raises(ValueError, match="n_past_actions"):
        TrainConfig(policy="bc", policy_overrides={"n_past_actions": -1})


def test_co_training_sampler_honours_the_ratio(tiny_lift, tiny_lift_other):
    real, syn = load_frames([tiny_lift]), load_frames([tiny_lift_other])
    sampler = MixedSampler(real, syn, ratio=0.3, batch_size=100, seed=0)
    parts = sampler.sample()
    assert [len(rows) for _, rows in parts] == [30, 70] and parts[0][0] is real
    # over many batches every real and synthetic frame gets drawn, in the stated proportion
    seen = np.concatenate([sampler.sample()[0][1] for _ in range(200)])
    assert len(np.unique(seen)) == len(real)
    assert MixedSampler(real, None, 0.3, 10, 0).n_real == 10 and MixedSampler(None, syn, 0.3, 10, 0).n_real == 0
    b = MixedSampler(real, syn, 0.5, 8, 1).batch(2, 4)
    assert b["obs"].shape[0] == 8 and b["action"].shape == (8, 4, 7)


@pytest.mark.parametrize(
    ("policy", "overrides"),
    [
        ("bc", {"dropout": 0.0}),
        # 1500 diffusion steps take ~80 s on 2 cores: a learning check, run with the slow suite
        pytest.param("diffusion", {"lr": 1e-3, "horizon": 8, "n_action_steps": 4}, marks=pytest.mark.slow),
    ],
)
def test_policy_overfits_a_tiny_dataset(tiny_lift, tmp_path, policy, overrides):
    steps = 600 if policy == "bc" else 1500  # noise prediction has a higher floor: it needs longer
    cfg = TrainConfig(policy=policy, steps=steps, batch_size=64, log_every=1, policy_overrides=overrides)
    result = train(tmp_path / "run", cfg, real=tiny_lift)
    import csv

    losses = [float(r["loss"]) for r in csv.DictReader(open(tmp_path / "run/loss.csv"))]
    # BC's L1 falls 10×; noise prediction has an irreducible part at small diffusion steps, so
    # a short run shows 5× (0.14 from 1.04 measured).
    factor = 10 if policy == "bc" else 5
    assert np.mean(losses[-20:]) < losses[0] / factor, (losses[:3], losses[-5:])
    assert (tmp_path / "run/loss.png").is_file() and result.samples_per_second > 0


@pytest.mark.parametrize("name", ["bc", "diffusion"])
def test_checkpoint_reload_gives_the_same_actions(tiny_lift, tmp_path, name):
    """A reloaded policy acts exactly as the one that was saved (weights and normalizer), and
    differently from a fresh one built the same way: the comparison would catch lost weights."""
    frames = load_frames([tiny_lift])
    config_cls, policy_cls = policy_classes(name)

    def build():
        torch.manual_seed(0)
        return policy_cls(
            config_cls(),
            frames.obs.shape[1],
            frames.actions.shape[1],
            Normalizer.from_arrays(frames.obs, frames.actions),
        ).eval()

    saved = build()
    with torch.no_grad():
        for p in saved.parameters():
            p.add_(0.5 * torch.randn_like(p))  # weights no freshly built policy starts from
    save_checkpoint(tmp_path / "c.safetensors", saved, None, {}, {"step": 0})
    loaded = load_policy(tmp_path / "c.safetensors")

    def actions(policy):
        policy.reset(seed=0)
        return np.stack([policy.select_action(o) for o in frames.obs[:12]])

    assert np.array_equal(actions(loaded), actions(saved))
    assert not np.allclose(actions(build()), actions(saved), atol=1e-3)


def test_resume_after_interruption_equals_an_uninterrupted_run(tiny_lift, tiny_lift_other, tmp_path):
    cfg = TrainConfig(policy="bc", steps=120, batch_size=32, checkpoint_every=40, log_every=20)
    train(tmp_path / "straight", cfg, real=tiny_lift, synthetic=tiny_lift_other)

    class Killed(Exception):
        pass

    def kill_at_100(step, total, loss):  # after the step-80 checkpoint, before the next one
        if step == 100:
            raise Killed

    with pytest.raises(Killed):
        train(tmp_path / "cut", cfg, real=tiny_lift, synthetic=tiny_lift_other, progress=kill_at_100)
    train(tmp_path / "cut", cfg, real=tiny_lift, synthetic=tiny_lift_other, resume=True)
    a = load_policy(tmp_path / "straight/checkpoints/last.safetensors").state_dict()
    b = load_policy(tmp_path / "cut/checkpoints/last.safetensors").state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert (tmp_path / "straight/loss.csv").read_text() == (tmp_path / "cut/loss.csv").read_text()


def test_cosine_schedule_decays_to_zero_and_constant_keeps_the_rate():
    from demoforge.envs import ConfigError
    from demoforge.train.trainer import lr_factor

    assert lr_factor(0, 1000, "cosine") == 1.0
    assert lr_factor(500, 1000, "cosine") == pytest.approx(0.5)
    assert lr_factor(999, 1000, "cosine") < 1e-4
    factors = [lr_factor(s, 1000, "cosine") for s in range(1000)]
    assert all(a > b for a, b in zip(factors, factors[1:]))
    assert {lr_factor(s, 1000, "constant") for s in (0, 500, 999)} == {1.0}
    with pytest.raises(ConfigError, match="lr_schedule"):
        TrainConfig(lr_schedule="linear")


def test_resume_refuses_other_settings_and_fresh_runs_refuse_full_folders(tiny_lift, tmp_path):
    from demoforge.envs import ConfigError

    train(tmp_path / "run", TrainConfig(policy="bc", steps=10, batch_size=8), real=tiny_lift)
    with pytest.raises(ConfigError, match="not empty"):
        train(tmp_path / "run", TrainConfig(policy="bc", steps=10, batch_size=8), real=tiny_lift)
    with pytest.raises(ConfigError, match="same data and settings"):
        train(tmp_path / "run", TrainConfig(policy="bc", steps=20, batch_size=16), real=tiny_lift, resume=True)


def test_resume_accepts_a_run_from_before_a_setting_existed_when_it_has_its_default(tiny_lift, tmp_path):
    """A field added to TrainConfig later (here `obs`, `cameras`) is missing from an older run's
    config.json; at its default the settings are the same, so --resume continues."""
    from demoforge.envs import ConfigError

    cfg = TrainConfig(policy="bc", steps=10, batch_size=8)
    train(tmp_path / "run", cfg, real=tiny_lift)
    config_json = tmp_path / "run" / "config.json"
    saved = json.loads(config_json.read_text())
    del saved["train"]["obs"], saved["train"]["cameras"]
    config_json.write_text(json.dumps(saved))
    assert train(tmp_path / "run", cfg, real=tiny_lift, resume=True).steps == 10
    saved["train"]["ratio"] = 0.7  # a setting that is there and differs still refuses
    config_json.write_text(json.dumps(saved))
    with pytest.raises(ConfigError, match="same data and settings"):
        train(tmp_path / "run", cfg, real=tiny_lift, resume=True)


def test_ddim_schedule_and_a_perfect_denoiser_recovers_the_clean_sample():
    ab = cosine_alphas_cumprod(100)
    assert ab[0] > 0.999 and ab[-1] < 0.01 and torch.all(ab[1:] < ab[:-1])
    assert ddim_timesteps(100, 8) == [84, 72, 60, 48, 36, 24, 12, 0]
    n = Normalizer(torch.zeros(3), torch.ones(3), -torch.ones(7), torch.ones(7))
    policy = DiffusionPolicy(DiffusionConfig(horizon=4, n_action_steps=2, n_obs_steps=1), 3, 7, n)
    clean = torch.rand(1, 4, 7) * 1.6 - 0.8
    policy.predict_noise = lambda x, t, obs: (
        (x - policy.alphas_cumprod[t[0]].sqrt() * clean) / (1 - policy.alphas_cumprod[t[0]]).sqrt()
    )
    out = policy.sample(torch.zeros(1, 1, 3), torch.Generator().manual_seed(0))
    assert torch.allclose(out, clean, atol=1e-4)


def test_unet_keeps_the_sequence_shape_and_film_conditions_every_sample():
    """The U-Net maps (B, H, A) to (B, H, A) for every horizon its levels can halve, and each
    sample's output follows its own condition and diffusion step (FiLM), not only its input."""
    torch.manual_seed(0)
    for horizon, down_dims in [(4, (16, 32, 64)), (12, (16, 32, 64)), (16, (16, 32, 64)), (6, (16, 32))]:
        unet = ConditionalUnet1D(7, 10, DiffusionConfig(horizon=horizon, n_action_steps=2, down_dims=down_dims))
        x = torch.randn(1, horizon, 7).expand(3, -1, -1)  # the same noisy actions three times
        cond, t = torch.randn(3, 10), torch.tensor([5, 5, 80])
        cond[1] = cond[0] + 1.0
        out = unet(x, t, cond)
        assert out.shape == (3, horizon, 7)
        assert not torch.allclose(out[0], out[1], atol=1e-4)  # another observation window
        cond[2] = cond[0]
        assert not torch.allclose(unet(x, t, cond)[0], unet(x, t, cond)[2], atol=1e-4)  # another step
    with pytest.raises(ValueError, match="horizon=10 must divide by 4"):  # 10 → 5 → 3 → 6 ≠ 5
        DiffusionConfig(horizon=10, n_action_steps=2, down_dims=(16, 32, 64))


@pytest.mark.parametrize("name", ["bc", "diffusion"])
def test_every_registered_policy_meets_the_policy_contract(name, tiny_lift, tmp_path):
    from demoforge.train.policies import Policy

    train(tmp_path / "run", TrainConfig(policy=name, steps=2, batch_size=8), real=tiny_lift)
    policy = load_policy(tmp_path / "run/checkpoints/last.safetensors")
    assert isinstance(policy, Policy) and policy.name == name
    frames = load_frames([tiny_lift])
    batch = windows(frames, np.arange(4), policy.n_obs_steps, policy.horizon)
    assert policy.loss(batch, torch.Generator().manual_seed(0)).ndim == 0
    policy.reset(0)
    assert policy.select_action(frames.obs[0]).shape == (frames.actions.shape[1],)


def test_a_checkpoint_that_does_not_fit_the_policy_is_refused(tiny_lift, tmp_path):
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    train(tmp_path / "run", TrainConfig(policy="bc", steps=2, batch_size=8), real=tiny_lift)
    path = tmp_path / "run/checkpoints/last.safetensors"
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata()
    tensors = load_file(path)
    tensors.pop(next(k for k in tensors if k.startswith("model.")))
    save_file(tensors, tmp_path / "bad.safetensors", metadata=metadata)
    with pytest.raises(ValueError, match="bad.safetensors: does not fit policy 'bc'"):
        load_policy(tmp_path / "bad.safetensors")


def test_load_policy_takes_a_run_folder_or_its_checkpoint(tiny_lift, tmp_path):
    train(tmp_path / "run", TrainConfig(policy="bc", steps=5, batch_size=8), real=tiny_lift)
    from_folder = load_policy(tmp_path / "run").state_dict()
    from_file = load_policy(tmp_path / "run/checkpoints/last.safetensors").state_dict()
    assert all(torch.equal(from_folder[k], from_file[k]) for k in from_file)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty: no checkpoint"):
        load_policy(tmp_path / "empty")


def test_temporal_ensembling_leans_on_new_predictions_for_negative_m_and_old_for_positive():
    """Each query at step t predicts the constant t for its whole chunk, so the executed action is a
    weighted mean of the last 8 query times: ACT's m = 0.01 sits just below their middle, a
    negative m moves it toward the newest, and a large negative m executes the newest alone."""
    from demoforge.train.policies.bc import BCConfig, BCPolicy

    def executed(m: float) -> float:
        policy = BCPolicy(BCConfig(temporal_ensemble=m), 3, 1, Normalizer.from_arrays(np.zeros((2, 3)), np.eye(2, 1)))
        policy.normalizer.unaction = lambda x: x
        t = {"now": 0}

        def forward(obs, *_, **__):  # images, past actions: none here
            return torch.full((1, 8, 1), float(t["now"]))

        policy.forward = forward
        for step in range(12):
            t["now"] = step
            action = policy.select_action(np.zeros(3, np.float32))
        return float(action[0])

    middle = (4 + 11) / 2  # chunks still covering step 11 were queried at steps 4..11
    assert middle - 0.2 < executed(0.01) < middle
    assert middle + 1.0 < executed(-0.3) < 11
    assert executed(-50.0) == pytest.approx(11.0)


def test_unset_steps_and_batch_size_take_the_observation_modes_defaults():
    from demoforge.train.run_config import MODE_DEFAULTS, RunConfig, run_train_config

    assert (TrainConfig().batch_size, TrainConfig().steps) == (256, None)  # state: the policy's steps
    vision = TrainConfig(obs="vision")
    assert (vision.batch_size, vision.steps) == (64, 24000)  # what `demoforge run --obs vision` trains with
    assert (TrainConfig(obs="vision", batch_size=8, steps=5).batch_size, TrainConfig(obs="vision", steps=5).steps) == (
        8,
        5,
    )
    for mode in ("state", "vision"):  # one table: the run and a lone `demoforge train` agree
        arm = run_train_config(RunConfig(task="Stack", obs=mode))  # Lift's state run has its own (TASK_DEFAULTS)
        plain = TrainConfig(obs=mode)
        assert (arm.batch_size, arm.steps, arm.ratio) == (plain.batch_size, plain.steps, plain.ratio)
        assert MODE_DEFAULTS[mode]["batch_size"] == plain.batch_size
        assert MODE_DEFAULTS[mode]["ratio"] == plain.ratio == RunConfig(obs=mode).ratio


def test_the_co_training_ratio_defaults_by_observation_mode():
    # Chosen in development settings, never in `target`: a state policy gains from a little real
    # data (0.1), a vision policy copies the hesitant real demos wherever their look appears (0).
    assert TrainConfig().ratio == 0.1 and TrainConfig(obs="vision").ratio == 0.0
    assert TrainConfig(obs="vision", ratio=0.25).ratio == 0.25
    from demoforge.envs import ConfigError

    with pytest.raises(ConfigError, match="ratio"):
        TrainConfig(obs="vision", ratio=1.5)


def test_a_policy_registered_at_run_time_trains_and_reloads_from_its_checkpoint(tiny_lift, tmp_path):
    import demoforge
    from demoforge.envs import UnknownNameError, plugins
    from demoforge.train.policies import BCPolicy

    class SmallBC(BCPolicy):
        name = "small_bc"

    with pytest.raises(UnknownNameError, match="unknown policy 'small_bc'; known: bc, diffusion$"):
        policy_classes("small_bc")
    demoforge.register_policy(SmallBC)
    try:
        assert policy_classes("small_bc") == (SmallBC.config_class, SmallBC)
        result = train(tmp_path / "run", TrainConfig(policy="small_bc", steps=3, batch_size=8), real=tiny_lift)
        assert type(load_policy(result.run)) is SmallBC
    finally:
        del plugins._ADDED["demoforge.policies"]["small_bc"]
