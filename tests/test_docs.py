"""The README stays a short front door that tells the truth about the tree, and the docs site's
navigation names only pages that exist. (CI builds the site itself with `mkdocs build --strict`.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAX_README_LINES = 250
SETUP_COMMANDS = (
    'pip install "torch==2.13.0" -e . && demoforge run',
    'pip install "torch==2.13.0" -e ".[test]" && python -m pytest',  # .ci/run runs this command
)


def section(text: str, heading: str) -> str:
    """The body of the `## heading` section of a Markdown text."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"README has no '## {heading}' section"
    return match.group(1)


def tour_paths(text: str) -> list[str]:
    """Every file and folder the tour's tree names, as repository paths. Two spaces of indent per
    level; an entry is the first column of a line (before a gap of 2+ spaces), `a → b → c` names
    several siblings; a name ending in '/' is a folder that later, deeper lines live in."""
    block = re.search(r"```\n(.*?)```", section(text, "Tour of the code"), re.S)
    assert block, "the tour has no code block"
    paths, parents = [], []  # parents[d]: the folder at depth d
    for line in block.group(1).splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        entry = re.split(r"\s{2,}", line.strip())[0]
        del parents[depth:]
        prefix = "".join(parents)
        names = [n.strip() for n in entry.split("→")]
        paths += [prefix + n for n in names]
        if len(names) == 1 and names[0].endswith("/"):
            parents.append(names[0])
    return paths


def test_readme_is_short():
    lines = README.count("\n")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; at most {MAX_README_LINES} (move detail to docs/)"


@pytest.mark.parametrize("command", SETUP_COMMANDS)
def test_readme_keeps_the_setup_commands(command):
    assert f"\n{command}\n" in README, f"README.md lost the set-up command: {command}"


def test_every_path_in_the_readme_tour_exists():
    paths = tour_paths(README)
    assert len(paths) > 20, paths  # the parser read the tree, not nothing
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing, f"README's tour names paths that do not exist: {missing}"


def test_every_path_the_readme_points_to_exists():
    where = re.findall(r"`([\w./-]+/[\w./-]*)`", section(README, "Tour of the code"))
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    assert where and links
    missing = [p for p in where + links if "://" not in p and not (ROOT / p).exists()]
    assert not missing, f"README points to paths that do not exist: {missing}"


def test_the_tour_parser_finds_nested_paths():
    tree = "## Tour of the code\n\n```\nenvs/    scenes\n  tasks/   the tasks\n    lift.py  Lift\n  a.py → b.py\n```\n"
    assert tour_paths(tree) == ["envs/", "envs/tasks/", "envs/tasks/lift.py", "envs/a.py", "envs/b.py"]


def nav_pages(nav) -> list[str]:
    """Every page file a mkdocs.yml `nav` names, at any depth."""
    if isinstance(nav, str):
        return [] if "://" in nav else [nav]
    if isinstance(nav, list):
        return [p for item in nav for p in nav_pages(item)]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in nav_pages(value)]
    return []


def test_every_page_in_the_docs_nav_exists():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    docs = ROOT / config.get("docs_dir", "docs")
    pages = nav_pages(config["nav"])
    assert len(pages) >= 10 and "index.md" in pages
    missing = [p for p in pages if not (docs / p).is_file()]
    assert not missing, f"mkdocs.yml nav names pages that do not exist: {missing}"
    unlisted = sorted(str(p.relative_to(docs)) for p in docs.rglob("*.md") if str(p.relative_to(docs)) not in pages)
    assert not unlisted, f"docs pages missing from mkdocs.yml nav: {unlisted}"
