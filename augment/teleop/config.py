"""`TeleopConfig`: the settings of `demoforge teleop`, checked on construction (the CLI builds it
from its flags, so the Python API refuses what the command refuses)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import ClassVar

from ...envs import TASKS, ConfigError, resolve_task_name
from ...envs.robots import DEFAULT_ROBOT, resolve_robot_name
from ..config_bounds import (
    EPISODES,
    SEED,
    Bounds,
    check_bounds,
    check_cameras,
    check_image_size,
    check_name,
    check_profile,
    check_robot,
    ints,
    reals,
)

WEB = "web"
TERMINAL = "terminal"
SPACEMOUSE = "spacemouse"
DEVICES = (WEB, TERMINAL, SPACEMOUSE)
SCRIPT_PREFIX = "script:"


def is_loopback(host: str) -> bool:
    return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback


@dataclass(frozen=True)
class TeleopConfig:
    """Each field's `help` is its documentation and the `demoforge teleop` flag's help text."""

    task: str = field(default="Lift", metadata={"help": "task to drive"})
    device: str = field(
        default=WEB,
        metadata={
            "help": "'web' (a page served locally), 'terminal' (keys in this terminal), 'spacemouse', "
            "or 'script:EVENTS.jsonl'"
        },
    )
    episodes: int = field(default=10, metadata={"help": "demos to keep; the command ends when it has them"})
    profile: str = field(default="target", metadata={"help": "domain profile (target: the 'real' domain; or a .toml)"})
    # Two views at 128 px are what a person needs to judge depth (issue 39); the page shows them live.
    cameras: tuple[str, ...] = field(default=("front", "wrist"), metadata={"help": "cameras shown and recorded"})
    image_size: tuple[int, int] = field(default=(128, 128), metadata={"help": "camera image size in px (even)"})
    seed: int = field(default=0, metadata={"help": "episode k starts from reset seed seed+k"})
    # 0.3 × max_pos_delta (5 cm) = 1.5 cm per step, 30 cm/s at 20 Hz: across the table in ~2 s,
    # and shift's ¼ speed (4 mm per step) for lining up a grasp.
    speed: float = field(default=0.3, metadata={"help": "translation per step while a key is held, × max_pos_delta"})
    rot_speed: float = field(default=0.2, metadata={"help": "rotation per step while a key is held, × max_rot_delta"})
    # People are slower than the scripted expert the task limits were set for (Lift: 150 steps).
    max_steps: int = field(default=600, metadata={"help": "control steps before an episode times out (30 s at 20 Hz)"})
    keep_failures: bool = field(default=False, metadata={"help": "let 'keep' store an episode that did not succeed"})
    # A terminal sends no key-up: a key is held this long after its last auto-repeat (terminal_device.py).
    key_hold_ms: int = field(
        default=150, metadata={"help": "--device terminal: a key counts as held this long after its last repeat"}
    )
    host: str = field(
        default="127.0.0.1",
        metadata={"help": "address the page is served on; another than loopback lets other machines drive the robot"},
    )
    port: int = field(default=8765, metadata={"help": "port of the page (0: any free port)"})
    jpeg_quality: int = field(default=80, metadata={"help": "JPEG quality of the live views (not of the recording)"})
    robot: str = field(default=DEFAULT_ROBOT, metadata={"help": "robot: a registered name or a robot .toml file"})

    BOUNDS: ClassVar[dict[str, Bounds]] = {
        "episodes": EPISODES,
        "seed": SEED,
        "speed": reals(0.0, 1.0, low_open=True),
        "rot_speed": reals(0.0, 1.0, low_open=True),
        "max_steps": ints(1, 100_000),
        "port": ints(0, 65535),
        "jpeg_quality": ints(1, 95),
        "key_hold_ms": ints(20, 2000),
    }

    def __post_init__(self) -> None:
        check_name("TeleopConfig.task", self.task, resolve_task_name)
        TASKS[resolve_task_name(self.task)]  # a broken plugin task is its own one-line error, before serving
        check_bounds(self)
        check_profile("TeleopConfig.profile", self.profile)
        check_cameras("TeleopConfig.cameras", self.cameras)
        check_image_size(self.image_size, "TeleopConfig.image_size")
        check_robot("TeleopConfig.robot", self.robot)
        if self.device not in DEVICES and not self.device.startswith(SCRIPT_PREFIX):
            raise ConfigError(
                f"TeleopConfig.device={self.device!r}: expected {', '.join(map(repr, DEVICES))} or 'script:EVENTS.jsonl'"
            )
        if self.script_path:
            from .script_device import load_events

            load_events(self.script_path)  # a bad line is refused before anything is written
        try:
            is_loopback(self.host)
        except ValueError:
            raise ConfigError(
                f"TeleopConfig.host={self.host!r}: expected an IP address (127.0.0.1, 0.0.0.0, ::) or localhost"
            ) from None

    @property
    def script_path(self) -> str | None:
        return self.device.removeprefix(SCRIPT_PREFIX) if self.device.startswith(SCRIPT_PREFIX) else None

    def identity(self) -> dict:
        """The fields that decide the output's bytes (a resumed recording must match them)."""
        return {
            "task": self.task,
            "profile": str(self.profile),
            "cameras": list(self.cameras),
            "image_size": list(self.image_size),
            "seed": self.seed,
            "max_steps": self.max_steps,
            # the default robot unnamed: recordings made before robots could be chosen still resume
            **({} if self.robot_name == DEFAULT_ROBOT else {"robot": self.robot_name}),
        }

    @property
    def robot_name(self) -> str:
        """The registered name `robot` means (a .toml file's robot, registered by the check)."""
        return resolve_robot_name(self.robot)
