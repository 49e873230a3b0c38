"""A malformed task file is one ConfigError line naming the file, the line, the dotted key and what
was expected; the CLI prints that line and exits non-zero."""

import numpy as np
import pytest
from demoforge.envs import ConfigError, UnknownNameError, resolve_task_name
from demoforge.envs.task_file import read_task_file
from demoforge.envs.toml_checks import key_lines
from hostile import refused

GOOD = """\
name = "TwoCubes"
instruction = "put the red cube on the green cube"
max_episode_steps = 200
success = "all(on(red, green), not(grasped(red)))"

[objects.red]
shape = "box"
size = [0.02, 0.02, 0.02]
mass = 0.05
x = [-0.1, 0.1]
y = [-0.15, -0.05]

[objects.green]
shape = "box"
size = [0.025, 0.025, 0.025]
mass = 0.06
x = [-0.1, 0.1]
y = [0.05, 0.15]

[[subtasks]]
object = "red"
until = "grasped(red)"

[[subtasks]]
object = "green"
"""

RED_Y = "y = [-0.15, -0.05]\n"  # the last line of [objects.red] (line 11): keys added after it are line 12
POST = '\n[fixtures.post]\nshape = "cylinder"\nsize = [0.01, 0.05]\n'

# a scripted recipe appended to GOOD: [[recipe]] on lines 27 and 31
RECIPE = '\n[[recipe]]\ndo = "pick"\nobject = "red"\n\n[[recipe]]\ndo = "place_on"\nobject = "red"\nonto = "green"\n'
PICK_RED = 'do = "pick"\nobject = "red"\n'


def _recipe(old: str, new: str) -> list:
    """The edit that appends RECIPE with `old` replaced by `new` in it."""
    assert RECIPE.count(old) == 1, old
    return [("", RECIPE.replace(old, new))]


NO_OBJECTS = (GOOD[: GOOD.index("[objects.red]")], GOOD[GOOD.index("[[subtasks]]") :])
GREEN_SIZE = "size = [0.025, 0.025, 0.025]"

