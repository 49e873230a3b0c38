"""The `demoforge` command: parses `demoforge <verb> ...` and dispatches. It holds no logic of its
own: every verb is a thin layer over a library function, so training scripts can do the same."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from ..augment.preview import save_preview
from ..augment.profiles import load_profile
from ..envs import GYM_IDS, TASKS, DemoforgeError, make_env, resolve_task_name


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


def _cmd_info(args: argparse.Namespace, console: Console) -> int:
    if args.envs:
        _info_envs(console)
    if args.profile:
        _info_profile(args, console)
    if not (args.envs or args.profile):
        console.print("nothing to show: pass --envs or --profile NAME")
        return 2
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
    info.set_defaults(func=_cmd_info)
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
    except (DemoforgeError, FileNotFoundError) as exc:  # expected, user-facing: one line, no traceback
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
