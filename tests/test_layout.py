"""The package's shape: imports flow downhill (train → augment → envs), no two modules import each
other (directly or round a longer loop, counting imports inside functions and under
TYPE_CHECKING), and every source folder is installed."""

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


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return (node.module or "").removeprefix("demoforge.")
    parts = path.relative_to(ROOT).parent.parts
    return ".".join([*parts[: len(parts) - node.level + 1], *(node.module or "").split(".")]).strip(".")


def import_graph(folders=tuple(LEVEL)) -> dict[str, set[str]]:
    """Module → the package modules it imports; `from pkg import module` is an edge to the module
    (not to the package), and any import counts, also one inside a function or TYPE_CHECKING."""
    paths = {_module(p): p for folder in folders for p in (ROOT / folder).rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom):
                base = _resolve(path, node)
                subs = [f"{base}.{a.name}" if base else a.name for a in node.names]
                edges |= {m for m in subs if m in paths}
                if any(m not in paths for m in subs):
                    edges.add(base)
            elif isinstance(node, ast.Import):
                edges |= {a.name.removeprefix("demoforge.") for a in node.names}
        graph[name] = {e for e in edges if e in paths and e != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop as [a, b, …, a], or None (depth-first search, three colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_cycle_finder_finds_a_loop():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_every_source_folder_is_a_listed_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapped = {Path(v) for v in config["package-dir"].values()}
    for folder in LEVEL:
        for init in (ROOT / folder).rglob("__init__.py"):
            assert init.parent.relative_to(ROOT) in mapped, f"{init.parent} is not in package-dir"
    assert set(config["packages"]) == set(config["package-dir"])
