"""Checkpoints: weights, normalizer, optimizer moments and sampler RNG in one safetensors file,
with the configs and counters as JSON in its metadata. No pickle: `torch.load` is never used.

Everything a resumed run needs to continue bit-for-bit is in there; `load_policy` needs only the
weights, normalizer and configs. `obs_keys` names the dataset observations the policy reads, in
the order they are concatenated into its input (`trained_obs_keys`); a policy that sees also
stores `image_shapes`, the (C, H, W) of each camera's frames, which evaluation renders.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, safe_open, save_file

from .data import DEFAULT_OBS_KEYS
from .normalize import Normalizer
from .policies import policy_classes


def save_checkpoint(
    path: Path,
    policy: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None,
    generators: dict[str, torch.Generator],
    meta: dict[str, Any],
    obs_keys: tuple[str, ...] = DEFAULT_OBS_KEYS,
) -> None:
    """Write the checkpoint atomically; `obs_keys` are the observations `policy` was trained on.
    Tensors are written from the CPU, so a policy trained on CUDA loads anywhere."""
    tensors = {
        f"model.{k}": v.detach().cpu().contiguous()
        for k, v in policy.state_dict().items()
        if not k.startswith("normalizer")
    }
    tensors.update({k: v.cpu() for k, v in policy.normalizer.tensors().items()})
    groups = None
    if optimizer is not None:
        state = optimizer.state_dict()
        for idx, param_state in state["state"].items():
            for name, value in param_state.items():
                tensors[f"optim.{idx}.{name}"] = torch.as_tensor(value).detach().cpu().clone().contiguous()
        groups = state["param_groups"]
    for name, gen in generators.items():
        tensors[f"rng.{name}"] = gen.get_state()
    meta = {
        **meta,
        "policy": policy.name,
        "policy_config": asdict(policy.config),
        "obs_dim": policy.obs_dim,
        "obs_keys": list(obs_keys),
        "action_dim": policy.action_dim,
        "optimizer_groups": groups,
    }
    if getattr(policy, "image_shapes", None):  # only a policy that sees: state checkpoints keep their bytes
        meta["image_shapes"] = {k: list(s) for k, s in policy.image_shapes.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, tmp, metadata={"demoforge": json.dumps(meta)})
    os.replace(tmp, path)  # a kill mid-save leaves the previous checkpoint intact


def read_meta(path: Path) -> dict[str, Any]:
    with safe_open(path, framework="pt") as f:
        return json.loads(f.metadata()["demoforge"])


def trained_obs_keys(meta: dict[str, Any]) -> tuple[str, ...]:
    """The observation keys a checkpoint's policy was trained on, in input order. Checkpoints
    written before the keys were stored read the default keys: the only ones there were."""
    return tuple(meta.get("obs_keys") or DEFAULT_OBS_KEYS)


def trained_image_shapes(meta: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    """(C, H, W) of each camera's frames the policy was trained on; empty for a state policy."""
    return {k: tuple(s) for k, s in (meta.get("image_shapes") or {}).items()}


def _config(name: str, raw: dict[str, Any]):
    config_cls, _ = policy_classes(name)
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    return config_cls(**fields)


def _load_weights(policy: torch.nn.Module, tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Exactly the policy's parameters and buffers: a missing or extra one means the checkpoint
    was written by another version of the policy, and loading it partly would run garbage."""
    weights = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    expected = set(policy.state_dict())
    missing, extra = sorted(expected - set(weights)), sorted(set(weights) - expected)
    if missing or extra:
        raise ValueError(
            f"checkpoint {path}: does not fit policy {policy.name!r} (missing {missing[:3]}, unexpected {extra[:3]})"
        )
    policy.load_state_dict(weights)


def checkpoint_path(path: str | Path) -> Path:
    """The checkpoint file `path` names: itself, or a training run folder's last checkpoint."""
    path = Path(path)
    checkpoint = path / "checkpoints" / "last.safetensors" if path.is_dir() else path
    if not checkpoint.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint ({checkpoint.name} missing)")
    return checkpoint


def load_policy(path: str | Path) -> torch.nn.Module:
    """The policy stored at checkpoint `path` (a .safetensors file or a training run folder), in
    eval mode."""
    path = checkpoint_path(path)
    meta = read_meta(path)
    tensors = load_file(path)
    _, policy_cls = policy_classes(meta["policy"])
    policy = policy_cls(
        _config(meta["policy"], meta["policy_config"]),
        meta["obs_dim"],
        meta["action_dim"],
        Normalizer.from_tensors(tensors),
        trained_image_shapes(meta),
    )
    _load_weights(policy, tensors, path)
    policy.eval()
    return policy


def restore_training(
    path: Path, policy: torch.nn.Module, optimizer: torch.optim.Optimizer, generators: dict[str, torch.Generator]
) -> dict[str, Any]:
    """Load weights, optimizer state and RNG states from `path` into the given objects."""
    meta = read_meta(path)
    tensors = load_file(path)
    _load_weights(policy, tensors, path)
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["optimizer_groups"]})
    for name, gen in generators.items():
        gen.set_state(tensors[f"rng.{name}"])
    return meta
