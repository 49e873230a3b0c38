"""PickPlace: carry an object from the table into a bin."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import yaw_quat
from ..scene import TABLE_TOP_Z, WORKSPACE_CENTER
from ..task import Subtask, Task
from .fixtures import walled_box_xml


@dataclass(frozen=True)
class PickPlaceConfig:
    object_half_size: tuple[float, float, float] = (0.018, 0.018, 0.03)  # m; a can-sized box
    object_mass: float = 0.08  # kg
    object_x_range: tuple[float, float] = (-0.08, 0.08)  # m about the workspace centre
    object_y_range: tuple[float, float] = (-0.2, -0.08)  # m; the object starts on the right
    yaw_range: tuple[float, float] = (-np.pi / 4, np.pi / 4)  # rad
    bin_x_range: tuple[float, float] = (-0.05, 0.05)  # m about the workspace centre
    bin_y_range: tuple[float, float] = (0.12, 0.2)  # m; the bin stands on the left
    bin_inner_half: float = 0.07  # m; a 14 cm square opening
    bin_wall_height: float = 0.05  # m
    lifted_height: float = 0.03  # m the object's bottom must rise above the table for the `lifted` signal
    above_bin_margin: float = 0.01  # m inside the bin's walls the object must be for `above_target`
    max_episode_steps: int = 250  # 12.5 s at 20 Hz


def default_config() -> PickPlaceConfig:
    return PickPlaceConfig()


class PickPlace(Task):
    name = "PickPlace"
    description = "put the blue object in the bin"
    objects = ("object", "bin")  # free object, then the fixture (both observed)
    subtasks = (Subtask("grasped", "object", grasp=True), Subtask(None, "bin"))
    symmetry = {"object": 4, "bin": 4}  # square cross-sections

    def __init__(self, config: PickPlaceConfig | None = None):
        self.config = config or default_config()
        self.max_episode_steps = self.config.max_episode_steps

    def objects_xml(self) -> str:
        c = self.config
        hx, hy, hz = c.object_half_size
        return f"""
<body name="object" pos="0.5 -0.15 {hz}">
  <freejoint name="object"/>
  <geom name="object" class="object" type="box" size="{hx} {hy} {hz}" mass="{c.object_mass}"
        rgba="0.2 0.35 0.85 1"/>
</body>
{walled_box_xml("bin", c.bin_inner_half, c.bin_wall_height, 0.01, True, "0.45 0.3 0.2 1")}"""

    @property
    def bin_body(self) -> int:
        return self.object_bodies[1]

    def sample_reset(self, rng: np.random.Generator) -> None:
        c = self.config
        x = WORKSPACE_CENTER[0] + rng.uniform(*c.object_x_range)
        y = WORKSPACE_CENTER[1] + rng.uniform(*c.object_y_range)
        self.set_free_pose("object", [x, y, TABLE_TOP_Z + c.object_half_size[2]], yaw_quat(rng.uniform(*c.yaw_range)))
        bx = WORKSPACE_CENTER[0] + rng.uniform(*c.bin_x_range)
        by = WORKSPACE_CENTER[1] + rng.uniform(*c.bin_y_range)
        self.set_mocap_pose("bin", [bx, by, TABLE_TOP_Z], [1.0, 0.0, 0.0, 0.0])

    def _in_bin_xy(self, margin: float = 0.0) -> bool:
        obj = self.sim.body_pos(self.object_bodies[0])
        rel = np.abs(obj[:2] - self.sim.body_pos(self.bin_body)[:2])
        return bool(np.all(rel < self.config.bin_inner_half - margin))

    def signals(self) -> dict[str, bool]:
        c = self.config
        obj = self.sim.body_pos(self.object_bodies[0])
        bottom = obj[2] - c.object_half_size[2]
        return {
            "grasped": self.sim.grasping(self.object_geoms["object"]),
            "lifted": bool(bottom - TABLE_TOP_Z > c.lifted_height),
            "above_target": self._in_bin_xy(margin=c.above_bin_margin)
            and bool(bottom > TABLE_TOP_Z + c.bin_wall_height),
        }

    def is_success(self) -> bool:
        """The object is inside the bin (within its walls, below their top) and released."""
        obj = self.sim.body_pos(self.object_bodies[0])
        low = obj[2] - self.config.object_half_size[2] < TABLE_TOP_Z + self.config.bin_wall_height
        return self._in_bin_xy() and bool(low) and not self.sim.grasping(self.object_geoms["object"])

    def dense_reward(self) -> float:
        """Terms: reach the object 1 − tanh(10·d) ∈ [0, 1] ×0.25; grasp +0.25; carry toward the
        bin centre 1 − tanh(5·d_xy) ∈ [0, 1] ×0.45 while grasped; success = 1."""
        if self.is_success():
            return 1.0
        obj = self.sim.body_pos(self.object_bodies[0])
        reward = 0.25 * self.reach_reward(obj)
        if self.sim.grasping(self.object_geoms["object"]):
            d = np.linalg.norm(obj[:2] - self.sim.body_pos(self.bin_body)[:2])
            reward += 0.25 + 0.45 * float(1.0 - np.tanh(5.0 * d))
        return reward
