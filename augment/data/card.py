"""The dataset card: `README.md` in a dataset's root, the page the Hugging Face Hub shows for it.

YAML front matter as lerobot's `create_lerobot_dataset_card` writes it (license, tags starting with
"LeRobot", task_categories robotics, and the `configs` entry that lets the Hub's viewer read
`data/*/*.parquet`), then what demoforge knows and a LeRobot user cannot read off the files: the
task, where the episodes came from, and what each feature means — units, frames, quaternion order
and sign, which state a signal describes. The same dataset gives the same bytes (no dates): generated
datasets are compared byte for byte.
"""

from __future__ import annotations

from collections import Counter
from json import dumps as yaml_string  # a JSON string is a YAML string, quoted and escaped
from pathlib import Path

from ...envs.observation import ENVIRONMENT_STATE, STATE
from .dataset import Dataset, atomic_write_bytes

CARD = "README.md"
LICENSE = "apache-2.0"  # demoforge's own license; the data is simulated by it

OUR_EEF_SIGN = "sign nearer the gripper-down home orientation (0, 1, 0, 0), so it is continuous"
OLD_EEF_SIGN = "w ≥ 0, which flips sign between frames with the gripper down"
# What each stored feature means (demoforge's recordings); a foreign dataset's other keys are listed bare.
MEANINGS = {
    STATE.key: "proprioception: joint_pos (7, rad), joint_vel (7, rad/s), eef_pos (3, m, world frame), "
    f"eef_quat (4, w x y z, world frame; {OUR_EEF_SIGN}), gripper_qpos (2, m per finger)",
    ENVIRONMENT_STATE.key: "object poses, simulator truth: per object pos (3, m, world), quat "
    "(4, w x y z, w ≥ 0), to_eef (3, m: object minus TCP position)",
    "action": "ee_delta: TCP displacement dx dy dz (× 0.05 m), rotation vector drx dry drz in the world frame "
    "(× 0.5 rad), gripper (−1 open … +1 closed); 20 Hz",
    "next.reward": "shaped task reward in [0, 1] after action t",
    "next.done": "the episode ended with action t",
    "next.success": "the task succeeded after action t (successful episodes end on it)",
    "next.subtask_signals": "the task's subtask signals of the state after action t (the last one fires as "
    "the episode succeeds)",
    "subtask_signals": "the task's subtask signals of the state before action t (datasets written before "
    "issue 41: the last signal never fires)",
    "datagen.eef_pose": "exact TCP pose in the state frame t shows: pos (m, world) + quat (w x y z), what "
    "demo generation transforms",
    "datagen.object_poses": "exact pose of each object, pos (m) + quat (w x y z, w ≥ 0), in the state frame t shows",
    "sim.state": "MuJoCo qpos ‖ qvel of the state frame t shows (robomimic's `states`)",
}
LEROBOT_COLUMNS = ("timestamp", "frame_index", "episode_index", "index", "task_index")


def dataset_card(ds: Dataset, layout: str = "LeRobot v3.0") -> str:
    """The card's text for `ds`, stored in `layout`."""
    metas = [ds.meta(i) for i in range(len(ds))]
    sources = Counter(str(m.get("source", "unknown")) for m in metas)
    profiles = sorted({str(m["profile"]) for m in metas if "profile" in m})
    names = sorted({str(m["task"]) for m in metas if "task" in m})
    succeeded = sum(bool(m.get("success")) for m in metas)
    tags = ["LeRobot", "demoforge", "simulation", "mujoco", *names]
    meanings = dict(MEANINGS)
    if "subtask_signals" in ds.features:  # written before issue 41 (record.SIGNALS_BEFORE)
        meanings[STATE.key] = meanings[STATE.key].replace(OUR_EEF_SIGN, OLD_EEF_SIGN)
    if ds.features.get(STATE.key, {}).get("names") != STATE.names(()):
        del meanings[STATE.key]  # an imported layout: its units and conventions are not ours to state
    lines = [
        "---",
        f"license: {LICENSE}",
        "task_categories:",
        "- robotics",
        "tags:",
        *[f"- {yaml_string(t)}" for t in tags],
        "configs:",
        "- config_name: default",
        "  data_files: data/*/*.parquet",
        "---",
        "",
        f"# {', '.join(names) or 'demoforge'} demonstrations",
        "",
        f"Simulated MuJoCo manipulation demos written by demoforge, in the {layout} layout (`meta/info.json`).",
        "",
        f"- **Episodes:** {len(ds)} ({succeeded} successful), {ds.num_frames} frames at {ds.fps} fps",
        f"- **Sources:** {', '.join(f'{n} {s}' for s, n in sorted(sources.items()))} "
        "(real: human-like demos in the `target` domain; synthetic: generated from them)",
        f"- **Domain profiles:** {', '.join(profiles) or 'unknown'}",
        f"- **Instructions:** {'; '.join(sorted(ds.tasks.values()))}",
        "- **Frames:** frame t holds the observation before action t, action t, and what followed it (`next.*`).",
        "",
        "## Features",
        "",
        "| key | dtype | shape | meaning |",
        "|---|---|---|---|",
    ]
    for key, feature in ds.features.items():
        if key in LEROBOT_COLUMNS:
            continue
        meaning = meanings.get(key, "camera video (H × W × 3)" if feature["dtype"] == "video" else "")
        lines.append(f"| `{key}` | {feature['dtype']} | {list(feature['shape'])} | {meaning} |")
    cameras = [k.rsplit(".", 1)[-1] for k in ds.video_keys]
    lines += [
        "",
        "## Sensors",
        "",
        "Proprioception: joint encoders and the TCP pose from forward kinematics, with the sensor noise of each "
        "episode's domain profile. Object poses are simulator truth (privileged: a real robot has no such sensor). "
        f"Cameras: {', '.join(cameras) or 'none recorded'}.",
        "",
        "## Limitations",
        "",
        "Simulated (MuJoCo) with a scripted demonstrator (human-like in the `real` episodes); synthetic episodes "
        "are generated from them MimicGen-style. Only successful episodes are stored. Shaped rewards and subtask "
        "signals come from the simulator's state.",
        "",
        "Per-component names are in `meta/info.json`; each episode's seed, profile and drawn domain parameters in",
        "the `demoforge/meta` column of `meta/episodes/`. Load it with",
        "`LeRobotDataset(repo_id, root=<this folder>)`, or `demoforge info <this folder>`.",
        "",
    ]
    return "\n".join(lines)


def write_card(ds: Dataset, out: Path | None = None, layout: str = "LeRobot v3.0") -> None:
    """Write `ds`'s card to `out` (default: its own root) / README.md, atomically."""
    text = dataset_card(ds, layout).encode()
    atomic_write_bytes(Path(out or ds.root) / CARD, lambda tmp: Path(tmp).write_bytes(text))
