"""Train a policy in a plain PyTorch loop on demoforge data, then evaluate it in closed loop.

python examples/train_bc_loop.py

DEMOFORGE_EXAMPLE_QUICK=1 runs a small version (3 demos, 100 steps, 2 episodes): what
tests/test_examples.py runs and checks.
"""

import os

import demoforge
import numpy as np
import torch

QUICK = os.environ.get("DEMOFORGE_EXAMPLE_QUICK") == "1"
DEMOS, STEPS, EPISODES = (3, 100, 2) if QUICK else (30, 2000, 20)


def main() -> None:
    # 1. Demos: scripted expert in the nominal domain (or open_dataset() on your own LeRobot folder).
    if not os.path.isdir("demos_lift"):
        demoforge.collect_demos("Lift", episodes=DEMOS, out="demos_lift", profile="nominal", human_like=False)

    # 2. A torch Dataset of (observation window, action chunk) samples, and its normalization stats.
    data = demoforge.ChunkDataset("demos_lift", n_obs=1, chunk=8)
    norm = data.stats()
    loader = torch.utils.data.DataLoader(data, batch_size=min(128, len(data)), shuffle=True)
    obs_dim, act_dim = data.frames.obs.shape[1], data.frames.actions.shape[1]

    # 3. Any model: here an MLP from the normalized observation to 8 normalized actions.
    model = torch.nn.Sequential(torch.nn.Linear(obs_dim, 256), torch.nn.GELU(), torch.nn.Linear(256, 8 * act_dim))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    step = 0
    while step < STEPS:
        for batch in loader:
            pred = model(norm.obs(batch["obs"][:, -1])).view(-1, 8, act_dim)
            loss = ((pred - norm.action(batch["action"])).abs().mean(-1) * ~batch["action_is_pad"]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % 100 == 0:
                print(f"step {step}: loss {loss.item():.4f}")
            if step >= STEPS:
                break

    # 4. Closed loop: execute the first action of each chunk in the env.
    env, wins = demoforge.make_env("Lift"), 0
    for seed in range(EPISODES):
        obs, _ = env.reset(seed=1000 + seed)
        for _ in range(env.task.max_episode_steps):
            vec = np.concatenate(
                [obs[k] for k in ("joint_pos", "joint_vel", "eef_pos", "eef_quat", "gripper_qpos")]
                + [obs[k] for k in ("object_pos", "object_quat", "object_to_eef")]
            )
            with torch.no_grad():
                chunk = norm.unaction(model(norm.obs(torch.from_numpy(vec)))[None].view(8, act_dim))
            obs, _, terminated, truncated, info = env.step(chunk[0].numpy())
            if terminated or truncated:
                break
        wins += info["is_success"]
    print(f"success {wins}/{EPISODES}")


if __name__ == "__main__":  # generation and evaluation start worker processes (spawn)
    main()