# (id, edits: (this text, replaced by that; "" appends), what the one line must contain: line, key, expectation)
BAD = [
    ("missing name", [('name = "TwoCubes"\n', "")], [", name: missing; this key is required"]),
    ("bad task name", [('"TwoCubes"', '"Two Cubes"')], ["line 1, name: expected a letter, then letters"]),
    ("typo in a key", [("mass = 0.05", "mas = 0.05")], ["line 9, objects.red.mas: unknown key; did you mean 'mass'?"]),
    ("wrong type", [("mass = 0.05", 'mass = "heavy"')], ["line 9, objects.red.mass: expected a number, got a string"]),
    (
        "negative mass",
        [("mass = 0.05", "mass = -0.05")],
        ["line 9, objects.red.mass: expected a number > 0 and <= 20, got -0.05"],
    ),
    (
        "unknown shape",
        [('shape = "box"\nsize = [0.02,', 'shape = "cube"\nsize = [0.02,')],
        ["line 7, objects.red.shape: expected one of box, cylinder, sphere"],
    ),
    (
        "size of another shape",
        [("size = [0.02, 0.02, 0.02]", "size = [0.02, 0.02]")],
        ["line 8, objects.red.size: expected a box's half-sizes [x, y, z] (m), got an array"],
    ),
    (
        "unknown predicate",
        [("all(on(", "all(stacked(")],
        ["line 4, success: column 5: unknown predicate 'stacked'; known: grasped, lifted, on, inside"],
    ),
    (
        "predicate naming an unknown object",
        [('until = "grasped(red)"', 'until = "grasped(blue)"')],
        ["line 22, subtasks[0].until: column 9: unknown object 'blue'; objects: red, green"],
    ),
    (
        "wrong arity",
        [("on(red, green)", "on(red)")],
        ["line 4, success: column 5: on takes on(a, b), got 1 argument in 'all(on(red), not(grasped(red)))'"],
    ),
    (
        "argument of the wrong kind",
        [("on(red, green)", "lifted(0.05, red)")],
        ["line 4, success:", "lifted(obj, height_m): argument 1 must be an object name, got '0.05'"],
    ),
    (
        "not of two predicates",
        [("not(grasped(red))", "not(grasped(red), grasped(green))")],
        ["line 4, success:", "not(...) takes one predicate, got 2"],
    ),
    ("bad TOML syntax", [("mass = 0.05", "mass 0.05")], ["line 9, column 6: invalid TOML: "]),
    (
        "TOML nested too deeply",
        [("", "deep = " + "[" * 5000 + "]" * 5000)],
        ["bad.toml: invalid TOML: values nested too deeply"],
    ),
    (
        "a predicate nested too deeply",
        [('"all(on(red, green), not(grasped(red)))"', '"' + "not(" * 500 + "grasped(red)" + ")" * 500 + '"')],
        ["line 4, success: column 85: predicates nested more than 20 deep"],
    ),
    (
        "reset region inverted",
        [("x = [-0.1, 0.1]\ny = [-0.15", "x = [0.1, -0.1]\ny = [-0.15")],
        ["line 10, objects.red.x: expected [low, high] with low <= high (m about the centre), got [0.1, -0.1]"],
    ),
    (
        "region off the table",
        [("x = [-0.1, 0.1]\ny = [-0.15", "x = [-0.1, 0.9]\ny = [-0.15")],
        ["line 10, objects.red.x: expected a range within [-0.4, 0.5] (the table), got [-0.1, 0.9]"],
    ),
    (
        "on_top_of an unknown object",
        [(RED_Y, RED_Y + 'on_top_of = "shelf"\n')],
        ["line 12, objects.red.on_top_of: unknown object 'shelf'"],
    ),
    (
        "on_top_of itself",
        [(RED_Y, RED_Y + 'on_top_of = "red"\n')],
        ["line 12, objects.red.on_top_of: an object cannot rest on itself"],
    ),
    (
        "on_top_of in a loop",
        [(RED_Y, RED_Y + 'on_top_of = "green"\n'), (GREEN_SIZE, GREEN_SIZE + '\non_top_of = "red"')],
        ["objects: on_top_of goes round in a loop among red, green"],
    ),
    (
        "object named as the robot's hand",
        [("[objects.red]", "[objects.hand]")],
        ["line 6, objects.hand: the scene (robot, table, cameras, lights) already uses the name 'hand'"],
    ),
    (
        "object and fixture sharing a name",
        [("", POST.replace("post", "red"))],
        ["line 27, fixtures.red: 'red' is also an object; names must be unique"],
    ),
    ("fixture with a mass", [("", POST + "mass = 1.0\n")], ["line 30, fixtures.post.mass: unknown key"]),
    (
        "objects that can never be placed apart",
        [(GREEN_SIZE, "size = [0.3, 0.3, 0.025]")],
        ["objects: the reset distribution places no layout without overlapping objects in 200 draws"],
    ),
    (
        "empty objects",
        [(GOOD, "[objects]\n".join(NO_OBJECTS))],
        ["objects: expected at least one object: a [objects.<name>] table"],
    ),
    (
        "episode length 0",
        [("max_episode_steps = 200", "max_episode_steps = 0")],
        ["line 3, max_episode_steps: expected an integer >= 1, got an integer 0"],
    ),
    (
        "colour out of range",
        [(RED_Y, RED_Y + "rgba = [1, 0, 0, 2]\n")],
        ["line 12, objects.red.rgba: expected [r, g, b, a] in 0..1, got [1.0, 0.0, 0.0, 2.0]"],
    ),
    (
        "a middle subtask without until",
        [('until = "grasped(red)"\n', "")],
        ["line 20, subtasks[0].until: missing; this key is required"],
    ),
    (
        "the last subtask with until",
        [('object = "green"\n', 'object = "green"\nuntil = "grasped(green)"\n')],
        ["line 26, subtasks[1].until: the last subtask ends at success: remove until"],
    ),
    (
        "a mesh file that does not exist",
        [('shape = "box"\nsize = [0.02, 0.02, 0.02]', 'shape = "mesh"\nfile = "meshes/red.obj"')],
        ["line 8, objects.red.file: expected an existing .obj or .stl file, got", "meshes/red.obj"],
    ),
    (
        "a mesh with a size",
        [('shape = "box"\nsize = [0.02,', 'shape = "mesh"\nsize = [0.02,')],
        ["line 8, objects.red.size: a mesh's size comes from its file; remove size (scale it with scale)"],
    ),
    (
        "a box with a mesh file",
        [(RED_Y, RED_Y + 'file = "red.obj"\n')],
        ["line 12, objects.red.file: only a mesh takes file"],
    ),
    (
        "a subtask relative to an unknown object",
        [('object = "green"\n', 'object = "blue"\n')],
        ["line 25, subtasks[1].object: unknown object 'blue'"],
    ),
]


