"""`ManipulationEnv`: the Gymnasium env every task runs in (scene + arm + controller + task)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import gymnasium as gym
import mujoco
import numpy as np

from . import observation as obs_spec
from .control import CONTROL_MODES, Control, ControllerConfig
from .errors import ConfigError
from .geometry import IDENTITY_QUAT, mat_to_axis_angle, mat_to_quat, quat_near
from .robots import DEFAULT_ROBOT, get_robot
from .scene import SceneConfig, build_scene_model, camera_names
from .task import SimView, Task, object_poses, site_pose

ResetHook = Callable[["ManipulationEnv", np.random.Generator], None]


@dataclass(frozen=True)
class EnvConfig:
    """Settings of the env itself; task-specific ones live in each task's config."""

    control_hz: float = 20.0  # policy/action rate; physics substeps = round(1 / (hz · timestep))
    control_mode: Literal["ee_delta", "joint_pos"] = "ee_delta"
    controller: ControllerConfig = field(default_factory=ControllerConfig)
    scene: SceneConfig = field(default_factory=SceneConfig)
    reward_type: Literal["sparse", "dense"] = "sparse"
    terminate_on_success: bool = True  # end the episode at the first successful step
    cameras: tuple[str, ...] = ()  # cameras returned as `image_<name>` observations
    image_size: tuple[int, int] = (84, 84)  # (height, width) px of image observations
    render_size: tuple[int, int] = (240, 320)  # (height, width) px of `render()` frames
    render_camera: str = "front"
    init_qpos_noise: float = 0.02  # rad, std of Gaussian noise on the home posture (robosuite's)
    robot: str = DEFAULT_ROBOT  # a registered robot's name (`envs/robots/`, `register_robot`)

    def __post_init__(self) -> None:
        known_cameras = camera_names(self.robot)  # UnknownNameError lists the registered robots
        if self.control_mode not in CONTROL_MODES:
            raise ConfigError(f"EnvConfig.control_mode={self.control_mode!r}; allowed: 'ee_delta', 'joint_pos'")
        if self.reward_type not in ("sparse", "dense"):
            raise ConfigError(f"EnvConfig.reward_type={self.reward_type!r}; allowed: 'sparse', 'dense'")
        if self.control_hz <= 0 or 1.0 / self.control_hz < self.scene.timestep:
            raise ConfigError(
                f"EnvConfig.control_hz={self.control_hz} must be > 0 and at most 1/timestep "
                f"({1.0 / self.scene.timestep:g})"
            )
        for cam in (*self.cameras, self.render_camera):
            if cam not in known_cameras:
                raise ConfigError(f"EnvConfig camera {cam!r} unknown; known: {', '.join(known_cameras)}")
        for name in ("image_size", "render_size"):
            h, w = getattr(self, name)
            if not (0 < h <= self.scene.offscreen_height and 0 < w <= self.scene.offscreen_width):
                raise ConfigError(
                    f"EnvConfig.{name}={(h, w)} must fit the offscreen buffer "
                    f"({self.scene.offscreen_height}, {self.scene.offscreen_width})"
                )


def ee_action(
    current: np.ndarray, target_pose: np.ndarray, gripper: float, gain: float, c: ControllerConfig
) -> np.ndarray:
    """The ee_delta action commanding `gain` × the way from TCP pose `current` to `target_pose`
    (both (4, 4), world frame), clipped to [−1, 1]."""
    dpos = gain * (target_pose[:3, 3] - current[:3, 3]) / c.max_pos_delta
    drot = gain * mat_to_axis_angle(target_pose[:3, :3] @ current[:3, :3].T) / c.max_rot_delta
    return np.clip(np.concatenate((dpos, drot, [gripper])), -1.0, 1.0).astype(np.float32)


def _box(shape: tuple[int, ...]) -> gym.spaces.Box:
    return gym.spaces.Box(-np.inf, np.inf, shape=shape, dtype=np.float32)


