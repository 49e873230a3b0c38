"""Bring your own demos: import a robomimic HDF5 (or a LeRobot v3 folder, or a Minari dataset),
multiply them by generation, and export the result for GR00T fine-tuning.

    python examples/import_generate_export.py [your_demos.hdf5]

DEMOFORGE_EXAMPLE_QUICK=1 runs a small version (3 stand-in demos, 4 generated, one worker): what
tests/test_examples.py runs, checking the files it writes.
"""

import os
import sys

import demoforge

QUICK = os.environ.get("DEMOFORGE_EXAMPLE_QUICK") == "1"
REAL, NUM, WORKERS = (3, 4, 1) if QUICK else (5, 500, 2)


def main() -> None:
    src = sys.argv[1] if len(sys.argv) > 1 else None
    if src is None:  # no file given: make a stand-in "real" robomimic file from scripted demos
        demoforge.collect_demos("Stack", episodes=REAL, out="my_real_demos")
        demoforge.export_dataset("my_real_demos", "robomimic", "my_real_demos.hdf5")
        src = "my_real_demos.hdf5"

    # Import. A mapping file renames fields whose names differ (see augment/io/mapping.py):
    #   [rename]
    #   "obs/robot0_eef_pos" = "observation.eef_pos"
    report = demoforge.import_dataset(src, "imported")
    print(f"imported {report.episodes} episodes; not imported: {report.unmapped or 'nothing'}")

    # Generate: segment → select → transform → stitch → filter, in the randomized domain.
    summary = demoforge.generate_demos("imported", "synthetic", num=NUM, workers=WORKERS, task="Stack")
    print(f"generated {summary.episodes} demos from {summary.attempts} attempts ({summary.success_rate:.0%} kept)")

    # Export: LeRobot v2.1 + meta/modality.json is what Isaac-GR00T's fine-tuning reads.
    demoforge.export_dataset("synthetic", "gr00t", "synthetic_gr00t")
    print("GR00T dataset: synthetic_gr00t/ (meta/modality.json, meta/episodes.jsonl, data/, videos/)")


if __name__ == "__main__":  # generation and evaluation start worker processes (spawn)
    main()
