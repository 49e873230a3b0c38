"""A phone's tilt (DeviceOrientation) moves the arm: the mapping in Python (keymap.py's TILT_AXES),
and in a real headless chromium the page's "Tilt to move" button sends synthetic orientation events
that move the TCP the way the phone is tipped (issue 39)."""

from pathlib import Path

import numpy as np
import pytest
from demoforge.augment.teleop.keymap import TILT_DEADZONE, TILT_FULL, KeyState, UnknownKey
from test_browser import CHROMIUM


def test_tilt_from_the_neutral_pose_is_a_velocity_with_a_deadzone():
    keys = KeyState(speed=0.4, rot_speed=0.2)
    keys.tilt({"beta": 40.0, "gamma": -10.0})  # the first reading is neutral, however the phone is held
    assert keys.action().tolist() == [0, 0, 0, 0, 0, 0, -1]
    keys.tilt({"beta": 40.0 - TILT_DEADZONE / 2, "gamma": -10.0 + TILT_DEADZONE / 2})
    assert keys.action().tolist() == [0, 0, 0, 0, 0, 0, -1]  # a wavering hand does not move it
    keys.tilt({"beta": 40.0 - TILT_FULL / 2, "gamma": -10.0 + 2 * TILT_FULL})  # tipped away, far right
    np.testing.assert_allclose(keys.action()[:2], [0.2, -0.4])  # forward at half speed, right at full
    keys.tilt({"beta": -175.0, "gamma": 0.0})  # beta wraps at ±180
    keys.tilt(None)
    keys.tilt({"beta": 179.0, "gamma": 0.0})
    keys.tilt({"beta": -171.0, "gamma": 0.0})  # +10° across the wrap: towards the user, back
    assert keys.action()[0] == pytest.approx(-0.4 * 10 / TILT_FULL)
    with pytest.raises(UnknownKey, match="tilt beta"):
        keys.tilt({"beta": "up", "gamma": 0})


@pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no chromium at {CHROMIUM}")
def test_tilting_the_phone_in_the_page_moves_the_tcp(teleop_server):
    from playwright.sync_api import sync_playwright

    url, _proc, _out = teleop_server
    orient = "([b, g]) => window.dispatchEvent(new DeviceOrientationEvent('deviceorientation', {alpha: 0, beta: b, gamma: g}))"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function("window.teleopState !== null", timeout=30_000)
        start = page.evaluate("window.teleopState.eef")
        page.evaluate(orient, [50, 0])  # before "Tilt to move": ignored
        page.wait_for_timeout(300)
        assert page.evaluate("window.teleopState.state") == "ready"
        page.click("#tilt")
        page.evaluate(orient, [50, 0])  # neutral: the phone held at 50° towards the user
        page.wait_for_timeout(100)
        page.evaluate(orient, [20, 25])  # tipped away and to the right
        page.wait_for_function("window.teleopState.step >= 10", timeout=30_000)
        page.click("#tilt")  # off: the arm stops
        end = page.evaluate("window.teleopState.eef")
        assert end[0] - start[0] > 0.05  # forward (+x)
        assert end[1] - start[1] < -0.05  # right (−y)
        assert abs(end[2] - start[2]) < 0.02
        page.dispatch_event("#grip", "pointerdown")  # the screen's grip button closes the gripper
        page.wait_for_function("window.teleopState.gripper > 0", timeout=10_000)
        browser.close()
