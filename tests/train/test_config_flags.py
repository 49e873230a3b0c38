"""The CLI's config flags are generated from the config classes (issue #15, item 2): every field of
CollectConfig/GenerateConfig/TrainConfig/EvalConfig/RunConfig is a flag (or says which hand-written
flag sets it), and no flag carries a default of its own, so the CLI cannot drift from the classes."""

import argparse
import dataclasses
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from demoforge.augment.config_bounds import Bounds, ints, reals
from demoforge.augment.data.record import CollectConfig
from demoforge.augment.generate import GenerateConfig
from demoforge.augment.teleop import TeleopConfig
from demoforge.train.cli import verbs
from demoforge.train.cli.flag_builder import ConfigFlags, Flag, config_fields
from demoforge.train.cli.main import _Parser, build_parser, main
from demoforge.train.cli.verb_flags import VERB_CONFIGS
from demoforge.train.evaluate import EvalConfig
from demoforge.train.run_config import RunConfig
from demoforge.train.trainer import TrainConfig
from pydantic import BaseModel, Field

from tests.registrations import registrations_restored
from tests.robot_files import panda_toml

REQUIRED = {  # the verb's own arguments a parse needs; none of them is a config field
    "collect": ["--out", "o"],
    "teleop": ["--out", "o"],
    "generate": ["--source", "s", "--out", "o"],
    "train": ["--out", "o"],
    "eval": ["r"],
    "run": [],
}


def _verb_parser(verb: str) -> argparse.ArgumentParser:
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return subparsers.choices[verb]


def _actions(verb: str) -> dict[str, argparse.Action]:
    return {a.dest: a for a in _verb_parser(verb)._actions}


CONFIG_CLASSES = (CollectConfig, TeleopConfig, GenerateConfig, TrainConfig, EvalConfig, RunConfig)


def _field_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else list(cls.model_fields)


def test_every_config_class_has_a_verb():
    assert {flags.cls for flags in VERB_CONFIGS.values()} == set(CONFIG_CLASSES)


@pytest.mark.parametrize("verb", list(VERB_CONFIGS))
def test_every_field_is_a_flag_or_names_the_flag_that_sets_it(verb):
    flags = VERB_CONFIGS[verb]
    options = {s for a in _verb_parser(verb)._actions for s in a.option_strings}
    for name in _field_names(flags.cls):  # read from the class itself, not from the generator
        assert flags.flag_name(name) in options, f"{flags.cls.__name__}.{name}: no {flags.flag_name(name)}"
        by_hand = flags.flags.get(name, Flag()).by_hand
        action = _actions(verb).get(name)
        assert by_hand or (action is not None and action.help), f"{name}: neither generated with help nor by hand"
    assert "False" not in _verb_parser(verb).format_usage()  # a metavar lost to a falsy expression


@pytest.mark.parametrize("verb", list(VERB_CONFIGS))
def test_no_flag_has_a_default_of_its_own_and_help_shows_the_class_default(verb):
    flags = VERB_CONFIGS[verb]
    actions = _actions(verb)
    for f in config_fields(flags.cls):
        if f.name not in actions:
            continue
        action = actions[f.name]
        assert action.default is None, f"--{f.name} has its own default {action.default!r}; the class holds it"
        flag = flags.flags.get(f.name, Flag())
        if f.default is not None and not flag.store_false:
            shown = (flag.default_text or (lambda v: " ".join(map(str, v)) if isinstance(v, tuple) else str(v)))(
                f.default
            )
            assert f"(default: {shown or 'none'})" in action.help, action.help


LIBRARY_CALL = {
    "collect": "collect",
    "teleop": "teleop",
    "generate": "generate",
    "train": "train",
    "eval": "evaluate",
    "run": "run_pipeline",
}


class Captured(Exception):
    pass


@pytest.fixture
def build(monkeypatch, tmp_path):
    """`build(verb, argv)`: the config `demoforge verb argv` hands its library function (stubbed
    out here), so a default written by hand anywhere on the way would show."""
    monkeypatch.chdir(tmp_path)

    def capture(*args, **kwargs):
        raise Captured(next(a for a in (*args, *kwargs.values()) if isinstance(a, CONFIG_CLASSES)))

    def build(verb, argv):
        monkeypatch.setattr(verbs, LIBRARY_CALL[verb], capture)
        monkeypatch.setenv("DEMOFORGE_DEBUG", "1")  # main re-raises: Captured escapes it
        with pytest.raises(Captured) as captured:
            main([verb, *REQUIRED[verb], *(["--real", "d"] if verb == "train" else []), *argv])
        return captured.value.args[0]

    return build


@pytest.mark.parametrize("verb", list(VERB_CONFIGS))
def test_no_flags_give_exactly_the_class_defaults(verb, build):
    assert build(verb, []) == VERB_CONFIGS[verb].cls()


