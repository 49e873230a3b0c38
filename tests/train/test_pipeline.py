"""`demoforge run`: stage resume (fast) and the whole quick job (slow)."""

import json

import pytest
from demoforge.envs import ConfigError
from demoforge.train.pipeline import MODE_DEFAULTS, RunConfig, Stages, load_run_config, run_train_config


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

    state, vision = RunConfig(), RunConfig(obs="vision")
    assert (state.synthetic_demos, state.batch_size) == (2000, 256)
    assert (vision.synthetic_demos, vision.batch_size, vision.train_steps) == (1000, 64, 12000)
    assert state.train_steps is None and run_train_config(vision).steps == 12000
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
    # The written config reproduces the run: same settings, and a rerun resumes (nothing redone).
    assert load_run_config(report / "config.yaml") == RunConfig.quick(workers=1)
    assert main(["run", "--config", str(report / "config.yaml"), "--out", str(out)]) == 0
