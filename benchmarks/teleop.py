"""The teleop page's pace: frames/s the server sends and the delay from a key press to the first
frame showing it, measured by a WebSocket client in place of a browser (`demoforge teleop`, Lift,
2 cameras at 128×128, 20 Hz control). The client sends the same messages the page does.

frames/s     — camera frames received per second while a key is held (2 cameras × 20 Hz = 40 is
               the control rate held).
steps/s      — state messages per second over the same time: the control loop's rate.
key → frame  — from sending a key-down to receiving the state message that closes the first step
               taken with it (its frames arrive just before it); median and 95th percentile over
               PRESSES presses. It includes waiting for the next control tick (0–50 ms, 25 on average).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from .common import print_table

SECONDS = 10  # held-key window for the rates
PRESSES = 40


def _start(out: str) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "demoforge.train.cli", "teleop", "--task", "Lift", "--episodes", "1", "--port", "0"]
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    proc = subprocess.Popen([*cmd, "--out", out], stdout=subprocess.PIPE, text=True, env=env)
    url = proc.stdout.readline().split()[2]
    return proc, url.replace("http://", "ws://") + "ws"


def _key(ws, key: str, down: bool) -> float:
    t = time.perf_counter() * 1000
    ws.send(json.dumps({"type": "key", "key": key, "down": down, "t": t}))
    return t


def measure() -> dict[str, float]:
    from websockets.sync.client import connect

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _start(f"{tmp}/demos")
        try:
            with connect(url, open_timeout=30) as ws:
                ws.recv(timeout=30)  # hello
                _key(ws, "r", True)  # up: the arm rises to its limit and stays there, the episode runs on
                frames = states = 0
                start = time.perf_counter()
                while time.perf_counter() - start < SECONDS:
                    message = ws.recv(timeout=5)
                    frames += isinstance(message, bytes)
                    states += isinstance(message, str)
                elapsed = time.perf_counter() - start
                _key(ws, "r", False)
                delays = []
                for i in range(PRESSES):
                    time.sleep(0.037 * (i % 3 + 1))  # presses land anywhere in the 50 ms control period
                    key = "a" if i % 2 else "d"
                    sent = _key(ws, key, True)
                    _key(ws, key, False)
                    while True:
                        message = ws.recv(timeout=5)
                        if isinstance(message, str) and json.loads(message).get("ack") == sent:
                            delays.append(time.perf_counter() * 1000 - sent)
                            break
        finally:
            proc.kill()
            proc.wait()
    delays.sort()
    return {
        "frames/s": frames / elapsed,
        "steps/s": states / elapsed,
        "key → frame median ms": delays[len(delays) // 2],
        "key → frame p95 ms": delays[int(0.95 * (len(delays) - 1))],
    }


def main() -> None:
    result = measure()
    print_table("teleop page (Lift, 2 cameras 128×128, 20 Hz)", list(result), [[f"{v:.1f}" for v in result.values()]])


if __name__ == "__main__":
    main()
