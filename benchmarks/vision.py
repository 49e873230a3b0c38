"""Policies that see (the vision goal: ≥ 85 % in `target`, ≥ +30 points), in two tables from one run: `python -m benchmarks vision`.

1. **Uplift** — `demoforge run --obs vision` on its defaults for Lift and Stack: real only vs synthetic
   only vs real + synthetic in `target`, each arm a vision BC reading the front and wrist cameras
   (84 px) and proprioception, never object poses.
2. **Robustness** — like NVIDIA's Cosmos study: the Stack vision policy trained on synthetic data
   generated *with* visual randomization (`randomized`) and *without* it (`randomized` minus its
   [visual] and [image] families) is evaluated in the nominal scene and under one visual shift at
   a time: light intensity, light colour, background, table texture, camera pose
   (`benchmarks/vision_shifts/*.toml`), then under several at once, none of them `target`'s. The "with"
   policy is the Stack run's synthetic-only arm; parts `shift_with_seed1`, `shift_with_seed2`, ... train
   it again on the same data with another seed, and with more than one the goal is judged on all of
   their episodes pooled (training runs differ by as much as a shift does).

Environment variables: DEMOFORGE_BENCH_OUT=DIR keeps every run folder (reports, GIFs, eval.json);
DEMOFORGE_BENCH_PARTS picks parts (default `Lift,Stack,shift_with,shift_without`; each part resumes
what an earlier run in the same folder finished, so parts can run in parallel processes and a last
`DEMOFORGE_BENCH_PARTS=report` prints the tables); DEMOFORGE_BENCH_EPISODES sets the evaluation
episodes (default 50) and DEMOFORGE_BENCH_QUICK=1 makes every run CI-sized (a smoke test of the
benchmark, not a measurement). Writes vision.json and robustness.png into the output folder.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from demoforge.train.evaluate import EvalConfig, evaluate
from demoforge.train.goals import uplift_goal
from demoforge.train.pipeline import (
    Stages,
    collect_real_demos,
    generate_synthetic_demos,
    prepare_run_data,
    run_pipeline,
    train_arm,
)
from demoforge.train.run_config import RunConfig
from demoforge.train.run_layout import run_data_dirs
from demoforge.train.stats import wilson_interval

from .common import env_list, print_table

SHIFTS_DIR = Path(__file__).parent / "vision_shifts"
# Each condition is the nominal scene with at most one visual family shifted, but the last: several at
# once, none of them `target`'s (the held-out check for vision training choices).
CONDITIONS = {
    "none (nominal scene)": "nominal",
    "light intensity": str(SHIFTS_DIR / "light_intensity.toml"),
    "light colour": str(SHIFTS_DIR / "light_colour.toml"),
    "background": str(SHIFTS_DIR / "background.toml"),
    "table texture": str(SHIFTS_DIR / "table_texture.toml"),
    "camera pose": str(SHIFTS_DIR / "camera_pose.toml"),
    "distractors": str(SHIFTS_DIR / "distractors.toml"),
    "all at once (held out)": str(SHIFTS_DIR / "combined.toml"),
}
NO_VISUAL_PROFILE = str(SHIFTS_DIR / "randomized_no_visual.toml")
# Isaac Lab Mimic + Cosmos, image BC-RNN, cube stacking, 2,000 demos: plain → Cosmos-augmented
# (shared/REFERENCES.md §7). The camera pose was not in that table.
COSMOS_ANCHOR = {
    "light intensity": "20 → 62 %",
    "light colour": "30 → 78 %",
    "background": "20 → 69 %",
    "table texture": "0 → 20 %",
}
ROBUSTNESS_TASK = "Stack"
ROBUSTNESS_GOAL = 0.80  # the robustness goal: ≥ 80 % in every condition with visual randomization
PARTS = ("Lift", "Stack", "shift_with", "shift_without")


def run_config(task: str) -> RunConfig:
    quick = os.environ.get("DEMOFORGE_BENCH_QUICK") == "1"
    episodes = int(os.environ.get("DEMOFORGE_BENCH_EPISODES", "50"))
    make = RunConfig.quick if quick else RunConfig
    return make(task=task, obs="vision", eval_episodes=episodes)


def _save(root: Path, name: str, result: dict) -> None:
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / f"{name}.json").write_text(json.dumps(result, indent=2))


def run_uplift(task: str, root: Path) -> dict:
    """`demoforge run --obs vision --task TASK` (resumes a finished or interrupted one)."""
    start = time.perf_counter()
    config = run_config(task)
    numbers = run_pipeline(config, root / task, log=lambda line: print(f"[{task}] {line}", flush=True))
    result = {"task": task, "arms": numbers["arms"], "seconds": time.perf_counter() - start}
    result["stages"] = json.loads((root / task / "stages.json").read_text())
    _save(root, f"uplift_{task}", result)
    return result


def _shift_evals(run: Path, out: Path, config: RunConfig, label: str) -> dict:
    results = {}
    for condition, profile in CONDITIONS.items():
        start = time.perf_counter()
        result = evaluate(
            run,
            EvalConfig(profile=profile, episodes=config.eval_episodes, workers=config.workers, videos=1),
            out=out / Path(profile).stem,
        )
        results[condition] = result.to_json() | {"seconds": time.perf_counter() - start}
        print(f"[{label}] {condition}: {result.successes}/{result.episodes}", flush=True)
    return results


def run_shift_with(root: Path) -> dict:
    """The Stack vision run's synthetic-only policy (visual randomization on) under each shift."""
    config = run_config(ROBUSTNESS_TASK)
    stages = root / ROBUSTNESS_TASK / "stages.json"
    if not (stages.is_file() and "train synthetic_only" in json.loads(stages.read_text())):
        run_uplift(ROBUSTNESS_TASK, root)  # sequential parts; in parallel, a process waits for that stage
    run = root / ROBUSTNESS_TASK / "runs" / "synthetic_only"
    result = {"run": str(run), "conditions": _shift_evals(run, root / "shift_with", config, "shift with")}
    _save(root, "shift_with", result)
    return result