def _other_value(verb: str, action: argparse.Action, default):
    """Command-line words for a value unlike the class default, and the field value they mean."""
    flag = action.option_strings[0]
    if action.nargs == 0 and action.const is False:  # --clean
        return [flag], False
    if isinstance(action, argparse.BooleanOptionalAction):
        return ([f"--no-{flag[2:]}"], False) if default else ([flag], True)
    if action.choices:
        value = next(c for c in action.choices if c != default)
        return [flag, value], value
    if action.nargs == "*":
        cameras = ("front", "wrist") if default != ("front", "wrist") else ("side",)
        return [flag, *cameras], cameras
    if action.metavar == "PX":
        return [flag, "86"], (86, 86)
    if action.metavar == "N":
        value = 1 if default is None else default + 2 if default < 2 else default - 1
        return [flag, str(value)], value
    if action.metavar == "X":
        # a share in [0, 1] by default; a field whose bounds start higher (reset_widen ≥ 1) gets low + 0.25
        bounds = getattr(VERB_CONFIGS[verb].cls, "BOUNDS", {}).get(action.dest)
        low = bounds.low if bounds is not None and bounds.low > 0.25 else 0.0
        value = low + 0.25 if default != low + 0.25 else low + 0.5
        return [flag, str(value)], value
    if action.dest == "device":  # a script device's file must exist (build runs in tmp_path)
        Path("events.jsonl").write_text('{"step": 0, "key": "w", "down": true}\n')
        return [flag, "script:events.jsonl"], "script:events.jsonl"
    if action.dest == "host":
        return [flag, "0.0.0.0"], "0.0.0.0"
    if action.dest == "robot":  # a robot file registers a robot (build runs in tmp_path)
        Path("arm.toml").write_text(panda_toml(name="flagged"))
        return [flag, "arm.toml", *(["--calibration", "off"] if verb == "run" else [])], "arm.toml"
    value = "Stack" if action.dest == "task" else "nominal"
    return [flag, value], value


@pytest.mark.parametrize("verb", list(VERB_CONFIGS))
def test_each_flag_reaches_its_field(verb, build):
    flags = VERB_CONFIGS[verb]
    defaults = flags.cls()
    for name, action in _actions(verb).items():
        if name not in _field_names(flags.cls):
            continue
        with registrations_restored():
            argv, expected = _other_value(verb, action, getattr(defaults, name))
            config = build(verb, argv)
        assert getattr(config, name) == expected != getattr(defaults, name), (argv, getattr(config, name))


def test_train_set_reaches_policy_overrides(build):
    config = build("train", ["--policy", "diffusion", "--set", "horizon=32", "--lr-schedule", "constant"])
    assert (config.policy, config.policy_overrides, config.lr_schedule) == ("diffusion", {"horizon": 32}, "constant")


def test_run_flags_win_over_quick(build):
    config = build("run", ["--quick", "--train-steps", "50", "--profile-generate", "nominal"])
    assert config == RunConfig.quick(train_steps=50, profile_generate="nominal")


# The generator on its own ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Toy:
    count: int = dataclasses.field(default=3, metadata={"help": "how many (about 5 % of them)"})
    rate: float = dataclasses.field(default=0.5, metadata={"help": "a rate"})
    mode: Literal["a", "b"] = dataclasses.field(default="a", metadata={"help": "a mode"})
    on: bool = dataclasses.field(default=True, metadata={"help": "a switch"})
    names: tuple[str, ...] = dataclasses.field(default=(), metadata={"help": "names"})
    where: str | None = dataclasses.field(default=None, metadata={"help": "an address"})

    BOUNDS: ClassVar[dict[str, Bounds]] = {"count": ints(0, 1000), "rate": reals(0.0)}  # the flags' ranges


class ToyModel(BaseModel):
    share: float = Field(0.5, ge=0.0, le=1.0, description="a share")
    runs: int = Field(2, ge=1, description="runs")


def _parse(flags: ConfigFlags, argv: list[str]):
    parser = _Parser(prog="toy")
    flags.add_to(parser)
    parser.format_help()  # a '%' in a field's help must not break argparse's formatting
    return parser.parse_args(argv)


def test_types_become_flags_and_values_come_back_typed():
    flags = ConfigFlags(Toy)
    args = _parse(flags, ["--count", "7", "--rate", "0.1", "--mode", "b", "--no-on", "--names", "x", "y"])
    assert flags.build(args) == Toy(count=7, rate=0.1, mode="b", on=False, names=("x", "y"))
    assert flags.build(_parse(flags, ["--where", "host:1"])) == Toy(where="host:1")


@pytest.mark.parametrize(
    "argv", [["--count", "-1"], ["--count", "x"], ["--rate", "nan"], ["--rate", "-0.1"], ["--mode", "c"]]
)
def test_bad_values_are_one_line_naming_the_flag(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        _parse(ConfigFlags(Toy), argv)
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and err.count("\n") == 0 and argv[0] in err, err


def test_pydantic_bounds_bound_the_flags(capsys):
    flags = ConfigFlags(ToyModel)
    assert flags.given(_parse(flags, ["--share", "1"])) == {"share": 1.0}
    for argv in (["--share", "1.5"], ["--runs", "0"]):
        with pytest.raises(SystemExit):
            _parse(flags, argv)
        assert argv[0] in capsys.readouterr().err


def test_a_field_the_generator_cannot_type_or_a_flag_for_no_field_is_an_error():
    @dataclasses.dataclass(frozen=True)
    class Odd:
        table: dict = dataclasses.field(default_factory=dict)

    with pytest.raises(TypeError, match="Odd.table"):
        ConfigFlags(Odd).add_to(argparse.ArgumentParser())
    with pytest.raises(TypeError, match="nope"):
        ConfigFlags(Toy, {"nope": Flag()})