BAD += [
    (
        "a recipe step of an unknown kind",
        _recipe('do = "pick"', 'do = "pour"'),
        ["line 28, recipe[0].do: expected one of pick, place_on, insert, thread, pull, push, got a string 'pour'"],
    ),
    (
        "a thread's tip given as two numbers",
        _recipe(
            'do = "place_on"\nobject = "red"\nonto = "green"',
            'do = "thread"\nobject = "red"\nthrough = "green"\ntip = [0.06, 0]',
        ),
        ["line 35, recipe[1].tip: expected [x, y, z] (m, in the object's frame), got an array [0.06, 0]"],
    ),
    (
        "a recipe picking an unknown object",
        _recipe(PICK_RED, 'do = "pick"\nobject = "blue"\n'),
        ["line 29, recipe[0].object: unknown object 'blue'; objects: red, green"],
    ),
    (
        "a recipe placing what it never picked",
        _recipe("\n[[recipe]]\n" + PICK_RED, ""),
        ["line 29, recipe[0].object: expected the picked object, got 'red': the gripper holds nothing here"],
    ),
    (
        "a recipe picking while holding",
        _recipe('do = "place_on"\nobject = "red"\nonto = "green"', 'do = "pick"\nobject = "green"'),
        ["line 31, recipe[1]: pick 'green' while holding 'red': place or insert 'red' first"],
    ),
    (
        "a place_on without onto",
        _recipe('onto = "green"\n', ""),
        ["line 31, recipe[1].onto: missing; this key is required"],
    ),
    (
        "a typo in a recipe key",
        _recipe('onto = "green"', 'ont = "green"'),
        ["line 34, recipe[1].ont: unknown key; did you mean 'onto'?"],
    ),
    (
        "a key of another step kind",
        _recipe(PICK_RED, PICK_RED + "depth = 0.02\n"),
        ["line 30, recipe[0].depth: unknown key; expected one of do, object, grasp, approach, lift"],
    ),
    (
        "a negative approach height",
        _recipe(PICK_RED, PICK_RED + "approach = -0.05\n"),
        ["line 30, recipe[0].approach: expected a number >= 0.01 and <= 0.3, got -0.05"],
    ),
    (
        "a grasp point of two numbers",
        _recipe(PICK_RED, PICK_RED + "grasp = [0, 0.01]\n"),
        ["line 30, recipe[0].grasp: expected [x, y, z] (m, in the object's frame), got an array [0, 0.01]"],
    ),
    (
        "align_yaw that is not a boolean",
        _recipe('onto = "green"', 'onto = "green"\nalign_yaw = "yes"'),
        ["line 35, recipe[1].align_yaw: expected true or false, got a string 'yes'"],
    ),
    (
        "placing an object onto itself",
        _recipe('onto = "green"', 'onto = "red"'),
        ["line 34, recipe[1].onto: an object cannot go onto itself"],
    ),
    (
        "a recipe that is not an array of tables",
        [("max_episode_steps = 200\n", 'max_episode_steps = 200\nrecipe = "pick(red)"\n')],
        ["line 4, recipe: expected [[recipe]] tables, each with do and object"],
    ),
    (
        "picking a fixture",
        [("", POST), *_recipe('object = "red"\n\n', 'object = "post"\n\n')],
        ["recipe[0].object: 'post' is a fixture or a part of one: only an object can be picked"],
    ),
]


# An articulated fixture appended to GOOD ([fixtures.cab] on line 27, its keys on 28-30) and its MJCF
# file, written beside every case's task file: a box with a lid on a hinge (0-90 degrees)
CAB_XML = """<mujoco>
  <worldbody>
    <body name="box">
      <geom type="box" size="0.03 0.03 0.03" pos="0 0 0.03"/>
      <body name="lid" pos="0 0 0.065">
        <joint name="hinge" type="hinge" axis="0 1 0" range="0 90"/>
        <geom type="box" size="0.03 0.03 0.005"/>
      </body>
    </body>
  </worldbody>
</mujoco>
"""
CAB = '\n[fixtures.cab]\nmjcf = "cab.xml"\nx = [0.25, 0.3]\ny = [-0.35, -0.3]\n'
XML = "cab.xml"  # an edit whose first item is XML edits the MJCF file instead: (XML, old, new)


