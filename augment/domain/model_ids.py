"""`ModelIds`: the index sets of a task model that the randomization families act on (bodies,
geoms, actuators, cameras, lights, materials), resolved once per model and shared by the physics
families (`randomize.py`) and the look families (`appearance.py`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...envs import ManipulationEnv, textures


@dataclass(frozen=True)
class ModelIds:
    """The index sets the families act on, resolved once per model."""

    free_bodies: np.ndarray  # bodies of free objects (mass, size)
    free_geoms: np.ndarray  # their geoms
    contact_geoms: np.ndarray  # geoms whose friction is randomized (everything that collides)
    colored_geoms: np.ndarray  # geoms whose color is randomized
    arm_dofs: np.ndarray
    arm_actuators: np.ndarray
    finger_actuators: np.ndarray
    fixed_cameras: np.ndarray  # world-mounted cameras (not the wrist camera)
    # The scene's own lights and materials. The physics-stream draws act on these only, so the
    # spare lights and bank materials (envs/textures.py) leave the number of draws unchanged.
    scene_lights: np.ndarray
    scene_materials: np.ndarray
    spare_lights: np.ndarray
    surface_materials: np.ndarray  # bank materials for the table and floor
    object_materials: np.ndarray  # bank materials for objects and robot links
    table_geoms: np.ndarray
    floor_geoms: np.ndarray
    object_geoms: dict[int, np.ndarray]  # task body → its visible geoms
    robot_geoms: np.ndarray  # visible arm and gripper geoms
    distractor_bodies: np.ndarray  # the scene's distractor objects (envs/textures.py), one geom each
    distractor_geoms: np.ndarray

    @classmethod
    def of(cls, env: ManipulationEnv) -> ModelIds:
        m = env.model
        free = np.array([b for b in env.task.object_bodies if m.body_jntnum[b] and m.jnt_type[m.body_jntadr[b]] == 0])
        free_geoms = np.flatnonzero(np.isin(m.geom_bodyid, free))
        colliding = np.flatnonzero((m.geom_contype != 0) | (m.geom_conaffinity != 0))
        visible = np.flatnonzero(m.geom_group <= 2)
        cams = np.array([i for i in range(m.ncam) if m.cam_bodyid[i] == 0])
        spare = np.array([m.light(name).id for name, *_ in textures.SPARE_LIGHTS])
        bank = {t.name for t in (*textures.SURFACE_TEXTURES, *textures.OBJECT_TEXTURES, *textures.NAMED_TEXTURES)}
        root_of_visible = m.body_rootid[m.geom_bodyid[visible]]
        object_geoms = {b: visible[root_of_visible == b] for b in env.task.object_bodies}
        arm = env.robot.arm
        robot_geoms = visible[root_of_visible == m.body(arm.base_body).id]
        return cls(
            free_bodies=free,
            free_geoms=free_geoms,
            contact_geoms=colliding,
            colored_geoms=visible,
            arm_dofs=env.control.arm_dofs,
            arm_actuators=np.array([m.actuator(a).id for a in arm.actuators]),
            finger_actuators=np.array([m.actuator(a).id for a in arm.gripper.actuators]),
            fixed_cameras=cams,
            scene_lights=np.setdiff1d(np.arange(m.nlight), spare),
            scene_materials=np.array([i for i in range(m.nmat) if m.mat(i).name not in bank], int),
            spare_lights=spare,
            surface_materials=np.array([m.mat(t.name).id for t in textures.SURFACE_TEXTURES]),
            object_materials=np.array([m.mat(t.name).id for t in textures.OBJECT_TEXTURES]),
            table_geoms=np.array([m.geom("table").id]),
            floor_geoms=np.array([m.geom("floor").id]),
            object_geoms=object_geoms,
            robot_geoms=robot_geoms,
            distractor_bodies=np.array([m.body(name).id for name, *_ in textures.DISTRACTORS]),
            distractor_geoms=np.array([m.geom(name).id for name, *_ in textures.DISTRACTORS]),
        )
