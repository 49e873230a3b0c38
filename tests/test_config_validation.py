"""Validation lives in the configs: every bad value the CLI refuses, the Python API refuses too, as one
ConfigError line naming the config field, before anything is written. Each case runs both ways:
`demoforge <verb> ...` must exit nonzero with one line on stderr, and the matching API call (or config
class) must raise. `demoforge.run` checks the whole run before its first stage."""

import math

import demoforge
import pytest
from demoforge.augment.data.record import CollectConfig
from demoforge.augment.generate import GenerateConfig
from demoforge.envs import ConfigError, UnknownNameError
from demoforge.train import pipeline
from demoforge.train.cli import verbs
from demoforge.train.cli.flag_builder import _without_none, config_fields
from demoforge.train.cli.main import main
from demoforge.train.evaluate import EvalConfig
from demoforge.train.run_config import RunConfig
from demoforge.train.trainer import TrainConfig

BIG = 10**9
TRAIN = ["train", "--real", "D", "--out", "O"]
COLLECT = ["collect", "--out", "O"]
GENERATE = ["generate", "--source", "D", "--out", "O"]
EVAL = ["eval", "R"]
RUN = ["run", "--out", "O"]


def _train(**fields):
    return lambda tmp: demoforge.train_policy(tmp / "O", real=tmp / "D", **fields)


def _collect(task="Lift", episodes=2, **fields):
    return lambda tmp: demoforge.collect_demos(task, episodes, tmp / "O", **fields)


def _generate(**fields):
    return lambda tmp: demoforge.generate_demos(tmp / "D", tmp / "O", **fields)


def _eval(**fields):
    return lambda tmp: demoforge.evaluate_policy(tmp / "R", **fields)


def _run(**fields):
    return lambda tmp: demoforge.run(out=tmp / "O", **fields)


def _config(cls, **fields):
    return lambda tmp: cls(**fields)


