"""Replay a stored episode in the simulator: its domain redrawn from its seed, its first state
restored (`reset_to`), its recorded actions stepped, and the outcome compared with the recording.

A demo that does not replay cannot be trusted as a source or a training sample: what the policy
learns from would not be what the simulator does. Every episode `collect` and `generate` write
carries what a replay needs: the seed its env was reset with (which redraws the same domain
parameters, checked against the stored draw), `sim.state` per frame and the actions.

The profile an episode was recorded in is read from the dataset's own settings
(`meta/collect.json`, `meta/generation.json` or `meta/teleop.json`) when it is a built-in one. A profile file they
name is not opened (nothing outside the dataset is read on its say-so): pass it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...envs import ConfigError, EnvConfig, make_task_env, resolve_task_name
from ..domain.profiles import Profile, builtin_profiles, load_profile
from ..domain.wrapper import DomainRandomizationWrapper
from .dataset import Dataset, Episode
from .robot_layout import source_robot
from .safety import DatasetError

SIM_STATE = "sim.state"  # the recorder's per-frame simulator state (before that frame's action)
SETTINGS = ("meta/generation.json", "meta/collect.json", "meta/teleop.json")  # what wrote it, in which profile


@dataclass(frozen=True)
class Replay:
    """One episode replayed."""

    index: int
    steps: int
    success: bool  # the task's success after the last recorded action
    recorded_success: bool
    max_state_error: float  # largest |simulated − recorded| sim.state entry over the frames
    first_divergence: int | None  # first frame whose state differs by more than the tolerance
    # (T, n_signals) the task's subtask signals of the state each action led to, in the task's
    # signal order: the recorder's `next.subtask_signals`, which `annotate --auto` rebuilds from it
    signals: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def reproduced(self) -> bool:
        return self.success == self.recorded_success and self.first_divergence is None


def recorded_profile(dataset: Dataset) -> str:
    """The built-in profile the dataset's episodes were recorded in, from its settings."""
    for name in SETTINGS:
        path = dataset.root / name
        if path.is_file():
            try:
                profile = json.loads(path.read_text()).get("profile")
            except (json.JSONDecodeError, AttributeError):
                raise DatasetError(f"dataset {dataset.root}: {name} is not a JSON object") from None
            if profile in builtin_profiles():
                return profile
            if isinstance(profile, str) and profile:
                raise ConfigError(
                    f"dataset {dataset.root}: recorded in the profile file {profile!r} ({name}); pass that file "
                    "to replay it"
                )
    raise ConfigError(
        f"dataset {dataset.root}: no {' or '.join(SETTINGS)} names the profile it was recorded in; pass the profile"
    )


class Replayer:
    """Replays the episodes of one dataset in one env (the dataset's task, in `profile`)."""

    def __init__(self, dataset: str | Path | Dataset, profile: str | Path | Profile | None = None, tol: float = 1e-6):
        self.dataset = dataset if isinstance(dataset, Dataset) else Dataset(dataset)
        if not len(self.dataset):
            raise DatasetError(f"dataset {self.dataset.root}: holds no episode to replay")
        if SIM_STATE not in self.dataset.info["features"]:
            raise DatasetError(f"dataset {self.dataset.root}: has no {SIM_STATE} feature (imported data cannot replay)")
        profile = profile if profile is not None else recorded_profile(self.dataset)
        profile = profile if isinstance(profile, Profile) else load_profile(profile)
        task = resolve_task_name(self.dataset.meta(0).get("task") or "")
        robot = source_robot(self.dataset.info, f"dataset {self.dataset.root}")  # the robot that recorded it
        self.env = DomainRandomizationWrapper(make_task_env(task, config=EnvConfig(robot=robot)), profile)
        self.tol = tol

    def replay(self, index: int, episode: Episode | None = None) -> Replay:
        """Replay episode `index`; `episode`: it, already read (a caller that reads its videos too)."""
        episode = episode if episode is not None else self.dataset.episode(index, videos=False)
        meta, states, actions = episode.meta, episode.data[SIM_STATE], episode.data["action"]
        if "seed" not in meta:
            raise DatasetError(f"dataset {self.dataset.root}: episode {index} records no seed to redraw its domain")
        _, info = self.env.reset(seed=int(meta["seed"]))
        if "domain" in meta and info["domain"] != meta["domain"]:
            raise ConfigError(
                f"dataset {self.dataset.root}: episode {index} was recorded in another domain than profile "
                f"{self.env.profile.name!r} draws from its seed; pass the profile it was recorded in"
            )
        base = self.env.unwrapped
        base.set_sim_state(states[0])  # reset_to: the recorded first state
        errors = np.zeros(len(actions))
        names = list(base.task.signals())
        signals = np.zeros((len(actions), len(names)), bool)
        for t, action in enumerate(actions):
            _, _, _, _, info = self.env.step(action)
            signals[t] = [info["subtasks"][s] for s in names]
            if t + 1 < len(states):
                errors[t] = float(np.max(np.abs(base.sim_state() - states[t + 1])))
        diverged = np.flatnonzero(errors > self.tol)
        return Replay(
            index=index,
            steps=len(actions),
            success=bool(info["is_success"]),
            recorded_success=bool(meta.get("success", episode.data["next.success"][-1])),
            max_state_error=float(errors.max(initial=0.0)),
            first_divergence=int(diverged[0]) + 1 if len(diverged) else None,
            signals=signals,
        )

    def close(self) -> None:
        self.env.close()


def replay_episodes(
    dataset: str | Path | Dataset, indices=None, profile: str | Path | Profile | None = None
) -> list[Replay]:
    """Replay the episodes `indices` (all by default) of `dataset`."""
    replayer = Replayer(dataset, profile)
    try:
        chosen = range(len(replayer.dataset)) if indices is None else indices
        return [replayer.replay(int(i)) for i in chosen]
    finally:
        replayer.close()
