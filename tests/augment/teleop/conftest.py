import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pilot.py, shared by the script and browser tests


def lift_events(seed: int = 0) -> list[dict]:
    """Key events that lift the cube of Lift's reset `seed`, found by flying the pilot once."""
    from demoforge.augment.teleop import TeleopConfig
    from demoforge.augment.teleop.session import ENDED, RUNNING, TeleopSession
    from pilot import LiftPilot, key_events

    class NoWriter:
        def add_episode(self, episode):
            pass

    session = TeleopSession(TeleopConfig(seed=seed, cameras=()), NoWriter(), 0, seed)
    session.state = RUNNING
    pilot, held, events = LiftPilot(), set(), []
    while session.state != ENDED:
        view = session.view(images=False)
        wanted = pilot.keys(session.steps, view.tcp, view.objects["cube"])
        for event in key_events(held, wanted, session.steps):
            events.append(event)
            session.press(event["key"], event["down"])
        held = wanted
        session.step()
    assert session.success, "the pilot no longer lifts the cube: fix pilot.py before the tests that use it"
    return events


@pytest.fixture(scope="session")
def lift_script(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("teleop") / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in lift_events()))
    return path


@pytest.fixture
def teleop_server(tmp_path):
    """`demoforge teleop` serving Lift on a free port; yields (url, process, dataset folder)."""
    out = tmp_path / "demos"
    cmd = [sys.executable, "-m", "demoforge.train.cli", "teleop", "--task", "Lift", "--episodes", "1"]
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    proc = subprocess.Popen([*cmd, "--port", "0", "--out", str(out)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()  # "teleop: open http://127.0.0.1:PORT/ (…)"
        assert line.startswith("teleop: open http://127.0.0.1:"), line
        yield line.split()[2], proc, out
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
