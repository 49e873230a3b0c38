"""`demoforge run`: stage resume (fast) and the whole quick job (slow)."""

import json

import pytest
from demoforge.envs import ConfigError
from demoforge.train.pipeline import Stages
from demoforge.train.run_config import MODE_DEFAULTS, RunConfig, load_run_config, run_train_config


def test_finished_stages_are_skipped_after_an_interruption(tmp_path):
    calls = []
    stages = Stages(tmp_path)
    stages.run("a", lambda: calls.append("a"), log=lambda _: None)

    def dies():
        calls.append("b")
        raise KeyboardInterrupt  # killed mid-stage: b is not marked done

    with pytest.raises(KeyboardInterrupt):
        stages.run("b", dies, log=lambda _: None)
    again = Stages(tmp_path)  # a new process reads stages.json
    ran = [again.run(name, lambda n=name: calls.append(n), log=lambda _: None) for name in ("a", "b", "c")]
    assert ran == [False, True, True] and calls == ["a", "b", "b", "c"]
    assert set(json.loads((tmp_path / "stages.json").read_text())) == {"a", "b", "c"}


def _write(path, text: str) -> None:
    if text == "fail":
        raise ValueError(f"{path.name} failed")
    path.write_text(text)


def test_stages_run_side_by_side_are_each_marked_done_as_they_finish(tmp_path):
    """Arms train in processes of their own: each finished stage is recorded, a failed one is not
    and its error reaches the caller, and a rerun skips what finished."""
    from functools import partial

    stages = Stages(tmp_path)
    jobs = {name: partial(_write, tmp_path / name, text) for name, text in (("a", "x"), ("b", "fail"), ("c", "y"))}
    with pytest.raises(ValueError, match="b failed"):
        stages.run_concurrently(jobs, processes=3, log=lambda _: None)
    assert (tmp_path / "a").read_text() == "x" and (tmp_path / "c").read_text() == "y"
    assert set(json.loads((tmp_path / "stages.json").read_text())) == {"a", "c"}
    lines = []
    jobs["b"] = partial(_write, tmp_path / "b", "z")
    Stages(tmp_path).run_concurrently(jobs, processes=3, log=lines.append)
    assert (tmp_path / "b").read_text() == "z" and set(json.loads((tmp_path / "stages.json").read_text())) == set("abc")
    assert sum(line.startswith("[skip]") for line in lines) == 2


def test_run_config_round_trips_through_yaml_and_rejects_unknown_keys(tmp_path):
    import yaml

    cfg = RunConfig(task="Stack", real_demos=7)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg.model_dump()))
    assert load_run_config(path) == cfg
    path.write_text("task: Lift\nreal_demo: 3\n")
    with pytest.raises(ConfigError, match="config.yaml: real_demo: unknown key"):
        load_run_config(path)
    path.write_text("ratio: 2\n")
    with pytest.raises(ConfigError, match="ratio"):
        load_run_config(path)


def test_vision_runs_default_to_their_cpu_budget_and_state_runs_are_unchanged(tmp_path):
    import yaml

    # Stack: a task on the state mode's own defaults (Lift has smaller ones of its own: TASK_DEFAULTS)
    state, vision = RunConfig(task="Stack"), RunConfig(obs="vision")
    assert (state.synthetic_demos, state.batch_size) == (2000, 256)
    assert (vision.synthetic_demos, vision.batch_size, vision.train_steps) == (1000, 64, 24000)
    assert state.train_steps is None and run_train_config(vision).steps == 24000
    assert run_train_config(vision).batch_size == 64 and run_train_config(state).batch_size == 256
    assert MODE_DEFAULTS["state"]["batch_size"] == run_train_config(state).batch_size
    # A given number wins over the mode's default; the written config names the numbers used.
    assert RunConfig(obs="vision", synthetic_demos=30, batch_size=8).batch_size == 8
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(vision.model_dump()))
    assert "batch_size: 64" in path.read_text() and load_run_config(path) == vision
    assert RunConfig.quick(obs="vision").synthetic_demos == 30
    with pytest.raises(ValueError, match="batch_size"):
        RunConfig(obs="vision", batch_size=0)


@pytest.mark.slow
def test_quick_run_end_to_end_writes_a_report_that_parses(tmp_path):
    from demoforge.train.cli import main

    out = tmp_path / "run"
    assert main(["run", "--quick", "--out", str(out), "--workers", "1"]) == 0
    report = out / "report"
    for name in ("report.md", "report.html", "success.png", "loss.png", "config.yaml", "results.json"):
        assert (report / name).is_file(), name
    assert list(report.glob("rollout_*.gif"))
    results = json.loads((report / "results.json").read_text())
    assert set(results["arms"]) == {"real_only", "synthetic_only", "real_synthetic"}
    for arm in results["arms"].values():
        lo, hi = arm["ci95"]
        assert 0 <= lo <= arm["success_rate"] <= hi <= 1
    md = (report / "report.md").read_text()
    table = [line for line in md.splitlines() if line.startswith("| real")]
    assert len(table) == 2 and all(line.count("|") == 6 for line in table)
    # 4 real demos are too few to calibrate from: the stage says so and generation keeps its profile
    assert (out / "calibration" / "skipped.json").is_file() and "Calibration skipped (4 real demos" in md
    assert results["generation_profile"] == "randomized"
    # The written config reproduces the run: same settings, and a rerun resumes (nothing redone).
    assert load_run_config(report / "config.yaml") == RunConfig.quick(workers=1)
    assert main(["run", "--config", str(report / "config.yaml"), "--out", str(out)]) == 0