def run_shift_with_seed(root: Path, seed: int) -> dict:
    """One more "with" policy: the Stack run's synthetic data, trained again with another training
    seed. The spread between training runs is as large as a shift's effect, so the goal is judged
    on every seed's episodes pooled."""
    stack = run_config(ROBUSTNESS_TASK)
    config = stack.model_copy(update={"seed": seed})
    # the Stack run's data (made here if that run has not got so far; it skips them later)
    prepare_run_data(stack, root / ROBUSTNESS_TASK, log=lambda line: print(f"[Stack] {line}"))
    _, synthetic = run_data_dirs(root / ROBUSTNESS_TASK)
    out = root / f"shift_with_seed{seed}"
    label = f"shift with, seed {seed}"
    stages = Stages(out)
    log = lambda line: print(f"[{label}] {line}", flush=True)  # noqa: E731
    stages.run("train synthetic_only", lambda: train_arm(config, out / "run", real=None, synthetic=synthetic), log)
    result = {
        "run": str(out / "run"),
        "seed": seed,
        "conditions": _shift_evals(out / "run", out / "eval", config, label),
    }
    _save(root, f"shift_with_seed{seed}", result)
    return result


def pooled(runs: list[dict]) -> dict:
    """Every run's episodes per condition added up, with the Wilson interval of the sum."""
    conditions = {}
    for condition in CONDITIONS:
        cells = [r["conditions"][condition] for r in runs if condition in r["conditions"]]
        if cells:
            wins, n = sum(c["successes"] for c in cells), sum(c["episodes"] for c in cells)
            conditions[condition] = {
                "successes": wins,
                "episodes": n,
                "success_rate": wins / n,
                "ci95": list(wilson_interval(wins, n)),
            }
    return {"runs": len(runs), "conditions": conditions}


def run_shift_without(root: Path) -> dict:
    """The same as the Stack run's synthetic-only arm, but generated without visual randomization."""
    # The Stack run's settings with only the generation profile changed.
    config = run_config(ROBUSTNESS_TASK).model_copy(update={"profile_generate": NO_VISUAL_PROFILE})
    out = root / "shift_without"
    real, synthetic, run = out / "real", out / "synthetic", out / "run"
    stages = Stages(out)  # resumable like `demoforge run`: finished steps are skipped
    log = lambda line: print(f"[shift without] {line}", flush=True)  # noqa: E731
    stages.run("collect real demos", lambda: collect_real_demos(config, real), log)
    stages.run(
        "generate synthetic demos without visual randomization",
        lambda: generate_synthetic_demos(config, real, synthetic),
        log,
    )
    stages.run("train synthetic_only", lambda: train_arm(config, run, real=None, synthetic=synthetic), log)
    timings = dict(stages.done)
    result = {
        "run": str(run),
        "timings": timings,
        "conditions": _shift_evals(run, out / "eval", config, "shift without"),
    }
    _save(root, "shift_without", result)
    return result


def _cell(e: dict) -> str:
    lo, hi = e["ci95"]
    return f"{e['successes']}/{e['episodes']} = {e['success_rate']:.0%} [{lo:.0%}–{hi:.0%}]"


