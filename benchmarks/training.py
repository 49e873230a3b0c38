"""Policies on 2 CPU cores: training samples/s, per-step inference latency, and closed-loop
success on Lift from 50 clean expert demos in the nominal domain (50 evaluation episodes).

Targets (what a default policy must do on a CPU): BC ≥ 90 %, Diffusion ≥ 90 %; latency ≤ 5 ms (BC) and ≤ 50 ms (Diffusion, DDIM);
a default Lift training run ≤ 3 minutes.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from demoforge.augment.data.record import CollectConfig, collect
from demoforge.train.checkpoint import load_policy
from demoforge.train.data import load_frames
from demoforge.train.evaluate import EvalConfig, evaluate
from demoforge.train.trainer import TrainConfig, train

from .common import print_table


def _latency_ms(checkpoint: Path, obs: np.ndarray) -> float:
    """Mean wall time of select_action on one thread, as each evaluation worker runs it. For
    Diffusion this amortizes one DDIM plan over the steps it serves."""
    import torch

    torch.set_num_threads(1)
    policy = load_policy(checkpoint)
    policy.reset(0)
    for o in obs[:5]:  # warm-up
        policy.select_action(o)
    start = time.perf_counter()
    for o in obs[:200]:
        policy.select_action(o)
    return (time.perf_counter() - start) / min(len(obs), 200) * 1e3


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        demos = Path(tmp) / "lift50"
        collect(CollectConfig(task="Lift", episodes=50, profile="nominal", human_like=False), demos)
        obs = load_frames([demos]).obs
        for policy in ("bc", "diffusion"):
            run = Path(tmp) / policy
            result = train(run, TrainConfig(policy=policy), real=demos)
            latency = _latency_ms(run / "checkpoints" / "last.safetensors", obs)
            ev = evaluate(run, EvalConfig(profile="nominal", episodes=50, workers=2, videos=0))
            lo, hi = ev.ci95
            rows.append(
                [
                    policy,
                    f"{result.steps}",
                    f"{result.seconds:.0f} s",
                    f"{result.samples_per_second:,.0f}",
                    f"{latency:.2f} ms",
                    f"{ev.successes}/{ev.episodes} ({lo:.0%}–{hi:.0%})",
                ]
            )
    print_table(
        "policies, Lift, 50 clean expert demos, nominal domain",
        ["policy", "steps", "train time", "samples/s", "latency/step", "success (Wilson 95 %)"],
        rows,
    )


if __name__ == "__main__":
    main()
