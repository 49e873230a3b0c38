"""MkDocs hook: let griffe (mkdocstrings' Python handler) find the `demoforge` package.

pyproject's `package-dir` maps `demoforge` → `api/`, `demoforge.envs` → `envs/`, ... Python imports it
through setuptools' editable finder, but griffe reads source files and looks for a folder named
`demoforge/`, which the repository does not have. This hook builds one of symbolic links under
`build/docs_src/` from pyproject's own mapping (so it follows the layout when it changes), and mkdocs.yml
points the handler's `paths` there. It also publishes the benchmark plots the pages show under `img/`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
TREE = ROOT / "build" / "docs_src"
PLOTS = ("vision_robustness.png", "vision_robustness_24k.png")


def _link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        if link.is_symlink() and link.resolve() == target.resolve():
            return
        link.unlink()
    link.symlink_to(target, target_is_directory=target.is_dir())


def build_tree() -> Path:
    """`build/docs_src/<package path>` for every package of pyproject's `package-dir` that is not
    already reachable through its parent's folder; the root package's files are linked one by one."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_dir: dict[str, str] = setuptools["package-dir"]
    for package in sorted(package_dir, key=lambda p: p.count(".")):
        source = ROOT / package_dir[package]
        parent, _, name = package.rpartition(".")
        if parent in package_dir and ROOT / package_dir[parent] / name == source:
            continue  # nested as in the package: reachable through the parent's link
        dest = TREE.joinpath(*package.split("."))
        if not parent:  # the root package's folder holds the other packages' links: link its files
            dest.mkdir(parents=True, exist_ok=True)
            for f in source.iterdir():
                if f.is_file() and f.suffix in (".py", ".pyi", ".typed"):
                    _link(dest / f.name, f)
        else:
            _link(dest, source)
    return TREE


# Built when mkdocs loads this hook, before any plugin starts: the Python handler leaves out
# `paths` that do not exist yet when it is set up.
build_tree()


def on_config(config, **kwargs):
    build_tree()  # again for `mkdocs serve` rebuilds, in case the layout changed
    return config


def on_files(files, config, **kwargs):
    for name in PLOTS:
        if (ROOT / "benchmarks" / name).is_file():
            files.append(File.generated(config, f"img/{name}", abs_src_path=str(ROOT / "benchmarks" / name)))
    return files