def _cab(*more: tuple) -> list:
    return [("", CAB), *more]


BAD += [
    (
        "an MJCF file that does not exist",
        _cab(('mjcf = "cab.xml"', 'mjcf = "cabinet.xml"')),
        ["line 28, fixtures.cab.mjcf: expected an existing .xml file (MJCF, relative to the task file)"],
    ),
    (
        "an MJCF body as a free object",
        [("mass = 0.05\n", 'mass = 0.05\nmjcf = "cab.xml"\n')],
        ["line 10, objects.red.mjcf: an MJCF body is a fixture: move it to [fixtures.<name>]"],
    ),
    (
        "a shape beside mjcf",
        _cab(('mjcf = "cab.xml"\n', 'mjcf = "cab.xml"\nshape = "box"\n')),
        ["line 29, fixtures.cab.shape: unknown key; expected one of mjcf, joints, symmetry"],
    ),
    (
        "a reset range of an unknown joint",
        _cab(("", "joints = { hing = [0, 10] }\n")),
        ["line 31, fixtures.cab.joints.hing: unknown key; did you mean 'hinge'?"],
    ),
    (
        "a reset range beyond the joint's range",
        _cab(("", "joints = { hinge = [0, 120] }\n")),
        ["line 31, fixtures.cab.joints.hinge: expected a range within the joint's range [0, 90] (degrees, cab.xml)"],
    ),
    (
        "a reset range upside down",
        _cab(("", "joints = { hinge = [30, 10] }\n")),
        ["line 31, fixtures.cab.joints.hinge: expected [low, high] with low <= high (hinge's value, degrees)"],
    ),
    (
        "joint_at of an unknown joint",
        _cab(("all(on(red, green)", "all(joint_at(door, 0, 10), on(red, green)")),
        ["line 4, success: column 14: unknown joint 'door'; joints: hinge"],
    ),
    (
        "joint_at with low above high",
        _cab(("all(on(red, green)", "all(joint_at(hinge, 30, 10), on(red, green)")),
        ["line 4, success: column 21: joint_at(joint, low, high): expected low <= high, got 30 > 10"],
    ),
    (
        "joint_at outside the joint's range",
        _cab(("all(on(red, green)", "all(joint_at(hinge, 100, 120), on(red, green)")),
        ["line 4, success: joint_at(hinge, 100, 120) can never hold: the joint's range is [0, 90]"],
    ),
    (
        "joint_at without any articulated fixture",
        [("all(on(red, green)", "all(joint_at(hinge, 0, 10), on(red, green)")],
        ["line 4, success: column 14: unknown joint 'hinge'; joints: none (a joint is one of an MJCF fixture's)"],
    ),
    (
        "an object name where joint_at wants a joint",
        _cab(("all(on(red, green)", "all(joint_at(lid, 0, 10), on(red, green)")),
        ["line 4, success: column 14: unknown joint 'lid'; joints: hinge"],
    ),
    (
        "an MJCF root body with a pose",
        _cab((XML, '<body name="box">', '<body name="box" pos="0 0 0.1">')),
        ["line 28, fixtures.cab.mjcf: ", "cab.xml: the root body's frame is the fixture's", "remove pos="],
    ),
    (
        "an MJCF child body without a name",
        _cab((XML, '<body name="lid" pos', "<body pos")),
        ["line 28, fixtures.cab.mjcf: ", "every body in it needs a name"],
    ),
    (
        "an MJCF ball joint",
        _cab((XML, 'type="hinge" axis="0 1 0" range="0 90"', 'type="ball"')),
        ["line 28, fixtures.cab.mjcf: ", "joint 'hinge': expected a slide or hinge joint"],
    ),
    (
        "an MJCF file that is not XML",
        _cab((XML, "</mujoco>", "</mujoc>")),
        ["line 28, fixtures.cab.mjcf: ", "cab.xml: not valid XML: mismatched tag"],
    ),
    (
        "an MJCF file MuJoCo does not compile",
        _cab((XML, 'size="0.03 0.03 0.005"', 'size="0.03 0.03 0.005" mass="-1"')),
        ["line 28, fixtures.cab.mjcf: ", "MuJoCo does not compile it"],
    ),
    (
        "an MJCF link named as an object",
        _cab((XML, 'name="lid"', 'name="red"')),
        ["line 28, fixtures.cab.mjcf: the name 'red' is taken twice (by 'red' and 'cab')"],
    ),
    (
        "a pull of an unknown joint",
        _cab(("", '\n[[recipe]]\ndo = "pull"\nobject = "lid"\njoint = "hing"\nto = 45\n')),
        ["line 35, recipe[0].joint: unknown joint 'hing'; joints: hinge"],
    ),
    (
        "a pull beyond the joint's range",
        _cab(("", '\n[[recipe]]\ndo = "pull"\nobject = "lid"\njoint = "hinge"\nto = 120\n')),
        ["line 36, recipe[0].to: expected a number >= 0 and <= 90, got 120"],
    ),
    (
        "a push without to",
        _cab(("", '\n[[recipe]]\ndo = "push"\nobject = "lid"\njoint = "hinge"\n')),
        ["recipe[0].to: missing; this key is required"],
    ),
    (
        "picking a link",
        _cab(("", '\n[[recipe]]\ndo = "pick"\nobject = "lid"\n')),
        ["line 34, recipe[0].object: 'lid' is a fixture or a part of one: only an object can be picked"],
    ),
]


