"""Domain randomization: exact restore, determinism by seed, and every family really acts."""

import numpy as np
import pytest
from demoforge.augment.domain.profiles import (
    ActionSpec,
    PhysicsSpec,
    Profile,
    SceneSpec,
    SensorSpec,
    VisualSpec,
)
from demoforge.augment.domain.randomize import RANDOMIZED_FIELDS, ModelIds
from demoforge.augment.domain.wrapper import DomainRandomizationWrapper, make_domain_env
from demoforge.envs import EnvConfig, make_task_env
from demoforge.envs.robots import get_robot

ZERO = np.zeros(7, np.float32)


def _only(**families) -> Profile:
    return Profile(name="test", version=1, **families)


def _model_fields(model):
    """Every array of the model (not only the randomized ones: derived constants must match too)."""
    fields = {f: getattr(model, f).copy() for f in dir(model) if isinstance(getattr(model, f, None), np.ndarray)}
    assert set(RANDOMIZED_FIELDS) <= set(fields)
    return fields | {"gravity": model.opt.gravity.copy()}


@pytest.mark.parametrize("task", ["Lift", "Stack", "PegInsert"])
def test_restore_is_bit_exact_after_many_randomized_resets(task):
    pristine = _model_fields(make_task_env(task).model)
    env = make_domain_env(task, "randomized")
    for seed in range(6):
        env.reset(seed=seed)
        for _ in range(3):
            env.step(ZERO)
    changed = _model_fields(env.unwrapped.model)
    assert any(not np.array_equal(changed[f], pristine[f]) for f in pristine), "randomization changed nothing"
    env.randomizer.restore()
    restored = _model_fields(env.unwrapped.model)
    for f in pristine:
        assert restored[f].tobytes() == pristine[f].tobytes(), f


def test_a_nominal_reset_after_randomized_ones_is_the_pristine_model():
    pristine = _model_fields(make_task_env("Lift").model)
    env = make_domain_env("Lift", "randomized")
    env.reset(seed=1)
    env.profile = _only()  # everything off: the next reset must restore, then draw nothing
    env.reset(seed=2)
    now = _model_fields(env.unwrapped.model)
    assert all(now[f].tobytes() == pristine[f].tobytes() for f in pristine)


def test_same_seed_same_draws_different_seed_different_draws():
    a, b = make_domain_env("Stack", "randomized"), make_domain_env("Stack", "randomized")
    obs_a, info_a = a.reset(seed=7)
    obs_b, info_b = b.reset(seed=7)
    assert info_a["domain"] == info_b["domain"]
    assert all(obs_a[k].tobytes() == obs_b[k].tobytes() for k in obs_a)
    _, info_c = a.reset(seed=8)
    assert info_c["domain"] != info_a["domain"]


def test_randomized_episodes_replay_exactly_from_their_seed():
    actions = np.random.default_rng(0).uniform(-1, 1, (12, 7)).astype(np.float32)

    def run():
        env = make_domain_env("PickPlace", "randomized")
        obs, _ = env.reset(seed=3)
        out = [obs]
        for a in actions:
            out.append(env.step(a)[0])
        return out

    for x, y in zip(run(), run()):
        assert all(x[k].tobytes() == y[k].tobytes() for k in x)


def test_object_layout_is_the_same_in_every_profile_for_a_seed():
    """The wrapper draws from its own stream, so profiles compare on the same initial scenes."""
    nominal, _ = make_domain_env("Lift", "nominal").reset(seed=4)
    target, _ = make_domain_env("Lift", "target").reset(seed=4)
    assert np.allclose(nominal["object_pos"], target["object_pos"], atol=0.02)  # only sensor noise apart


# One test per family: each fails if its family is a no-op ---------------------------------------


def test_physics_family_changes_friction_mass_damping_gains_gravity():
    pristine = _model_fields(make_task_env("Lift").model)
    env = make_domain_env(
        "Lift",
        _only(
            physics=PhysicsSpec(
                enabled=True,
                friction_scale=(0.5, 0.6),
                object_mass_scale=(2, 3),
                joint_damping_scale=(2, 3),
                actuator_gain_scale=(0.5, 0.6),
                gravity_tilt_deg=(5, 6),
            )
        ),
    )
    _, info = env.reset(seed=0)
    m = env.unwrapped.model
    cube = env.unwrapped.task.object_bodies[0]
    assert 2 <= m.body_mass[cube] / pristine["body_mass"][cube] <= 3
    assert np.all(m.geom_friction[:, 0] <= pristine["geom_friction"][:, 0])
    assert np.any(m.geom_friction[:, 0] < pristine["geom_friction"][:, 0])
    assert np.all(m.dof_damping[:7] >= 2 * pristine["dof_damping"][:7])
    assert np.all(m.actuator_gainprm[:7, 0] <= 0.6 * pristine["actuator_gainprm"][:7, 0])
    tilt = np.degrees(np.arccos(-m.opt.gravity[2] / np.linalg.norm(m.opt.gravity)))
    assert 5 <= tilt <= 6
    assert info["domain"]["physics"]["object_mass_scale"] == pytest.approx(
        m.body_mass[cube] / pristine["body_mass"][cube]
    )


