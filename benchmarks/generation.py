"""Demo generation: success rate per task and throughput, from 10 human-like source demos
recorded in the `target` profile, generating in `randomized` (state-only).

success rate — kept / attempts over ATTEMPTS attempts per task (MimicGen's "data generation rate").
demos/hour   — successful Lift demos per hour including writing them, 1 worker vs 2 workers,
               measured side by side in this run.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

from demoforge.augment.generate import GenerateConfig, generate
from demoforge.augment.generate.runner import AttemptRunner
from demoforge.augment.record import CollectConfig, collect
from demoforge.envs import TASKS

from .common import print_table

ATTEMPTS = 100
THROUGHPUT_DEMOS = 2000  # enough that worker start-up (~2 s of spawn) is not the story


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for task in TASKS:
            source = Path(tmp) / f"src_{task}"
            collect(CollectConfig(task=task, episodes=10), source)
            runner = AttemptRunner(source, task, GenerateConfig())
            results = [runner.run(j) for j in range(ATTEMPTS)]
            kept = sum(r.episode is not None for r in results)
            causes = Counter(r.cause for r in results if r.cause)
            top = ", ".join(f"{c} ×{n}" for c, n in causes.most_common(2))
            rows.append([task, f"{kept}/{ATTEMPTS}", f"{kept / ATTEMPTS:.0%}", top])
        print_table(
            f"generation success, randomized profile, 10 target-domain human-like sources, {ATTEMPTS} attempts",
            ["task", "kept", "rate", "main failure causes"],
            rows,
        )
        speed = {}
        for workers in (1, 2):
            out = Path(tmp) / f"lift_{workers}"
            start = time.perf_counter()
            summary = generate(Path(tmp) / "src_Lift", out, GenerateConfig(num=THROUGHPUT_DEMOS, workers=workers))
            speed[workers] = summary.episodes / (time.perf_counter() - start) * 3600
        print_table(
            f"Lift generation throughput ({THROUGHPUT_DEMOS} successful demos, written to disk)",
            ["workers", "demos/hour", "speed-up"],
            [[str(w), f"{speed[w]:,.0f}", f"{speed[w] / speed[1]:.2f}×"] for w in (1, 2)],
        )


if __name__ == "__main__":
    main()
