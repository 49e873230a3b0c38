"""`GenerateConfig`: every knob of demo generation, typed, with MimicGen's defaults."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ...envs import ConfigError
from .select import STRATEGIES


@dataclass(frozen=True)
class GenerateConfig:
    num: int = 100  # successful episodes to produce
    profile: str = "randomized"  # domain profile generation runs in (name or .toml path)
    seed: int = 0  # run seed: attempt j is seeded from (seed, j) alone
    selection: str = "nearest_object"  # random | nearest_object | nearest_eef_object
    nn_k: int = 3  # nearest strategies pick uniformly among the k nearest (MimicGen's nn_k)
    action_noise: float = 0.05  # std of Gaussian noise on the 6 arm action dims (MimicGen's 0.05)
    # Steps before each gripper switch and at each segment's end executed without action noise
    # (runner.quiet_steps). More demos kept — PegInsert 55 % → 67 %, 73 % with idle_keep_arrival=2 —
    # but policies learn less from them: the four-task uplift benchmark with 8 and 2 gave synthetic-only
    # Stack 38/50 (was 45/50), PickPlace 40/50 (47/50), PegInsert 5/50 (15/50) in target. Off by default.
    quiet_steps: int = 0
    # Fraction of the TCP-to-waypoint error commanded per step. MimicGen commands all of it (1.0),
    # which is right without latency; with one step of actuation latency (the randomized profile
    # draws 0–1) a gain of 1 rings and fails half the grasps (measured: 45 % Lift success vs 90 %
    # at 0.6). 0.6 lags a moving waypoint by under 1 cm.
    tracking_gain: float = 0.6
    interpolation_steps: int = 5  # steps bridging the current TCP pose to a segment's first pose
    fixed_steps: int = 0  # pause steps after the bridge
    # Waypoint repeats at each gripper open/close, with the new command (see stitch.py). 0: measured
    # on Stack, synthetic-only BC 26/40 without holds against 13–14/40 with 3 (either command).
    gripper_hold_steps: int = 0
    # Idle compression of source segments (compress.py): a waypoint is replayed only once it has
    # moved `idle_min_motion` m or turned `idle_min_rotation` rad from the last one replayed, so the
    # source's hesitations and hovering are not copied. 0 and 0 replay verbatim (MimicGen).
    idle_min_motion: float = 0.005
    idle_min_rotation: float = 0.05
    idle_keep_after_switch: int = 6  # frames kept after a gripper switch while the fingers move
    idle_keep_arrival: int = 0  # first frames of each idle stretch kept (the arm decelerating); see quiet_steps
    # Frames after a subtask's signal turns on that still belong to it: the grasp segment keeps
    # the close-and-lift, so the next, differently anchored segment starts in the air (MimicGen
    # uses 10–20 for Stack's grasp).
    subtask_offset: int = 10
    # Re-anchor carrying segments on the held object's actual in-hand pose (see
    # transform.in_hand_correction). False reproduces MimicGen's transform exactly.
    in_hand_correction: bool = True
    # With it, steer a carried object along its transformed source path every step (TCP target =
    # object target · live in-hand pose), as the scripted expert does, instead of replaying TCP
    # poses open loop. False: the correction is applied once, at the segment's start.
    track_held_object: bool = True
    subtask_retries: int = 1  # other source segments tried when a subtask fails, before giving up
    settle_steps: int = 10  # steps held after the last segment for success to register
    max_attempts: int = 0  # stop after this many attempts (0: 20 × num)
    cameras: tuple[str, ...] = ()  # cameras recorded as video
    image_size: tuple[int, int] = (84, 84)
    workers: int = 0  # worker processes (0: one per CPU core)
    backend: Literal["process", "ray"] = "process"
    ray_address: str | None = None  # None: a local Ray instance

    def __post_init__(self) -> None:
        if self.num < 1:
            raise ConfigError(f"GenerateConfig.num={self.num} must be ≥ 1")
        if self.selection not in STRATEGIES:
            raise ConfigError(f"GenerateConfig.selection={self.selection!r}; known: {', '.join(STRATEGIES)}")
        if self.backend not in ("process", "ray"):
            raise ConfigError(f"GenerateConfig.backend={self.backend!r}; allowed: process, ray")
        if not 0 < self.tracking_gain <= 1:
            raise ConfigError(f"GenerateConfig.tracking_gain={self.tracking_gain} must be in (0, 1]")
        nonneg = ("action_noise", "interpolation_steps", "fixed_steps", "subtask_retries", "idle_min_motion")
        nonneg += ("idle_min_rotation", "idle_keep_after_switch", "idle_keep_arrival", "quiet_steps")
        bad = [k for k in nonneg if not (math.isfinite(getattr(self, k)) and getattr(self, k) >= 0)]
        if bad:
            raise ConfigError(f"GenerateConfig.{bad[0]}={getattr(self, bad[0])} must be a finite number ≥ 0")

    @property
    def attempt_limit(self) -> int:
        return self.max_attempts or 20 * self.num

    def identity(self) -> dict:
        """The fields that decide the output's bytes (a resumed run must match them)."""
        skip = {"workers", "backend", "ray_address", "max_attempts", "num"}
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items() if k not in skip}