@pytest.mark.parametrize("ratio", [0.0, 0.1])
def test_at_ratio_zero_real_plus_synthetic_is_the_synthetic_only_policy_trained_once(tmp_path, monkeypatch, ratio):
    from demoforge.train import pipeline

    trained, evaluated = [], []
    monkeypatch.setattr(pipeline, "collect_real_demos", lambda config, real: None)
    monkeypatch.setattr(pipeline, "calibrate_real_domain", lambda config, real, out, log: None)
    monkeypatch.setattr(pipeline, "generate_synthetic_demos", lambda config, real, syn, profile, settings: None)
    monkeypatch.setattr(pipeline, "train_arm", lambda config, run, real, synthetic: trained.append(run.name))

    def evaluate(run, config, out):
        evaluated.append(run.name)
        out.mkdir(parents=True)
        (out / "eval.json").write_text(json.dumps({"run": run.name}))

    monkeypatch.setattr(pipeline, "evaluate", evaluate)
    monkeypatch.setattr(pipeline, "write_report", lambda out, config, task, timings: {})
    pipeline.run_pipeline(RunConfig(ratio=ratio, workers=1), tmp_path / "run", log=lambda _: None)
    if ratio == 0:
        assert trained == evaluated == ["real_only", "synthetic_only"]
        copied = json.loads((tmp_path / "run" / "eval" / "real_synthetic" / "eval.json").read_text())
        assert copied == {"run": "synthetic_only"}
    else:
        assert trained == evaluated == ["real_only", "synthetic_only", "real_synthetic"]


def test_the_report_says_when_real_plus_synthetic_is_the_synthetic_only_policy(tmp_path):
    from demoforge.train.report import write_report

    for arm, successes in (("real_only", 1), ("synthetic_only", 8), ("real_synthetic", 8)):
        (tmp_path / "eval" / arm).mkdir(parents=True)
        e = {"success_rate": successes / 10, "ci95": [0.0, 1.0], "successes": successes, "episodes": 10}
        (tmp_path / "eval" / arm / "eval.json").write_text(json.dumps({**e, "mean_length": 50.0}))
    (tmp_path / "data" / "synthetic" / "meta").mkdir(parents=True)
    stats = {"episodes": 9, "attempts": 10, "success_rate": 0.9, "failure_causes": {"grasp": 1}}
    (tmp_path / "data" / "synthetic" / "meta" / "generation_stats.json").write_text(json.dumps(stats))
    shared = write_report(tmp_path, RunConfig(obs="vision"), "Stack", {})["verdict"]
    assert "real + synthetic policy is the synthetic only one" in shared
    assert "synthetic only one" in (tmp_path / "report" / "report.md").read_text()
    assert "synthetic only one" not in write_report(tmp_path, RunConfig(), "Stack", {})["verdict"]  # state: 0.1


def test_the_calibration_stage_writes_the_profile_generation_runs_in_and_the_report_shows_it(
    tmp_path, demo_dataset, monkeypatch
):
    from demoforge.augment.domain import calibrate as calibration
    from demoforge.augment.domain.calibrate import CalibrationResult
    from demoforge.augment.domain.profiles import load_profile
    from demoforge.train import pipeline, report
    from demoforge.train.run_layout import generation_profile

    found = CalibrationResult(
        task="Lift",
        latency_steps=3,
        values={"actuator_gain_scale": 0.5},
        stds={"actuator_gain_scale": 0.02},
        not_identified={"object_mass_scale": "the demos move the trajectories too little with it"},
        proprio_noise_std=0.002,
        residual_rms=0.003,
        latency_residuals={3: 0.003},
        segments=40,
        seconds=2.0,
    )
    asked = []
    monkeypatch.setattr(calibration, "calibrate", lambda real, task, log: asked.append((real, task)) or found)
    real, out = demo_dataset("Lift", episodes=5), tmp_path / "run"
    config = RunConfig(real_demos=5)
    pipeline.calibrate_real_domain(config, real, out, log=lambda _: None)
    assert asked == [(real, "Lift")]
    profile = load_profile(generation_profile(config, out))
    assert profile.name == "calibrated" and profile.action.latency_steps == (0, 3)  # randomized's 0–1 stretched
    assert profile.physics.actuator_gain_scale == (0.46, 1.5)
    assert generation_profile(RunConfig(real_demos=5, calibration="off"), out) == "randomized"
    text, rows = report._calibration(out, config)
    assert "calibration/calibrated.toml" in text
    assert ("latency_steps", "3", "exact", "0–1", "0–3") in rows
    assert ("actuator_gain_scale", "0.500", "0.020", "0.75–1.5", "0.46–1.5") in rows
    assert pipeline.source_settings(out) == {"loop_radius": 0.005}  # sources under 3 steps of latency swing
    # rerun after a kill: the stage's own unfinished files are replaced, not refused
    pipeline.calibrate_real_domain(config, real, out, log=lambda _: None)
    with pytest.raises(ConfigError, match="calibration"):
        RunConfig(calibration="sometimes")


def test_stages_run_side_by_side_know_the_tasks_registered_at_run_time(tmp_path, their_task):
    """`demoforge.run()` from a script that registered its task: the training processes are spawned
    and would not know the task unless the registrations travel with each job."""
    from functools import partial

    import demoforge
    from demoforge.envs import make_task

    demoforge.register_task(their_task.TheirLift)
    jobs = {name: partial(make_task, "TheirLift") for name in ("a", "b")}
    Stages(tmp_path).run_concurrently(jobs, processes=2, log=lambda _: None)
    assert set(json.loads((tmp_path / "stages.json").read_text())) == {"a", "b"}
