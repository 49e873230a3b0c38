"""The robustness benchmark's domains (`benchmarks/vision_shifts/`): each shift changes one visual
family of the nominal scene and what the front camera sees, and the "without visual randomization"
generation profile is `randomized` with exactly its visual families off."""

from pathlib import Path

import numpy as np
import pytest
from demoforge.augment.domain_env import make_domain_env
from demoforge.augment.profiles import ImageSpec, VisualSpec, load_profile
from demoforge.envs import EnvConfig

SHIFTS = Path(__file__).parents[1] / "benchmarks" / "vision_shifts"
SHIFT_FILES = sorted(p for p in SHIFTS.glob("*.toml") if p.stem not in ("randomized_no_visual", "combined"))
COMBINED = SHIFTS / "combined.toml"


def test_the_no_visual_profile_is_randomized_without_its_visual_families():
    full, plain = load_profile("randomized"), load_profile(SHIFTS / "randomized_no_visual.toml")
    assert plain.visual == VisualSpec() and plain.image == ImageSpec()
    for family in ("physics", "sensor", "action", "scene"):
        assert getattr(plain, family) == getattr(full, family), family


def test_there_is_one_shift_per_condition_of_the_benchmark():
    from benchmarks.vision import CONDITIONS

    shifts = sorted(Path(p).stem for p in CONDITIONS.values() if p.endswith(".toml"))
    assert shifts == sorted([p.stem for p in SHIFT_FILES] + [COMBINED.stem])
    assert len(SHIFT_FILES) == 6


@pytest.mark.parametrize("path", SHIFT_FILES, ids=lambda p: p.stem)
def test_each_shift_is_the_nominal_scene_with_one_visual_change(path):
    shift, nominal = load_profile(path), load_profile("nominal")
    for family in ("physics", "image", "sensor", "action", "scene"):
        assert getattr(shift, family) == getattr(nominal, family), family
    changed = {k for k, v in shift.visual.model_dump().items() if v != VisualSpec.model_fields[k].default}
    # One condition each; a dimmer light is the lights and the headlight together.
    assert changed - {"enabled"} and len(changed - {"enabled", "headlight_scale", "camera_pitch_offset_deg"}) == 1

    config = EnvConfig(cameras=("front",), image_size=(84, 84))
    frames = [make_domain_env("Stack", p, config=config).reset(seed=4)[0]["image_front"] for p in ("nominal", path)]
    changed_px = np.abs(frames[0].astype(int) - frames[1]).sum(-1) > 12
    least = 0.015 if path.stem == "distractors" else 0.05  # three objects of 4-9 cm: ~2 % of the frame
    assert changed_px.mean() > least, f"{path.stem} changed {changed_px.mean():.1%} of the front frame"


def test_the_combined_shift_changes_several_visual_fields_and_none_to_targets_value():
    combined, nominal, target = load_profile(COMBINED), load_profile("nominal"), load_profile("target")
    for family in ("physics", "image", "sensor", "action", "scene"):
        assert getattr(combined, family) == getattr(nominal, family), family
    changed = {k for k, v in combined.visual.model_dump().items() if v != VisualSpec.model_fields[k].default}
    changed -= {"enabled"}
    assert {"light_intensity_scale", "light_tint", "table_texture", "camera_pos_offset"} <= changed
    for field in changed:  # held out: a choice checked here is not a choice made on `target`
        assert getattr(combined.visual, field) != getattr(target.visual, field), field
