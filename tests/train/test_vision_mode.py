"""The vision observation mode end to end on a tiny dataset: camera frames in training windows, a
vision BC trained a few steps, its checkpoint, evaluation that renders what it reads, the clear
errors when the cameras are missing, and the state mode left as it was."""

import json

import numpy as np
import pytest
import torch
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.data.record import CollectConfig
from demoforge.envs import ConfigError
from demoforge.envs.observation import camera_feature, observation_keys
from demoforge.train import evaluate as evaluate_module
from demoforge.train import trainer as trainer_module
from demoforge.train.checkpoint import load_policy, read_meta, save_checkpoint
from demoforge.train.cli import main
from demoforge.train.data import DEFAULT_OBS_KEYS, load_frames, windows
from demoforge.train.evaluate import EvalConfig, evaluate
from demoforge.train.run_config import RunConfig, run_train_config
from demoforge.train.run_layout import run_cameras
from demoforge.train.trainer import TrainConfig, train

CAMERAS = ("front", "wrist")
SIZE = (32, 32)  # small frames keep the test fast; evaluation must render this size, not the default 84
# A tiny encoder: the test checks the plumbing, not what it learns.
TINY = {"hidden": [32], "encoder": {"widths": [8, 16], "group_size": 4, "keypoints": 4, "features": 8}}


@pytest.fixture(scope="module")
def lift_cams(demo_dataset):
    return demo_dataset("Lift", episodes=2, profile="nominal", human_like=False, cameras=CAMERAS, image_size=SIZE)


@pytest.fixture(scope="module")
def vision_training(lift_cams, tmp_path_factory):
    """A tiny vision run, and the policy object the trainer held when it wrote its last checkpoint
    (the in-memory trained model, before any save/load)."""
    run = tmp_path_factory.mktemp("vision") / "run"
    config = TrainConfig(steps=3, batch_size=8, obs="vision", cameras=CAMERAS, policy_overrides=TINY)
    saved = []

    def keeping(path, policy, *args, **kwargs):
        saved.append(policy)
        return save_checkpoint(path, policy, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trainer_module, "save_checkpoint", keeping)
        train(run, config, real=lift_cams, synthetic=lift_cams)
    trained = saved[-1].to("cpu").eval()
    trained.normalizer = trained.normalizer.to("cpu")
    return run, trained


@pytest.fixture(scope="module")
def vision_run(vision_training):
    return vision_training[0]


def test_windows_give_camera_frames_beside_the_vector_window(lift_cams):
    keys = observation_keys("vision", CAMERAS)
    frames = load_frames([lift_cams], keys)
    assert frames.obs.shape[1] == 23  # proprioception only: no object poses
    assert frames.image_shapes == {camera_feature(c).key: (3, *SIZE) for c in CAMERAS}
    video = Dataset(lift_cams).episode(0).videos[camera_feature("wrist").key]  # (T, H, W, 3)
    rows = np.array([0, 1, int(frames.ends[0]) - 1])
    batch = windows(frames, rows, n_obs=2, chunk=4)
    wrist = batch[camera_feature("wrist").key]
    assert wrist.dtype == torch.uint8 and wrist.shape == (3, 2, 3, *SIZE)
    assert torch.equal(wrist[0, 0], wrist[0, 1])  # before the start: first frame repeated, as the vector
    assert torch.equal(wrist[1, 0].permute(1, 2, 0), torch.from_numpy(video[0]))
    assert torch.equal(wrist[2, 1].permute(1, 2, 0), torch.from_numpy(video[-1]))
    state = windows(load_frames([lift_cams]), rows, n_obs=2, chunk=4)  # the state mode: no images
    assert set(state) == {"obs", "action", "action_is_pad"}


def test_a_vision_bc_trains_saves_and_evaluates_an_episode(vision_run, tmp_path, monkeypatch):
    meta = read_meta(vision_run / "checkpoints/last.safetensors")
    assert meta["obs_keys"] == list(observation_keys("vision", CAMERAS)) and meta["obs_dim"] == 23
    assert meta["image_shapes"] == {camera_feature(c).key: [3, *SIZE] for c in CAMERAS}
    assert all(np.isfinite(float(line.split(",")[1])) for line in (vision_run / "loss.csv").read_text().split()[1:])

    policy = load_policy(vision_run)
    seen = []
    select = policy.select_action

    def recording(obs):
        seen.append({k: np.shape(v) for k, v in obs.items()})
        return select(obs)

    policy.select_action = recording
    monkeypatch.setattr(evaluate_module, "load_policy", lambda path: policy)
    result = evaluate(vision_run, EvalConfig(profile="nominal", episodes=1, workers=1, videos=0), out=tmp_path / "ev")
    assert result.episodes == 1 and len(seen) == result.mean_length
    assert seen[0] == {"obs": (23,), **{camera_feature(c).key: (*SIZE, 3) for c in CAMERAS}}


def test_reloaded_vision_policy_acts_as_the_trained_one(vision_training, lift_cams):
    """The checkpoint holds everything the policy acts with (weights, encoder, normalizer): the
    loaded policy's actions equal, bit for bit, those of the policy object training ended with."""
    run, trained = vision_training
    loaded = load_policy(run)
    frames = load_frames([lift_cams], observation_keys("vision", CAMERAS))
    trained.reset(0), loaded.reset(0)
    for row in range(10):  # 10 steps: several predicted chunks through the observation window
        obs = {"obs": frames.obs[row], **{k: v[row].transpose(1, 2, 0) for k, v in frames.images.items()}}
        np.testing.assert_array_equal(loaded.select_action(obs), trained.select_action(obs), err_msg=f"step {row}")


