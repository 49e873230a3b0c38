"""Stack: pick cube A and place it on cube B."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import yaw_quat
from ..scene import TABLE_TOP_Z, WORKSPACE_CENTER
from ..task import Subtask, Task
from .placement import sample_separated_xy


@dataclass(frozen=True)
class StackConfig:
    cube_a_half_size: float = 0.02  # m; the cube that is picked (robosuite's)
    cube_b_half_size: float = 0.025  # m; the base cube
    cube_mass: float = 0.06  # kg, each
    x_range: tuple[float, float] = (-0.1, 0.1)  # m about the workspace centre, both cubes
    y_range: tuple[float, float] = (-0.15, 0.15)  # m
    yaw_range: tuple[float, float] = (-np.pi / 4, np.pi / 4)  # rad
    min_separation: float = 0.1  # m between cube centres at reset (Isaac Lab's stack)
    lifted_height: float = 0.03  # m cube A's bottom must rise above the table for the `lifted` signal
    stack_tolerance: float = 0.005  # m cube A's bottom may sit below B's top face (contact, rounding)
    max_episode_steps: int = 250  # 12.5 s at 20 Hz


def default_config() -> StackConfig:
    return StackConfig()


class Stack(Task):
    name = "Stack"
    description = "stack the red cube on the green cube"
    objects = ("cubeA", "cubeB")
    subtasks = (Subtask("grasped", "cubeA", grasp=True), Subtask(None, "cubeB"))
    symmetry = {"cubeA": 4, "cubeB": 4}

    def __init__(self, config: StackConfig | None = None):
        self.config = config or default_config()
        self.max_episode_steps = self.config.max_episode_steps

    def objects_xml(self) -> str:
        a, b, m = self.config.cube_a_half_size, self.config.cube_b_half_size, self.config.cube_mass
        return f"""
<body name="cubeA" pos="0.5 -0.1 {a}">
  <freejoint name="cubeA"/>
  <geom name="cubeA" class="object" type="box" size="{a} {a} {a}" mass="{m}" rgba="0.85 0.15 0.15 1"/>
</body>
<body name="cubeB" pos="0.5 0.1 {b}">
  <freejoint name="cubeB"/>
  <geom name="cubeB" class="object" type="box" size="{b} {b} {b}" mass="{m}" rgba="0.15 0.65 0.2 1"/>
</body>"""

    def sample_reset(self, rng: np.random.Generator) -> None:
        c = self.config
        xy = sample_separated_xy(rng, 2, WORKSPACE_CENTER[:2], c.x_range, c.y_range, c.min_separation)
        for name, h, p in (("cubeA", c.cube_a_half_size, xy[0]), ("cubeB", c.cube_b_half_size, xy[1])):
            self.set_free_pose(name, [p[0], p[1], TABLE_TOP_Z + h], yaw_quat(rng.uniform(*c.yaw_range)))

    def _positions(self) -> tuple[np.ndarray, np.ndarray]:
        return self.sim.body_pos(self.object_bodies[0]), self.sim.body_pos(self.object_bodies[1])

    def _above_b(self) -> bool:
        """Cube A's centre is over cube B's top face and A's bottom is not below B's top."""
        a, b = self._positions()
        c = self.config
        over = np.linalg.norm(a[:2] - b[:2]) < c.cube_b_half_size
        return bool(over and a[2] - c.cube_a_half_size > b[2] + c.cube_b_half_size - c.stack_tolerance)

    def signals(self) -> dict[str, bool]:
        a, _ = self._positions()
        return {
            "grasped": self.sim.grasping(self.object_geoms["cubeA"]),
            "lifted": bool(a[2] - TABLE_TOP_Z - self.config.cube_a_half_size > self.config.lifted_height),
            "above_target": self._above_b(),
        }

    def is_success(self) -> bool:
        """A rests on B (touching, over its top face) and the gripper has let go (robosuite's test)."""
        ga, gb = self.object_geoms["cubeA"], self.object_geoms["cubeB"]
        return self._above_b() and self.sim.touching(ga, gb) and not self.sim.grasping(ga)

    def dense_reward(self) -> float:
        """Terms (robosuite Stack's staged reward, scaled so the maximum is 1):
        reach A 1 − tanh(10·d) ∈ [0, 1] ×0.25, grasp A +0.25, A-over-B alignment 1 − tanh(10·d_xy)
        ∈ [0, 1] ×0.5 once grasped; success = 1."""
        if self.is_success():
            return 1.0
        a, b = self._positions()
        reward = 0.25 * self.reach_reward(a)
        if self.sim.grasping(self.object_geoms["cubeA"]):
            reward += 0.25 + 0.5 * float(1.0 - np.tanh(10.0 * np.linalg.norm(a[:2] - b[:2])))
        return min(reward, 0.99)
