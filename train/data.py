"""Training data: observation windows and action chunks from demoforge datasets, and the
co-training sampler that mixes real and synthetic episodes at a fixed ratio.

A sample at frame t of an episode is obs[t − n_obs + 1 … t] (the first frame repeated before the
start) and actions[t … t + chunk − 1] (the last action repeated past the end, with a mask saying
which entries are real), and, for a policy that reads them, the actions already sent,
actions[t − n_past … t − 1] (zeros before the start, as a policy has sent nothing yet). Episodes are small (state vectors), so they are held in memory.

Camera images (the vision observation mode) are decoded from the dataset's videos once, into
uint8 (N, C, H, W) arrays also held in memory: at 84 × 84 a frame of one camera is 21 kB, so
100,000 frames of two cameras take 4.2 GB. Windows give them as (B, n_obs, C, H, W) under their
dataset key, beside the vector window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..augment.data.dataset import Dataset
from ..augment.data.safety import DatasetError
from ..envs.observation import is_image_key, observation_keys
from .policies.base import PAST_ACTION_KEY

# What a policy reads unless told otherwise (the "state" observation mode), concatenated in order.
DEFAULT_OBS_KEYS = observation_keys()


@dataclass
class Frames:
    """Every frame of some episodes, concatenated: obs (N, D), actions (N, A), for each frame
    its episode's start and end rows (so windows never cross episodes), and camera frames by
    dataset key, uint8 (N, C, H, W) (none unless asked for)."""

    obs: np.ndarray
    actions: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    images: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def image_shapes(self) -> dict[str, tuple[int, int, int]]:
        """(C, H, W) per image key, in the order the keys were asked for."""
        return {k: tuple(v.shape[1:]) for k, v in self.images.items()}

    @property
    def num_episodes(self) -> int:
        return len(np.unique(self.starts))

    def __len__(self) -> int:
        return len(self.obs)


def load_frames(
    roots: list[str | Path], obs_keys: tuple[str, ...] = DEFAULT_OBS_KEYS, max_episodes: int | None = None
) -> Frames:
    """The episodes of `roots`: the vector keys of `obs_keys` concatenated into `obs`, in order,
    and the image keys decoded into `images`."""
    vector_keys = [k for k in obs_keys if not is_image_key(k)]
    image_keys = [k for k in obs_keys if is_image_key(k)]
    obs, actions, starts, ends = [], [], [], []
    images: dict[str, list[np.ndarray]] = {k: [] for k in image_keys}
    row = 0
    for root in roots:
        with Dataset(root) as ds:  # closes its video decoders once the frames are read
            missing = [k for k in (*obs_keys, "action") if k not in ds.features]
            if missing:
                raise KeyError(f"dataset {root}: no feature {missing[0]!r} (features: {', '.join(ds.features)})")
            for i, ep in enumerate(ds.iter_episodes(videos=bool(image_keys))):
                if max_episodes is not None and i >= max_episodes:
                    break
                n = ep.length
                obs.append(np.concatenate([ep.data[k].reshape(n, -1).astype(np.float32) for k in vector_keys], axis=1))
                for k in image_keys:  # (T, H, W, C) decoded → (T, C, H, W), the layout convolutions read
                    images[k].append(np.ascontiguousarray(ep.videos[k].transpose(0, 3, 1, 2)))
                actions.append(ep.data["action"].astype(np.float32))
                starts.append(np.full(n, row))
                ends.append(np.full(n, row + n))
                row += n
    if not obs:  # a dataset whose episode index is empty or gone (meta/episodes/): nothing to train on
        raise DatasetError(f"dataset {', '.join(map(str, roots))}: no episodes to train on (meta/episodes/ lists none)")
    shapes = {k: {v.shape[1:] for v in frames} for k, frames in images.items()}
    for k, found in shapes.items():
        if len(found) > 1:
            raise ValueError(f"{k}: frames of different sizes across episodes ({', '.join(map(str, sorted(found)))})")
    return Frames(
        np.concatenate(obs),
        np.concatenate(actions),
        np.concatenate(starts),
        np.concatenate(ends),
        {k: np.concatenate(v) for k, v in images.items()},
    )


def windows(frames: Frames, rows: np.ndarray, n_obs: int, chunk: int, n_past: int = 0) -> dict[str, torch.Tensor]:
    """Batch for frame indices `rows`: obs (B, n_obs, D), action (B, chunk, A), action_is_pad (B, chunk),
    per image key uint8 frames (B, n_obs, C, H, W) of the same observation window, and with
    `n_past` > 0 the actions sent before, past_action (B, n_past, A), oldest first."""
    offsets_obs = np.arange(-n_obs + 1, 1)
    obs_idx = np.maximum(rows[:, None] + offsets_obs, frames.starts[rows][:, None])
    act_idx = rows[:, None] + np.arange(chunk)
    pad = act_idx >= frames.ends[rows][:, None]
    act_idx = np.minimum(act_idx, frames.ends[rows][:, None] - 1)
    batch = {
        "obs": torch.from_numpy(frames.obs[obs_idx]),
        "action": torch.from_numpy(frames.actions[act_idx]),
        "action_is_pad": torch.from_numpy(pad),
        **{k: torch.from_numpy(v[obs_idx]) for k, v in frames.images.items()},
    }
    if n_past:
        past_idx = rows[:, None] + np.arange(-n_past, 0)
        sent = past_idx >= frames.starts[rows][:, None]
        past = np.where(sent[..., None], frames.actions[np.maximum(past_idx, 0)], 0.0).astype(np.float32)
        batch[PAST_ACTION_KEY] = torch.from_numpy(past)
    return batch


class MixedSampler:
    """Each batch takes round(ratio · B) frames from `real` and the rest from `synthetic`, uniformly
    within each (the GR00T / Isaac Lab co-training knob). Either source may be absent (ratio then
    1 or 0). Draws come from a seeded torch.Generator, whose state the checkpoint saves."""

    def __init__(self, real: Frames | None, synthetic: Frames | None, ratio: float, batch_size: int, seed: int):
        if real is None and synthetic is None:
            raise ValueError("co-training needs at least one of real or synthetic data")
        if real is None:
            ratio = 0.0
        elif synthetic is None:
            ratio = 1.0
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"ratio={ratio} must be in [0, 1]")
        self.real, self.synthetic = real, synthetic
        self.n_real = int(round(ratio * batch_size))
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def sample(self) -> tuple[tuple[Frames, np.ndarray], ...]:
        parts = []
        if self.n_real:
            rows = torch.randint(len(self.real), (self.n_real,), generator=self.generator).numpy()
            parts.append((self.real, rows))
        n_syn = self.batch_size - self.n_real
        if n_syn:
            rows = torch.randint(len(self.synthetic), (n_syn,), generator=self.generator).numpy()
            parts.append((self.synthetic, rows))
        return tuple(parts)

    def batch(self, n_obs: int, chunk: int, n_past: int = 0) -> dict[str, torch.Tensor]:
        pieces = [windows(frames, rows, n_obs, chunk, n_past) for frames, rows in self.sample()]
        return {k: torch.cat([p[k] for p in pieces]) for k in pieces[0]}


class ChunkDataset(torch.utils.data.Dataset):
    """A `torch.utils.data.Dataset` of (obs window, action chunk) samples for your own training
    loop: item i is frame i of the concatenated episodes. `normalizer` (from `stats()`) maps
    them to the scales the policies train on."""

    def __init__(
        self,
        roots: list[str | Path] | str | Path,
        n_obs: int = 1,
        chunk: int = 8,
        obs_keys: tuple[str, ...] = DEFAULT_OBS_KEYS,
    ):
        roots = [roots] if isinstance(roots, str | Path) else list(roots)
        self.frames = load_frames(roots, obs_keys)
        self.n_obs, self.chunk = n_obs, chunk

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        batch = windows(self.frames, np.array([i]), self.n_obs, self.chunk)
        return {k: v[0] for k, v in batch.items()}

    def stats(self):
        from .normalize import Normalizer

        return Normalizer.from_arrays(self.frames.obs, self.frames.actions)
