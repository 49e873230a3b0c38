"""The headline: `demoforge run` on its defaults (Lift) — real-only vs synthetic-only vs
real + synthetic, evaluated in the target domain. Set DEMOFORGE_BENCH_TASK=Stack for Stack."""

from __future__ import annotations

import os
import tempfile

from demoforge.train.pipeline import RunConfig, run_pipeline

from .common import print_table


def main() -> None:
    task = os.environ.get("DEMOFORGE_BENCH_TASK", "Lift")
    with tempfile.TemporaryDirectory() as tmp:
        numbers = run_pipeline(RunConfig(task=task), tmp, log=lambda _: None)
    rows = [
        [
            arm.replace("_", " "),
            f"{a['successes']}/{a['episodes']}",
            f"{a['success_rate']:.0%}",
            f"{a['ci95'][0]:.0%}–{a['ci95'][1]:.0%}",
        ]
        for arm, a in numbers["arms"].items()
    ]
    total = sum(numbers["timings_s"].values())
    print_table(
        f"uplift in target, {task} ({total:.0f} s end to end)",
        ["training data", "successes", "success", "Wilson 95 %"],
        rows,
    )
    print(numbers["verdict"])


if __name__ == "__main__":
    main()