# id: (CLI words, the API call given a tmp folder, what the CLI line names, what the API line names)
CASES = {
    "train steps 0": ([*TRAIN, "--steps", "0"], _train(steps=0), ["--steps"], ["TrainConfig.steps=0"]),
    "train batch 10**9": (
        [*TRAIN, "--batch-size", str(BIG)],
        _train(batch_size=BIG),
        ["--batch-size"],
        [f"TrainConfig.batch_size={BIG}", "65536"],
    ),
    "train --set hidden=abc": (
        [*TRAIN, "--set", "hidden=abc"],
        _train(policy_overrides={"hidden": "abc"}),
        ["policy_overrides", "hidden", "abc"],
        ["TrainConfig.policy_overrides", "hidden", "abc"],
    ),
    "train --set unknown field": (
        [*TRAIN, "--set", "nope=3"],
        _train(policy_overrides={"nope": 3}),
        ["nope", "chunk_size"],
        ["TrainConfig.policy_overrides", "nope", "chunk_size"],
    ),
    "train --set lr=-1": (
        [*TRAIN, "--set", "lr=-1"],
        _train(policy_overrides={"lr": -1}),
        ["lr=-1"],
        ["policy_overrides", "lr=-1"],
    ),
    "train --set chunk_size=0": (
        [*TRAIN, "--set", "chunk_size=0"],
        _train(policy_overrides={"chunk_size": 0}),
        ["chunk_size"],
        ["policy_overrides", "chunk_size=0"],
    ),
    "train --set bad diffusion combination": (
        [*TRAIN, "--policy", "diffusion", "--set", "n_action_steps=99"],
        _train(policy="diffusion", policy_overrides={"n_action_steps": 99}),
        ["n_action_steps=99"],
        ["policy_overrides", "n_action_steps=99"],
    ),
    "train ratio 2": ([*TRAIN, "--ratio", "2"], _train(ratio=2), ["--ratio"], ["TrainConfig.ratio=2"]),
    "train ratio nan": ([*TRAIN, "--ratio", "nan"], _train(ratio=math.nan), ["--ratio"], ["TrainConfig.ratio=nan"]),
    "train seed -1": ([*TRAIN, "--seed", "-1"], _train(seed=-1), ["--seed"], ["TrainConfig.seed=-1"]),
    "train unknown policy": (
        [*TRAIN, "--policy", "transformer"],
        _train(policy="transformer"),
        ["--policy", "transformer"],
        ["TrainConfig.policy='transformer'", "bc, diffusion"],
    ),
    "train threads": ([*TRAIN, "--threads", "5000"], _train(threads=5000), ["--threads"], ["TrainConfig.threads"]),
    "train checkpoint_every 0": (
        [*TRAIN, "--checkpoint-every", "0"],
        _train(checkpoint_every=0),
        ["--checkpoint-every"],
        ["TrainConfig.checkpoint_every=0"],
    ),
    "train lr schedule": (
        [*TRAIN, "--lr-schedule", "linear"],
        _train(lr_schedule="linear"),
        ["--lr-schedule"],
        ["TrainConfig.lr_schedule='linear'"],
    ),
    "train obs": ([*TRAIN, "--obs", "pixels"], _train(obs="pixels"), ["--obs"], ["TrainConfig.obs='pixels'"]),
    "train vision diffusion": (
        [*TRAIN, "--policy", "diffusion", "--obs", "vision"],
        _train(policy="diffusion", obs="vision"),
        ["obs='vision' needs bc"],
        ["TrainConfig.policy='diffusion'", "obs='vision' needs bc"],
    ),
    "collect episodes 0": ([*COLLECT, "--episodes", "0"], _collect(episodes=0), ["--episodes"], ["episodes=0"]),
    "collect episodes too many": (
        [*COLLECT, "--episodes", "2000000"],
        _collect(episodes=2_000_000),
        ["--episodes"],
        ["CollectConfig.episodes=2000000"],
    ),
    "collect seed -1": ([*COLLECT, "--seed", "-1"], _collect(seed=-1), ["--seed"], ["CollectConfig.seed=-1"]),
    "collect unknown task": (
        [*COLLECT, "--task", "Juggle"],
        _collect(task="Juggle"),
        ["Juggle", "Lift, Stack"],
        ["CollectConfig.task='Juggle'", "Lift, Stack"],
    ),
    "collect unknown profile": (
        [*COLLECT, "--profile", "mars"],
        _collect(profile="mars"),
        ["profile", "mars", "nominal, randomized, target"],
        ["CollectConfig.profile='mars'", "nominal, randomized, target"],
    ),
    "collect odd image size": (
        [*COLLECT, "--image-size", "83"],
        _config(CollectConfig, image_size=(83, 83)),
        ["--image-size"],
        ["CollectConfig.image_size=(83, 83)"],
    ),
    "collect attempts factor 0": (
        [*COLLECT, "--max-attempts-factor", "0"],
        _config(CollectConfig, max_attempts_factor=0),
        ["--max-attempts-factor"],
        ["CollectConfig.max_attempts_factor=0"],
    ),
    "collect unknown camera": (
        [*COLLECT, "--cameras", "top"],
        _collect(cameras=("top",)),
        ["cameras", "top"],
        ["CollectConfig.cameras=('top',)", "front"],
    ),
    "generate workers 10**6": (
        [*GENERATE, "--workers", "1000000"],
        _generate(workers=10**6),
        ["--workers", "4 per core"],
        ["GenerateConfig.workers=1000000", "4 per core"],
    ),
    "generate num 0": ([*GENERATE, "--num", "0"], _generate(num=0), ["--num"], ["GenerateConfig.num=0"]),
    "generate nn_k 0": ([*GENERATE, "--nn-k", "0"], _generate(nn_k=0), ["--nn-k"], ["GenerateConfig.nn_k=0"]),
    "generate action noise 2": (
        [*GENERATE, "--action-noise", "2"],
        _generate(action_noise=2.0),
        ["--action-noise"],
        ["GenerateConfig.action_noise=2.0"],
    ),
    "generate tracking gain 0": (
        [*GENERATE, "--tracking-gain", "0"],
        _generate(tracking_gain=0.0),
        ["--tracking-gain", "(0, 1]"],
        ["GenerateConfig.tracking_gain=0.0", "(0, 1]"],
    ),
    "generate idle motion nan": (
        [*GENERATE, "--idle-min-motion", "nan"],
        _generate(idle_min_motion=math.nan),
        ["--idle-min-motion"],
        ["GenerateConfig.idle_min_motion=nan"],
    ),
    "generate interpolation -1": (
        [*GENERATE, "--interpolation-steps", "-1"],
        _generate(interpolation_steps=-1),
        ["--interpolation-steps"],
        ["GenerateConfig.interpolation_steps=-1"],
    ),
    "generate seed -5": ([*GENERATE, "--seed", "-5"], _generate(seed=-5), ["--seed"], ["GenerateConfig.seed=-5"]),
    "generate unknown profile": (
        [*GENERATE, "--profile", "mars"],
        _generate(profile="mars"),
        ["mars"],
        ["GenerateConfig.profile='mars'"],
    ),
    "generate unknown selection": (
        [*GENERATE, "--selection", "best"],
        _generate(selection="best"),
        ["--selection"],
        ["GenerateConfig.selection='best'"],
    ),
    "generate cameras on the batch backend": (
        [*GENERATE, "--backend", "batch", "--cameras", "front"],
        _generate(backend="batch", cameras=("front",)),
        ["cameras", "batch"],
        ["GenerateConfig.cameras", "batch"],
    ),
    "eval episodes 0": ([*EVAL, "--episodes", "0"], _eval(episodes=0), ["--episodes"], ["EvalConfig.episodes=0"]),
    "eval workers 10**6": (
        [*EVAL, "--workers", "1000000"],
        _eval(workers=10**6),
        ["--workers"],
        ["EvalConfig.workers=1000000"],
    ),
    "eval unknown profile": (
        [*EVAL, "--profile", "mars"],
        _eval(profile="mars"),
        ["mars"],
        ["EvalConfig.profile='mars'"],
    ),
    "eval videos -1": ([*EVAL, "--videos", "-1"], _eval(videos=-1), ["--videos"], ["EvalConfig.videos=-1"]),
    "eval video size 8": (
        [*EVAL, "--video-size", "8"],
        _eval(video_size=8),
        ["--video-size"],
        ["EvalConfig.video_size=8"],
    ),
    "eval seed -1": ([*EVAL, "--seed", "-1"], _eval(seed=-1), ["--seed"], ["EvalConfig.seed=-1"]),
    "run ratio 2": ([*RUN, "--ratio", "2"], _run(ratio=2), ["--ratio"], ["RunConfig.ratio=2"]),
    "run train steps 0": (
        [*RUN, "--train-steps", "0"],
        _run(train_steps=0),
        ["--train-steps"],
        ["RunConfig.train_steps=0"],
    ),
    "run unknown task": ([*RUN, "--task", "Juggle"], _run(task="Juggle"), ["Juggle"], ["RunConfig.task='Juggle'"]),
    "run unknown target profile": (
        [*RUN, "--profile-target", "mars"],
        _run(profile_target="mars"),
        ["profile_target", "mars"],
        ["RunConfig.profile_target='mars'"],
    ),
    "run unknown generation profile": (
        [*RUN, "--profile-generate", "mars"],
        _run(profile_generate="mars"),
        ["profile_generate", "mars"],
        ["RunConfig.profile_generate='mars'"],
    ),
    "run unknown policy": (
        [*RUN, "--policy", "transformer"],
        _run(policy="transformer"),
        ["--policy"],
        ["RunConfig.policy='transformer'"],
    ),
    "run seed -1": ([*RUN, "--seed", "-1"], _run(seed=-1), ["--seed"], ["RunConfig.seed=-1"]),
    "run workers 10**6": ([*RUN, "--workers", "1000000"], _run(workers=10**6), ["--workers"], ["RunConfig.workers"]),
    "run batch 10**9": (
        [*RUN, "--batch-size", str(BIG)],
        _run(batch_size=BIG),
        ["--batch-size"],
        [f"RunConfig.batch_size={BIG}"],
    ),
    "run real demos 0": ([*RUN, "--real-demos", "0"], _run(real_demos=0), ["--real-demos"], ["real_demos=0"]),
    "run synthetic demos 0": (
        [*RUN, "--synthetic-demos", "0"],
        _run(synthetic_demos=0),
        ["--synthetic-demos"],
        ["RunConfig.synthetic_demos=0"],
    ),
    "run eval episodes 0": (
        [*RUN, "--eval-episodes", "0"],
        _run(eval_episodes=0),
        ["--eval-episodes"],
        ["RunConfig.eval_episodes=0"],
    ),
    "run obs": ([*RUN, "--obs", "pixels"], _run(obs="pixels"), ["--obs"], ["RunConfig.obs='pixels'"]),
    "run vision diffusion": (
        [*RUN, "--policy", "diffusion", "--obs", "vision"],
        _run(policy="diffusion", obs="vision"),
        ["obs='vision' needs bc"],
        ["obs='vision' needs bc"],
    ),
}


