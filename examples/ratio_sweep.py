"""Sweep the real:synthetic co-training ratio and plot target-domain success against it.

python examples/ratio_sweep.py

DEMOFORGE_EXAMPLE_QUICK=1 runs a small version (3 real and 6 synthetic demos, 100 training steps, 2
evaluation episodes per ratio, one worker): what tests/test_examples.py runs and checks.
"""

import os

import matplotlib

matplotlib.use("Agg")
import demoforge
import matplotlib.pyplot as plt

QUICK = os.environ.get("DEMOFORGE_EXAMPLE_QUICK") == "1"
REAL, SYN, STEPS, EPISODES, WORKERS = (3, 6, 100, 2, 1) if QUICK else (10, 300, 2000, 50, 2)
RATIOS = [0.0, 0.5, 1.0] if QUICK else [0.0, 0.1, 0.25, 0.5, 0.75, 1.0]


def main() -> None:
    if not os.path.isdir("sweep_real"):
        demoforge.collect_demos("Lift", episodes=REAL, out="sweep_real", profile="target")
    demoforge.generate_demos("sweep_real", "sweep_synthetic", num=SYN, workers=WORKERS)

    rates, lows, highs = [], [], []
    for ratio in RATIOS:
        run = f"sweep_run_{ratio}"
        if not os.path.isdir(run):
            demoforge.train_policy(run, real="sweep_real", synthetic="sweep_synthetic", ratio=ratio, steps=STEPS)
        # videos=0: a sweep needs the numbers, not GIFs of every run (rendering them costs more than the episodes)
        result = demoforge.evaluate_policy(run, profile="target", episodes=EPISODES, workers=WORKERS, videos=0)
        rates.append(result.success_rate)
        lows.append(result.success_rate - result.ci95[0])
        highs.append(result.ci95[1] - result.success_rate)
        print(f"ratio {ratio:.2f}: success {result.success_rate:.0%}")

    plt.errorbar(RATIOS, rates, yerr=[[max(0, x) for x in lows], [max(0, x) for x in highs]], marker="o", capsize=4)
    plt.xlabel("share of real demos in each batch")
    plt.ylabel("success in target (Wilson 95 % CI)")
    plt.ylim(0, 1.05)
    plt.savefig("ratio_sweep.png", dpi=110)
    print("wrote ratio_sweep.png")


if __name__ == "__main__":  # generation and evaluation start worker processes (spawn)
    main()
