"""The robot description (envs/robots/) is the single source of what a robot is: no module outside
that folder spells an arm's joint, servo, site or pad name, writes a joint count into an array it
sizes, or indexes `ctrl` with numbers of its own. A module that writes `"joint7"`, `np.eye(7)` or
`ctrl[7:9]` keeps its own copy of the Panda, which a second arm silently breaks; it must read the
robot's description (`env.robot`, `RobotDescription.arm_ctrl`, ...)."""

import ast
from pathlib import Path

import pytest
from demoforge.envs.robots import ROBOTS

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("api", "envs", "augment", "train")
ROBOT_FOLDER = ROOT / "envs" / "robots"


def _robot_names() -> frozenset[str]:
    names = set()
    for robot in ROBOTS.values():
        for arm in robot.arms:
            g = arm.gripper
            names |= {*arm.joints, *arm.actuators, arm.tcp_site, arm.base_body}
            names |= {*g.finger_joints, *g.actuators, *g.pad_geoms}
    return frozenset(names)


def _counts() -> frozenset[int]:
    """The arm joint counts of the registered robots. (Their servo counts — the Panda's 9 — are
    caught as `ctrl` indices and slice bounds instead: as an array size 9 is as often a flat 3×3
    matrix.)"""
    return frozenset(robot.arm.n_joints for robot in ROBOTS.values())


def _servo_counts() -> frozenset[int]:
    return frozenset(len(robot.actuators) for robot in ROBOTS.values())


# Calls whose integer argument is an array size or a draw count: a joint count there sizes an array
# for one robot's joints.
SIZED = {"eye", "identity", "zeros", "ones", "empty", "full", "standard_normal", "normal", "uniform", "_indexed"}


def _callee(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _is_ctrl(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "ctrl") or (
        isinstance(node, ast.Attribute) and node.attr == "ctrl"
    )


def _constant_index(node: ast.AST) -> bool:
    """An index made of numbers only: `7`, `7:9`, `..., :7`."""
    parts = node.elts if isinstance(node, ast.Tuple) else [node]
    for part in parts:
        if isinstance(part, ast.Slice):
            bounds = [b for b in (part.lower, part.upper, part.step) if b is not None]
            if bounds and all(isinstance(b, ast.Constant) or isinstance(b, ast.UnaryOp) for b in bounds):
                return True
        elif isinstance(part, ast.Constant) and isinstance(part.value, int) and part.value is not Ellipsis:
            return True
    return False


def robot_literals(
    source: str, names: frozenset[str], counts: frozenset[int], servos: frozenset[int] = frozenset()
) -> list[tuple[int, str]]:
    """(line, what) of every robot name, joint count or numeric ctrl index written in `source`:
    also a `slice(...)` of numbers ending at a joint or servo count (`ARM = slice(0, 7)`).
    Docstrings and comments name joints in prose and never equal a name exactly."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
            found.append((node.lineno, f"robot name {node.value!r}"))
        elif isinstance(node, ast.Subscript) and _is_ctrl(node.value) and _constant_index(node.slice):
            found.append((node.lineno, f"ctrl indexed by numbers: {ast.unparse(node)}"))
        elif isinstance(node, ast.Call) and _callee(node) == "slice":
            ints = [a.value for a in node.args if isinstance(a, ast.Constant) and type(a.value) is int]
            if ints and len(ints) == len(node.args) and ints[-1] in counts | servos:
                found.append((node.lineno, f"ctrl layout in {ast.unparse(node)}"))
        elif isinstance(node, ast.Call) and _callee(node) in SIZED:
            for arg in node.args:
                if isinstance(arg, ast.Constant) and type(arg.value) is int and arg.value in counts:
                    found.append((node.lineno, f"joint count in {ast.unparse(node)}"))
    return found


def test_the_scan_catches_a_copied_robot():
    """The check below can fail: each way a module would copy the Panda is caught."""
    names, counts = frozenset({"joint7", "pad_left", "tcp"}), frozenset({7})
    assert robot_literals('WRIST = "joint7"', names, counts) == [(1, "robot name 'joint7'")]
    assert robot_literals('g = m.geom("pad_left")', names, counts) == [(1, "robot name 'pad_left'")]
    assert robot_literals("ctrl[..., 7:9] = 0.04", names, counts) == [(1, "ctrl indexed by numbers: ctrl[..., 7:9]")]
    assert robot_literals("x = d.ctrl[:7]", names, counts) == [(1, "ctrl indexed by numbers: d.ctrl[:7]")]
    assert robot_literals("FINGERS = slice(7, 9)", names, counts, frozenset({9})) == [(1, "ctrl layout in slice(7, 9)")]
    assert robot_literals("n = np.eye(7)", names, counts) == [(1, "joint count in np.eye(7)")]
    assert robot_literals("q = rng.standard_normal(7)", names, counts) == [(1, "joint count in rng.standard_normal(7)")]
    # what is not a robot's: a pose's 7 numbers, a slice by name, a joint named in prose
    clean = (
        '"""Moves joint7."""\np = x.reshape(-1, 7)\nctrl[..., arm] = q\nd.ctrl[:] = u\nt = "tcp_pose"\nm = np.empty(9)'
    )
    assert robot_literals(clean, names, counts) == []


def test_the_builtin_robots_give_the_scan_names_and_counts():
    """Both built-in arms: the UR5e's six joints make a bare 6 an arm's joint count too, so a TCP
    motion's six numbers are written `TWIST_DIM` (envs/control.py)."""
    assert {"joint7", "pad_left", "tcp", "link0"} <= _robot_names()
    assert {"shoulder_pan", "wrist_3", "ur5e_tcp", "ur5e_finger_left_pad", "ur5e_base"} <= _robot_names()
    assert {6, 7} <= _counts() and {8, 9} <= _servo_counts()


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_module_outside_the_robot_folder_describes_a_robot(folder):
    names, counts, servos = _robot_names(), _counts(), _servo_counts()
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        if ROBOT_FOLDER not in path.parents
        for line, what in robot_literals(path.read_text(), names, counts, servos)
    ]
    assert not offenders, "robot details written outside envs/robots/:\n" + "\n".join(offenders)