def report(root: Path) -> dict:
    """Print both tables from the results the parts saved; write vision.json and robustness.png."""
    results = {p.stem: json.loads(p.read_text()) for p in sorted((root / "results").glob("*.json"))}
    rows = []
    for task in ("Lift", "Stack"):
        r = results.get(f"uplift_{task}")
        if not r:
            continue
        arms = r["arms"]
        real, mixed = arms["real_only"]["success_rate"], arms["real_synthetic"]["success_rate"]
        rows.append(
            [
                task,
                _cell(arms["real_only"]),
                _cell(arms["synthetic_only"]),
                _cell(arms["real_synthetic"]),
                f"{(mixed - real) * 100:+.0f}",
                "met" if uplift_goal(task, "vision").met(real, mixed) else "not met",
                f"{r['seconds']:.0f}",
            ]
        )
    if rows:
        c = run_config("Lift")
        print_table(
            f"vision uplift in target (demoforge run --obs vision: {c.real_demos} real demos, {c.synthetic_demos} "
            f"synthetic, front + wrist 84 px, vision BC at batch {c.batch_size}, {c.eval_episodes} episodes per arm, "
            "last checkpoint)",
            ["task", "real only", "synthetic only", "real + synthetic", "uplift (points)", "goal", "s"],
            rows,
        )
    without = results.get("shift_without")
    # seed 0 is the Stack run's own synthetic-only arm; other seeds retrain it on the same data
    withs = sorted(
        ((r.get("seed", 0), r) for name, r in results.items() if name == "shift_with" or _extra_seed(name) is not None),
        key=lambda item: item[0],
    )
    if withs or without:
        columns = [("without visual randomization", without)]
        alone = len(withs) == 1 and withs[0][0] == 0  # the Stack run's own arm, as the table always showed it
        columns += [("with visual randomization" if alone else f"with, seed {seed}", r) for seed, r in withs]
        judged = pooled([r for _, r in withs]) if len(withs) > 1 else (withs[0][1] if withs else None)
        if len(withs) > 1:
            columns.append((f"with, {len(withs)} seeds pooled", judged))
            results["shift_with_pooled"] = judged
        shift_rows = []
        for condition in CONDITIONS:
            cells = [(r["conditions"].get(condition) if r else None) for _, r in columns]
            goal = judged["conditions"].get(condition) if judged else None
            shift_rows.append(
                [
                    condition,
                    *(_cell(c) if c else "—" for c in cells),
                    COSMOS_ANCHOR.get(condition, "—"),
                    ("met" if goal["success_rate"] >= ROBUSTNESS_GOAL else "not met") if goal else "—",
                ]
            )
        print_table(
            f"vision robustness ({ROBUSTNESS_TASK}, synthetic only, one visual shift at a time, then all at once)",
            ["condition", *(label for label, _ in columns), "Cosmos anchor", "≥ 80 %"],
            shift_rows,
        )
        greens = ("#2e7d32", "#66bb6a", "#a5d6a7", "#1b5e20", "#81c784")
        series = [("without visual randomization", without, "#9a9a9a")]
        series += [(label, r, greens[i % len(greens)]) for i, (label, r) in enumerate(columns[1:])]
        _plot(root / "robustness.png", series)
    (root / "vision.json").write_text(json.dumps(results, indent=2))
    return results


def _plot(path: Path, series: list[tuple[str, dict | None, str]]) -> None:
    """Bars per condition, one per (label, part result, colour) of `series` (a missing part is left out):
    the two arms, or more — e.g. several training runs of one arm side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    series = [s for s in series if s[1]]
    x = np.arange(len(CONDITIONS))
    width = 0.76 / max(len(series), 1)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for i, (label, r, color) in enumerate(series):
        # a part measured before a condition was added has no cell for it: drawn as 0, without a bar
        evals = [r["conditions"].get(c, {"success_rate": 0.0, "ci95": [0.0, 0.0]}) for c in CONDITIONS]
        rates = np.array([e["success_rate"] for e in evals])
        err = np.array([[max(0.0, v - e["ci95"][0]), max(0.0, e["ci95"][1] - v)] for v, e in zip(rates, evals)]).T
        ax.bar(x + (i - (len(series) - 1) / 2) * width, rates, width, yerr=err, capsize=3, color=color, label=label)
    ax.axhline(ROBUSTNESS_GOAL, color="k", lw=0.8, ls="--")
    ax.set_xticks(x, [c.split(" (")[0] for c in CONDITIONS], rotation=15)
    ax.set(
        ylim=(0, 1.05),
        ylabel="success (Wilson 95 % CI)",
        title=f"{ROBUSTNESS_TASK}, vision BC: one visual shift at a time, then all at once",
    )
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _extra_seed(part: str) -> int | None:
    """`shift_with_seed3` → 3; None for any other part name (seed 0 is `shift_with` itself)."""
    digits = part.removeprefix("shift_with_seed")
    return int(digits) if digits != part and digits.isdigit() and int(digits) > 0 else None


def main() -> None:
    parts = env_list("DEMOFORGE_BENCH_PARTS", PARTS)
    unknown = [p for p in parts if p not in (*PARTS, "report") and _extra_seed(p) is None]
    if unknown:
        raise SystemExit(
            f"DEMOFORGE_BENCH_PARTS: unknown part(s) {unknown}; known: {', '.join(PARTS)}, shift_with_seedN (N ≥ 1), report"
        )
    keep = os.environ.get("DEMOFORGE_BENCH_OUT")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(keep or tmp)
        for part in parts:
            if part in ("Lift", "Stack"):
                run_uplift(part, root)
            elif part == "shift_with":
                run_shift_with(root)
            elif part == "shift_without":
                run_shift_without(root)
            elif (seed := _extra_seed(part)) is not None:
                run_shift_with_seed(root, seed)
        report(root)


if __name__ == "__main__":
    main()