@pytest.fixture
def no_library(monkeypatch):
    """Every library function a verb calls fails the test: a bad value must stop at the config."""
    for name in ("collect", "generate", "train", "evaluate", "evaluate_lerobot", "run_pipeline"):
        monkeypatch.setattr(verbs, name, lambda *a, _name=name, **k: pytest.fail(f"{_name} started"))
    for name in ("collect", "generate", "train", "evaluate"):
        monkeypatch.setattr(pipeline, name, lambda *a, _name=name, **k: pytest.fail(f"run stage {_name} started"))


@pytest.mark.parametrize("case", list(CASES))
def test_the_cli_and_the_api_refuse_the_same_value_naming_it(case, tmp_path, capsys, monkeypatch, no_library):
    argv, api, cli_names, api_names = CASES[case]
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse: the flag's own range, read from the config class
        rc = exc.code
    err = capsys.readouterr().err.strip()
    assert rc != 0 and err.count("\n") == 0 and "Traceback" not in err, (argv, err)
    assert all(name in err for name in cli_names), (argv, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "the CLI wrote something"

    with pytest.raises(ConfigError) as raised:
        api(tmp_path)
    message = str(raised.value)
    assert "\n" not in message and all(name in message for name in api_names), message
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "the API wrote something"


def test_run_with_zero_train_steps_fails_before_any_stage_and_writes_nothing(tmp_path, monkeypatch, no_library):
    out = tmp_path / "run"
    with pytest.raises(ConfigError, match=r"RunConfig\.train_steps=0: expected an integer in 1\.\.100000000"):
        demoforge.run(train_steps=0, out=out)
    assert not out.exists()  # no run_config.yaml to refuse the corrected rerun


def test_the_pipeline_checks_a_config_made_without_validation_before_writing(tmp_path, no_library):
    bad = RunConfig.model_construct(**{**RunConfig().model_dump(), "train_steps": 0})
    with pytest.raises(ConfigError, match="train_steps=0"):
        pipeline.run_pipeline(bad, tmp_path / "run", log=lambda _: None)
    assert not (tmp_path / "run").exists()


def test_unknown_names_stay_unknown_name_errors():
    """A config's unknown task/profile/policy is a ConfigError and, as before, an UnknownNameError."""
    for make in (
        lambda: TrainConfig(policy="transformer"),
        lambda: RunConfig(task="Juggle"),
        lambda: EvalConfig(profile="mars"),
        lambda: GenerateConfig(profile="mars"),
    ):
        with pytest.raises(UnknownNameError):
            make()


def test_a_run_config_file_is_checked_when_read(tmp_path):
    from demoforge.train.run_config import load_run_config

    path = tmp_path / "c.yaml"
    path.write_text("workers: 1000000\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: RunConfig\.workers=1000000"):
        load_run_config(path)


@pytest.mark.parametrize("cls", [CollectConfig, GenerateConfig, TrainConfig, EvalConfig, RunConfig])
def test_every_number_of_a_config_has_its_range_on_the_class(cls):
    """The flags take their ranges from the class's BOUNDS: a numeric field without one would be a
    flag with no range, so every one states it (and the class checks it)."""
    for f in config_fields(cls):
        if _without_none(f.annotation) in (int, float):
            assert f.name in cls.BOUNDS, f"{cls.__name__}.{f.name} states no range"
    assert set(cls.BOUNDS) <= {f.name for f in config_fields(cls)}


@pytest.mark.parametrize("cls", [CollectConfig, GenerateConfig, TrainConfig, EvalConfig, RunConfig])
def test_each_bound_is_refused_just_outside_and_accepted_at_its_edge(cls):
    for name, bounds in cls.BOUNDS.items():
        cls(**{name: bounds.top if bounds.low_open else bounds.low})  # accepted at an edge it includes
        outside = bounds.low if bounds.low_open else bounds.low - 1
        with pytest.raises(ConfigError, match=f"{cls.__name__}.{name}="):
            cls(**{name: outside})
        if bounds.top is not None:
            with pytest.raises(ConfigError, match=f"{cls.__name__}.{name}="):
                cls(**{name: bounds.top + 1})


def test_a_policy_field_at_its_own_default_is_accepted():
    """BC's temporal_ensemble defaults to -0.3 (an exponent): `--set` and a checkpoint's stored
    policy_config (checked by the same rule) refused it as 'expected a finite number ≥ 0'."""
    from demoforge.train.policies.overrides import check_overrides

    assert check_overrides("bc", {"temporal_ensemble": -0.3}) == {"temporal_ensemble": -0.3}
