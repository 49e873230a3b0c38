"""Procedural textures, spare lights and distractor objects every scene carries for visual randomization.

MuJoCo cannot add a texture, a light or a body to a compiled model, so the scene is built once with
a bank of procedural textures (MuJoCo builtins: checker, gradient, flat with marks), a few lights
that start switched off and a few distractor objects that start hidden. Visual randomization then
only points geoms at bank materials (`geom_matid`), switches lights (`light_active`) and shows and
places distractors (`geom_group`, `body_pos`): nothing is recompiled. Nothing of it is used by the
nominal scene, which therefore renders exactly as it would without it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The bank is drawn once from a fixed seed, so every model built anywhere carries the same textures.
_BANK_SEED = 20261126
_BANK_SIZE = 12  # textures per kind: enough variety per episode, ~0.6 MB of texture memory in all
_BUILTINS = ("checker", "gradient", "flat")
_MARKS = ("none", "edge", "cross", "random")


@dataclass(frozen=True)
class ProceduralTexture:
    """One MuJoCo builtin texture and the material that shows it."""

    name: str  # the material's name; the texture is named `<name>_tex`
    kind: str  # "2d" for large flat surfaces (table, floor); "cube" for objects and robot links
    builtin: str
    rgb1: tuple[float, float, float]
    rgb2: tuple[float, float, float]
    mark: str = "none"
    markrgb: tuple[float, float, float] = (1.0, 1.0, 1.0)
    random: float = 0.0  # density of random dots when mark == "random"

    def xml(self) -> str:
        size = 128 if self.kind == "2d" else 32  # px; a cube texture holds six faces of this size
        f = " ".join
        tex = (
            f'<texture name="{self.name}_tex" type="{self.kind}" builtin="{self.builtin}" '
            f'rgb1="{f(f"{v:.3f}" for v in self.rgb1)}" rgb2="{f(f"{v:.3f}" for v in self.rgb2)}" '
            f'mark="{self.mark}" markrgb="{f(f"{v:.3f}" for v in self.markrgb)}" random="{self.random:.3f}" '
            f'width="{size}" height="{size}"/>'
        )
        # texuniform: repeats per metre, so a tile has the same size on the table and the floor.
        repeat = 'texuniform="true" texrepeat="4 4"' if self.kind == "2d" else ""
        return f'{tex}\n<material name="{self.name}" texture="{self.name}_tex" {repeat}/>'


def _draw_bank(kind: str, prefix: str, rng: np.random.Generator) -> tuple[ProceduralTexture, ...]:
    bank = []
    for i in range(_BANK_SIZE):
        rgb1 = rng.uniform(0.05, 0.95, 3)
        # The second colour stays near the first half of the time (subtle patterns), far otherwise.
        rgb2 = np.clip(rgb1 + rng.uniform(-0.25, 0.25, 3), 0, 1) if rng.random() < 0.5 else rng.uniform(0.05, 0.95, 3)
        mark = _MARKS[rng.integers(len(_MARKS))]
        bank.append(
            ProceduralTexture(
                name=f"{prefix}_{i:02d}",
                kind=kind,
                builtin=_BUILTINS[rng.integers(len(_BUILTINS))],
                rgb1=tuple(rgb1.round(3).tolist()),
                rgb2=tuple(rgb2.round(3).tolist()),
                mark=mark,
                markrgb=tuple(rng.uniform(0, 1, 3).round(3).tolist()),
                random=float(rng.uniform(0.01, 0.1)) if mark == "random" else 0.0,
            )
        )
    return tuple(bank)


_rng = np.random.default_rng(_BANK_SEED)
SURFACE_TEXTURES = _draw_bank("2d", "surface", _rng)  # drawn for the table and the floor
OBJECT_TEXTURES = _draw_bank("cube", "object", _rng)  # drawn for task objects and robot links
# Named textures that no random draw picks: fixed shifts (the `target` profile's table) stay unseen.
NAMED_TEXTURES = (
    ProceduralTexture(
        "slate", "2d", "checker", (0.22, 0.25, 0.3), (0.3, 0.33, 0.38), mark="edge", markrgb=(0.5, 0.5, 0.5)
    ),
    ProceduralTexture("birch", "2d", "gradient", (0.85, 0.78, 0.62), (0.7, 0.6, 0.45)),
)
TEXTURE_NAMES = tuple(t.name for t in (*SURFACE_TEXTURES, *OBJECT_TEXTURES, *NAMED_TEXTURES))

# Spare lights, off unless a profile switches them on: (name, position, direction), all aimed at the
# workspace from around the table. Their diffuse is a fill light's (0.3).
SPARE_LIGHTS = (
    ("spare_left", (0.5, 0.9, 1.2), (0.0, -0.6, -1.0)),
    ("spare_right", (0.5, -0.9, 1.2), (0.0, 0.6, -1.0)),
    ("spare_front", (1.6, 0.0, 1.0), (-0.8, 0.0, -0.6)),
)


def bank_xml() -> str:
    """The `<asset>` entries of every bank texture and material."""
    return "\n".join(t.xml() for t in (*SURFACE_TEXTURES, *OBJECT_TEXTURES, *NAMED_TEXTURES))


def spare_lights_xml() -> str:
    return "\n".join(
        f'<light name="{name}" pos="{" ".join(map(str, pos))}" dir="{" ".join(map(str, d))}" '
        'diffuse="0.3 0.3 0.3" castshadow="false" active="false"/>'
        for name, pos, d in SPARE_LIGHTS
    )


# Distractor objects: (name, geom type, size). Static bodies whose geoms never collide (contype and
# conaffinity 0: the physics, every contact and every state are those of the scene without them),
# kept in geom group 5, which cameras do not draw, and under the floor until a profile shows them.
DISTRACTORS = (
    ("distractor_box", "box", (0.03, 0.02, 0.035)),
    ("distractor_cylinder", "cylinder", (0.025, 0.04)),
    ("distractor_sphere", "sphere", (0.03,)),
    ("distractor_capsule", "capsule", (0.018, 0.03)),
    ("distractor_slab", "box", (0.045, 0.03, 0.012)),
)
HIDDEN_GROUP = 5  # mjvOption draws geom groups 0-2 by default
# Where shown distractors stand: on the table in view of the front camera (world x range, |y| at
# most), outside the rectangle every task's objects and the arm's work keep to (x 0.4-0.6 and
# |y| ≤ 0.2 plus object sizes): clutter in view, never an obstacle or a stand-in for a task object.
DISTRACTOR_AREA = ((0.3, 0.85), 0.3)
KEEP_CLEAR = ((0.33, 0.68), 0.24)


def distractors_xml() -> str:
    return "\n".join(
        f'<body name="{name}" pos="0 0 -2"><geom name="{name}" type="{kind}" size="{" ".join(map(str, size))}" '
        f'group="{HIDDEN_GROUP}" contype="0" conaffinity="0" rgba="0.6 0.6 0.6 1"/></body>'
        for name, kind, size in DISTRACTORS
    )
