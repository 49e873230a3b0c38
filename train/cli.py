"""The `demoforge` command: parses `demoforge <verb> ...` and dispatches. It holds no logic of its
own: every verb is a thin layer over a library function, so training scripts can do the same."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..augment.generate import GenerateConfig, generate
from ..augment.generate.select import STRATEGIES
from ..augment.inspect import summarize
from ..augment.io.convert import FORMATS, export_dataset, import_dataset
from ..augment.preview import save_preview
from ..augment.profiles import load_profile
from ..augment.record import CollectConfig, collect
from ..envs import GYM_IDS, TASKS, ConfigError, DemoforgeError, make_env, resolve_task_name
from .evaluate import EvalConfig, evaluate
from .pipeline import RunConfig, load_run_config, run_pipeline
from .policies import POLICIES
from .progress import progress_bar
from .trainer import TrainConfig, train


def _info_envs(console: Console) -> None:
    table = Table(title="demoforge tasks")
    for column in ("task", "gymnasium id", "objects", "subtasks (signal → reference object)", "max steps", "action"):
        table.add_column(column)
    for name in TASKS:
        env = make_env(name)
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
    console.print(f"[bold]{data.pop('name')}[/bold] v{data.pop('version')}: {data.pop('description')}")
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
    console.print(
        f"[bold]{s['root']}[/bold]: {s['episodes']} episodes, {s['frames']} frames at {s['fps']} Hz, "
        f"success {rate}, sources {s['sources']}, {s['bytes'] / 1e6:.1f} MB on disk"
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
    config = CollectConfig(
        task=resolve_task_name(args.task),
        episodes=args.episodes,
        profile=args.profile,
        human_like=not args.clean,
        cameras=tuple(args.cameras),
        image_size=(args.image_size, args.image_size),
        seed=args.seed,
    )
    with progress_bar(console) as bar:
        job = bar.add_task(f"collect {config.task} in {config.profile}", total=config.episodes)
        result = collect(config, args.out, progress=lambda kept, attempts: bar.update(job, completed=kept))
    console.print(
        f"wrote {result['episodes']} demos to {args.out} ({result['attempts']} attempts, "
        f"{result['episodes'] / result['seconds']:.1f} episodes/s)"
    )
    return 0


def _cmd_generate(args: argparse.Namespace, console: Console) -> int:
    config = GenerateConfig(
        num=args.num,
        profile=args.profile,
        seed=args.seed,
        selection=args.selection,
        action_noise=args.action_noise,
        interpolation_steps=args.interpolation_steps,
        cameras=tuple(args.cameras),
        image_size=(args.image_size, args.image_size),
        workers=args.workers,
        backend=args.backend,
        ray_address=args.ray_address,
    )
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
        console.print(f"[yellow]stopped at the attempt limit: {summary.episodes}/{config.num} episodes[/yellow]")
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


def _cmd_train(args: argparse.Namespace, console: Console) -> int:
    config = TrainConfig(
        policy=args.policy,
        steps=args.steps,
        batch_size=args.batch_size,
        ratio=args.ratio,
        seed=args.seed,
        policy_overrides=_overrides(args.set),
    )
    with progress_bar(console, unit="steps") as bar:
        job = bar.add_task(f"train {args.policy}", total=config.steps or POLICIES[args.policy][0]().default_steps)
        result = train(
            args.out,
            config,
            real=args.real,
            synthetic=args.synthetic,
            resume=args.resume,
            progress=lambda step, total, loss: bar.update(
                job, completed=step, description=f"train {args.policy} loss {loss:.4f}"
            ),
        )
    console.print(
        f"trained {result.steps} steps in {result.seconds:.1f} s ({result.samples_per_second:,.0f} samples/s), "
        f"final loss {result.final_loss:.4f}; run: {result.run}"
    )
    return 0


def _cmd_eval(args: argparse.Namespace, console: Console) -> int:
    config = EvalConfig(
        profile=args.profile, episodes=args.episodes, seed=args.seed, workers=args.workers, videos=args.videos
    )
    result = evaluate(args.run, config)
    lo, hi = result.ci95
    console.print(
        f"{result.task} in {result.profile}: success {result.successes}/{result.episodes} = {result.success_rate:.0%} "
        f"(Wilson 95 % CI {lo:.0%}–{hi:.0%}), mean length {result.mean_length:.1f} steps"
    )
    console.print("subtasks reached: " + ", ".join(f"{k} {v:.0%}" for k, v in result.subtask_rates.items()))
    return 0


def _cmd_run(args: argparse.Namespace, console: Console) -> int:
    overrides = {
        k: v
        for k, v in {
            "task": args.task,
            "real_demos": args.real_demos,
            "synthetic_demos": args.synthetic_demos,
            "policy": args.policy,
            "profile_target": args.profile_target,
            "workers": args.workers,
        }.items()
        if v is not None
    }
    if args.config:
        config = load_run_config(args.config).model_copy(update=overrides)
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
    parser = argparse.ArgumentParser(prog="demoforge", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    info = verbs.add_parser("info", help="describe tasks and domain profiles")
    info.add_argument("--envs", action="store_true", help="list tasks, their ids, objects and subtasks")
    info.add_argument("--profile", metavar="NAME|PATH", help="print a resolved domain profile (built-in name or .toml)")
    info.add_argument("--preview", metavar="OUT.png", help="with --profile: write a grid of randomized resets")
    info.add_argument("--task", default="Lift", help="task shown in --preview (default Lift)")
    info.add_argument("--count", type=int, default=16, help="resets in --preview (default 16)")
    info.add_argument("dataset", nargs="?", help="a dataset folder to summarize")
    info.set_defaults(func=_cmd_info)

    col = verbs.add_parser("collect", help="record scripted-expert demos into a new dataset")
    col.add_argument("--task", default="Lift")
    col.add_argument("--episodes", type=int, default=10, help="successful demos to keep")
    col.add_argument("--profile", default="target", help="domain profile (default target: the 'real' domain)")
    col.add_argument("--clean", action="store_true", help="a clean expert instead of the human-like one")
    col.add_argument("--cameras", nargs="*", default=[], help="cameras to record as video (front side wrist)")
    col.add_argument("--image-size", type=int, default=84)
    col.add_argument("--seed", type=int, default=0)
    col.add_argument("--out", required=True)
    col.set_defaults(func=_cmd_collect)

    gen = verbs.add_parser("generate", help="multiply source demos into synthetic ones (MimicGen-style)")
    gen.add_argument("--source", required=True, help="dataset of source demos (with datagen poses)")
    gen.add_argument("--out", required=True, help="output dataset; rerun the same command to resume it")
    gen.add_argument("--task", help="task (default: read from the source episodes)")
    gen.add_argument("--num", type=int, default=100, help="successful episodes to produce")
    gen.add_argument("--profile", default="randomized", help="domain profile to generate in")
    gen.add_argument("--workers", type=int, default=0, help="worker processes (0: one per core)")
    gen.add_argument("--backend", choices=("process", "ray"), default="process")
    gen.add_argument("--ray-address", help="Ray cluster address (default: a local Ray)")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--selection", choices=list(STRATEGIES), default="nearest_object")
    gen.add_argument("--action-noise", type=float, default=0.05)
    gen.add_argument("--interpolation-steps", type=int, default=5)
    gen.add_argument("--cameras", nargs="*", default=[])
    gen.add_argument("--image-size", type=int, default=84)
    gen.set_defaults(func=_cmd_generate)

    tr = verbs.add_parser("train", help="train a policy on real and/or synthetic demos (co-training)")
    tr.add_argument("--real", help="dataset of real demos")
    tr.add_argument("--synthetic", help="dataset of synthetic demos")
    tr.add_argument("--ratio", type=float, default=0.5, help="share of each batch from real demos (both given)")
    tr.add_argument("--policy", choices=list(POLICIES), default="bc")
    tr.add_argument("--steps", type=int, help="training steps (default: the policy's, bc 2000, diffusion 8000)")
    tr.add_argument("--batch-size", type=int, default=256)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument(
        "--set", nargs="*", default=[], metavar="FIELD=VALUE", help="policy config fields, e.g. chunk_size=16"
    )
    tr.add_argument("--out", required=True, help="run folder")
    tr.add_argument("--resume", action="store_true", help="continue the run at --out from its last checkpoint")
    tr.set_defaults(func=_cmd_train)

    ev = verbs.add_parser("eval", help="closed-loop evaluation of a trained policy in a domain profile")
    ev.add_argument("run", help="run folder (or checkpoint file)")
    ev.add_argument("--profile", default="target")
    ev.add_argument("--episodes", type=int, default=50)
    ev.add_argument("--seed", type=int, default=100_000)
    ev.add_argument("--workers", type=int, default=0)
    ev.add_argument("--videos", type=int, default=2, help="episodes saved as GIF")
    ev.set_defaults(func=_cmd_eval)

    run = verbs.add_parser("run", help="the whole job: real demos → synthetic → 3 policies → target-domain report")
    run.add_argument("--task", help="task (default Lift)")
    run.add_argument("--real-demos", type=int, help="human-like demos recorded in the target profile (default 10)")
    run.add_argument("--synthetic-demos", type=int, help="demos generated from them (default 300)")
    run.add_argument("--policy", choices=list(POLICIES), help="policy for all three arms (default bc)")
    run.add_argument("--profile-target", help="the 'real world' profile (default target)")
    run.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    run.add_argument("--quick", action="store_true", help="a CI-sized smoke run")
    run.add_argument("--config", help="a report's config.yaml, to reproduce that run")
    run.add_argument("--out", default="demoforge_run", help="output folder (rerun to resume; default demoforge_run)")
    run.set_defaults(func=_cmd_run)

    imp = verbs.add_parser("import", help="import LeRobot v3, robomimic HDF5 or Minari demos")
    imp.add_argument("src", help="LeRobot v3 folder, robomimic .hdf5 file, or Minari dataset folder")
    imp.add_argument("--out", required=True)
    imp.add_argument("--mapping", help="TOML file renaming/ignoring source fields")
    imp.add_argument("--format", choices=FORMATS, help="skip detection")
    imp.add_argument("--fps", type=int, help="frame rate for sources that do not record one (default 20)")
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
    # Wide tables even when piped (rich would otherwise assume 80 columns).
    console = Console(width=None if sys.stdout.isatty() else 160)
    try:
        return int(args.func(args, console) or 0)
    except (DemoforgeError, FileNotFoundError, RuntimeError) as exc:  # expected, user-facing: one line, no traceback
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
