"""The LeRobot env plugin in integrations/lerobot_env_demoforge/ follows LeRobot's third-party env
rules, checked without lerobot installed (the way tests/augment/test_lerobot_env.py checks its
observation preprocessing): the parts of lerobot involved are re-implemented below from its source
(huggingface/lerobot v0.4.4 and v0.6.1, identical for what they do with this plugin).

- `utils.import_utils.register_third_party_plugins` (0.6+): every installed distribution whose
  metadata Name starts with `lerobot_env_` is imported *by that name*.
- `envs.configs.EnvConfig`: a draccus ChoiceRegistry; the plugin's `@EnvConfig.register_subclass`
  dataclass gives `package_name` (imported when `<package_name>/<task>` is not a gym id yet),
  `gym_kwargs` (passed to `gym.make`), `features` and `features_map`.
- `envs.utils.env_to_policy_features`: the policy features `make_policy` builds from the env config
  (images turned channel first), which must equal those it builds from a demoforge dataset
  (`datasets.utils.dataset_to_policy_features`).
"""

import abc
import enum
import importlib
import importlib.machinery
import shutil
import subprocess
import sys
import tomllib
import types
import zipfile
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.envs import TASKS

PLUGIN = Path(__file__).resolve().parents[2] / "integrations" / "lerobot_env_demoforge"


# lerobot, as far as the plugin meets it ----------------------------------------------------------


class FeatureType(enum.StrEnum):  # lerobot.configs.types (a str enum)
    STATE = "STATE"
    VISUAL = "VISUAL"
    ENV = "ENV"
    ACTION = "ACTION"
    REWARD = "REWARD"
    LANGUAGE = "LANGUAGE"


@dataclass
class PolicyFeature:  # lerobot.configs.types
    type: FeatureType
    shape: tuple


class ChoiceRegistry:
    """draccus.ChoiceRegistry: `register_subclass(name)` files a subclass under its CLI name."""

    _registry: dict[str, type] = {}

    @classmethod
    def register_subclass(cls, name: str):
        def wrap(sub):
            cls._registry[name] = sub
            return sub

        return wrap

    @classmethod
    def get_choice_class(cls, name: str) -> type:
        return cls._registry[name]

    @classmethod
    def get_choice_name(cls, sub: type) -> str:
        return next(n for n, c in cls._registry.items() if c is sub)


@dataclass
class EnvConfig(ChoiceRegistry, abc.ABC):  # lerobot.envs.configs.EnvConfig
    task: str | None = None
    fps: int = 30
    features: dict[str, PolicyFeature] = field(default_factory=dict)
    features_map: dict[str, str] = field(default_factory=dict)
    max_parallel_tasks: int = 1
    disable_env_checker: bool = True

    @property
    def type(self) -> str:
        return self.get_choice_name(self.__class__)

    @property
    def package_name(self) -> str:
        return f"gym_{self.type}"

    @property
    def gym_id(self) -> str:
        return f"{self.package_name}/{self.task}"

    @property
    @abc.abstractmethod
    def gym_kwargs(self) -> dict:
        raise NotImplementedError()


def create_envs(cfg: EnvConfig, n_envs: int) -> gym.vector.VectorEnv:
    """EnvConfig.create_envs (0.6) / envs.factory.make_env (0.4), single-task path."""
    if cfg.gym_id not in gym.registry:
        importlib.import_module(cfg.package_name)
        if cfg.gym_id not in gym.registry:
            raise gym.error.NameNotFound(f"{cfg.gym_id} not registered after importing {cfg.package_name}")

    def make_one():
        return gym.make(cfg.gym_id, disable_env_checker=cfg.disable_env_checker, **cfg.gym_kwargs)

    return gym.vector.SyncVectorEnv(
        [make_one for _ in range(n_envs)], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP
    )


def env_to_policy_features(cfg: EnvConfig) -> dict[str, PolicyFeature]:
    """lerobot.envs.utils.env_to_policy_features."""
    out = {}
    for key, ft in cfg.features.items():
        if ft.type is FeatureType.VISUAL:
            if len(ft.shape) != 3:
                raise ValueError(f"Number of dimensions of {key} != 3 (shape={ft.shape})")
            h, w, c = ft.shape  # get_channel_first_image_shape: channel last → first
            ft = PolicyFeature(type=ft.type, shape=(c, h, w))
        out[cfg.features_map[key]] = ft
    return out


def dataset_to_policy_features(features: dict) -> dict[str, PolicyFeature]:
    """lerobot.datasets.utils.dataset_to_policy_features, for the keys a demoforge dataset holds."""
    out = {}
    for key, ft in features.items():
        shape = tuple(ft["shape"])
        if ft["dtype"] in ("image", "video"):
            names = ft["names"]
            kind = FeatureType.VISUAL
            if names[2] in ("channel", "channels"):  # (h, w, c) → (c, h, w)
                shape = (shape[2], shape[0], shape[1])
        elif key == "observation.environment_state":
            kind = FeatureType.ENV
        elif key.startswith("observation"):
            kind = FeatureType.STATE
        elif key == "action":
            kind = FeatureType.ACTION
        else:
            continue
        out[key] = PolicyFeature(type=kind, shape=shape)
    return out


def _module(name: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)  # find_spec("lerobot") finds it
    module.__dict__.update(attrs)
    return module


@pytest.fixture
def plugin_path(monkeypatch):
    """The plugin importable as if pip-installed; its modules forgotten again afterwards."""
    monkeypatch.syspath_prepend(str(PLUGIN))
    before = set(sys.modules)
    yield PLUGIN
    for name in set(sys.modules) - before:
        if name.split(".")[0] in ("lerobot_env_demoforge", "lerobot"):
            del sys.modules[name]


