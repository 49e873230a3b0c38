"""The robustness benchmark's domains (`benchmarks/vision_shifts/`): each shift changes one visual
family of the nominal scene and what the front camera sees, and the "without visual randomization"
generation profile is `randomized` with exactly its visual families off."""

from pathlib import Path

import numpy as np
import pytest
from demoforge.augment.domain.profiles import ImageSpec, VisualSpec, load_profile
from demoforge.augment.domain.wrapper import make_domain_env
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


def _shift_result(successes: int, seed: int | None = None) -> dict:
    from benchmarks.vision import CONDITIONS

    cell = {"successes": successes, "episodes": 50, "success_rate": successes / 50, "ci95": [0.0, 1.0]}
    return {"conditions": dict.fromkeys(CONDITIONS, cell)} | ({"seed": seed} if seed is not None else {})


def test_the_robustness_goal_is_judged_on_every_training_seed_pooled(tmp_path, capsys):
    import json

    from benchmarks.vision import _extra_seed, report

    assert [_extra_seed(p) for p in ("shift_with_seed2", "shift_with", "shift_with_seed0", "shift_with_seedx")] == [
        2,
        None,
        None,
        None,
    ]
    (tmp_path / "results").mkdir()
    # seed 0 alone would fail (38/50 = 76 %), seed 1 alone would pass; pooled 84/100 meets the 80 % goal
    for name, result in {
        "shift_with": _shift_result(38),
        "shift_with_seed1": _shift_result(46, seed=1),
        "shift_without": _shift_result(50),
    }.items():
        (tmp_path / "results" / f"{name}.json").write_text(json.dumps(result))
    results = report(tmp_path)
    printed = capsys.readouterr().out
    pooled = results["shift_with_pooled"]["conditions"]["light colour"]
    assert (pooled["successes"], pooled["episodes"]) == (84, 100)
    assert pooled["ci95"][0] < 0.84 < pooled["ci95"][1]
    assert "2 seeds pooled" in printed and "not met" not in printed
    assert (tmp_path / "robustness.png").stat().st_size > 0

    (tmp_path / "results" / "shift_with_seed1.json").write_text(json.dumps(_shift_result(40, seed=1)))
    assert "not met" in (report(tmp_path), capsys.readouterr().out)[1]  # 78/100
