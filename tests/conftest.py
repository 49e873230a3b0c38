import os

# Headless rendering for every test, before anything imports mujoco.
os.environ.setdefault("MUJOCO_GL", "egl")
