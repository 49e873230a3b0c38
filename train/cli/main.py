"""The `demoforge` command: parses `demoforge <verb> ...` and dispatches. It holds no logic of its
own: every verb is a thin layer over a library function, so training scripts can do the same."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ...augment.data.inspect import summarize
from ...augment.data.record import CollectConfig, collect
from ...augment.data.safety import read_text
from ...augment.domain.preview import save_preview
from ...augment.domain.profiles import load_profile
from ...augment.generate import GenerateConfig, generate
from ...augment.io.convert import FORMATS, export_dataset, import_dataset
from ...envs import GYM_IDS, TASKS, ConfigError, DemoforgeError, make_task_env, resolve_task_name, validation_summary
from ..evaluate import EvalConfig, evaluate
from ..lerobot_eval import evaluate_lerobot, is_lerobot_checkpoint
from ..pipeline import run_pipeline
from ..policies import policy_classes
from ..progress import progress_bar
from ..run_config import RunConfig, load_run_config, run_train_config
from ..run_folder import clear_unstarted_run, unstarted_run
from ..run_layout import run_cameras
from ..trainer import TrainConfig, train
from .flag_builder import int_in
from .verb_flags import COLLECT, EVAL, GENERATE, MAX_STEPS, RUN, TRAIN, max_workers, quick_run


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage block) and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def _info_envs(console: Console) -> None:
    table = Table(title="demoforge tasks")
    for column in ("task", "gymnasium id", "objects", "subtasks (signal → reference object)", "max steps", "action"):
        table.add_column(column)
    for name in TASKS:
        env = make_task_env(name)
        subtasks = ", ".join(f"{s.signal or 'success'}→{s.object}" for s in env.task.subtasks)
        table.add_row(
            name,
            GYM_IDS[name],
            ", ".join(env.task.objects),
            subtasks,
            str(env.task.max_episode_steps),
            str(env.action_space.shape),
        )
        env.close()
    console.print(table)


def _info_profile(args: argparse.Namespace, console: Console) -> None:
    profile = load_profile(args.profile)
    data = profile.model_dump()
    console.print(f"{data.pop('name')} v{data.pop('version')}: {data.pop('description')}", style="bold")
    for section, fields in data.items():
        state = "on" if fields.pop("enabled") else "off"
        line = ", ".join(f"{k}={v}" for k, v in fields.items())
        console.print(f"  {section} ({state}): {line}", markup=False, highlight=False)
    if args.preview:
        path = save_preview(args.preview, resolve_task_name(args.task), profile, count=args.count)
        console.print(f"wrote {path} ({args.count} resets of {args.task}, front camera)")


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
    if args.envs:
        _info_envs(console)
    if args.profile:
        _info_profile(args, console)
    if args.dataset:
        _info_dataset(args.dataset, console)
    if not (args.envs or args.profile or args.dataset):
        console.print("nothing to show: pass a dataset folder, --envs or --profile NAME")
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


def _overrides(pairs: list[str]) -> dict:
    """['chunk_size=16', 'lr=3e-4'] → {'chunk_size': 16, 'lr': 0.0003} (values parsed as JSON when they parse)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(f"--set {pair!r}: expected FIELD=VALUE")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def policy_overrides(policy: str, pairs: list[str]) -> dict:
    """`--set` pairs checked against the policy config's fields: known name, the field's type, a
    sane range (positive sizes, finite rates); the config's own checks run too."""
    config_cls, _ = policy_classes(policy)
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    defaults = config_cls()
    out = _overrides(pairs)
    for key, value in out.items():
        if key not in fields:
            raise ConfigError(f"--set {key}: not a {policy} policy field; known: {', '.join(fields)}")
        default = getattr(defaults, key)
        nullable = "None" in str(fields[key].type)
        where = f"--set {key}={json.dumps(value)}"
        if value is None and nullable:
            continue
        if isinstance(default, bool):
            ok, want = isinstance(value, bool), "true or false"
        elif isinstance(default, int):
            high = MAX_STEPS if key.endswith("steps") and "action" not in key else 65_536
            ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= high
            want = f"an integer in 1..{high}"
        elif isinstance(default, float):
            number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            ok = number and value >= 0 and (key != "lr" or value > 0) and (key != "dropout" or value < 1)
            want = "a finite number ≥ 0" + (" (> 0)" if key == "lr" else " (< 1)" if key == "dropout" else "")
        elif isinstance(default, tuple):
            ok = (
                isinstance(value, list)
                and bool(value)
                and all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 65_536 for v in value)
            )
            want = "a list of integers in 1..65536, e.g. [256, 256]"
            value = tuple(value) if ok else value
        elif dataclasses.is_dataclass(default):  # a nested config (BC's encoder): its own checks run below
            ok, want = isinstance(value, dict), f"a mapping of {type(default).__name__} fields"
        else:
            ok, want = isinstance(value, type(default)), type(default).__name__
        if not ok:
            raise ConfigError(f"{where}: expected {want}" + (" or null" if nullable else ""))
        out[key] = value
    try:
        config_cls(**out)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"--set: {exc}") from None
    return out