def _bad_text(edits) -> str:
    text = GOOD
    for old, new in (e for e in edits if e[0] != XML):
        if old == "":
            text += new
        else:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
    return text


def _bad_xml(edits) -> str:
    text = CAB_XML
    for _, old, new in (e for e in edits if e[0] == XML):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_the_good_file_reads(tmp_path):
    (tmp_path / "good.toml").write_text(GOOD)
    spec = read_task_file(tmp_path / "good.toml")
    assert spec.name == "TwoCubes" and [b.name for b in spec.bodies] == ["red", "green"]


@pytest.mark.parametrize("edits, fragments", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_malformed_task_file_is_one_line_naming_file_line_key_and_what_was_expected(tmp_path, edits, fragments):
    path = tmp_path / "bad.toml"
    path.write_text(_bad_text(edits))
    (tmp_path / XML).write_text(_bad_xml(edits))
    with pytest.raises(ConfigError) as caught:
        read_task_file(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path)), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_an_articulated_fixture_reads_with_its_links_joints_and_extents(tmp_path):
    (tmp_path / XML).write_text(CAB_XML)
    (tmp_path / "good.toml").write_text(GOOD + CAB + "joints = { hinge = [0, 10] }\n")
    spec = read_task_file(tmp_path / "good.toml")
    assert spec.object_names == ("red", "green", "cab", "lid")
    (hinge,) = spec.joints
    assert (hinge.name, hinge.kind, hinge.limits, hinge.init) == ("hinge", "hinge", (0.0, 90.0), (0.0, 10.0))
    lid = spec.extents("lid")  # its own geom, in its frame: a 6 x 6 x 1 cm plate
    assert lid.footprint == pytest.approx((0.03, 0.03)) and (lid.bottom, lid.top) == pytest.approx((0.005, 0.005))
    cab = spec.body("cab")  # the whole fixture, over the reset range: the lid raised 10 degrees reaches higher
    assert cab.bottom == pytest.approx(0.0) and cab.top > 0.07


def test_the_cli_prints_the_one_line_and_exits_non_zero(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace("mass = 0.05", "mass = -0.05"))
    refused(
        capsys, "collect", "--task", path, "--out", tmp_path / "demos", names=[str(path), "line 9", "objects.red.mass"]
    )
    refused(capsys, "info", "--tasks", "--task", tmp_path / "missing.toml", names=["missing.toml", "does not exist"])


