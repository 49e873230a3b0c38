"""The package's shape: imports flow downhill (train → augment → envs), and every source folder
is installed."""

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LEVEL = {"envs": 0, "augment": 1, "train": 2}


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's folder
                base = path.relative_to(ROOT).parent.parts[: len(path.relative_to(ROOT).parent.parts) - node.level + 1]
                yield ".".join([*base, *(node.module or "").split(".")]).strip(".")
            elif node.module:
                yield node.module.removeprefix("demoforge.")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.removeprefix("demoforge.")


@pytest.mark.parametrize("folder", list(LEVEL))
def test_imports_only_go_downhill(folder):
    for path in (ROOT / folder).rglob("*.py"):
        for target in _imports(path):
            top = target.split(".")[0]
            if top in LEVEL:
                assert LEVEL[top] <= LEVEL[folder], f"{path.relative_to(ROOT)} imports uphill from {target}"


def test_every_source_folder_is_a_listed_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapped = {Path(v) for v in config["package-dir"].values()}
    for folder in LEVEL:
        for init in (ROOT / folder).rglob("__init__.py"):
            assert init.parent.relative_to(ROOT) in mapped, f"{init.parent} is not in package-dir"
    assert set(config["packages"]) == set(config["package-dir"])