def test_visual_family_changes_the_rendered_frame():
    cfg = EnvConfig(cameras=("front",), image_size=(64, 64))
    plain = DomainRandomizationWrapper(make_task_env("Lift", config=cfg), _only())
    visual = DomainRandomizationWrapper(
        make_task_env("Lift", config=cfg),
        _only(
            visual=VisualSpec(
                enabled=True,
                colors=True,
                camera_pos_jitter=0.03,
                camera_rot_jitter_deg=5,
                fovy_jitter_deg=5,
                light_intensity_scale=(0.5, 0.6),
            )
        ),
    )
    a, _ = plain.reset(seed=0)
    b, info = visual.reset(seed=0)
    assert np.abs(a["image_front"].astype(int) - b["image_front"].astype(int)).mean() > 5
    c, _ = visual.reset(seed=1)
    assert not np.array_equal(b["image_front"], c["image_front"]), "two draws rendered the same frame"
    assert info["domain"]["visual"]["light_intensity_scale"] <= 0.6


def test_sensor_family_adds_noise_and_freezes_frames():
    noisy = make_domain_env(
        "Lift", _only(sensor=SensorSpec(enabled=True, proprio_noise_std=0.01, object_pose_noise_std=0.01))
    )
    obs, _ = noisy.reset(seed=0)
    truth = noisy.unwrapped._observe()
    assert not np.allclose(obs["object_pos"], truth["object_pos"], atol=1e-4)
    assert np.allclose(obs["object_pos"], truth["object_pos"], atol=0.06)
    assert np.allclose(np.linalg.norm(obs["eef_quat"]), 1.0, atol=1e-5)
    frozen = make_domain_env("Lift", _only(sensor=SensorSpec(enabled=True, frozen_obs_prob=1.0)))
    first, _ = frozen.reset(seed=0)
    moved = np.zeros(7, np.float32)
    moved[0] = 1.0
    second = frozen.step(moved)[0]
    assert np.array_equal(first["eef_pos"], second["eef_pos"])
    assert not np.array_equal(frozen.unwrapped._observe()["eef_pos"], first["eef_pos"])


def test_action_family_delays_and_perturbs_actions_and_weakens_the_gripper():
    move = np.zeros(7, np.float32)
    move[2] = 1.0
    delayed = make_domain_env("Lift", _only(action=ActionSpec(enabled=True, latency_steps=(2, 2))))
    obs0, info = delayed.reset(seed=0)
    assert info["domain"]["action"]["latency_steps"] == 2
    z = [delayed.step(move)[0]["eef_pos"][2] for _ in range(4)]
    assert abs(z[0] - obs0["eef_pos"][2]) < 0.003 and abs(z[1] - obs0["eef_pos"][2]) < 0.003
    assert z[3] - obs0["eef_pos"][2] > 0.03
    plain, noisy = make_task_env("Lift"), make_domain_env("Lift", _only(action=ActionSpec(enabled=True, noise_std=0.2)))
    plain.reset(seed=0)
    noisy.reset(seed=0)
    assert not np.allclose(plain.step(ZERO)[0]["eef_pos"], noisy.step(ZERO)[0]["eef_pos"], atol=1e-4)
    weak = make_domain_env("Lift", _only(action=ActionSpec(enabled=True, gripper_force_scale=(0.5, 0.5))))
    weak.reset(seed=0)
    assert np.allclose(
        weak.unwrapped.model.actuator_forcerange[7:9], make_task_env("Lift").model.actuator_forcerange[7:9] * 0.5
    )


def test_scene_family_moves_and_scales_objects_that_still_rest_on_the_table():
    base, _ = make_task_env("Lift").reset(seed=0)
    env = make_domain_env(
        "Lift", _only(scene=SceneSpec(enabled=True, object_xy_jitter=0.03, object_size_scale=(1.2, 1.2)))
    )
    obs, info = env.reset(seed=0)
    assert np.linalg.norm(obs["object_pos"][:2] - base["object_pos"][:2]) > 1e-3
    m = env.unwrapped.model
    cube_geom = env.unwrapped.task.object_geoms["cube"][0]
    assert np.allclose(m.geom_size[cube_geom], 0.024)
    assert obs["object_pos"][2] == pytest.approx(0.024, abs=1e-3)  # centre at the scaled half height
    for _ in range(10):
        obs = env.step(ZERO)[0]
    assert obs["object_pos"][2] == pytest.approx(0.024, abs=2e-3), "the scaled cube sank or bounced"
    assert info["domain"]["scene"]["object_size_scale"] == 1.2


def test_model_ids_find_the_arm_and_finger_servos_by_name():
    env = make_task_env("Lift")
    ids, m = ModelIds.of(env), env.model
    driven = [[m.joint(j).name for j in m.actuator_trnid[a, 0]] for a in (ids.arm_actuators, ids.finger_actuators)]
    arm = get_robot("panda").arm
    assert driven == [list(arm.joints), list(arm.gripper.finger_joints)]
