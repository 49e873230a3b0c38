"""The `demoforge` env type of LeRobot's CLI (`--env.type=demoforge`).

LeRobot's rules for a third-party env (lerobot.envs.configs.EnvConfig, 0.4–0.6): a dataclass
registered with `@EnvConfig.register_subclass(<type>)`; `package_name`, the module imported to
register the gym id `<package_name>/<task>`; `gym_kwargs`, what `gym.make` passes to the entry
point; `features`, the env's raw observation keys (and `action`) with their shapes, images
height × width × channels; and `features_map`, raw key → the policy's (dataset's) key.
`make_policy` builds a policy's features from `features` through `features_map` when no dataset
is given (`env_to_policy_features`), so they must be exactly what a `demoforge collect` dataset
holds — they are read from demoforge's own observation spec, never written out here.

Imported for its side effect by the package when lerobot is installed; importing this module
without lerobot raises ImportError.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from demoforge.augment.io.lerobot_env import RAW_TO_DATASET, policy_input_shapes
from demoforge.envs import resolve_task_name
from demoforge.envs.observation import LEROBOT_PIXELS, camera_feature
from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.envs.configs import EnvConfig

from . import PACKAGE

ACTION = "action"  # lerobot.utils.constants.ACTION
ACTION_SIZE = 7  # demoforge's ee_delta action: dx dy dz drx dry drz gripper
FEATURE_TYPES = {"agent_pos": FeatureType.STATE, "environment_state": FeatureType.ENV}


@EnvConfig.register_subclass("demoforge")
@dataclass
class DemoforgeEnv(EnvConfig):
    """`lerobot-eval --env.type=demoforge --env.task=Stack --env.profile=target --policy.path=...`;
    `--env.cameras='[front]'` for a vision policy (the cameras and size it was trained with)."""

    task: str | None = "Lift"  # Lift, Stack, PickPlace or PegInsert (any case, or demoforge/Lift-v0)
    fps: int = 20  # demoforge's control rate (envs.EnvConfig.control_hz)
    profile: str = "target"  # domain profile: nominal, target, randomized, ... or a .toml file
    cameras: list[str] = field(default_factory=list)  # rendered cameras: front, side, wrist
    observation_height: int = 84  # px, as `demoforge collect --image-size H W`
    observation_width: int = 84
    features: dict[str, PolicyFeature] = field(default_factory=dict)  # filled from the task below
    features_map: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # canonical name (the gym id's), and a one-line error listing the tasks for a wrong one
        self.task = resolve_task_name(self.task or "")
        size = (self.observation_height, self.observation_width)
        shapes = policy_input_shapes(self.task, tuple(self.cameras), size)
        self.features = {ACTION: PolicyFeature(type=FeatureType.ACTION, shape=(ACTION_SIZE,))}
        self.features_map = {ACTION: ACTION}
        for raw, key in RAW_TO_DATASET.items():
            self.features[raw] = PolicyFeature(type=FEATURE_TYPES[raw], shape=shapes[key])
            self.features_map[raw] = key
        for cam in self.cameras:
            raw, key = f"{LEROBOT_PIXELS}/{cam}", camera_feature(cam).key
            c, h, w = shapes[key]
            self.features[raw] = PolicyFeature(type=FeatureType.VISUAL, shape=(h, w, c))
            self.features_map[raw] = key

    @property
    def package_name(self) -> str:
        # the base class would derive "gym_demoforge" from the type name: not this distribution
        return PACKAGE

    @property
    def gym_kwargs(self) -> dict:
        return {
            "profile": self.profile,
            "cameras": list(self.cameras),
            "image_size": [self.observation_height, self.observation_width],
        }
