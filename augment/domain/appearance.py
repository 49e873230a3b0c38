"""The visual families that draw from the look stream: textures, lighting and distractor objects.

They only change what a camera sees (material indices, lights, the headlight), never a physics
field, and they draw from their own generator: the physics stream, and with it every state,
action and `sim.state` a dataset records, is the same with these families on or off. The older
visual draws (colors, light position and intensity, camera pose and fov) stay in `randomize.py` on
the physics stream, where recorded datasets already depend on them.
"""

from __future__ import annotations

import mujoco
import numpy as np

from ...envs import textures
from ...envs.geometry import axis_angle_to_mat, yaw_quat
from .model_ids import ModelIds
from .profiles import VisualSpec


def randomize_textures(m: mujoco.MjModel, ids: ModelIds, spec: VisualSpec, rng: np.random.Generator) -> dict:
    """Point the table, floor, each object and the robot at bank materials (no recompiling).

    A geom's own rgba still multiplies the texture (MuJoCo's rule for non-default rgba), so a red
    cube stays reddish and the arm keeps its light and dark links under any texture.
    """
    drawn: dict = {}
    if spec.textures:
        surfaces, objects = ids.surface_materials, ids.object_materials
        table, floor = rng.choice(surfaces, 2)
        m.geom_matid[ids.table_geoms] = table
        m.geom_matid[ids.floor_geoms] = floor
        drawn.update(table=m.mat(table).name, floor=m.mat(floor).name)
        for body, geoms in ids.object_geoms.items():
            mat = rng.choice(objects)  # drawn even when not applied: later draws stay where they were
            if spec.object_colors:
                m.geom_matid[geoms] = mat
                drawn[m.body(body).name] = m.mat(mat).name
        robot = rng.choice(objects)
        m.geom_matid[ids.robot_geoms] = robot
        drawn["robot"] = m.mat(robot).name
    if spec.table_texture is not None:
        m.geom_matid[ids.table_geoms] = m.mat(spec.table_texture).id
        drawn["table"] = spec.table_texture
    if spec.floor_texture is not None:
        m.geom_matid[ids.floor_geoms] = m.mat(spec.floor_texture).id
        drawn["floor"] = spec.floor_texture
    return drawn


def randomize_lighting(m: mujoco.MjModel, ids: ModelIds, spec: VisualSpec, rng: np.random.Generator) -> dict:
    """Light count (spare lights on), direction, colour, ambient and the headlight. (Light specular is
    left alone: ×3 changed 0.3 % of an 84×84 frame's pixels, by at most 8 levels.)"""
    spare = ids.spare_lights
    n_on = int(rng.integers(spec.spare_lights[0], min(spec.spare_lights[1], len(spare)) + 1))
    on = rng.choice(spare, n_on, replace=False) if n_on else np.array([], int)
    m.light_active[on] = 1
    # Spare lights move like the scene's own lights (whose jitter is drawn on the physics stream).
    m.light_pos[spare] += rng.uniform(-spec.light_pos_jitter, spec.light_pos_jitter, (len(spare), 3))
    for light in range(m.nlight):
        axis = rng.normal(size=3)
        angle = np.deg2rad(rng.uniform(0, spec.light_dir_jitter_deg))
        d = axis_angle_to_mat(axis / np.linalg.norm(axis) * angle) @ m.light_dir[light]
        m.light_dir[light] = d / np.linalg.norm(d)
    # Colour acts on the headlight too: it lights most of what a camera sees (diffuse 0.5, ambient
    # 0.3 against the key light's 0.7 at an angle), so a tint of the lights alone barely shows.
    tint = np.asarray(spec.light_tint)
    color = rng.uniform(1 - spec.light_color_jitter, 1 + spec.light_color_jitter, (m.nlight + 1, 3)) * tint
    m.light_diffuse[:] = np.clip(m.light_diffuse * color[:-1], 0, 1)
    m.light_ambient[:] += rng.uniform(*spec.light_ambient, (m.nlight, 1))
    headlight = rng.uniform(*spec.headlight_scale) * color[-1]
    m.vis.headlight.diffuse[:] = np.clip(m.vis.headlight.diffuse * headlight, 0, 1)
    m.vis.headlight.ambient[:] = np.clip(m.vis.headlight.ambient * headlight, 0, 1)
    return {
        "lights_on": int(m.light_active.sum()),
        "light_diffuse": m.light_diffuse[m.light_active.astype(bool)].astype(float).round(4).tolist(),
        "headlight_rgb_scale": headlight.round(4).tolist(),
    }


def randomize_distractors(m: mujoco.MjModel, ids: ModelIds, spec: VisualSpec, rng: np.random.Generator) -> dict:
    """Show `spec.distractors` of the scene's distractor objects on the table beside the workspace:
    each at a random place (in view, clear of the task's area, 8 cm from the others), yaw, colour
    and bank texture. The rest stay hidden. Draws nothing when the range is (0, 0)."""
    lo, hi = spec.distractors
    n = int(rng.integers(lo, min(hi, len(ids.distractor_bodies)) + 1)) if hi else 0
    placed: list[np.ndarray] = []
    shown = []
    for k in rng.choice(len(ids.distractor_bodies), n, replace=False):
        body, geom = ids.distractor_bodies[k], ids.distractor_geoms[k]
        for _ in range(50):  # a free spot; if none turns up it stands where the last draw fell
            xy = _distractor_spot(rng)
            if all(np.linalg.norm(xy - p) >= 0.08 for p in placed):
                break
        placed.append(xy)
        m.body_pos[body] = (*xy, _half_height(m, geom))  # standing on the table top (z = 0)
        m.body_quat[body] = yaw_quat(rng.uniform(-np.pi, np.pi))
        m.geom_rgba[geom, :3] = rng.uniform(0.1, 0.95, 3)
        m.geom_matid[geom] = rng.choice(ids.object_materials)
        m.geom_group[geom] = 0
        shown.append({"name": m.body(body).name, "xy": xy.round(4).tolist()})
    return {"distractors": shown} if hi else {}


def _half_height(m: mujoco.MjModel, geom: int) -> float:
    """How far above what it stands on an upright geom's centre is."""
    kind, size = m.geom_type[geom], m.geom_size[geom]
    if kind == mujoco.mjtGeom.mjGEOM_BOX:
        return float(size[2])
    if kind == mujoco.mjtGeom.mjGEOM_CYLINDER:
        return float(size[1])
    return float(m.geom_rbound[geom])  # sphere, capsule: radius (+ half length)


def _distractor_spot(rng: np.random.Generator) -> np.ndarray:
    """A table xy in `textures.DISTRACTOR_AREA` outside `textures.KEEP_CLEAR`."""
    (x0, x1), y_max = textures.DISTRACTOR_AREA
    (cx0, cx1), cy = textures.KEEP_CLEAR
    while True:
        xy = np.array([rng.uniform(x0, x1), rng.uniform(-y_max, y_max)])
        if not (cx0 <= xy[0] <= cx1 and abs(xy[1]) <= cy):
            return xy
