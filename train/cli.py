"""The `demoforge` command: parses `demoforge <verb> ...` and dispatches. It holds no logic of its
own: every verb is a thin layer over a library function, so training scripts can do the same."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from ..envs import GYM_IDS, TASKS, DemoforgeError, make_env


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


def _cmd_info(args: argparse.Namespace, console: Console) -> int:
    if args.envs:
        _info_envs(console)
        return 0
    console.print("nothing to show: pass --envs")
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="demoforge", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    info = verbs.add_parser("info", help="describe the registered tasks")
    info.add_argument("--envs", action="store_true", help="list tasks, their ids, objects and subtasks")
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
    except DemoforgeError as exc:  # expected, user-facing: one line, no traceback
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
