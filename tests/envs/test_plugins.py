"""Registries users extend (envs/plugins.py): run-time registration, entry-point plugins, the
errors for unknown names and broken plugins, and registrations carried into spawned workers."""

import multiprocessing
import pickle
import re
from concurrent.futures import ProcessPoolExecutor

import demoforge
import gymnasium as gym
import pytest
from demoforge.envs import (
    TASKS,
    ConfigError,
    PluginError,
    UnknownNameError,
    carry_registrations,
    make_task,
    resolve_task_name,
)
from demoforge.envs.experts import EXPERTS, make_expert
from demoforge.envs.tasks.lift import Lift, LiftConfig


def test_a_task_registered_at_run_time_is_listed_resolved_made_and_found_by_gymnasium(their_task):
    assert "TheirLift" not in TASKS
    demoforge.register_task(their_task.TheirLift)
    demoforge.register_expert("TheirLift", their_task.their_phases)
    assert list(TASKS)[-1] == "TheirLift" and TASKS.origin("TheirLift") == "registered at run time"
    assert resolve_task_name("theirlift") == resolve_task_name("demoforge/TheirLift-v0") == "TheirLift"
    assert make_task("TheirLift").config.cube_half_size == 0.03  # default_config() beside the class
    env = gym.make("demoforge/TheirLift-v0")
    assert type(env.unwrapped.task) is their_task.TheirLift
    env.reset(seed=0)
    assert make_expert(env.unwrapped) is not None


def test_an_unknown_task_lists_every_registered_one_also_those_registered_at_run_time(their_task):
    demoforge.register_task(their_task.TheirLift)
    with pytest.raises(
        UnknownNameError, match=r"unknown task 'Lfit'; known tasks: Lift, Stack, PickPlace, PegInsert, TheirLift$"
    ):
        resolve_task_name("Lfit")
    with pytest.raises(UnknownNameError, match=r"no scripted expert for task 'TheirLift'; experts: Lift, Stack"):
        make_expert(demoforge.make_env("TheirLift"))


def test_registering_is_refused_for_a_built_in_name_a_mismatched_name_or_no_default_config():
    class Renamed(Lift):
        name = "Lift"

    with pytest.raises(ConfigError, match=r"task 'Lift' is built in; register yours under another name"):
        demoforge.register_task(Renamed)

    class Nameless(Lift):
        name = "My-Lift"

    with pytest.raises(ConfigError, match=r"task name 'My-Lift': expected a letter, then letters, digits or '_'"):
        demoforge.register_task(Nameless, default_config=LiftConfig)

    class NoDefault(Lift):
        name = "NoDefault"

    with pytest.raises(ConfigError, match=r"task 'NoDefault': no default config: pass default_config=, or define"):
        demoforge.register_task(NoDefault)
    with pytest.raises(ConfigError, match=r"task 'Two': expected a subclass of demoforge.envs.Task"):
        TASKS.add("Two", object)
    assert "NoDefault" not in TASKS and "My-Lift" not in TASKS


def test_the_registries_are_read_only_and_say_how_to_add_an_entry(their_task):
    with pytest.raises(TypeError, match=r"the task registry is read-only: add a task with demoforge.register_task"):
        TASKS["TheirLift"] = (their_task.TheirLift, their_task)
    with pytest.raises(TypeError, match=r"demoforge.register_expert"):
        EXPERTS["TheirLift"] = their_task.their_phases


def _resolve_in_a_spawned_process(fn, name: str) -> str:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, name).result()


def test_run_time_registrations_reach_a_spawned_process_only_when_carried(their_task):
    demoforge.register_task(their_task.TheirLift)
    assert _resolve_in_a_spawned_process(carry_registrations(resolve_task_name), "theirlift") == "TheirLift"
    with pytest.raises(UnknownNameError, match="unknown task 'theirlift'"):  # what a bare spawn sees
        _resolve_in_a_spawned_process(resolve_task_name, "theirlift")


def test_carrying_nothing_is_the_function_itself_and_an_entry_that_cannot_pickle_is_named():
    assert carry_registrations(resolve_task_name) is resolve_task_name

    def local_phases(env):
        return []

    from demoforge.envs import plugins

    demoforge.register_expert("LocalTask", local_phases)
    try:
        with pytest.raises(ConfigError, match=r"demoforge.experts entry 'LocalTask' cannot reach worker processes"):
            carry_registrations(resolve_task_name)
    finally:
        del plugins._ADDED["demoforge.experts"]["LocalTask"]
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(local_phases)


def _fake_distribution(root, name: str, entry_points: str) -> None:
    """An installed distribution as importlib.metadata finds it: a .dist-info folder on sys.path."""
    info = root / f"{name.replace('-', '_')}-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(entry_points)


@pytest.mark.parametrize(
    "value, why",
    [
        ("no_such_module_xyz:Task", r"failed to load: ModuleNotFoundError: No module named 'no_such_module_xyz'$"),
        ("demoforge.envs.tasks.lift:LiftConfig", r": task 'Broken': expected a subclass of demoforge.envs.Task"),
        ("demoforge.envs.tasks.lift:Lift", r": task 'Broken': Lift.name is 'Lift'; they must be equal$"),
    ],
)
def test_a_broken_plugin_is_one_line_naming_its_distribution_and_entry_point(tmp_path, monkeypatch, value, why):
    _fake_distribution(tmp_path, "broken-plugin", f"[demoforge.tasks]\nBroken = {value}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "Broken" in TASKS and list(TASKS)[-1] == "Broken"  # listed from metadata, not loaded
    assert resolve_task_name("broken") == "Broken"
    with pytest.raises(PluginError) as caught:
        make_task("Broken")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        f"task plugin 'Broken' (entry point '{value}' in group demoforge.tasks, distribution broken-plugin 0.3)"
    )
    assert re.search(why, message), message


def test_a_plugin_task_loads_on_first_lookup_with_its_expert(their_task_package, tmp_path, monkeypatch):
    """The entry-point route without pip: their_task's distribution metadata on sys.path."""
    _fake_distribution(
        tmp_path,
        "their-task",
        "[demoforge.tasks]\nTheirLift = their_task:TheirLift\n[demoforge.experts]\nTheirLift = their_task:their_phases\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(their_task_package))
    assert TASKS.origin("TheirLift") == "entry point their_task:TheirLift (distribution their-task 0.3)"
    try:
        env = demoforge.make_env("TheirLift")
        assert env.task.config.cube_half_size == 0.03
        assert make_expert(env) is not None
    finally:  # loaded entry points stay cached for the process: forget them for the next tests
        TASKS._loaded.pop("TheirLift", None)
        EXPERTS._loaded.pop("TheirLift", None)
