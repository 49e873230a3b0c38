"""`demoforge annotate DATASET --by-hand` in a real headless chromium: the page shows an episode's
recorded video, the test scrubs it (arrow keys, the slider), marks the frame that ends each subtask,
saves, and the annotated dataset's subtask boundaries are the marked frames (issue 39)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.data.record import SIGNALS_AFTER, signal_names, signals_in_frames
from demoforge.augment.generate.segment import boundaries
from demoforge.envs import make_task_env
from test_browser import CHROMIUM

SCREENSHOT = Path(__file__).parents[3] / "docs" / "img" / "annotate-page.png"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no chromium at {CHROMIUM}")


@pytest.fixture
def annotate_server(demo_dataset, tmp_path):
    """`demoforge annotate --by-hand` on a recorded Lift demo with a camera; yields (url, process, out)."""
    source = demo_dataset("Lift", 2, cameras=("front",), image_size=(96, 96))
    out = tmp_path / "annotated"
    cmd = [sys.executable, "-m", "demoforge.train.cli", "annotate", str(source), "--by-hand", "--port", "0"]
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    proc = subprocess.Popen([*cmd, "--out", str(out)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()  # "annotate: open http://127.0.0.1:PORT/ (…)"
        assert line.startswith("annotate: open http://127.0.0.1:"), line
        yield line.split()[2], proc, out, source
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _at(page, t: int) -> None:
    page.wait_for_function(f"window.annotateState.frame === {t}")
    page.wait_for_function(
        f"document.getElementById('cam-0').src.endsWith('/{t}') && document.getElementById('cam-0').complete"
    )


def test_mark_the_frames_in_the_page_and_the_boundaries_are_those_frames(annotate_server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, proc, out, source = annotate_server
    lengths = [Dataset(source).episode(i, videos=False).length for i in range(2)]
    marks = {i: {"grasped": n // 3, "lifted": 2 * n // 3} for i, n in enumerate(lengths)}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 760, "height": 620})
        page.goto(url)
        page.wait_for_function("window.annotateState.ready", timeout=30_000)
        assert page.inner_text("#marks").count("not marked") == 2  # the task's two signals, listed
        assert page.inner_text("#last") == str(lengths[0] - 1)
        page.click("body")
        target = marks[0]["grasped"]
        for _ in range(target // 10 + 1):
            page.keyboard.press("Shift+ArrowRight")  # ten frames a press...
        for _ in range(10 - target % 10):
            page.keyboard.press("ArrowLeft")  # ...and back one at a time
        _at(page, target)
        page.click("#mark-grasped")
        page.fill("#frame", str(marks[0]["lifted"]))  # the slider
        _at(page, marks[0]["lifted"])
        page.keyboard.press("2")  # the second signal's number key
        page.click("#save")  # episode 1 is not marked yet: refused, nothing written
        page.wait_for_function("document.getElementById('notice').textContent.includes('episode 1 has no marks')")
        assert not out.exists()
        page.select_option("#episode", "1")
        _at(page, 0)
        target = marks[1]["grasped"]
        page.click("#play")  # play from frame 0, pause on the way, then step to the frame exactly
        page.wait_for_function(f"window.annotateState.frame >= {target - 5}", timeout=10_000)
        page.click("#play")
        now = page.evaluate("window.annotateState.frame")
        assert now < lengths[1] - 1  # paused before the end
        page.click("body")
        for _ in range(abs(target - now)):
            page.keyboard.press("ArrowRight" if now < target else "ArrowLeft")
        _at(page, target)
        page.click("#mark-grasped")
        page.fill("#frame", str(marks[1]["lifted"]))
        _at(page, marks[1]["lifted"])
        page.click("#mark-lifted")
        page.screenshot(path=str(tmp_path / "annotate-page.png"))
        page.click("#save")
        page.wait_for_function("window.annotateState.saved !== null", timeout=60_000)
        assert proc.wait(timeout=30) == 0
        browser.close()

    ds, task = Dataset(out), make_task_env("Lift").task
    names = signal_names(ds.info["features"])
    assert names == ["grasped", "lifted"] and len(ds) == 2
    for i, marked in marks.items():
        ep = ds.episode(i, videos=False)
        frames = signals_in_frames(ep.data)
        assert [int(np.flatnonzero(frames[:, k])[0]) for k in range(2)] == [marked[n] for n in names]
        assert boundaries(ep, task.subtasks, names)[:-1] == [marked[s.signal] + 1 for s in task.subtasks[:-1]]
        np.testing.assert_array_equal(ep.data["action"], Dataset(source).episode(i, videos=False).data["action"])
    assert SIGNALS_AFTER in ds.info["features"]
    if os.environ.get("DEMOFORGE_DOCS_SCREENSHOTS"):  # refresh the docs' picture of the page
        shutil.copyfile(tmp_path / "annotate-page.png", SCREENSHOT)


def test_a_dataset_without_videos_is_one_line(demo_dataset, tmp_path):
    source = demo_dataset("Lift", 1)
    cmd = [
        sys.executable,
        "-m",
        "demoforge.train.cli",
        "annotate",
        str(source),
        "--by-hand",
        "--out",
        str(tmp_path / "o"),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "no camera videos" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()
