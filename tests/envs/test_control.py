"""One action → control path (`envs.control`): the env, the batched generation runner and the
domain wrapper's perturbations all go through it, in either control mode."""

import demoforge
import numpy as np
from demoforge.envs import EnvConfig, robot


def _arm_q(env) -> np.ndarray:
    return np.array([env.data.joint(j).qpos[0] for j in robot.ARM_JOINTS])


def test_joint_pos_hold_holds_under_the_target_profile():
    """Sending the joint positions the arm is at (gripper open) keeps it there, latency included:
    the "nothing arrived yet" action is a hold in joint_pos mode too, not zero joint targets."""
    env = demoforge.make_env("Lift", "target", config=EnvConfig(control_mode="joint_pos"))
    env.reset(seed=0)
    base = env.unwrapped
    start = _arm_q(base)
    hold = np.append(start, -1.0).astype(np.float32)
    for _ in range(20):
        env.step(hold)
        drift = np.abs(_arm_q(base) - start)
        assert drift.max() <= 1e-3, drift
