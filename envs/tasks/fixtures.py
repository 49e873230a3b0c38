"""Static fixtures built from boxes: an open bin and a square socket. Both are mocap bodies, so
the task can place them per episode without editing the model."""

from __future__ import annotations


def walled_box_xml(
    name: str, inner_half: float, wall_height: float, wall_thickness: float, floor: bool, rgba: str
) -> str:
    """A square enclosure centred on its body origin (on the table): four walls of the given
    height (m) around a square opening of half-width `inner_half` (m), and optionally a floor."""
    t, h, r = wall_thickness / 2, wall_height / 2, inner_half
    outer = r + wall_thickness
    walls = [
        (f"{r + t} 0 {h}", f"{t} {outer} {h}"),
        (f"{-(r + t)} 0 {h}", f"{t} {outer} {h}"),
        (f"0 {r + t} {h}", f"{r} {t} {h}"),
        (f"0 {-(r + t)} {h}", f"{r} {t} {h}"),
    ]
    geoms = "\n".join(
        f'  <geom name="{name}_wall{i}" type="box" pos="{p}" size="{s}" rgba="{rgba}" '
        f'contype="1" conaffinity="1" friction="0.6 0.005 0.0001"/>'
        for i, (p, s) in enumerate(walls)
    )
    if floor:
        geoms += f'\n  <geom name="{name}_floor" type="box" pos="0 0 0.002" size="{r} {r} 0.002" rgba="{rgba}" contype="1" conaffinity="1"/>'
    return f'<body name="{name}" mocap="true" pos="0.5 0.2 0">\n{geoms}\n</body>'
