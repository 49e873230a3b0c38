"""PegInsert: pick a square peg and insert it into a tight square socket (the hard task)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import wrap_angle, yaw_of, yaw_quat
from ..scene import TABLE_TOP_Z, WORKSPACE_CENTER
from ..task import Subtask, Task
from .fixtures import walled_box_xml


@dataclass(frozen=True)
class PegInsertConfig:
    peg_half_size: tuple[float, float, float] = (0.012, 0.012, 0.045)  # m; a 2.4 cm × 9 cm peg
    peg_mass: float = 0.05  # kg
    clearance: float = 0.003  # m per side between peg and socket wall: the tight tolerance
    socket_height: float = 0.04  # m
    insert_depth: float = 0.02  # m the peg's bottom must sink below the socket's top
    success_xy_slack: float = 0.001  # m beyond `clearance` the peg's centre may be off the socket's at success
    lifted_clearance: float = 0.005  # m the peg's bottom must clear the socket's top for `lifted`
    align_yaw_tolerance: float = 0.1  # rad of peg-to-socket yaw error `above_target` allows
    depth_reward_from: float = 0.02  # m above the socket's top where the dense depth term starts
    peg_x_range: tuple[float, float] = (-0.06, 0.06)  # m about the workspace centre
    peg_y_range: tuple[float, float] = (-0.18, -0.08)  # m
    socket_x_range: tuple[float, float] = (-0.05, 0.05)  # m
    socket_y_range: tuple[float, float] = (0.1, 0.18)  # m
    yaw_range: tuple[float, float] = (-np.pi / 4, np.pi / 4)  # rad, peg and socket independently
    max_episode_steps: int = 300  # 15 s at 20 Hz


def default_config() -> PegInsertConfig:
    return PegInsertConfig()


class PegInsert(Task):
    name = "PegInsert"
    description = "insert the peg into the socket"
    objects = ("peg", "socket")  # free peg, then the fixture (both observed)
    subtasks = (Subtask("grasped", "peg", grasp=True), Subtask(None, "socket"))
    symmetry = {"peg": 4, "socket": 4}  # square peg, square socket

    def __init__(self, config: PegInsertConfig | None = None):
        self.config = config or default_config()
        self.max_episode_steps = self.config.max_episode_steps

    def objects_xml(self) -> str:
        c = self.config
        hx, hy, hz = c.peg_half_size
        socket = walled_box_xml("socket", hx + c.clearance, c.socket_height, 0.02, False, "0.5 0.5 0.55 1")
        return f"""
<body name="peg" pos="0.5 -0.12 {hz}">
  <freejoint name="peg"/>
  <geom name="peg" class="object" type="box" size="{hx} {hy} {hz}" mass="{c.peg_mass}" rgba="0.9 0.6 0.1 1"/>
</body>
{socket}"""

    @property
    def socket_body(self) -> int:
        return self.object_bodies[1]

    def sample_reset(self, rng: np.random.Generator) -> None:
        c = self.config
        x = WORKSPACE_CENTER[0] + rng.uniform(*c.peg_x_range)
        y = WORKSPACE_CENTER[1] + rng.uniform(*c.peg_y_range)
        self.set_free_pose("peg", [x, y, TABLE_TOP_Z + c.peg_half_size[2]], yaw_quat(rng.uniform(*c.yaw_range)))
        sx = WORKSPACE_CENTER[0] + rng.uniform(*c.socket_x_range)
        sy = WORKSPACE_CENTER[1] + rng.uniform(*c.socket_y_range)
        self.set_mocap_pose("socket", [sx, sy, TABLE_TOP_Z], yaw_quat(rng.uniform(*c.yaw_range)))

    def _peg_bottom(self) -> float:
        return float(self.sim.body_pos(self.object_bodies[0])[2] - self.config.peg_half_size[2])

    def _xy_error(self) -> float:
        peg = self.sim.body_pos(self.object_bodies[0])
        return float(np.linalg.norm(peg[:2] - self.sim.body_pos(self.socket_body)[:2]))

    def _yaw_error(self) -> float:
        """Peg-to-socket yaw difference (rad) modulo the square's 90° symmetry."""
        d = wrap_angle(yaw_of(self.sim.body_rot(self.object_bodies[0])) - yaw_of(self.sim.body_rot(self.socket_body)))
        return float(abs((d + np.pi / 4) % (np.pi / 2) - np.pi / 4))

    def signals(self) -> dict[str, bool]:
        c = self.config
        top = TABLE_TOP_Z + c.socket_height
        return {
            "grasped": self.sim.grasping(self.object_geoms["peg"]),
            "lifted": self._peg_bottom() > top + c.lifted_clearance,
            "above_target": self._xy_error() < c.clearance and self._yaw_error() < c.align_yaw_tolerance,
        }

    def is_success(self) -> bool:
        """The peg's bottom is `insert_depth` below the socket's top, centred within the clearance."""
        top = TABLE_TOP_Z + self.config.socket_height
        return (
            self._peg_bottom() < top - self.config.insert_depth
            and self._xy_error() < self.config.clearance + self.config.success_xy_slack
        )

    def dense_reward(self) -> float:
        """Terms: reach the peg 1 − tanh(10·d) ∈ [0, 1] ×0.2; grasp +0.2; align over the socket
        1 − tanh(10·d_xy) ∈ [0, 1] ×0.3 while grasped; depth progress ∈ [0, 1] ×0.2 while grasped
        (0 with the peg's bottom `depth_reward_from` above the socket's top, 1 at `insert_depth`
        below it); success = 1."""
        if self.is_success():
            return 1.0
        reward = 0.2 * self.reach_reward(self.sim.body_pos(self.object_bodies[0]))
        if self.sim.grasping(self.object_geoms["peg"]):
            reward += 0.2 + 0.3 * float(1.0 - np.tanh(10.0 * self._xy_error()))
            c = self.config
            top = TABLE_TOP_Z + c.socket_height
            depth = np.clip(
                (top + c.depth_reward_from - self._peg_bottom()) / (c.depth_reward_from + c.insert_depth), 0.0, 1.0
            )
            reward += 0.2 * float(depth)
        return reward
