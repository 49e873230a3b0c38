"""`GenerateConfig`: every knob of demo generation, typed, with MimicGen's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from ...envs import ConfigError
from ..config_bounds import (
    COUNT,
    EPISODES,
    MAX_COUNT,
    NON_NEGATIVE,
    SEED,
    SHARE,
    WORKERS,
    Bounds,
    check_bounds,
    check_cameras,
    check_choice,
    check_image_size,
    check_profile,
    check_robot,
    ints,
    reals,
)
from .select import STRATEGIES

# process, ray and batch write the same bytes for the same settings; warp (float32 physics on MuJoCo
# Warp) the same kind of demos, checked against them statistically
BACKENDS = ("process", "ray", "batch", "warp")
LOCKSTEP_BACKENDS = ("batch", "warp")  # N attempts stepped together by the batched runner


@dataclass(frozen=True)
class GenerateConfig:
    """Each field's `help` is its documentation and the `demoforge generate` flag's help text."""

    num: int = field(default=100, metadata={"help": "successful episodes to produce"})
    profile: str = field(default="randomized", metadata={"help": "domain profile to generate in (name or .toml path)"})
    seed: int = field(default=0, metadata={"help": "run seed: attempt j is seeded from (seed, j) alone"})
    selection: str = field(
        default="nearest_object", metadata={"help": "how a source segment is picked for each subtask"}
    )
    nn_k: int = field(
        default=3, metadata={"help": "nearest strategies pick uniformly among the k nearest (MimicGen's nn_k)"}
    )
    action_noise: float = field(
        default=0.05, metadata={"help": "std of Gaussian noise on the 6 arm action dims (MimicGen's 0.05)"}
    )
    # Off: it keeps more demos, but policies learn less from them (measured: docs/generation.md).
    quiet_steps: int = field(
        default=0,
        metadata={"help": "steps before each gripper switch and at each segment's end executed without action noise"},
    )
    # Below MimicGen's 1.0: under a step of actuation latency a gain of 1 rings (docs/generation.md).
    tracking_gain: float = field(
        default=0.6, metadata={"help": "fraction of the TCP-to-waypoint error commanded per step, in (0, 1]"}
    )
    # The domain's latency is the simulator's to know; on: under 2+ steps the tracker subtracts what
    # the actions still in flight will do (runner.predicted_pose). Off: the generator rings there.
    latency_compensation: bool = field(
        default=True,
        metadata={"help": "under 2+ steps of latency, track from where the actions in flight will put the TCP"},
    )
    interpolation_steps: int = field(
        default=5, metadata={"help": "steps bridging the current TCP pose to a segment's first pose"}
    )
    fixed_steps: int = field(default=0, metadata={"help": "pause steps after the bridge"})
    # 0: holds before a gripper switch teach the policy to hover (docs/generation.md).
    gripper_hold_steps: int = field(
        default=0, metadata={"help": "waypoint repeats at each gripper open/close, with the new command (stitch.py)"}
    )
    # Idle compression of source segments (compress.py): the source's hesitations and hovering are
    # not copied. 0 and 0 replay verbatim (MimicGen).
    idle_min_motion: float = field(
        default=0.005,
        metadata={"help": "a source waypoint is replayed once it moved this far (m) from the last one replayed ..."},
    )
    idle_min_rotation: float = field(
        default=0.05, metadata={"help": "... or turned this far (rad); both 0: the source replayed verbatim"}
    )
    # Off by default: from target's sources it kept 24/30 PegInsert attempts against 28/30 without.
    # `demoforge run` turns it on for sources calibrated at 2+ steps of latency (laggy_source_settings).
    loop_radius: float = field(
        default=0.0,
        metadata={
            "help": "a source path that comes back within this (m) of a waypoint skips the loop between (0: off)"
        },
    )
    idle_keep_after_switch: int = field(
        default=6, metadata={"help": "frames kept after a gripper switch while the fingers move"}
    )
    idle_keep_arrival: int = field(
        default=0, metadata={"help": "first frames of each idle stretch kept (the arm decelerating)"}
    )
    # The grasp segment keeps the close-and-lift, so the next, differently anchored segment starts
    # in the air (MimicGen uses 10–20 for Stack's grasp).
    subtask_offset: int = field(
        default=10, metadata={"help": "frames after a subtask's signal turns on that still belong to it"}
    )
    # See transform.in_hand_correction. False reproduces MimicGen's transform exactly.
    in_hand_correction: bool = field(
        default=True, metadata={"help": "re-anchor carrying segments on the held object's actual in-hand pose"}
    )
    # As the scripted expert does (TCP target = object target · live in-hand pose), instead of
    # replaying TCP poses open loop. False: the correction is applied once, at the segment's start.
    track_held_object: bool = field(
        default=True, metadata={"help": "steer a carried object along its transformed source path every step"}
    )
    # least_turn and line-up help only together (docs/generation.md); both touch carrying segments only.
    least_turn: bool = field(
        default=True,
        metadata={
            "help": "carry an object to the symmetric goal frame it turns least to reach (transform.least_turn_frame)"
        },
    )
    line_up_tolerance: float = field(
        default=0.002,
        metadata={
            "help": "near its goal, a carried object more than this (m) off its waypoint sideways waits there (0: off)"
        },
    )
    # Off: it keeps more PegInsert attempts, but policies learn less from them (docs/generation.md).
    line_up_grasp: bool = field(
        default=False,
        metadata={"help": "also line the TCP up over an object before closing on it (docs: generation, PegInsert)"},
    )
    line_up_distance: float = field(default=0.05, metadata={"help": "how near the goal (m) that check starts"})
    line_up_max_wait: int = field(default=10, metadata={"help": "steps one waypoint may be held for it"})
    subtask_retries: int = field(
        default=1, metadata={"help": "other source segments tried when a subtask fails, before giving up"}
    )
    settle_steps: int = field(
        default=10, metadata={"help": "steps held after the last segment for success to register"}
    )
    max_attempts: int = field(default=0, metadata={"help": "stop after this many attempts (0: 20 × num)"})
    cameras: tuple[str, ...] = field(default=(), metadata={"help": "cameras recorded as video (front side wrist)"})
    image_size: tuple[int, int] = field(default=(84, 84), metadata={"help": "camera image size in px (even)"})
    workers: int = field(
        default=0, metadata={"help": "worker processes (0: one per CPU core; batch backend: one, threaded)"}
    )
    backend: Literal["process", "ray", "batch", "warp"] = field(
        default="process",
        metadata={
            "help": "where attempts run: process pool, Ray (pip install demoforge[ray]), batch (N attempts in "
            "lockstep per worker, mujoco.batch on MuJoCo ≥ 4.0) or warp (N attempts as the worlds of one MuJoCo "
            "Warp model, on a GPU or else the CPU; pip install demoforge[gpu])"
        },
    )
    # batch backend only; what each choice gave on 2 cores: docs/benchmarks.md, "Generation backends".
    batch_size: int = field(default=32, metadata={"help": "batch backend: attempts stepped in lockstep per worker"})
    threads: int = field(default=0, metadata={"help": "batch backend: threads per worker (0: the CPU cores ÷ workers)"})
    ray_address: str | None = field(default=None, metadata={"help": "Ray cluster address (default: a local Ray)"})
    robot: str | None = field(
        default=None,
        metadata={"help": "robot to generate with: a name or a robot .toml file (default: the one the source records)"},
    )

    # The numeric fields' ranges, checked on construction and read by the `demoforge generate` flags.
    BOUNDS: ClassVar[dict[str, Bounds]] = {
        "num": EPISODES,
        "seed": SEED,
        "nn_k": ints(1, 1000),
        "action_noise": SHARE,
        "quiet_steps": COUNT,
        "tracking_gain": reals(0.0, 1.0, low_open=True),
        "interpolation_steps": ints(0, 1000),
        "fixed_steps": COUNT,
        "gripper_hold_steps": COUNT,
        "idle_min_motion": NON_NEGATIVE,
        "idle_min_rotation": NON_NEGATIVE,
        "idle_keep_after_switch": COUNT,
        "loop_radius": NON_NEGATIVE,
        "idle_keep_arrival": COUNT,
        "subtask_offset": COUNT,
        "line_up_tolerance": NON_NEGATIVE,
        "line_up_distance": NON_NEGATIVE,
        "line_up_max_wait": COUNT,
        "subtask_retries": COUNT,
        "settle_steps": COUNT,
        "max_attempts": COUNT,
        "workers": WORKERS,
        "batch_size": ints(1, MAX_COUNT),
        "threads": COUNT,
    }

    def __post_init__(self) -> None:
        check_bounds(self)
        check_choice("GenerateConfig.selection", self.selection, STRATEGIES)
        check_choice("GenerateConfig.backend", self.backend, BACKENDS)
        check_profile("GenerateConfig.profile", self.profile)
        check_cameras("GenerateConfig.cameras", self.cameras)
        check_image_size(self.image_size, "GenerateConfig.image_size")
        check_robot("GenerateConfig.robot", self.robot, optional=True)
        if self.backend in LOCKSTEP_BACKENDS and self.cameras:
            raise ConfigError(
                f"GenerateConfig.cameras={self.cameras!r}: the {self.backend} backend records state only; "
                "use --backend process"
            )

    @property
    def attempt_limit(self) -> int:
        return self.max_attempts or 20 * self.num

    def identity(self) -> dict:
        """The fields that decide the output's bytes (a resumed run must match them)."""
        skip = {"workers", "backend", "ray_address", "max_attempts", "num", "batch_size", "threads"}
        if self.robot is None:  # unnamed: runs started before robots could be chosen still resume
            skip.add("robot")
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items() if k not in skip}


LAGGY_SOURCE_LATENCY = 2  # control steps from which a source's operator swings about each goal
LAGGY_LOOP_RADIUS = 0.005  # m; sluggish_laggy PegInsert kept 7/30 → 25/30 (docs/calibration.md)


def laggy_source_settings(latency_steps: int) -> dict:
    """GenerateConfig fields for sources recorded under `latency_steps` of latency (what
    calibration identified): from `LAGGY_SOURCE_LATENCY` steps on, the sources' loops are skipped."""
    return {"loop_radius": LAGGY_LOOP_RADIUS} if latency_steps >= LAGGY_SOURCE_LATENCY else {}
