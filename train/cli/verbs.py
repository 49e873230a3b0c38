"""The verb table of the `demoforge` command: one handler per verb, each a thin layer over a library
function (what a training script calls). A handler builds the verb's config from its flags (the
config checks every value, one line naming the field), calls the library and prints the outcome.
`main.py` parses the command line and dispatches through `VERBS`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ...augment.config_bounds import check_robot
from ...augment.data.inspect import summarize
from ...augment.data.record import collect
from ...augment.data.safety import read_text
from ...augment.domain.calibrate import CalibrationResult, calibrate, calibrated_profile
from ...augment.domain.preview import save_preview
from ...augment.domain.profiles import check_new_profile_path, load_profile, save_profile
from ...augment.generate import generate
from ...augment.io.convert import export_dataset, import_dataset
from ...augment.io.real_robot import RealRobotImport
from ...augment.teleop import teleop
from ...envs import TASKS, ConfigError, gym_id, is_task_file, make_task_env, resolve_task_name
from ...envs.plugins import Registry
from ...envs.robots import ROBOTS
from ..evaluate import evaluate
from ..lerobot_eval import evaluate_lerobot, is_lerobot_checkpoint
from ..pipeline import run_pipeline
from ..policies import policy_classes
from ..progress import progress_bar
from ..run_config import RunConfig, load_run_config
from ..trainer import train
from .verb_flags import CALIBRATE, COLLECT, EVAL, GENERATE, RUN, TELEOP, TRAIN


def _info_envs(console: Console) -> None:
    table = Table(title="demoforge tasks")
    for column in ("task", "gymnasium id", "objects", "subtasks (signal → reference object)", "max steps", "action"):
        table.add_column(column)
    for name in TASKS:
        env = make_task_env(name)
        subtasks = ", ".join(f"{s.signal or 'success'}→{s.object}" for s in env.task.subtasks)
        table.add_row(
            name,
            gym_id(name),
            ", ".join(env.task.objects),
            subtasks,
            str(env.task.max_episode_steps),
            str(env.action_space.shape),
        )
        env.close()
    console.print(table)


def _info_names(registry: Registry) -> None:
    """Every registered name, one per line (for scripts), then where each comes from."""
    names = list(registry)
    print("\n".join(names))
    print()
    for name in names:
        print(f"{name}: {registry.origin(name)}")


def _info_profile(args: argparse.Namespace, console: Console) -> None:
    profile = load_profile(args.profile)
    data = profile.model_dump()
    console.print(f"{data.pop('name')} v{data.pop('version')}: {data.pop('description')}", style="bold")
    for section, fields in data.items():
        state = "on" if fields.pop("enabled") else "off"
        line = ", ".join(f"{k}={v}" for k, v in fields.items())
        console.print(f"  {section} ({state}): {line}", markup=False, highlight=False)
    if args.preview:
        path = save_preview(args.preview, args.task or "Lift", profile, count=args.count)
        console.print(f"wrote {path} ({args.count} resets of {args.task or 'Lift'}, front camera)")


def _info_dataset(path: str, console: Console) -> None:
    s = summarize(path)
    rate = "n/a" if s["success_rate"] is None else f"{s['success_rate']:.0%}"
    idle = "n/a" if s["idle_fraction"] is None else f"{s['idle_fraction']:.1%}"
    console.print(
        f"{s['root']}: {s['episodes']} episodes, {s['frames']} frames at {s['fps']} Hz, "
        f"success {rate}, idle frames {idle}, sources {s['sources']}, {s['bytes'] / 1e6:.1f} MB on disk"
    )
    console.print(f"tasks: {s['tasks']}", markup=False)
    table = Table("feature", "dtype", "shape", "mean (avg over dims)", "std (avg over dims)")
    for f in s["features"]:
        mean, std = ("" if v is None else f"{v:.4g}" for v in (f["mean"], f["std"]))
        table.add_row(f["name"], f["dtype"], str(f["shape"]), mean, std)
    console.print(table)


def _cmd_info(args: argparse.Namespace, console: Console) -> int:
    if args.task:  # a task file registers its task here, so --tasks and --envs list it too
        args.task = resolve_task_name(args.task)
    if args.robot:  # a robot file registers its robot here, so --robots lists it too
        check_robot("--robot", args.robot)
    if args.tasks:
        _info_names(TASKS)
    if args.robots:
        _info_names(ROBOTS)
    if args.envs:
        _info_envs(console)
    if args.profile:
        _info_profile(args, console)
    if args.dataset:
        _info_dataset(args.dataset, console)
    if not (args.tasks or args.robots or args.envs or args.profile or args.dataset):
        console.print("nothing to show: pass a dataset folder, --tasks, --robots, --envs or --profile NAME")
        return 2
    return 0


def _cmd_collect(args: argparse.Namespace, console: Console) -> int:
    config = COLLECT.build(args)
    with progress_bar(console) as bar:
        job = bar.add_task(f"collect {config.task} in {config.profile}", total=config.episodes)
        result = collect(config, args.out, progress=lambda kept, attempts: bar.update(job, completed=kept))
    console.print(
        f"wrote {result['episodes']} demos to {args.out} ({result['attempts']} attempts, "
        f"{result['episodes'] / result['seconds']:.1f} episodes/s)"
    )
    return 0


def _cmd_teleop(args: argparse.Namespace, console: Console) -> int:
    config = TELEOP.build(args)

    def ready(url: str) -> None:  # flushed: a script (the browser test) waits for this line
        print(f"teleop: open {url} (keys: w/s a/d r/f move, space grips; Ctrl+C stops)", flush=True)

    result = teleop(config, args.out, on_ready=ready)
    console.print(f"{args.out}: {result['episodes']} demos kept ({result['attempts']} attempts this run)")
    return 0


def _cmd_generate(args: argparse.Namespace, console: Console) -> int:
    config = GENERATE.build(args)
    with progress_bar(console) as bar:
        job = bar.add_task("generate", total=config.num)

        def update(attempts: int, successes: int, target: int) -> None:
            rate = successes / attempts if attempts else 0.0
            bar.update(job, completed=successes, description=f"generate: {attempts} attempts, {rate:.0%} kept")

        summary = generate(
            args.source, args.out, config, task=args.task and resolve_task_name(args.task), progress=update
        )
    table = Table(title=f"{summary.task}: {summary.episodes} episodes from {summary.attempts} attempts")
    table.add_column("outcome")
    table.add_column("attempts", justify="right")
    table.add_column("share", justify="right")
    table.add_row("success", str(summary.episodes), f"{summary.success_rate:.1%}")
    for cause, count in sorted(summary.causes.items()):
        table.add_row(f"failed: {cause}", str(count), f"{count / max(summary.attempts, 1):.1%}")
    console.print(table)
    hours = summary.seconds / 3600
    console.print(
        f"this run: {summary.new_episodes} new episodes in {summary.seconds:.1f} s "
        f"({summary.new_episodes / hours if hours else 0:,.0f} demos/hour); coverage plot: {args.out}/plots/coverage.png"
    )
    if not summary.complete:
        console.print(f"stopped at the attempt limit: {summary.episodes}/{config.num} episodes", style="yellow")
        return 1
    return 0


def _cmd_train(args: argparse.Namespace, console: Console) -> int:
    config = TRAIN.build(args, policy_overrides=dict(args.set))  # TrainConfig checks --set against --policy
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file, expected a run folder")
    if not args.real and not args.synthetic:
        raise ConfigError("train needs --real and/or --synthetic data")
    if args.real and args.synthetic and config.ratio == 0:  # the vision default: say what --real does not do
        console.print(f"ratio 0 ({config.obs}'s default): no batch draws from --real; pass --ratio to co-train")
    with progress_bar(console, unit="steps") as bar:
        job = bar.add_task(
            f"train {config.policy}", total=config.steps or policy_classes(config.policy)[0]().default_steps
        )
        result = train(
            args.out,
            config,
            real=args.real,
            synthetic=args.synthetic,
            resume=args.resume,  # a run killed before its first checkpoint starts again (train)
            progress=lambda step, total, loss: bar.update(
                job, completed=step, description=f"train {config.policy} loss {loss:.4f}"
            ),
        )
    console.print(
        f"trained {result.steps} steps in {result.seconds:.1f} s ({result.samples_per_second:,.0f} samples/s), "
        f"final loss {result.final_loss:.4f}; run: {result.run}"
    )
    return 0


def _cmd_eval(args: argparse.Namespace, console: Console) -> int:
    config = EVAL.build(args)
    if is_lerobot_checkpoint(args.run):  # lerobot-train's pretrained_model folder
        result = evaluate_lerobot(args.run, config, task=args.task)
    elif args.task and not is_task_file(args.task):
        raise ConfigError(f"--task is for LeRobot checkpoints; {args.run} records the task it was trained on")
    else:
        if args.task:  # the run records its task's name; a task file's task must be read to be known here
            resolve_task_name(args.task)
        result = evaluate(args.run, config)
    lo, hi = result.ci95
    console.print(
        f"{result.task} in {result.profile}: success {result.successes}/{result.episodes} = {result.success_rate:.0%} "
        f"(Wilson 95 % CI {lo:.0%}–{hi:.0%}), mean length {result.mean_length:.1f} steps"
    )
    console.print("subtasks reached: " + ", ".join(f"{k} {v:.0%}" for k, v in result.subtask_rates.items()))
    return 0


def _cmd_calibrate(args: argparse.Namespace, console: Console) -> int:
    # both outputs checked before a minute of fitting, not after
    if args.out:
        CalibrationResult.check_new_path(args.out)
    if args.profile_out:
        check_new_profile_path(args.profile_out)
    result = calibrate(args.real, task=args.task, config=CALIBRATE.build(args), log=console.print)
    table = Table(
        title=f"{result.task}: the domain of {args.real} ({result.segments} stretches, {result.seconds:.0f} s)"
    )
    for col in ("parameter", "identified", "± (1 σ)", "randomized range"):
        table.add_column(col)
    for row in result.rows(load_profile("randomized")):
        table.add_row(*row)
    console.print(table)
    console.print(
        f"proprioceptive noise ≤ {result.proprio_noise_std * 1e3:.1f} mrad (an upper bound: the arm's own "
        f"accelerations count in it); prediction residual {result.residual_rms * 1e3:.2f} (mrad, mm)"
    )
    if args.out:
        console.print(f"written: {result.save(args.out)}")
    if args.profile_out:
        path = save_profile(calibrated_profile(result), args.profile_out)
        console.print(f"written: {path} (generate with --profile {path})")
    return 0


def _cmd_replay(args: argparse.Namespace, console: Console) -> int:
    """Exit 1 when any episode does not retrace its recording; each such episode gets a line."""
    from ...augment.data.replay import Replayer

    replayer = Replayer(args.dataset, args.profile)
    try:
        count = min(args.episodes or len(replayer.dataset), len(replayer.dataset))
        worst, failed = 0.0, 0
        for i in range(count):
            r = replayer.replay(i)
            worst = max(worst, r.max_state_error)
            if not r.reproduced:
                failed += 1
                where = f"diverges at frame {r.first_divergence}" if r.first_divergence else "retraces"
                console.print(
                    f"episode {i}: {where} (largest state error {r.max_state_error:.3g}); success "
                    f"{r.success}, recorded {r.recorded_success}"
                )
    finally:
        replayer.close()
    console.print(f"{count - failed}/{count} episodes replay (largest state error {worst:.3g})")
    return 1 if failed else 0


def _cmd_annotate(args: argparse.Namespace, console: Console) -> int:
    from ...augment.data.annotate import annotate_auto

    if args.csv:
        from ...augment.data.marks import annotate_marks, read_marks_csv

        annotate_marks(args.dataset, args.out, read_marks_csv(args.csv), "csv", args.task)
        console.print(f"annotated {args.dataset} from {args.csv} into {args.out}")
        return 0
    if args.by_hand:
        from ...augment.teleop.annotate_server import AnnotatePageConfig, annotate_by_hand

        def ready(url: str) -> None:  # flushed: a script (the browser test) waits for this line
            print(f"annotate: open {url} (mark each subtask's last frame, then Save; Ctrl+C stops)", flush=True)

        annotate_by_hand(args.dataset, args.out, AnnotatePageConfig(args.host, args.port), args.task, ready)
        console.print(f"annotated by hand into {args.out}")
        return 0

    report = annotate_auto(args.dataset, args.out, args.profile, skip_diverged=args.skip_diverged)
    for line in report.lines():
        console.print(line)
    console.print(f"annotated {len(report.annotated)} episodes into {args.out} ({len(report.diverged)} left out)")
    return 0


def _cmd_run(args: argparse.Namespace, console: Console) -> int:
    overrides = RUN.given(args)  # the flags given win over --config and --quick
    if args.config:
        read_text(Path(args.config), "run config")  # a missing or non-UTF-8 file: one line naming it
        config = RunConfig(**{**load_run_config(args.config).model_dump(), **overrides})
    elif args.quick:
        config = RunConfig.quick(**overrides)
    else:
        config = RunConfig(**overrides)
    numbers = run_pipeline(config, args.out, log=lambda line: console.print(line, markup=False, highlight=False))
    table = Table(title=f"{numbers['task']} in {config.profile_target}: success by training data")
    for col in ("training data", "success", "Wilson 95 % CI"):
        table.add_column(col)
    for arm, e in numbers["arms"].items():
        table.add_row(
            arm.replace("_", " "),
            f"{e['successes']}/{e['episodes']} ({e['success_rate']:.0%})",
            f"{e['ci95'][0]:.0%}–{e['ci95'][1]:.0%}",
        )
    console.print(table)
    console.print(numbers["verdict"], markup=False)
    console.print(
        f"report: {Path(args.out) / 'report' / 'report.html'}  (total {sum(numbers['timings_s'].values()):.0f} s)"
    )
    return 0


def _cmd_import(args: argparse.Namespace, console: Console) -> int:
    real = None
    given = [f"--{n.replace('_', '-')}" for n in ("robot", "task", "object_poses") if getattr(args, n)]
    if given and len(given) < 3:  # one of them alone cannot make the poses generation reads
        lacking = [f for f in ("--robot", "--task", "--object-poses") if f not in given]
        raise ConfigError(f"import {' '.join(given)}: also needs {' and '.join(lacking)} (real-robot data)")
    if given:
        real = RealRobotImport(args.robot, args.task, args.object_poses, args.joints)
    report = import_dataset(args.src, args.out, mapping=args.mapping, fmt=args.format, fps=args.fps, real_robot=real)
    console.print(f"imported {report.episodes} episodes, {report.frames} frames ({report.format}) into {args.out}")
    for source, target in report.mapped.items():
        console.print(f"  {source} → {target}", markup=False)
    for source, why in report.unmapped.items():
        console.print(f"  not imported: {source} ({why})", markup=False)
    for feature, supplier in report.missing.items():
        console.print(f"  generation needs {feature}, which it lacks: supplied by {supplier}", markup=False)
    return 0


def _cmd_export(args: argparse.Namespace, console: Console) -> int:
    out = export_dataset(args.dataset, args.format, args.out, dataset_id=args.dataset_id)
    console.print(f"exported {args.dataset} as {args.format} to {out}")
    return 0


Verb = Callable[[argparse.Namespace, Console], int]

VERBS: dict[str, Verb] = {
    "info": _cmd_info,
    "collect": _cmd_collect,
    "teleop": _cmd_teleop,
    "generate": _cmd_generate,
    "train": _cmd_train,
    "eval": _cmd_eval,
    "calibrate": _cmd_calibrate,
    "replay": _cmd_replay,
    "annotate": _cmd_annotate,
    "run": _cmd_run,
    "import": _cmd_import,
    "export": _cmd_export,
}
