"""Look-stream families (textures, lighting, image augmentation): each changes the rendered frame,
each is restored exactly, and none of them moves a physics draw or a state observation."""

import mujoco
import numpy as np
import pytest
from demoforge.augment.domain.profiles import ImageSpec, Profile, VisualSpec, load_profile
from demoforge.augment.domain.randomize import RANDOMIZED_FIELDS, ModelIds
from demoforge.augment.domain.wrapper import DomainRandomizationWrapper, make_domain_env
from demoforge.envs import EnvConfig, make_task_env

SMALL = EnvConfig(cameras=("front",), image_size=(32, 32))

# One entry per look family, each at a range wide enough to be seen in a 32×32 frame.
FAMILIES = {
    "textures": dict(visual=VisualSpec(enabled=True, textures=True)),
    "table_texture": dict(visual=VisualSpec(enabled=True, table_texture="slate")),
    "floor_texture": dict(visual=VisualSpec(enabled=True, floor_texture="birch")),
    "spare_lights": dict(visual=VisualSpec(enabled=True, spare_lights=(3, 3))),
    "light_dir": dict(visual=VisualSpec(enabled=True, light_dir_jitter_deg=40.0)),
    "light_color": dict(visual=VisualSpec(enabled=True, light_color_jitter=0.5)),
    "light_tint": dict(visual=VisualSpec(enabled=True, light_tint=(1.0, 0.8, 0.5))),
    "light_ambient": dict(visual=VisualSpec(enabled=True, light_ambient=(0.3, 0.3))),
    "headlight": dict(visual=VisualSpec(enabled=True, headlight_scale=(0.4, 0.4))),
    "distractors": dict(visual=VisualSpec(enabled=True, distractors=(3, 3))),
    "image": dict(image=ImageSpec(enabled=True, brightness=0.2, contrast=0.3, blur_prob=1.0, blur_sigma_px=1.0)),
}


def _profile(**families) -> Profile:
    return Profile(name="test", version=1, **families)


def _frames(profile: Profile, seeds, task: str = "Lift") -> list[np.ndarray]:
    """Front frames after a reset at each seed, from one env: an episode is a function of its seed
    alone (the randomizer restores the model before each draw), so the env can be shared."""
    env = DomainRandomizationWrapper(make_task_env(task, config=SMALL), profile)
    frames = [env.reset(seed=s)[0]["image_front"].astype(int) for s in seeds]
    env.close()
    return frames


@pytest.fixture(scope="module")
def nominal_frames() -> list[np.ndarray]:
    return _frames(_profile(), range(3))


def _look_fields(model: mujoco.MjModel) -> dict[str, np.ndarray]:
    fields = {f: getattr(model, f).copy() for f in RANDOMIZED_FIELDS}
    return fields | {
        "headlight_diffuse": model.vis.headlight.diffuse.copy(),
        "headlight_ambient": model.vis.headlight.ambient.copy(),
    }


@pytest.mark.parametrize("family", FAMILIES)
def test_each_look_family_changes_the_rendered_frame(family, nominal_frames):
    # Three draws, the most changed one counts: one draw of a random family may land near nominal.
    drawn = _frames(_profile(**FAMILIES[family]), range(3))
    change = max(np.abs(nominal - frame).mean() for nominal, frame in zip(nominal_frames, drawn))
    assert change > 0.5, f"{family} left a 32×32 frame (almost) unchanged"


@pytest.mark.parametrize("family", FAMILIES)
def test_each_look_family_is_restored_exactly(family):
    pristine = _look_fields(make_task_env("Stack").model)
    env = make_domain_env("Stack", _profile(**FAMILIES[family]))
    env.reset(seed=1)
    env.profile = _profile()  # all off: the next reset must give back the pristine model
    env.reset(seed=2)
    now = _look_fields(env.unwrapped.model)
    assert all(now[f].tobytes() == pristine[f].tobytes() for f in pristine), family
    env.profile = load_profile("randomized")
    env.reset(seed=3)
    env.randomizer.restore()
    now = _look_fields(env.unwrapped.model)
    assert all(now[f].tobytes() == pristine[f].tobytes() for f in pristine), family


def test_the_nominal_scene_uses_no_bank_material_and_no_spare_light():
    """The bank and spare lights are carried, not shown: a nominal frame is the scene without them."""
    env = make_task_env("PickPlace")
    ids, m = ModelIds.of(env), env.model
    bank = np.concatenate([ids.surface_materials, ids.object_materials])
    assert not np.isin(m.geom_matid, bank).any()
    assert not m.light_active[ids.spare_lights].any() and m.light_active[ids.scene_lights].all()
    assert (m.geom_group[ids.distractor_geoms] > 2).all() and (m.body_pos[ids.distractor_bodies, 2] < -1).all()
    assert not np.isin(ids.distractor_geoms, np.concatenate([ids.colored_geoms, ids.contact_geoms])).any()
    assert len(ids.robot_geoms) > 10 and all(len(g) for g in ids.object_geoms.values())


def _without_look(profile: Profile) -> Profile:
    """The same profile with every look-stream family off (the physics-stream ones untouched)."""
    off = {f: VisualSpec.model_fields[f].default for f in _LOOK_FIELDS}
    return profile.model_copy(update={"visual": profile.visual.model_copy(update=off), "image": ImageSpec()})


_LOOK_FIELDS = (
    "textures",
    "table_texture",
    "floor_texture",
    "spare_lights",
    "light_dir_jitter_deg",
    "light_color_jitter",
    "light_tint",
    "light_ambient",
    "headlight_scale",
    "distractors",
)


