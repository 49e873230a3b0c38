"""Lift: grasp a cube and raise it above the table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import yaw_quat
from ..scene import TABLE_TOP_Z, WORKSPACE_CENTER
from ..task import Subtask, Task


@dataclass(frozen=True)
class LiftConfig:
    cube_half_size: float = 0.02  # m; a 4 cm cube leaves ~4 cm of finger clearance
    cube_mass: float = 0.06  # kg; a 4 cm cube of water density, as robosuite's
    x_range: tuple[float, float] = (-0.08, 0.08)  # m about the workspace centre
    y_range: tuple[float, float] = (-0.12, 0.12)  # m
    yaw_range: tuple[float, float] = (-np.pi / 4, np.pi / 4)  # rad; a cube repeats every 90°
    lift_height: float = 0.04  # m the cube must rise above its rest height to count as success
    max_episode_steps: int = 150  # 7.5 s at 20 Hz


def default_config() -> LiftConfig:
    return LiftConfig()


class Lift(Task):
    name = "Lift"
    description = "lift the red cube"
    objects = ("cube",)
    subtasks = (Subtask("grasped", "cube", grasp=True), Subtask(None, "cube"))
    symmetry = {"cube": 4}

    def __init__(self, config: LiftConfig | None = None):
        self.config = config or default_config()
        self.max_episode_steps = self.config.max_episode_steps

    def objects_xml(self) -> str:
        h = self.config.cube_half_size
        return f"""
<body name="cube" pos="0.5 0 {h}">
  <freejoint name="cube"/>
  <geom name="cube" class="object" type="box" size="{h} {h} {h}" mass="{self.config.cube_mass}"
        rgba="0.85 0.15 0.15 1"/>
</body>"""

    def sample_reset(self, rng: np.random.Generator) -> None:
        c = self.config
        x = WORKSPACE_CENTER[0] + rng.uniform(*c.x_range)
        y = WORKSPACE_CENTER[1] + rng.uniform(*c.y_range)
        self.set_free_pose("cube", [x, y, TABLE_TOP_Z + c.cube_half_size], yaw_quat(rng.uniform(*c.yaw_range)))

    def _cube_height(self) -> float:
        return float(self.sim.body_pos(self.object_bodies[0])[2] - TABLE_TOP_Z - self.config.cube_half_size)

    def signals(self) -> dict[str, bool]:
        return {
            "grasped": self.sim.grasping(self.object_geoms["cube"]),
            "lifted": self._cube_height() > self.config.lift_height,
        }

    def is_success(self) -> bool:
        return self._cube_height() > self.config.lift_height

    def dense_reward(self) -> float:
        """Terms (robosuite Lift's, rescaled so the maximum is 1):
        reach 1 − tanh(10·d) ∈ [0, 1] (d = TCP-to-cube distance, m), grasp 0.25 while both pads
        touch the cube, success 2.25 replaces both; the sum is divided by 2.25."""
        if self.is_success():
            return 1.0
        reward = self.reach_reward(self.sim.body_pos(self.object_bodies[0]))
        if self.sim.grasping(self.object_geoms["cube"]):
            reward += 0.25
        return reward / 2.25
