"""The `demoforge` command: parses `demoforge <verb> ...` and dispatches to the verb table
(`verbs.py`); a failure is one line on stderr (`error_line`). Each verb's config flags are built
from its config class (`verb_flags.py`, `flag_builder.py`); the configs check every value."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence

from rich.console import Console

from ...augment.io.convert import FORMATS
from ...envs import DemoforgeError, validation_summary
from ...envs.observation import STATE
from .flag_builder import int_in
from .verb_flags import CALIBRATE, COLLECT, EVAL, GENERATE, RUN, TELEOP, TRAIN, field_value, quick_run
from .verbs import VERBS

DESCRIPTION = (
    "Multiply a few robot demos into many in randomized MuJoCo simulation, train policies on real + "
    "synthetic, measure the uplift. Every verb is a thin layer over a function of the `demoforge` "
    "package, so training scripts can do the same."
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage block) and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="demoforge", description=DESCRIPTION)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    info = verbs.add_parser("info", help="describe tasks and domain profiles")
    info.add_argument(
        "--tasks", action="store_true", help="list every registered task, one name per line, then where each comes from"
    )
    info.add_argument(
        "--robots",
        action="store_true",
        help="list every registered robot, one name per line, then where each comes from",
    )
    info.add_argument(
        "--robot", metavar="NAME|PATH", help="a robot .toml file to register first, so --robots lists it too"
    )
    info.add_argument("--envs", action="store_true", help="list tasks, their ids, objects and subtasks")
    info.add_argument("--profile", metavar="NAME|PATH", help="print a resolved domain profile (built-in name or .toml)")
    info.add_argument("--preview", metavar="OUT.png", help="with --profile: write a grid of randomized resets")
    info.add_argument(
        "--task", metavar="NAME|PATH", help="task shown in --preview (default Lift); a .toml task file is listed too"
    )
    info.add_argument("--count", type=int_in(1, 64), default=16, help="resets in --preview (default 16)")
    info.add_argument("dataset", nargs="?", help="a dataset folder to summarize")

    col = verbs.add_parser("collect", help="record scripted-expert demos into a new dataset")
    col.add_argument("--out", required=True, help="output dataset; rerun the same command to continue it")
    COLLECT.add_to(col)

    tel = verbs.add_parser(
        "teleop", help="record demos by hand: a web page served locally, or a script of key events (headless)"
    )
    tel.add_argument("--out", required=True, help="output dataset; rerun the same command to continue it")
    TELEOP.add_to(tel)

    gen = verbs.add_parser("generate", help="multiply source demos into synthetic ones (MimicGen-style)")
    gen.add_argument("--source", required=True, help="dataset of source demos (with datagen poses)")
    gen.add_argument("--out", required=True, help="output dataset; rerun the same command to resume it")
    gen.add_argument("--task", help="task (default: read from the source episodes)")
    GENERATE.add_to(gen)

    tr = verbs.add_parser("train", help="train a policy on real and/or synthetic demos (co-training)")
    tr.add_argument("--real", help="dataset of real demos")
    tr.add_argument("--synthetic", help="dataset of synthetic demos")
    tr.add_argument("--out", required=True, help="run folder")
    tr.add_argument("--resume", action="store_true", help="continue the run at --out from its last checkpoint")
    tr.add_argument(  # TrainConfig.policy_overrides: TrainConfig checks them against the policy --policy names
        "--set",
        nargs="*",
        default=[],
        type=field_value,
        metavar="FIELD=VALUE",
        help="policy config fields, e.g. chunk_size=16",
    )
    TRAIN.add_to(tr)

    ev = verbs.add_parser("eval", help="closed-loop evaluation of a trained policy in a domain profile")
    ev.add_argument("run", help="run folder, checkpoint file, or a LeRobot pretrained_model folder")
    ev.add_argument(
        "--task",
        help="task of a LeRobot checkpoint (default: read from its train_config.json dataset); "
        "for a run trained on a task file, that .toml file",
    )
    EVAL.add_to(ev)

    cal = verbs.add_parser(
        "calibrate",
        help="identify the real domain (latency, servo gain and damping, object mass and friction) from real demos",
    )
    cal.add_argument("real", help="dataset of real demos (joint, finger and object observations, actions)")
    cal.add_argument("--task", help="task (default: read from the demos)")
    cal.add_argument("--out", help="also write the result as JSON to this new file")
    cal.add_argument(
        "--profile-out",
        metavar="PATH.toml",
        help="also write a generation profile covering the result (randomized's ranges stretched to hold it) to this new file",
    )
    CALIBRATE.add_to(cal)

    rep = verbs.add_parser(
        "replay",
        help="replay stored demos in the simulator (seeded domain, first state, actions) and check they retrace",
    )
    rep.add_argument("dataset", help="a dataset written by collect or generate")
    rep.add_argument("--profile", help="the profile it was recorded in (default: the built-in one its settings name)")
    rep.add_argument("--episodes", type=int_in(1, 10_000_000), help="replay only the first N episodes")

    ann = verbs.add_parser(
        "annotate",
        help="subtask boundaries for demos that lack them: --auto replays each demo and reads the task's signals, "
        "--by-hand serves a page to mark them on the video, --csv reads marked frames",
    )
    ann.add_argument("dataset", help="a dataset of demos (--auto: recorded in demoforge's simulator, with sim.state)")
    how = ann.add_mutually_exclusive_group(required=True)
    how.add_argument("--auto", action="store_true", help="replay in the simulator and read the task's signals")
    how.add_argument(
        "--by-hand", action="store_true", help="serve a page that plays each episode's video; mark the frames, save"
    )
    how.add_argument("--csv", metavar="MARKS.csv", help="marked frames, one 'episode,signal,frame' a line")
    ann.add_argument("--task", help="--by-hand / --csv: the task (default: read from the episodes)")
    ann.add_argument("--host", default="127.0.0.1", help="--by-hand: address the page is served on")
    ann.add_argument("--port", type=int, default=8766, help="--by-hand: port of the page (0: any free port)")
    ann.add_argument("--out", required=True, help="the annotated dataset, a new folder (the input is not changed)")
    ann.add_argument("--profile", help="the profile it was recorded in (default: the built-in one its settings name)")
    ann.add_argument(
        "--skip-diverged",
        action="store_true",
        help="write the demos that replay and leave out the ones that diverge (default: exit 1, write nothing)",
    )

    run = verbs.add_parser("run", help="the whole job: real demos → synthetic → 3 policies → target-domain report")
    run.add_argument("--quick", action="store_true", help=f"a CI-sized smoke run ({quick_run()})")
    run.add_argument("--config", help="a report's config.yaml, to reproduce that run")
    run.add_argument("--out", default="demoforge_run", help="output folder (rerun to resume; default demoforge_run)")
    RUN.add_to(run)

    imp = verbs.add_parser("import", help="import LeRobot v3, robomimic HDF5 or Minari demos")
    imp.add_argument("src", help="LeRobot v3 folder, robomimic .hdf5 file, or Minari dataset folder")
    imp.add_argument("--out", required=True)
    imp.add_argument("--mapping", help="TOML file renaming/ignoring source fields")
    imp.add_argument("--format", choices=FORMATS, help="skip detection")
    imp.add_argument("--fps", type=int_in(1, 10_000), help="frame rate for sources that do not record one (default 20)")
    real = imp.add_argument_group("real-robot data (docs: Bring real-robot data)")
    real.add_argument("--robot", help="robot that recorded it: TCP poses by forward kinematics of its joint angles")
    real.add_argument("--task", help="task the demos perform (with --robot)")
    real.add_argument("--object-poses", help="CSV/JSON of each episode's initial object poses (with --robot)")
    real.add_argument("--joints", default=STATE.key, help="field of arm joint angles (rad), robot order")

    exp = verbs.add_parser("export", help="export a dataset to LeRobot v3 (+GR00T modality), Minari or robomimic")
    exp.add_argument("dataset")
    exp.add_argument("--format", required=True, choices=FORMATS)
    exp.add_argument("--out", required=True)
    exp.add_argument("--dataset-id", help="Minari id, e.g. demoforge/lift-v0")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.verb:
        parser.print_help()
        return 2
    # Wide tables even when piped (rich would otherwise assume 80 columns). No markup: messages
    # carry user text (paths, `demoforge[ray]`, `[rename]`) that rich would eat as tags.
    # soft_wrap: a line longer than the width (a long path) stays one line, so `| grep` finds it whole.
    console = Console(width=None if sys.stdout.isatty() else 160, markup=False, highlight=False, soft_wrap=True)
    try:
        return int(VERBS[args.verb](args, console) or 0)
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted (rerun the same command to continue where it resumes)\n")
        return 130
    except Exception as exc:  # user-facing: one line on stderr, no traceback
        if os.environ.get("DEMOFORGE_DEBUG"):
            raise
        sys.stderr.write(f"error: {error_line(exc)}\n")
        return 1


def error_line(exc: BaseException) -> str:
    """One line for any exception: demoforge's own errors name the file and field already."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        text = f"{exc.title}: {validation_summary(exc)}"
    elif isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        text = f"disk full: no space left on device{f' writing {exc.filename}' if exc.filename else ''}"
    elif isinstance(exc, OSError) and exc.filename and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}"
    elif isinstance(exc, DemoforgeError | FileNotFoundError | RuntimeError):
        text = str(exc)
    elif isinstance(exc, MemoryError):
        text = "out of memory (try fewer workers, a smaller batch or fewer episodes)"
    else:
        text = f"{type(exc).__name__}: {exc} (unexpected; DEMOFORGE_DEBUG=1 shows the traceback)"
    return " ".join(text.split()) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