@pytest.mark.parametrize("name", ["randomized", "target"])
@pytest.mark.parametrize("task", ["Lift", "Stack"])
def test_look_families_never_move_a_physics_draw_or_a_state(name, task):
    """Visual draws come from their own stream: with them on or off, every physics parameter, every
    state observation and the full simulator state are bit-identical, step after step."""
    actions = np.random.default_rng(0).uniform(-1, 1, (15, 7)).astype(np.float32)

    def run(profile: Profile):
        env = make_domain_env(task, profile)
        obs, info = env.reset(seed=5)
        states, size = [obs], mujoco.mj_stateSize(env.unwrapped.model, mujoco.mjtState.mjSTATE_INTEGRATION)
        sims = []
        for a in actions:
            states.append(env.step(a)[0])
            sim = np.empty(size)
            mujoco.mj_getState(env.unwrapped.model, env.unwrapped.data, sim, mujoco.mjtState.mjSTATE_INTEGRATION)
            sims.append(sim)
        return info["domain"], states, np.stack(sims)

    full = load_profile(name)
    drawn_on, obs_on, sim_on = run(full)
    drawn_off, obs_off, sim_off = run(_without_look(full))
    for family in ("physics", "action", "scene"):
        assert drawn_on.get(family) == drawn_off.get(family), family
    assert sim_on.tobytes() == sim_off.tobytes()
    for a, b in zip(obs_on, obs_off):
        assert all(a[k].tobytes() == b[k].tobytes() for k in a if not k.startswith("image_"))


def test_look_draws_are_reproducible_from_the_seed():
    a = make_domain_env("Stack", "randomized", config=SMALL)
    b = make_domain_env("Stack", "randomized", config=SMALL)
    (obs_a, info_a), (obs_b, info_b) = a.reset(seed=9), b.reset(seed=9)
    assert info_a["domain"] == info_b["domain"] and np.array_equal(obs_a["image_front"], obs_b["image_front"])
    assert (
        a.step(np.zeros(7, np.float32))[0]["image_front"].tobytes()
        == b.step(np.zeros(7, np.float32))[0]["image_front"].tobytes()
    )


def test_target_shows_its_own_table_and_a_warm_light():
    env = make_domain_env("Lift", "target")
    _, info = env.reset(seed=0)
    m, ids = env.unwrapped.model, env.randomizer.ids
    assert m.mat(int(m.geom_matid[ids.table_geoms[0]])).name == "slate"
    key = m.light_diffuse[ids.scene_lights[0]]
    assert key[0] > key[1] > key[2], "the target's light is not warm"
    assert info["domain"]["visual"]["textures"] == {"table": "slate"}


def test_objects_can_keep_their_own_colours_without_moving_a_draw():
    """object_colors=false: the task's cubes keep their rgba and material under random colours and
    textures (the rest of the scene still changes), and every physics draw and state is unchanged."""
    spec = dict(enabled=True, colors=True, textures=True)
    env_on = make_domain_env("Stack", _profile(visual=VisualSpec(**spec)))
    env_off = make_domain_env("Stack", _profile(visual=VisualSpec(**spec, object_colors=False)))
    pristine = make_task_env("Stack").model
    (obs_on, info_on), (obs_off, info_off) = env_on.reset(seed=3), env_off.reset(seed=3)
    ids = env_off.randomizer.ids
    cubes = np.concatenate(list(ids.object_geoms.values()))
    m_on, m_off = env_on.unwrapped.model, env_off.unwrapped.model
    assert np.array_equal(m_off.geom_rgba[cubes], pristine.geom_rgba[cubes])
    assert np.array_equal(m_off.geom_matid[cubes], pristine.geom_matid[cubes])
    assert not np.array_equal(m_on.geom_rgba[cubes], pristine.geom_rgba[cubes])
    table = ids.table_geoms
    assert np.array_equal(m_on.geom_rgba[table], m_off.geom_rgba[table])  # the rest drew the same
    assert np.array_equal(m_on.geom_matid[table], m_off.geom_matid[table])
    assert info_on["domain"]["visual"]["light_intensity_scale"] == info_off["domain"]["visual"]["light_intensity_scale"]
    for a, b in zip(
        (obs_on, env_on.step(np.zeros(7, np.float32))[0]), (obs_off, env_off.step(np.zeros(7, np.float32))[0])
    ):
        assert all(a[k].tobytes() == b[k].tobytes() for k in a if not k.startswith("image_"))


def test_distractors_stand_on_the_table_beside_the_workspace_and_never_touch_anything():
    from demoforge.envs import textures

    env = make_domain_env("Stack", _profile(visual=VisualSpec(enabled=True, distractors=(5, 5))))
    _, info = env.reset(seed=4)
    ids, m, d = env.randomizer.ids, env.unwrapped.model, env.unwrapped.data
    assert len(info["domain"]["visual"]["distractors"]) == 5
    assert (m.geom_group[ids.distractor_geoms] == 0).all()
    (x0, x1), y_max = textures.DISTRACTOR_AREA
    (cx0, cx1), cy = textures.KEEP_CLEAR
    for x, y in d.xpos[ids.distractor_bodies, :2]:
        assert x0 <= x <= x1 and abs(y) <= y_max and not (cx0 <= x <= cx1 and abs(y) <= cy), (x, y)
    lowest = [d.geom_xpos[g, 2] - m.geom_rbound[g] for g in ids.distractor_geoms]  # spheres/capsules touch z = 0
    assert min(lowest) > -0.05 and all(d.xpos[b, 2] > 0 for b in ids.distractor_bodies)
    for a in np.random.default_rng(0).uniform(-1, 1, (20, 7)).astype(np.float32):
        env.step(a)
        pairs = d.contact.geom[: d.ncon]
        assert not np.isin(pairs, ids.distractor_geoms).any()