def test_a_resumed_vision_run_repeats_its_crops_and_equals_an_uninterrupted_one(lift_cams, tmp_path):
    cfg = TrainConfig(steps=6, batch_size=4, checkpoint_every=3, log_every=1, obs="vision", policy_overrides=TINY)
    train(tmp_path / "straight", cfg, real=lift_cams)

    class Killed(Exception):
        pass

    def kill_at_5(step, total, loss):  # after the step-3 checkpoint
        if step == 5:
            raise Killed

    with pytest.raises(Killed):
        train(tmp_path / "cut", cfg, real=lift_cams, progress=kill_at_5)
    train(tmp_path / "cut", cfg, real=lift_cams, resume=True)
    a, b = (load_policy(tmp_path / run).state_dict() for run in ("straight", "cut"))
    assert any(k.startswith("image_encoders.") for k in a)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_vision_policy_without_its_cameras_fails_clearly(vision_run, tmp_path, capsys):
    policy = load_policy(vision_run)
    policy.reset(0)
    front, wrist = (camera_feature(c).key for c in CAMERAS)
    vec = np.zeros(23, np.float32)
    with pytest.raises(ConfigError, match=r"reads cameras \(observation.images.front, observation.images.wrist\)"):
        policy.select_action(vec)
    with pytest.raises(ConfigError, match="reads 'observation.images.wrist', missing"):
        policy.select_action({"obs": vec, front: np.zeros((*SIZE, 3), np.uint8)})
    with pytest.raises(
        ConfigError, match=r"trained on 32×32×3 uint8 frames of 'observation.images.front', got 84×84×3"
    ):
        policy.select_action({"obs": vec, front: np.zeros((84, 84, 3), np.uint8), wrist: np.zeros((*SIZE, 3))})

    # a checkpoint that names cameras but not their size cannot be rendered for: one line, before any episode
    from safetensors.torch import load_file, save_file

    path = vision_run / "checkpoints/last.safetensors"
    meta = read_meta(path)
    del meta["image_shapes"]
    bad = tmp_path / "bad.safetensors"
    save_file(load_file(path), bad, metadata={"demoforge": json.dumps(meta)})
    with pytest.raises(ConfigError, match="stores no image size for it"):
        evaluate(bad, EvalConfig(profile="nominal", episodes=1, workers=1, videos=0), out=tmp_path / "ev")
    assert not (tmp_path / "ev").exists()
    assert main(["eval", str(bad), "--episodes", "1", "--profile", "nominal"]) != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_vision_needs_known_cameras_and_a_policy_with_an_image_encoder():
    with pytest.raises(ConfigError, match="obs='vision' needs bc"):
        TrainConfig(policy="diffusion", obs="vision")
    with pytest.raises(ConfigError, match=r"cameras=\['top'\]"):
        TrainConfig(obs="vision", cameras=("top",))
    with pytest.raises(ConfigError, match="TrainConfig.obs='pixels'; allowed: state, vision"):
        TrainConfig(obs="pixels")


def test_train_set_reaches_the_encoder_config():
    from demoforge.train.policies import BCConfig

    overrides = TrainConfig(policy_overrides={"encoder": {"widths": [8, 16], "max_shift": 2}}).policy_overrides
    assert BCConfig(**overrides).encoder.widths == (8, 16) and BCConfig(**overrides).encoder.max_shift == 2
    with pytest.raises(ConfigError, match="ImageEncoderConfig has no field 'width'"):
        TrainConfig(policy_overrides={"encoder": {"width": [8]}})


def test_a_dataset_without_the_cameras_is_refused_by_name(tiny_lift, tmp_path):
    config = TrainConfig(steps=1, batch_size=4, obs="vision", cameras=CAMERAS, policy_overrides=TINY)
    with pytest.raises(KeyError, match="no feature 'observation.images.front'"):
        train(tmp_path / "run", config, real=tiny_lift)


def test_the_state_mode_reads_what_it_always_read(tiny_lift, tmp_path):
    """The default run reads the same keys, builds the same network (no encoder weights) and stores
    no image shapes; its weights were checked byte-identical against the code before the vision mode."""
    assert TrainConfig().obs_keys == DEFAULT_OBS_KEYS == observation_keys("state")
    train(tmp_path / "run", TrainConfig(steps=2, batch_size=8), real=tiny_lift)
    meta = read_meta(tmp_path / "run/checkpoints/last.safetensors")
    assert "image_shapes" not in meta and meta["obs_keys"] == list(DEFAULT_OBS_KEYS)
    assert all(k.startswith("net.") for k in load_policy(tmp_path / "run").state_dict())


def test_run_obs_vision_records_front_and_wrist_and_trains_every_arm_on_them():
    vision = RunConfig(obs="vision")
    assert run_cameras(vision) == CAMERAS and run_train_config(vision).obs_keys == observation_keys("vision", CAMERAS)
    assert run_cameras(RunConfig()) == () and run_train_config(RunConfig()).obs == "state"
    assert CollectConfig().image_size == (84, 84)  # what `run` records them at


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (checked on the lent GPU machine)")
def test_a_vision_run_trains_on_cuda_and_its_checkpoint_evaluates_on_the_cpu(lift_cams, tmp_path):
    run = tmp_path / "run"
    config = TrainConfig(steps=3, batch_size=8, obs="vision", cameras=CAMERAS, policy_overrides=TINY)
    result = train(run, config, real=lift_cams)
    assert np.isfinite(result.final_loss)
    policy = load_policy(run / "checkpoints" / "last.safetensors")
    assert all(p.device.type == "cpu" for p in policy.parameters())
    assert read_meta(run / "checkpoints/last.safetensors")["image_shapes"]
    outcome = evaluate(run, EvalConfig(profile="nominal", episodes=1, workers=1, videos=0), out=tmp_path / "ev")
    assert outcome.episodes == 1
