"""Model-level domain randomization: edit `MjModel` fields in place, restore them exactly.

`DomainRandomizer` snapshots every field it may touch when it is created (the nominal model) and
copies the snapshot back before each draw, so no episode inherits another's parameters and a
nominal reset is bit-for-bit the pristine model. Each family is a plain function
`(model, ids, spec, rng) -> drawn parameters`; drawn values are returned as JSON-ready dicts
for the episode's metadata. Nothing is recompiled. The physics stream (`rng`) feeds every family
recorded datasets already depend on; textures and lighting draw from a separate look stream
(`appearance.py`), so they never shift a physics draw.
"""

from __future__ import annotations

import mujoco
import numpy as np

from ...envs import ManipulationEnv
from ...envs.geometry import axis_angle_to_mat, mat_to_quat, quat_to_mat
from .appearance import randomize_distractors, randomize_lighting, randomize_textures
from .model_ids import ModelIds
from .profiles import ActionSpec, PhysicsSpec, Profile, SceneSpec, VisualSpec

# Every MjModel field any family edits. `opt.gravity` and `vis.headlight` are handled beside them.
RANDOMIZED_FIELDS = (
    "geom_friction",
    "geom_rgba",
    "geom_size",
    "geom_rbound",
    "geom_aabb",
    "body_mass",
    "body_inertia",
    "dof_damping",
    "dof_armature",
    "actuator_gainprm",
    "actuator_biasprm",
    "actuator_forcerange",
    "light_pos",
    "light_diffuse",
    "light_active",
    "light_dir",
    "light_ambient",
    "cam_pos",
    "cam_quat",
    "cam_fovy",
    "mat_rgba",
    "geom_matid",
    "geom_group",  # these three: distractor objects only (shown, placed)
    "body_pos",
    "body_quat",
)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, size=None):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def randomize_physics(m: mujoco.MjModel, ids: ModelIds, spec: PhysicsSpec, rng: np.random.Generator) -> dict:
    friction = rng.uniform(*spec.friction_scale)
    m.geom_friction[ids.contact_geoms, :2] *= friction
    mass = rng.uniform(*spec.object_mass_scale)
    m.body_mass[ids.free_bodies] *= mass
    m.body_inertia[ids.free_bodies] *= mass
    damping = _log_uniform(rng, *spec.joint_damping_scale)
    m.dof_damping[ids.arm_dofs] *= damping
    armature = _log_uniform(rng, *spec.joint_armature_scale)
    m.dof_armature[ids.arm_dofs] *= armature
    gain = _log_uniform(rng, *spec.actuator_gain_scale)
    m.actuator_gainprm[ids.arm_actuators, 0] *= gain
    m.actuator_biasprm[ids.arm_actuators, 1:3] *= gain  # kp and kv: the servo keeps its damping ratio
    tilt = np.deg2rad(rng.uniform(*spec.gravity_tilt_deg))
    azimuth = np.deg2rad(rng.uniform(*spec.gravity_azimuth_deg))
    axis = np.array([np.cos(azimuth), np.sin(azimuth), 0.0])
    m.opt.gravity[:] = axis_angle_to_mat(axis * tilt) @ m.opt.gravity
    return {
        "friction_scale": float(friction),
        "object_mass_scale": float(mass),
        "joint_damping_scale": float(damping),
        "joint_armature_scale": float(armature),
        "actuator_gain_scale": float(gain),
        "gravity": m.opt.gravity.tolist(),
    }


def randomize_visual(m: mujoco.MjModel, ids: ModelIds, spec: VisualSpec, rng: np.random.Generator) -> dict:
    drawn: dict = {}
    if spec.colors:
        kept = np.concatenate([*ids.object_geoms.values()]) if not spec.object_colors else np.array([], int)
        own = m.geom_rgba[kept].copy()
        m.geom_rgba[ids.colored_geoms, :3] = rng.uniform(0.05, 0.95, (len(ids.colored_geoms), 3))
        m.geom_rgba[kept] = own
        mats = ids.scene_materials
        m.mat_rgba[mats, :3] = rng.uniform(0.3, 1.0, (len(mats), 3))
        drawn["object_rgba"] = m.geom_rgba[ids.free_geoms].round(4).tolist()
    lights = ids.scene_lights
    m.light_pos[lights] += rng.uniform(-spec.light_pos_jitter, spec.light_pos_jitter, (len(lights), 3))
    intensity = rng.uniform(*spec.light_intensity_scale)
    m.light_diffuse[:] *= intensity
    fill_off = bool(len(lights) > 1 and rng.random() < spec.light_off_prob)
    if fill_off:
        m.light_active[lights[1:]] = 0
    cams = ids.fixed_cameras
    pitch = axis_angle_to_mat(np.array([np.deg2rad(spec.camera_pitch_offset_deg), 0.0, 0.0]))
    for c in cams:
        jitter_axis = rng.normal(size=3)
        jitter_axis /= np.linalg.norm(jitter_axis)
        angle = np.deg2rad(rng.uniform(0, spec.camera_rot_jitter_deg))
        rot = quat_to_mat(m.cam_quat[c]) @ pitch @ axis_angle_to_mat(jitter_axis * angle)
        m.cam_quat[c] = mat_to_quat(rot)
        m.cam_pos[c] += np.asarray(spec.camera_pos_offset) + rng.uniform(-1, 1, 3) * spec.camera_pos_jitter
    m.cam_fovy[cams] += rng.uniform(-spec.fovy_jitter_deg, spec.fovy_jitter_deg, len(cams))
    drawn.update(
        light_intensity_scale=float(intensity),
        fill_light_off=fill_off,
        camera_pos=m.cam_pos[cams].tolist(),
        camera_fovy=m.cam_fovy[cams].tolist(),
    )
    return drawn