class ManipulationEnv(gym.Env):
    """A robot arm (`EnvConfig.robot`, the Panda-like arm by default) at a table, doing `task`.

    Action (ee_delta, 7,): TCP displacement (3, ×`max_pos_delta` m), rotation vector in the world
    frame (3, ×`max_rot_delta` rad), gripper (1, −1 open … +1 closed), all in [−1, 1].
    Action (joint_pos, N + 1,): the arm's N absolute joint targets (rad, within joint limits),
    gripper as above.
    Observation: a Dict of float32 vectors, one per field of `observation.env_fields(robot)` (its
    key, size, units and names are there) — plus uint8 `image_<camera>` (H, W, 3) for each camera
    in `EnvConfig.cameras`.
    Info every step: `subtasks` (dict of the task's subtask-termination signals), `is_success`.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(self, task: Task, config: EnvConfig | None = None, render_mode: str | None = None):
        self.config = config or EnvConfig()
        if render_mode not in (None, "rgb_array"):
            raise ConfigError(f"render_mode={render_mode!r}; allowed: None, 'rgb_array'")
        self.render_mode = render_mode
        self.task = task
        self.robot = get_robot(self.config.robot)
        self.metadata = {**self.metadata, "render_fps": self.config.control_hz}
        self.model = build_scene_model(task.name, task.objects_xml(), self.config.scene, task.assets_xml(), self.robot)
        self.data = mujoco.MjData(self.model)
        self.n_substeps = max(1, round(1.0 / (self.config.control_hz * self.config.scene.timestep)))
        self.sim = SimView(self.model, self.data, self.robot)
        task.bind(self.sim)
        self.control = Control(self.model, self.config.control_mode, self.config.controller, self.robot)
        self._arm_q = self.control.arm_qpos
        self._arm_v = self.control.arm_dofs
        self._finger_q = self.control.finger_qpos
        # Extension points for domain randomization (augment/ wraps envs; envs never imports it):
        self.reset_hooks: list[ResetHook] = []  # on reset, after mj_resetData, before placement
        self.placement_hooks: list[ResetHook] = []  # on reset, after the task placed its objects
        self._renderers: dict[tuple[int, int], mujoco.Renderer] = {}
        self._steps = 0

        self._home = self.robot.arm.home
        self._lower, self._upper = self.robot.arm.lower, self.robot.arm.upper
        self._tcp_home_quat = np.array(self.robot.arm.tcp_home_quat)
        spaces = {f.key: _box((f.size(task.objects),)) for f in obs_spec.env_fields(self.robot)}
        h, w = self.config.image_size
        for cam in self.config.cameras:
            spaces[obs_spec.env_image_key(cam)] = gym.spaces.Box(0, 255, shape=(h, w, 3), dtype=np.uint8)
        self.observation_space = gym.spaces.Dict(spaces)
        self.action_space = self.control.space

    # Gymnasium API -------------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        mujoco.mj_resetData(self.model, self.data)
        for hook in self.reset_hooks:
            hook(self, self.np_random)
        q = self._home + self.config.init_qpos_noise * self.np_random.standard_normal(len(self._home))
        q = np.clip(q, self._lower, self._upper)
        self.data.qpos[self._arm_q] = q
        self.data.qpos[self._finger_q] = self.robot.arm.gripper.open
        self.control.hold(self.data.ctrl, q)
        self.task.sample_reset(self.np_random)
        for hook in self.placement_hooks:
            hook(self, self.np_random)
        mujoco.mj_forward(self.model, self.data)
        self._steps = 0
        return self._observe(), self._info()

    def step(self, action):
        self.control.apply(self.data, self.validate_action(action))
        mujoco.mj_step(self.model, self.data, nstep=self.n_substeps)
        self._steps += 1
        reward, terminated, truncated, info = self.step_outcome(self._steps)
        return self._observe(), reward, terminated, truncated, info

    def step_outcome(self, steps: int) -> tuple[float, bool, bool, dict[str, Any]]:
        """(reward, terminated, truncated, info) of the state in `data`, `steps` steps into the
        episode. The batched generation runner asks it of each simulation it steps, through an env
        whose data it copies that simulation into."""
        info = self._info()
        diverged = (
            not np.all(np.isfinite(self.data.qacc)) or self.data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number > 0
        )
        info["physics_diverged"] = bool(diverged)
        success = info["is_success"]
        if self.config.reward_type == "sparse":
            reward = float(success)
        else:
            reward = self.task.dense_reward()
        terminated = bool(success and self.config.terminate_on_success)
        truncated = bool(diverged or steps >= self.task.max_episode_steps)
        return reward, terminated, truncated, info

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        return self.render_camera(self.config.render_camera, *self.config.render_size)

    def close(self) -> None:
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()

    # Beyond Gymnasium: what experts, generation and datasets read ------------------------------

    def render_camera(self, camera: str, height: int, width: int) -> np.ndarray:
        """(height, width, 3) uint8 frame of `camera` at the current state."""
        renderer = self._renderers.get((height, width))
        if renderer is None:
            renderer = mujoco.Renderer(self.model, height, width)
            if self.config.scene.fast_render:
                renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
                renderer.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
            self._renderers[(height, width)] = renderer
        renderer.update_scene(self.data, camera)
        return renderer.render()

    def eef_pose(self) -> np.ndarray:
        """(4, 4) TCP pose in the world frame."""
        return site_pose(self.data.site_xpos, self.data.site_xmat, self.sim.tcp_site)

    def sim_state(self) -> np.ndarray:
        """MuJoCo qpos ‖ qvel: what datasets store as `sim.state` (robomimic's `states`)."""
        return np.concatenate((self.data.qpos, self.data.qvel))

    def set_sim_state(self, state: np.ndarray) -> None:
        """Jump to a `sim_state()` vector, the arm servos holding the restored posture."""
        flat = np.asarray(state, np.float64).ravel()
        nq, nv = self.model.nq, self.model.nv
        if flat.shape != (nq + nv,):
            raise ValueError(f"sim state has {flat.size} values, this env's qpos ‖ qvel has {nq + nv}")
        self.data.qpos[:] = flat[:nq]
        self.data.qvel[:] = flat[nq:]
        self.control.hold(self.data.ctrl, self.data.qpos[self._arm_q], open_fingers=False)
        mujoco.mj_forward(self.model, self.data)

    def object_poses(self) -> dict[str, np.ndarray]:
        """Task object name → (4, 4) pose in the world frame."""
        return object_poses(self.data.xpos, self.data.xquat, self.task)

    def gripper_opening(self) -> float:
        """The finger joints' positions summed (the Panda: m between the pads' travel, 0 closed … 0.08 open)."""
        return float(self.data.qpos[self._finger_q].sum())

    def ee_action_to(self, target_pose: np.ndarray, gripper: float, gain: float = 1.0) -> np.ndarray:
        """The ee_delta action commanding `gain` × the way from the TCP to `target_pose` (4, 4),
        clipped to [−1, 1]."""
        return ee_action(self.eef_pose(), target_pose, gripper, gain, self.config.controller)

    # Internals -----------------------------------------------------------------------------------

    def validate_action(self, action) -> np.ndarray:
        """The action as float64, clipped to the action space; raises InvalidActionError for a
        wrong shape or dtype or a NaN/inf entry (`Control.validate`)."""
        return self.control.validate(action)

    def observe_state(
        self,
        qpos: np.ndarray,
        qvel: np.ndarray,
        tcp_pos: np.ndarray,
        tcp_quat: np.ndarray,
        obj_pos: np.ndarray,
        obj_quat: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """The state observation vectors from the simulator's arrays: qpos (..., nq), qvel (..., nv),
        TCP position (..., 3) and quaternion (..., 4), object positions (..., n_obj, 3) and
        quaternions (..., n_obj, 4). Leading axes are simulations stepped together (the batched
        generation runner); the arithmetic is elementwise, so a row reads the same in any batch.
        Quaternion signs: the TCP's nearer its home orientation (gripper down), the objects'
        nearer identity (upright), so both read continuously (`geometry.quat_near`)."""
        lead = obj_pos.shape[:-2]
        tcp_quat = quat_near(tcp_quat, self._tcp_home_quat)
        obj_quat = quat_near(obj_quat, IDENTITY_QUAT)
        return {
            obs_spec.JOINT_POS.key: qpos[..., self._arm_q].astype(np.float32),
            obs_spec.JOINT_VEL.key: qvel[..., self._arm_v].astype(np.float32),
            obs_spec.EEF_POS.key: tcp_pos.astype(np.float32),
            obs_spec.EEF_QUAT.key: tcp_quat.astype(np.float32),
            obs_spec.GRIPPER_QPOS.key: qpos[..., self._finger_q].astype(np.float32),
            obs_spec.OBJECT_POS.key: obj_pos.reshape(*lead, -1).astype(np.float32),
            obs_spec.OBJECT_QUAT.key: obj_quat.reshape(*lead, -1).astype(np.float32),
            obs_spec.OBJECT_TO_EEF.key: (obj_pos - tcp_pos[..., None, :]).reshape(*lead, -1).astype(np.float32),
        }

    def _eef_quat(self) -> np.ndarray:
        """TCP orientation (w, x, y, z); `observe_state` picks its sign."""
        return mat_to_quat(self.data.site_xmat[self.sim.tcp_site])

    def _info(self) -> dict[str, Any]:
        return {"subtasks": self.task.signals(), "is_success": bool(self.task.is_success())}

    def _observe(self) -> dict[str, np.ndarray]:
        d = self.data
        bodies = list(self.task.object_bodies)
        obs = self.observe_state(
            d.qpos, d.qvel, d.site_xpos[self.sim.tcp_site], self._eef_quat(), d.xpos[bodies], d.xquat[bodies]
        )
        h, w = self.config.image_size
        for cam in self.config.cameras:
            obs[obs_spec.env_image_key(cam)] = self.render_camera(cam, h, w)
        return obs
