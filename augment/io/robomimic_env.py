"""A demoforge task env in a domain profile, speaking robomimic's `EnvBase` dialect (v0.3.x), so
robomimic's rollouts (`train_utils.run_rollout`, `run_trained_agent.py`-style loops) can run a
policy trained on `demoforge export --format robomimic` data in our domains.

robomimic builds envs from the HDF5's `data.attrs["env_args"]` with a class picked by `type`
(1 robosuite, 2 gym, ...); none of its classes can build ours, so a rollout must construct this
one (`RobomimicEnv.from_env_args(env_args)`) instead of `EnvUtils.create_env_from_metadata`. The
constructor takes robomimic's arguments (`env_name`, `render`, `render_offscreen`,
`use_image_obs`, `postprocess_visual_obs`) plus our exporter's `env_kwargs` (`profile`,
`cameras`, `image_size`; `fps`, `source` are accepted and ignored).

Observations have exactly the keys, shapes and dtypes the export writes under `obs/`
(`envs.observation.observation_features` mapped by the exporter's `obs_key`): `state`,
`environment_state` (float32) and `<camera>_image` (uint8 H×W×3; with `postprocess_visual_obs`
float32 3×H×W in [0, 1], what robomimic's `ObsUtils.process_obs` makes of an rgb observation).
States are the export's `states`: MuJoCo qpos ‖ qvel (`sim.state`), recorded with the
observation before each step, so `reset_to(states[t])` shows `obs[t]` and a replay is
`reset_to(states[0])` then `actions`, as in robomimic's own datasets.

robomimic is not imported here. `from_env_args` returns a subclass of robomimic's `EnvBase` when
robomimic is installed (its `run_rollout` asserts `isinstance(env, EnvBase)`), this plain class
otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...envs import EnvConfig
from ...envs.observation import camera_feature, env_image_key, observation_features
from ..domain.wrapper import DomainRandomizationWrapper, make_domain_env
from .robomimic import obs_key

GYM_TYPE = 2  # robomimic's EnvType.GYM_TYPE: what our exporter writes as env_args["type"]


class RobomimicEnv:
    """See the module docstring. `step` returns robomimic's 4-tuple (obs, reward, done, info)."""

    def __init__(
        self,
        env_name: str,
        render: bool = False,
        render_offscreen: bool = False,
        use_image_obs: bool = False,
        postprocess_visual_obs: bool = True,
        profile: str = "nominal",
        cameras: tuple[str, ...] | list[str] = (),
        image_size: tuple[int, int] | list[int] = (84, 84),
        **kwargs: Any,
    ):
        self._env_name = env_name
        self._profile_name = profile
        self.cameras = tuple(cameras) if use_image_obs else ()
        self.postprocess_visual_obs = postprocess_visual_obs
        self._init_kwargs = {
            "render": render,
            "render_offscreen": render_offscreen,
            "use_image_obs": use_image_obs,
            "postprocess_visual_obs": postprocess_visual_obs,
            "profile": profile,
            "cameras": list(cameras),
            "image_size": list(image_size),
            **kwargs,
        }
        config = EnvConfig(cameras=self.cameras, image_size=(int(image_size[0]), int(image_size[1])))
        self.env: DomainRandomizationWrapper = make_domain_env(env_name, profile, config=config)
        self._obs: dict[str, np.ndarray] | None = None
        self._reward = 0.0
        self._done = False

    @classmethod
    def from_env_args(cls, env_args: dict, **overrides: Any) -> RobomimicEnv:
        """The env of an exported file's `json.loads(f["data"].attrs["env_args"])`; `overrides`
        (e.g. `use_image_obs=True`, `profile="target"`) replace constructor arguments."""
        kwargs = {**env_args.get("env_kwargs", {}), **overrides}
        return _robomimic_class(cls)(env_name=kwargs.pop("env_name", env_args["env_name"]), **kwargs)

    # EnvBase ---------------------------------------------------------------------------------

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(np.asarray(action, np.float32))
        self._obs, self._reward, self._done = obs, float(reward), bool(terminated or truncated)
        return self.get_observation(), self._reward, self._done, info

    def reset(self, seed: int | None = None):
        obs, _ = self.env.reset(seed=seed)
        self._obs, self._reward, self._done = obs, 0.0, False
        return self.get_observation()

    def reset_to(self, state: dict):
        """Set the simulator to `state["states"]` (qpos ‖ qvel, one row of the export's `states`)
        and return its observation. Resets first (the task and domain draw of a fresh episode) when
        the env has not been reset yet; the domain's model parameters stay as last drawn."""
        if self._obs is None:
            self.reset()
        try:
            self.env.unwrapped.set_sim_state(state["states"])
        except ValueError as exc:
            raise ValueError(f"reset_to: {exc}") from None
        self._obs, self._reward, self._done = self.env.resync(), 0.0, False
        return self.get_observation()

    def render(self, mode: str = "human", height: int | None = None, width: int | None = None, camera_name=None):
        if mode != "rgb_array":
            raise NotImplementedError(f"render mode {mode!r}: only 'rgb_array' (headless)")
        base = self.env.unwrapped
        h, w = base.config.render_size
        return base.render_camera(camera_name or base.config.render_camera, height or h, width or w)

    def get_observation(self, di=None):
        if self._obs is None:
            raise RuntimeError("RobomimicEnv: call reset() or reset_to() first")
        features = dict(observation_features(self._obs))
        for cam in self.cameras:
            features[camera_feature(cam).key] = self._obs[env_image_key(cam)]
        out = {obs_key(k): np.asarray(v) for k, v in features.items()}
        if self.postprocess_visual_obs:
            for cam in self.cameras:
                key = obs_key(camera_feature(cam).key)
                out[key] = out[key].transpose(2, 0, 1).astype(np.float32) / 255.0
        return out

    def get_state(self):
        return {"states": self.env.unwrapped.sim_state()}

    def get_reward(self):
        return self._reward

    def get_goal(self):
        raise NotImplementedError("demoforge tasks have no goal observation")

    def set_goal(self, **kwargs):
        raise NotImplementedError("demoforge tasks have no goal observation")

    def is_done(self):
        return self._done

    def is_success(self):
        return {"task": bool(self.env.unwrapped.task.is_success())}

    @property
    def action_dimension(self):
        return int(self.env.unwrapped.action_space.shape[0])

    @property
    def name(self):
        return self._env_name

    @property
    def type(self):
        return GYM_TYPE

    @property
    def version(self):
        from ... import __version__

        return __version__

    def serialize(self):
        return {"env_name": self._env_name, "type": self.type, "env_kwargs": dict(self._init_kwargs)}

    @classmethod
    def create_for_data_processing(
        cls, env_name, camera_names, camera_height, camera_width, reward_shaping, **kwargs
    ) -> RobomimicEnv:
        """Observations as stored (images uint8 H×W×3), for re-extracting or checking a dataset."""
        for key in ("render", "render_offscreen", "use_image_obs", "postprocess_visual_obs"):
            kwargs.pop(key, None)
        return _robomimic_class(cls)(
            env_name=env_name,
            use_image_obs=bool(camera_names),
            postprocess_visual_obs=False,
            cameras=list(camera_names),
            image_size=(camera_height, camera_width),
            **kwargs,
        )

    @property
    def rollout_exceptions(self):
        from ...envs import InvalidActionError

        return (InvalidActionError,)

    @property
    def base_env(self):
        return self.env.unwrapped

    def close(self) -> None:
        self.env.close()

    def __repr__(self) -> str:
        return f"RobomimicEnv({self._env_name!r}, profile={self._profile_name!r}, cameras={self.cameras})"


def _robomimic_class(cls: type) -> type:
    """`cls` as a subclass of robomimic's EnvBase when robomimic is installed, else `cls`."""
    try:
        from robomimic.envs.env_base import EnvBase
    except ImportError:
        return cls
    if issubclass(cls, EnvBase):
        return cls
    return type(cls.__name__, (cls, EnvBase), {"__module__": cls.__module__})