def randomize_action_model(m: mujoco.MjModel, ids: ModelIds, spec: ActionSpec, rng: np.random.Generator) -> dict:
    """The model half of the action family (gripper strength); latency and noise act per step."""
    force = rng.uniform(*spec.gripper_force_scale)
    m.actuator_forcerange[ids.finger_actuators] *= force
    return {"gripper_force_scale": float(force)}


def randomize_scene_model(m: mujoco.MjModel, ids: ModelIds, spec: SceneSpec, rng: np.random.Generator) -> dict:
    """Object size: scale the free objects' geoms, with the bounds collision detection uses."""
    size = rng.uniform(*spec.object_size_scale)
    g = ids.free_geoms
    m.geom_size[g] *= size
    m.geom_rbound[g] *= size
    m.geom_aabb[g] *= size
    # Mass follows volume so density (and the physics family's mass scale) keep their meaning.
    m.body_mass[ids.free_bodies] *= size**3
    m.body_inertia[ids.free_bodies] *= size**5
    return {"object_size_scale": float(size)}


class DomainRandomizer:
    """Owns the nominal snapshot of one env's model and draws new model parameters from a profile."""

    def __init__(self, env: ManipulationEnv):
        self.model, self.data = env.model, env.data
        self.ids = ModelIds.of(env)
        self.nominal = {f: getattr(self.model, f).copy() for f in RANDOMIZED_FIELDS}
        self.nominal_gravity = self.model.opt.gravity.copy()
        headlight = self.model.vis.headlight
        self.nominal_headlight = (headlight.diffuse.copy(), headlight.ambient.copy())

    def restore(self) -> None:
        """Copy every nominal field back, bit for bit, and recompute the derived constants."""
        self._copy_nominal()
        self._derive_constants()

    def _copy_nominal(self) -> None:
        for f, value in self.nominal.items():
            np.copyto(getattr(self.model, f), value)
        np.copyto(self.model.opt.gravity, self.nominal_gravity)
        np.copyto(self.model.vis.headlight.diffuse, self.nominal_headlight[0])
        np.copyto(self.model.vis.headlight.ambient, self.nominal_headlight[1])

    def _derive_constants(self) -> None:
        """Recompute what MuJoCo derives from the edited fields at compile time (body_invweight0,
        body_subtreemass, ...). The constraint solver scales contact softness by invweight0: after
        a mass change without this, a held object's contacts go unstable and the simulation
        diverges (measured: 9 of 20 PegInsert episodes at mass ×1.4). Costs ~0.03 ms. It leaves
        MjData at qpos0, so it only runs inside reset, before the state is set."""
        mujoco.mj_setConst(self.model, self.data)
        mujoco.mj_resetData(self.model, self.data)

    def apply(self, profile: Profile, rng: np.random.Generator, look_rng: np.random.Generator) -> dict:
        """Restore, then draw every enabled model family in a fixed order; returns what was drawn.
        `rng` is the physics stream, `look_rng` the look stream (textures, lighting), kept apart
        so that appearance never shifts a physics draw. Call it only while resetting (it resets
        MjData)."""
        self._copy_nominal()
        drawn: dict = {}
        m, ids = self.model, self.ids
        # Scene size before physics mass: both scale mass, and the order is part of reproducibility.
        if profile.scene.enabled:
            drawn["scene"] = randomize_scene_model(m, ids, profile.scene, rng)
        if profile.physics.enabled:
            drawn["physics"] = randomize_physics(m, ids, profile.physics, rng)
        if profile.visual.enabled:
            drawn["visual"] = randomize_visual(m, ids, profile.visual, rng)
        if profile.action.enabled:
            drawn["action"] = randomize_action_model(m, ids, profile.action, rng)
        if profile.visual.enabled:
            drawn["visual"]["textures"] = randomize_textures(m, ids, profile.visual, look_rng)
            drawn["visual"]["lighting"] = randomize_lighting(m, ids, profile.visual, look_rng)
            drawn["visual"].update(randomize_distractors(m, ids, profile.visual, look_rng))
        self._derive_constants()
        return drawn
