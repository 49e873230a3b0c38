"""The batch backend (`--backend batch`): attempts stepped in lockstep write the process pool's
bytes, for any batch size, thread count and worker count, on `mujoco.batch` and on the loop that
stands in for it on MuJoCo 3.3."""

import pytest
from demoforge.augment.generate import GenerateConfig, batch_physics, generate
from demoforge.envs import ConfigError
from demoforge.train.cli import main


@pytest.fixture(scope="module")
def lift_process(lift_sources, tmp_path_factory):
    """6 Lift demos from the process backend: the bytes every batch run must write."""
    out = tmp_path_factory.mktemp("process") / "lift"
    return out, generate(lift_sources, out, GenerateConfig(num=6, workers=1))


@pytest.mark.parametrize(("batch_size", "threads"), [(1, 1), (4, 1), (4, 2), (7, 2)])
def test_batch_output_is_the_process_output_for_any_batch_size_and_thread_count(
    lift_sources, lift_process, tmp_path, batch_size, threads, same_tree
):
    reference, summary = lift_process
    config = GenerateConfig(num=6, workers=1, backend="batch", batch_size=batch_size, threads=threads)
    batch = generate(lift_sources, tmp_path / "batch", config)
    # kept rate and failure causes: the same attempts, not merely the same statistics
    assert (batch.episodes, batch.attempts, batch.causes) == (summary.episodes, summary.attempts, summary.causes)
    same_tree(reference, tmp_path / "batch")


def test_batch_on_two_workers_on_one_batch_thread_and_without_mujoco_batch_writes_the_same_bytes(
    lift_sources, lift_process, tmp_path, monkeypatch, same_tree
):
    reference, _ = lift_process
    config = GenerateConfig(num=6, workers=2, backend="batch", batch_size=2)  # chunks of 3 attempts
    generate(lift_sources, tmp_path / "workers", config)
    same_tree(reference, tmp_path / "workers")
    two_threads = GenerateConfig(num=6, workers=1, backend="batch", batch_size=3, threads=2)
    if batch_physics.has_batch():  # mujoco.batch on one thread (the runner would take the loop)
        monkeypatch.setattr(batch_physics, "make_physics", lambda m, n, *_, **__: batch_physics.BatchPhysics(m, n, 1))
        generate(lift_sources, tmp_path / "one_thread", two_threads)
        same_tree(reference, tmp_path / "one_thread")
        monkeypatch.undo()
    monkeypatch.setattr(batch_physics, "has_batch", lambda: False)  # MuJoCo 3.3: no mujoco.batch
    generate(lift_sources, tmp_path / "loop", two_threads)
    same_tree(reference, tmp_path / "loop")


def test_batch_carries_and_lines_up_as_the_process_runner_does(stack_sources, tmp_path, same_tree):
    """Stack exercises what Lift does not: a carried object steered along its path, line-up
    holds, a second subtask's selection from the state the first left."""
    generate(stack_sources, tmp_path / "process", GenerateConfig(num=3, workers=1))
    generate(stack_sources, tmp_path / "batch", GenerateConfig(num=3, workers=1, backend="batch", batch_size=5))
    same_tree(tmp_path / "process", tmp_path / "batch")


def test_backend_is_chosen_by_the_cli_flag_and_an_unknown_one_is_one_line(lift_sources, tmp_path, capsys):
    out = tmp_path / "cli"
    argv = ["generate", "--source", str(lift_sources), "--out", str(out), "--num", "2", "--workers", "1"]
    assert main([*argv, "--backend", "batch", "--batch-size", "3"]) == 0
    assert (out / "meta" / "info.json").is_file()
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--backend", "newton"])
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and err.count("\n") == 0 and "invalid choice: 'newton'" in err
    with pytest.raises(ConfigError, match="batch backend records state only"):
        GenerateConfig(backend="batch", cameras=("front",))
    with pytest.raises(ConfigError, match="warp backend records state only"):
        GenerateConfig(backend="warp", cameras=("front",))
