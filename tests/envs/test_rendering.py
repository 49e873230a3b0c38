import numpy as np
import pytest
from demoforge.envs import EnvConfig, make_task_env
from demoforge.envs.scene import SceneConfig


def test_image_observations_have_the_configured_size():
    env = make_task_env("Lift", config=EnvConfig(cameras=("front", "wrist"), image_size=(48, 64)))
    obs, _ = env.reset(seed=0)
    assert obs["image_front"].shape == (48, 64, 3) and obs["image_front"].dtype == np.uint8
    assert env.observation_space.contains(obs)
    assert obs["image_front"].std() > 5, "a blank frame: the scene did not render"
    assert not np.array_equal(obs["image_front"], obs["image_wrist"])


def test_render_rgb_array_shows_the_object_moving():
    env = make_task_env("Lift", render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    assert first.shape == (240, 320, 3)
    env.reset(seed=1)  # another cube position
    assert not np.array_equal(first, env.render())


def test_rendering_is_deterministic():
    env = make_task_env("Stack", config=EnvConfig(cameras=("side",)))
    a, _ = env.reset(seed=4)
    b, _ = env.reset(seed=4)
    assert np.array_equal(a["image_side"], b["image_side"])


def test_fast_render_drops_msaa_and_keeps_the_picture():
    """fast_render (the default) builds the offscreen buffer without multisampling, which on a
    CPU costs more than the rest of an 84×84 frame; the picture differs only at aliased edges."""

    def frame(scene: SceneConfig):
        env = make_task_env("Lift", config=EnvConfig(cameras=("front",), image_size=(84, 84), scene=scene))
        obs, _ = env.reset(seed=3)
        return env, obs["image_front"].astype(int)

    fast, aliased = frame(SceneConfig())
    assert fast.model.vis.quality.offsamples == 0
    assert (
        make_task_env("Lift", config=EnvConfig(scene=SceneConfig(fast_render=False))).model.vis.quality.offsamples == 4
    )
    smooth_env, smooth = frame(SceneConfig(msaa_samples=4))  # fast_render's shadows/reflections off, MSAA back on
    assert smooth_env.model.vis.quality.offsamples == 4
    diff = np.abs(aliased - smooth).max(axis=-1)
    assert (diff == 0).mean() > 0.9, "more than edges changed"
    assert np.abs(aliased - smooth).mean() < 2.5
    assert diff.any(), "msaa_samples had no effect"
    with pytest.raises(ValueError, match="msaa_samples"):
        SceneConfig(msaa_samples=-1)


def test_one_renderer_per_size_is_reused_across_steps():
    env = make_task_env("Lift", config=EnvConfig(cameras=("front", "side"), image_size=(84, 84)))
    env.reset(seed=0)
    renderers = dict(env._renderers)
    for _ in range(3):
        env.step(np.zeros(7, np.float32))
    assert len(renderers) == 1 and env._renderers == renderers
    assert all(env._renderers[k] is r for k, r in renderers.items())
