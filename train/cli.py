"""The `demoforge` command: parses `demoforge <verb> ...` and dispatches. It holds no logic of its
own: every verb is a thin layer over a library function, so training scripts can do the same."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from ..augment.inspect import summarize
from ..augment.io.convert import FORMATS, export_dataset, import_dataset
from ..augment.preview import save_preview
from ..augment.profiles import load_profile
from ..augment.record import CollectConfig, collect
from ..envs import GYM_IDS, TASKS, DemoforgeError, make_env, resolve_task_name
from .progress import progress_bar


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