@pytest.fixture
def lerobot(plugin_path, monkeypatch):
    """The stand-in lerobot above, importable under lerobot's module names; its env registry."""
    ChoiceRegistry._registry = {}
    for name, attrs in {
        "lerobot": {},
        "lerobot.configs": {},
        "lerobot.configs.types": {"FeatureType": FeatureType, "PolicyFeature": PolicyFeature},
        "lerobot.envs": {},
        "lerobot.envs.configs": {"EnvConfig": EnvConfig},
    }.items():
        monkeypatch.setitem(sys.modules, name, _module(name, **attrs))
    return ChoiceRegistry._registry


# the rules ---------------------------------------------------------------------------------------


def test_the_distribution_is_found_and_imported_by_lerobots_plugin_discovery():
    """register_third_party_plugins imports `dist.metadata["Name"]`: the distribution must be
    named `lerobot_env_*`, spelled exactly as its import package."""
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    name = project["name"]
    assert name.startswith("lerobot_env_") and name.isidentifier()
    assert (PLUGIN / name / "__init__.py").is_file()
    assert not any(d.startswith("lerobot") for d in project["dependencies"])  # lerobot is the user's
    assert "demoforge" in project["dependencies"]


def test_without_lerobot_the_package_registers_every_tasks_gym_id(plugin_path):
    if importlib.util.find_spec("lerobot") is not None:
        pytest.skip("lerobot is installed: this checks the package without it")
    plugin = importlib.import_module("lerobot_env_demoforge")
    assert "lerobot_env_demoforge.configuration_demoforge" not in sys.modules
    for task in TASKS:
        env = gym.make(f"lerobot_env_demoforge/{task}", disable_env_checker=True)
        assert env.task == task and env.task_description == env.unwrapped.task.description
        env.close()
    assert plugin.PACKAGE == "lerobot_env_demoforge"


def test_the_env_type_is_registered_as_lerobot_requires(lerobot):
    importlib.import_module("lerobot_env_demoforge")  # what plugin discovery does
    cls = lerobot["demoforge"]
    assert issubclass(cls, EnvConfig) and is_dataclass(cls)
    assert not [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    cfg = cls(task="stack", profile="randomized")
    assert cfg.type == "demoforge" and cfg.task == "Stack" and cfg.fps == 20
    assert cfg.package_name == "lerobot_env_demoforge" and cfg.gym_id == "lerobot_env_demoforge/Stack"
    assert set(cfg.features_map) == set(cfg.features)
    with pytest.raises(KeyError, match="unknown task 'Stak'; known tasks: Lift, Stack"):
        cls(task="Stak")


@pytest.mark.parametrize("task", list(TASKS))
def test_policy_features_from_the_env_config_match_a_demoforge_dataset(lerobot, demo_dataset, task):
    """make_policy without a dataset builds the policy's features from the env config: they must
    be what lerobot-train built them from, the dataset's info.json (cameras: Stack's fixture)."""
    importlib.import_module("lerobot_env_demoforge")
    if task == "Stack":
        cfg = lerobot["demoforge"](task=task, cameras=["front"], observation_height=48, observation_width=64)
        ds = Dataset(demo_dataset("Stack", episodes=3, cameras=("front",), image_size=(48, 64)))
    else:
        cfg = lerobot["demoforge"](task=task)
        ds = Dataset(demo_dataset(task, episodes=3))
    assert env_to_policy_features(cfg) == dataset_to_policy_features(ds.features)


def test_lerobots_env_factory_builds_envs_whose_observations_match_the_features(lerobot):
    importlib.import_module("lerobot_env_demoforge")
    cfg = lerobot["demoforge"](task="PickPlace", cameras=["front", "wrist"], observation_height=32)
    for gym_id in [i for i in gym.registry if i.startswith("lerobot_env_demoforge/")]:
        del gym.registry[gym_id]  # as in a fresh process: the factory must import package_name
    del sys.modules["lerobot_env_demoforge"]
    envs = create_envs(cfg, n_envs=2)
    obs, _ = envs.reset(seed=[3, 4])
    raw = {k: v for k, v in obs.items() if k != "pixels"} | {f"pixels/{c}": v for c, v in obs["pixels"].items()}
    expected = {k: ft.shape for k, ft in cfg.features.items() if ft.type is not FeatureType.ACTION}
    assert {k: v.shape[1:] for k, v in raw.items()} == expected
    assert raw["pixels/front"].dtype == np.uint8 and raw["agent_pos"].dtype == np.float32
    # what lerobot's rollout asks of the sub-envs (0.4 with hasattr, all versions with call)
    assert hasattr(envs.envs[0], "task_description")
    assert envs.call("task_description") == (TASKS["PickPlace"][0].description,) * 2
    assert envs.call("_max_episode_steps")[0] == TASKS["PickPlace"][0]().max_episode_steps
    _, _, _, _, info = envs.step(np.zeros((2, 7), np.float32))
    assert "is_success" in info
    envs.close()


def test_pip_builds_the_distribution_under_the_name_discovery_imports(tmp_path):
    """`pip install integrations/lerobot_env_demoforge` works, and the installed metadata Name —
    what register_third_party_plugins passes to import_module — is the package's import name."""
    source = tmp_path / "src"
    shutil.copytree(PLUGIN, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp_path, source],
        check=True,
    )
    [wheel] = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        fields = dict(line.split(": ", 1) for line in zf.read(metadata).decode().splitlines() if ": " in line)
    assert fields["Name"] == "lerobot_env_demoforge"
    assert {f"lerobot_env_demoforge/{m}.py" for m in ("__init__", "configuration_demoforge", "env", "eval")} <= set(
        names
    )
