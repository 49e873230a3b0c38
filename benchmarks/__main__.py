"""`python -m benchmarks [NAME ...]`: run the named benchmarks (all by default), each printing a table."""

import sys

from . import (
    experts,
    fingerprint,
    generation,
    randomization,
    shifts,
    step_rate,
    store,
    teleop,
    training,
    uplift,
    vision,
)

BENCHMARKS = {
    "step_rate": step_rate.main,
    "experts": experts.main,
    "randomization": randomization.main,
    "store": store.main,
    "generation": generation.main,
    "training": training.main,
    "uplift": uplift.main,
    "shifts": shifts.main,
    "shifts_generation": shifts.generation_main,
    "vision": vision.main,
    "fingerprint": fingerprint.main,
    "teleop": teleop.main,
}

if __name__ == "__main__":
    names = sys.argv[1:] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark(s) {unknown}; known: {', '.join(BENCHMARKS)}")
    for name in names:
        BENCHMARKS[name]()