def _cmd_train(args: argparse.Namespace, console: Console) -> int:
    policy = args.policy or TrainConfig.policy  # --set is checked against this policy's fields
    config = TRAIN.build(args, policy_overrides=policy_overrides(policy, args.set))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file, expected a run folder")
    if not args.real and not args.synthetic:
        raise ConfigError("train needs --real and/or --synthetic data")
    if args.real and args.synthetic and config.ratio == 0:  # the vision default: say what --real does not do
        console.print(f"ratio 0 ({config.obs}'s default): no batch draws from --real; pass --ratio to co-train")
    resume = args.resume
    if unstarted_run(out):  # killed before its first checkpoint: nothing to resume, start it again
        clear_unstarted_run(out)
        resume = False
    with progress_bar(console, unit="steps") as bar:
        job = bar.add_task(
            f"train {config.policy}", total=config.steps or policy_classes(config.policy)[0]().default_steps
        )
        result = train(
            args.out,
            config,
            real=args.real,
            synthetic=args.synthetic,
            resume=resume,
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
    elif args.task:
        raise ConfigError(f"--task is for LeRobot checkpoints; {args.run} records the task it was trained on")
    else:
        result = evaluate(args.run, config)
    lo, hi = result.ci95
    console.print(
        f"{result.task} in {result.profile}: success {result.successes}/{result.episodes} = {result.success_rate:.0%} "
        f"(Wilson 95 % CI {lo:.0%}–{hi:.0%}), mean length {result.mean_length:.1f} steps"
    )
    console.print("subtasks reached: " + ", ".join(f"{k} {v:.0%}" for k, v in result.subtask_rates.items()))
    return 0


def validate_run_config(config: RunConfig) -> None:
    """Every name and number of a run, checked before any stage starts."""
    task = resolve_task_name(config.task)
    load_profile(config.profile_target)
    load_profile(config.profile_generate)
    policy_classes(config.policy)
    if config.train_steps is not None and not 1 <= config.train_steps <= MAX_STEPS:
        raise ConfigError(f"run config train_steps={config.train_steps}: expected 1..{MAX_STEPS} or null")
    if config.workers > max_workers():
        raise ConfigError(f"run config workers={config.workers}: at most {max_workers()} (4 per core)")
    if config.seed < 0:
        raise ConfigError(f"run config seed={config.seed}: expected ≥ 0")
    if not math.isfinite(config.ratio):
        raise ConfigError(f"run config ratio={config.ratio}: expected a number in [0, 1]")
    cameras = run_cameras(config)
    CollectConfig(
        task=task, episodes=config.real_demos, profile=config.profile_target, seed=config.seed, cameras=cameras
    )
    GenerateConfig(num=config.synthetic_demos, profile=config.profile_generate, seed=config.seed, cameras=cameras)
    run_train_config(config)
    EvalConfig(profile=config.profile_target, episodes=config.eval_episodes)


def _cmd_run(args: argparse.Namespace, console: Console) -> int:
    overrides = RUN.given(args)  # the flags given win over --config and --quick
    if args.config:
        read_text(Path(args.config), "run config")  # a missing or non-UTF-8 file: one line naming it
        config = RunConfig.model_validate({**load_run_config(args.config).model_dump(), **overrides})
    elif args.quick:
        config = RunConfig.quick(**overrides)
    else:
        config = RunConfig(**overrides)
    validate_run_config(config)
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
    report = import_dataset(args.src, args.out, mapping=args.mapping, fmt=args.format, fps=args.fps)
    console.print(f"imported {report.episodes} episodes, {report.frames} frames ({report.format}) into {args.out}")
    for source, target in report.mapped.items():
        console.print(f"  {source} → {target}", markup=False)
    for source, why in report.unmapped.items():
        console.print(f"  not imported: {source} ({why})", markup=False)
    return 0


def _cmd_export(args: argparse.Namespace, console: Console) -> int:
    out = export_dataset(args.dataset, args.format, args.out, dataset_id=args.dataset_id)
    console.print(f"exported {args.dataset} as {args.format} to {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="demoforge", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    info = verbs.add_parser("info", help="describe tasks and domain profiles")
    info.add_argument("--envs", action="store_true", help="list tasks, their ids, objects and subtasks")
    info.add_argument("--profile", metavar="NAME|PATH", help="print a resolved domain profile (built-in name or .toml)")
    info.add_argument("--preview", metavar="OUT.png", help="with --profile: write a grid of randomized resets")
    info.add_argument("--task", default="Lift", help="task shown in --preview (default Lift)")
    info.add_argument("--count", type=int_in(1, 64), default=16, help="resets in --preview (default 16)")
    info.add_argument("dataset", nargs="?", help="a dataset folder to summarize")
    info.set_defaults(func=_cmd_info)

    col = verbs.add_parser("collect", help="record scripted-expert demos into a new dataset")
    col.add_argument("--out", required=True, help="output dataset; rerun the same command to continue it")
    COLLECT.add_to(col)
    col.set_defaults(func=_cmd_collect)

    gen = verbs.add_parser("generate", help="multiply source demos into synthetic ones (MimicGen-style)")
    gen.add_argument("--source", required=True, help="dataset of source demos (with datagen poses)")
    gen.add_argument("--out", required=True, help="output dataset; rerun the same command to resume it")
    gen.add_argument("--task", help="task (default: read from the source episodes)")
    GENERATE.add_to(gen)
    gen.set_defaults(func=_cmd_generate)

    tr = verbs.add_parser("train", help="train a policy on real and/or synthetic demos (co-training)")
    tr.add_argument("--real", help="dataset of real demos")
    tr.add_argument("--synthetic", help="dataset of synthetic demos")
    tr.add_argument("--out", required=True, help="run folder")
    tr.add_argument("--resume", action="store_true", help="continue the run at --out from its last checkpoint")
    tr.add_argument(  # TrainConfig.policy_overrides: checked against the fields of the policy --policy names
        "--set", nargs="*", default=[], metavar="FIELD=VALUE", help="policy config fields, e.g. chunk_size=16"
    )
    TRAIN.add_to(tr)
    tr.set_defaults(func=_cmd_train)

    ev = verbs.add_parser("eval", help="closed-loop evaluation of a trained policy in a domain profile")
    ev.add_argument("run", help="run folder, checkpoint file, or a LeRobot pretrained_model folder")
    ev.add_argument("--task", help="task of a LeRobot checkpoint (default: read from its train_config.json dataset)")
    EVAL.add_to(ev)
    ev.set_defaults(func=_cmd_eval)

    run = verbs.add_parser("run", help="the whole job: real demos → synthetic → 3 policies → target-domain report")
    run.add_argument("--quick", action="store_true", help=f"a CI-sized smoke run ({quick_run()})")
    run.add_argument("--config", help="a report's config.yaml, to reproduce that run")
    run.add_argument("--out", default="demoforge_run", help="output folder (rerun to resume; default demoforge_run)")
    RUN.add_to(run)
    run.set_defaults(func=_cmd_run)

    imp = verbs.add_parser("import", help="import LeRobot v3, robomimic HDF5 or Minari demos")
    imp.add_argument("src", help="LeRobot v3 folder, robomimic .hdf5 file, or Minari dataset folder")
    imp.add_argument("--out", required=True)
    imp.add_argument("--mapping", help="TOML file renaming/ignoring source fields")
    imp.add_argument("--format", choices=FORMATS, help="skip detection")
    imp.add_argument("--fps", type=int_in(1, 10_000), help="frame rate for sources that do not record one (default 20)")
    imp.set_defaults(func=_cmd_import)

    exp = verbs.add_parser("export", help="export a dataset to LeRobot v3 (+GR00T modality), Minari or robomimic")
    exp.add_argument("dataset")
    exp.add_argument("--format", required=True, choices=FORMATS)
    exp.add_argument("--out", required=True)
    exp.add_argument("--dataset-id", help="Minari id, e.g. demoforge/lift-v0")
    exp.set_defaults(func=_cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    # Wide tables even when piped (rich would otherwise assume 80 columns). No markup: messages
    # carry user text (paths, `demoforge[ray]`, `[rename]`) that rich would eat as tags.
    console = Console(width=None if sys.stdout.isatty() else 160, markup=False, highlight=False)
    try:
        return int(args.func(args, console) or 0)
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
