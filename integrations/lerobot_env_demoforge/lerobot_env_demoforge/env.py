"""The gym entry point: one demoforge task in one domain profile, in LeRobot's env dialect."""

from __future__ import annotations

from demoforge.augment.io.lerobot_env import LeRobotObservation, lerobot_env_maker


def make_env(
    task: str,
    profile: str = "target",
    cameras: tuple[str, ...] | list[str] = (),
    image_size: tuple[int, int] | list[int] = (84, 84),
) -> LeRobotObservation:
    """`gym.make("lerobot_env_demoforge/<task>", profile=..., cameras=[...], image_size=[h, w])`:
    observations `agent_pos`, `environment_state` and `pixels/<camera>`, which LeRobot's
    preprocessing turns into a `demoforge collect` dataset's keys (see demoforge's
    augment/io/lerobot_env.py)."""
    return lerobot_env_maker(task, profile, cameras, image_size)()
