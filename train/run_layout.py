"""The layout of a `demoforge run` folder, read by the pipeline that writes it and the report that
reads it back: the three arms, where the run keeps its datasets, which arm is another's policy, and
the cameras its datasets record.

    <out>/run_config.yaml  stages.json
    <out>/data/real/  data/synthetic/          the two datasets (collect, generate)
    <out>/calibration/                         result.json and calibrated.toml (calibrate), or skipped.json
    <out>/profiles/                            generate_wide.toml, evaluate_wide.toml (reset_widen > 1 only)
    <out>/runs/<arm>/                          each arm's training run (checkpoints, loss.csv)
    <out>/eval/<arm>/                          each arm's evaluation in the target profile
    <out>/report/                              report.md, report.html, plots, GIFs, config.yaml
"""

from __future__ import annotations

from pathlib import Path

from .run_config import RunConfig, run_cameras  # run_cameras: a run's cameras, there so RunConfig checks them

ARMS = {  # arm → (uses real, uses synthetic)
    "real_only": (True, False),
    "synthetic_only": (False, True),
    "real_synthetic": (True, True),
}
ARM_LABELS = {"real_only": "real only", "synthetic_only": "synthetic only", "real_synthetic": "real + synthetic"}


def run_data_dirs(out: Path) -> tuple[Path, Path]:
    """Where a run keeps its datasets: (real demos, synthetic demos)."""
    return out / "data" / "real", out / "data" / "synthetic"


def calibration_dir(out: Path) -> Path:
    """Where a run keeps what calibration identified and the profile it generated in."""
    return out / "calibration"


def generation_profile(config: RunConfig, out: Path) -> str:
    """The profile a run generates in: the calibrated one when calibration wrote it, else the
    configured generation profile; its wide copy where the run widens the resets."""
    calibrated = calibration_dir(out) / "calibrated.toml"
    base = str(calibrated) if config.calibration != "off" and calibrated.is_file() else config.profile_generate
    return wide_profile(config, out, base, "generate")


def evaluation_profile(config: RunConfig, out: Path) -> str:
    """The profile a run evaluates its arms in: the target, widened where the run widens resets."""
    return wide_profile(config, out, config.profile_target, "evaluate")


def wide_profile(config: RunConfig, out: Path, base: str, role: str) -> str:
    """`base` itself, or where `config.reset_widen` > 1 the copy of it that widens the resets,
    `<out>/profiles/<role>_wide.toml` (written on first use: the real demos keep `base`'s ranges,
    generation and evaluation draw from the wide ones, MimicGen's D1)."""
    if config.reset_widen == 1.0:
        return base
    from ..augment.domain.profiles import load_profile, save_profile

    path = out / "profiles" / f"{role}_wide.toml"
    if not path.is_file():
        profile = load_profile(base)
        scene = profile.scene.model_copy(update={"enabled": True, "reset_widen": config.reset_widen})
        name = f"{profile.name}_wide{config.reset_widen:g}"
        description = f"{profile.name} with reset ranges {config.reset_widen:g} times as wide (demoforge run's D1)"
        path.parent.mkdir(parents=True, exist_ok=True)
        save_profile(profile.model_copy(update={"name": name, "description": description, "scene": scene}), path)
    return str(path)


def same_as(config: RunConfig) -> dict[str, str]:
    """Arms that are another arm's policy: at ratio 0 no batch holds a real frame, so real +
    synthetic is the synthetic-only policy (the real demos seed generation only). It is trained and
    evaluated once; the report says so."""
    return {"real_synthetic": "synthetic_only"} if config.ratio == 0 else {}


__all__ = [
    "ARMS",
    "ARM_LABELS",
    "calibration_dir",
    "evaluation_profile",
    "generation_profile",
    "wide_profile",
    "run_cameras",
    "run_data_dirs",
    "same_as",
]
