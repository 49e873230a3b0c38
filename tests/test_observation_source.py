"""The observation spec (envs/observation.py) is the single source of observation keys: no module
of augment/ or train/ — exporters, recorder, sensor noise, trainer, evaluation — spells one of
them out. A module that writes `"observation.state"` or `"object_pos"` itself keeps its own copy
of the layout, which silently drifts from the spec when a field is added; it must read the spec."""

import ast
from pathlib import Path

import pytest
from demoforge.envs.observation import ENV_FIELDS, ENV_IMAGE_PREFIX, IMAGE_PREFIX, LEROBOT_PIXELS, VECTOR_FEATURES

ROOT = Path(__file__).resolve().parents[1]
# Every key the spec defines, the env's camera prefix `image_` included: only a string constant
# equal to it matches (`f"image_{camera}"`), never a name such as `image_size`.
SPEC_KEYS = frozenset(
    [f.key for f in ENV_FIELDS]
    + [k for f in VECTOR_FEATURES for k in (f.key, f.lerobot_key)]
    + [IMAGE_PREFIX, ENV_IMAGE_PREFIX, LEROBOT_PIXELS]
)


def literal_keys(source: str) -> list[tuple[int, str]]:
    """(line, string) of every string constant in `source` that is exactly a spec key, the
    literal pieces of f-strings included (`f"observation.images.{cam}"`). Docstrings and comments
    mention keys in prose and never equal one."""
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in SPEC_KEYS
    ]


def test_the_scan_catches_a_literal_key_list():
    """The check below can fail: the ways a module would copy the layout are all caught."""
    assert literal_keys('KEYS = ("observation.state", "observation.environment_state")') == [
        (1, "observation.state"),
        (1, "observation.environment_state"),
    ]
    assert literal_keys('x = obs["object_pos"]') == [(1, "object_pos")]
    assert literal_keys('k = f"observation.images.{cam}"') == [(1, "observation.images.")]
    assert literal_keys('raw = {"agent_pos": v}') == [(1, "agent_pos")]
    assert literal_keys('frame = obs[f"image_{camera}"]') == [(1, "image_")]
    assert literal_keys('"""Stores `observation.state` and `object_pos`."""\nimage_size = 84') == []


@pytest.mark.parametrize("folder", ["augment", "train"])
def test_no_module_lists_observation_keys_of_its_own(folder):
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {key!r}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, key in literal_keys(path.read_text())
    ]
    assert not offenders, "observation keys spelled out instead of read from envs/observation.py:\n" + "\n".join(
        offenders
    )