def test_a_task_file_that_is_not_utf8_is_one_line(tmp_path, capsys):
    path = tmp_path / "latin1.toml"
    path.write_bytes(GOOD.replace("red cube", "caf\xe9 cube").encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1.toml: not UTF-8 text \(byte 44\); expected a TOML file$"):
        read_task_file(path)
    refused(capsys, "info", "--tasks", "--task", path, names=[path.name, "UTF-8"])


def test_a_missing_task_file_is_an_unknown_task(tmp_path):
    with pytest.raises(UnknownNameError, match=r"task file '.*nope.toml' does not exist"):
        resolve_task_name(str(tmp_path / "nope.toml"))


def test_key_lines_finds_tables_keys_and_array_entries():
    lines = key_lines(GOOD)
    assert lines[("objects", "red")] == 6 and lines[("objects", "red", "mass")] == 9
    assert lines[("subtasks", 1)] == 24 and lines[("subtasks", 1, "object")] == 25 and lines[("success",)] == 4


def test_a_mesh_file_that_holds_no_solid_is_one_line(tmp_path):
    (tmp_path / "red.obj").write_text("# nothing but\nv 0 0 0\nv 1 0 0\n")
    (tmp_path / "bad.toml").write_text(
        GOOD.replace('shape = "box"\nsize = [0.02, 0.02, 0.02]', 'shape = "mesh"\nfile = "red.obj"')
    )
    with pytest.raises(
        ConfigError, match=r"bad.toml, line 8, objects.red.file: red.obj holds 2 finite vertices; a solid needs"
    ):
        read_task_file(tmp_path / "bad.toml")


@pytest.mark.parametrize(
    "text",
    [
        "grasped(red)",
        "all(on(red, green), not(grasped(red)))",
        "any(near(red, green, 0.05), all(upright(red, 30), lifted(green, 1e-3)))",
        "aligned(red, green, 0.003, 10)",
    ],
)
def test_a_predicate_reads_back_from_its_text_and_spacing_does_not_matter(text):
    from demoforge.envs.predicate_parser import parse_predicate
    from demoforge.envs.predicates import render

    predicate = parse_predicate(text, ["red", "green"])
    assert parse_predicate(render(predicate), ["red", "green"]) == predicate
    assert parse_predicate(text.replace(", ", " ,\t").replace("(", " ( "), ["red", "green"]) == predicate


FUZZ_CASES = 120
ODD_VALUES = ["-1", "0", '"x"', "[]", "{}", "1e308", "true", "[-1]", "nan", "inf", '"all("', '"on(cubeA, cubeA)"']
ODD_VALUES += ["[0.1, 0.2, 0.3, 0.4]", '"../../etc/passwd"', '["cubeA"]', '"hand"', "[1e-9, 1e-9, 1e-9]"]


def _fuzzed(rng, text: str) -> str:
    """stack_three.toml with one seeded mutation: a value swapped for an odd one, a line dropped or
    doubled, or one character changed."""
    lines = text.splitlines()
    i = int(rng.integers(len(lines)))
    kind = rng.integers(4)
    if kind == 0 and "=" in lines[i]:
        key = lines[i].split("=")[0]
        lines[i] = f"{key}= {ODD_VALUES[rng.integers(len(ODD_VALUES))]}"
    elif kind == 1:
        del lines[i]
    elif kind == 2:
        lines.insert(i, lines[i])
    elif lines[i]:
        j = int(rng.integers(len(lines[i])))
        lines[i] = lines[i][:j] + "[]{}=,\"'#(x0"[rng.integers(12)] + lines[i][j + 1 :]
    return "\n".join(lines) + "\n"


def test_fuzzed_task_files_read_or_are_one_line_never_another_error(tmp_path):
    """Seeded mutations of stack_three.toml: each reads (and then builds and resets) or is one
    ConfigError line naming the file; nothing else escapes."""
    from pathlib import Path

    from demoforge.envs import ManipulationEnv
    from demoforge.envs.file_task import file_task_class

    text = (Path(__file__).resolve().parents[2] / "examples" / "tasks" / "stack_three.toml").read_text()
    rng = np.random.default_rng(37)
    outcomes = {"read": 0, "refused": 0}
    for case in range(FUZZ_CASES):
        path = tmp_path / f"case{case}.toml"
        path.write_text(_fuzzed(rng, text))
        try:
            spec = read_task_file(path)
        except ConfigError as exc:
            message = str(exc)
            assert "\n" not in message and message.startswith(str(path)), (path.read_text(), message)
            outcomes["refused"] += 1
            continue
        env = ManipulationEnv(file_task_class(spec)())
        env.reset(seed=case)
        env.step(env.action_space.sample())
        env.close()
        outcomes["read"] += 1
    assert min(outcomes.values()) >= 10, outcomes  # the mutations exercised both paths


def test_a_task_file_named_as_a_built_in_task_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "stack.toml"
    path.write_text(GOOD.replace('"TwoCubes"', '"Stack"'))
    with pytest.raises(ConfigError, match=r"stack.toml, name: task 'Stack' is built in; register yours under another"):
        resolve_task_name(str(path))
