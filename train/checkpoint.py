"""Checkpoints: weights, normalizer, optimizer moments and sampler RNG in one safetensors file,
with the configs and counters as JSON in its metadata. No pickle: `torch.load` is never used.

Everything a resumed run needs to continue bit-for-bit is in there; `load_policy` needs only the
weights, normalizer and configs. `obs_keys` names the dataset observations the policy reads, in
the order they are concatenated into its input (`trained_obs_keys`); a policy that sees also
stores `image_shapes`, the (C, H, W) of each camera's frames, which evaluation renders.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save

from ..augment.data.dataset import atomic_write_bytes
from ..augment.data.safety import check_bytes
from ..envs import ConfigError, DemoforgeError
from .data import DEFAULT_OBS_KEYS
from .normalize import Normalizer
from .policies import policy_classes
from .policies.overrides import check_overrides


class CheckpointError(ConfigError):
    """A checkpoint file that is not one `save_checkpoint` wrote, or whose parts disagree (the
    message names the file and the field)."""


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
    # Serialized here and written by Python, so a full disk is an OSError (ENOSPC: "disk full") as
    # everywhere else; the rename leaves the previous checkpoint intact when a kill comes mid-save.
    blob = save(tensors, metadata={"demoforge": json.dumps(meta)})
    atomic_write_bytes(path, lambda tmp: tmp.write_bytes(blob))


# The metadata fields `load_policy` and evaluation read: name → (the type, what to say).
_META_FIELDS = {
    "policy": (str, "a policy name"),
    "policy_config": (dict, "an object of policy config fields"),
    "obs_dim": (int, "a positive integer"),
    "action_dim": (int, "a positive integer"),
}


def read_meta(path: Path) -> dict[str, Any]:
    """The checkpoint's metadata, checked field by field (CheckpointError naming the field). The
    file is opened as safetensors only: never unpickled."""
    what = f"checkpoint {path}"
    try:
        with safe_open(path, framework="pt") as f:
            raw = (f.metadata() or {}).get("demoforge")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{what}: not a safetensors checkpoint ({exc})") from None
    if raw is None:
        raise CheckpointError(f"{what}: no demoforge metadata (not written by demoforge train)")
    try:
        meta = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"{what}: demoforge metadata is not JSON ({type(exc).__name__})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{what}: demoforge metadata is not an object")
    for key, (kind, expected) in _META_FIELDS.items():
        value = meta.get(key)
        if not isinstance(value, kind) or isinstance(value, bool) or (kind is int and value < 1):
            raise CheckpointError(f"{what}: metadata {key}={value!r}, expected {expected}")
    if meta.get("task") is not None and not isinstance(meta["task"], str):
        raise CheckpointError(f"{what}: metadata task={meta['task']!r}, expected a task name")
    keys = meta.get("obs_keys")
    if keys is not None and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise CheckpointError(f"{what}: metadata obs_keys={keys!r}, expected a list of observation keys")
    shapes = meta.get("image_shapes") or {}
    if not isinstance(shapes, dict) or not all(
        isinstance(v, list) and len(v) == 3 and all(isinstance(n, int) and 1 <= n <= 4096 for n in v)
        for v in shapes.values()
    ):
        raise CheckpointError(f"{what}: metadata image_shapes={shapes!r}, expected key → [C, H, W]")
    try:
        policy_classes(meta["policy"])
    except DemoforgeError as exc:
        raise CheckpointError(f"{what}: metadata policy: {exc}") from None
    return meta


def trained_obs_keys(meta: dict[str, Any]) -> tuple[str, ...]:
    """The observation keys a checkpoint's policy was trained on, in input order. Checkpoints
    written before the keys were stored read the default keys: the only ones there were."""
    return tuple(meta.get("obs_keys") or DEFAULT_OBS_KEYS)


def trained_image_shapes(meta: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    """(C, H, W) of each camera's frames the policy was trained on; empty for a state policy."""
    return {k: tuple(s) for k, s in (meta.get("image_shapes") or {}).items()}


def _config(name: str, raw: dict[str, Any], path: Path):
    """The policy config the metadata holds, checked as `--set` overrides are."""
    config_cls, _ = policy_classes(name)
    try:
        return config_cls(**check_overrides(name, raw, where=f"checkpoint {path}: metadata policy_config"))
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from None


def _build(path: Path, meta: dict[str, Any], normalizer: Normalizer) -> torch.nn.Module:
    """The policy the metadata describes, with fresh weights. First built on torch's `meta`
    device (shapes, no memory), so a config claiming more than the file holds — `hidden`
    [60000, 60000] beside kilobytes of weights — is refused before anything is allocated."""
    _, policy_cls = policy_classes(meta["policy"])
    config = _config(meta["policy"], meta["policy_config"], path)
    args = (config, meta["obs_dim"], meta["action_dim"])
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in policy_cls(*args, normalizer, trained_image_shapes(meta)).state_dict().items()}
    check_bytes(4 * sum(math.prod(s) for s in shapes.values()), f"checkpoint {path}: metadata policy_config")
    with safe_open(path, framework="pt") as f:
        stored = {
            k.removeprefix("model."): tuple(f.get_slice(k).get_shape()) for k in f.keys() if k.startswith("model.")
        }
    wrong = [k for k, s in shapes.items() if not k.startswith("normalizer") and stored.get(k) != tuple(s)]
    if wrong:
        k = wrong[0]
        raise CheckpointError(
            f"checkpoint {path}: does not fit policy {meta['policy']!r}: its metadata policy_config builds {k} "
            f"of shape {tuple(shapes[k])}, the file holds {stored.get(k, 'none')}"
        )
    return policy_cls(*args, normalizer, trained_image_shapes(meta))


def _normalizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any], path: Path) -> Normalizer:
    sizes = {"obs_mean": meta["obs_dim"], "obs_std": meta["obs_dim"]}
    sizes |= {"act_min": meta["action_dim"], "act_max": meta["action_dim"]}
    for name, size in sizes.items():
        tensor = tensors.get(f"normalizer.{name}")
        if tensor is None or tuple(tensor.shape) != (size,):
            shape = None if tensor is None else tuple(tensor.shape)
            raise CheckpointError(f"checkpoint {path}: normalizer.{name} is {shape}, expected ({size},)")
    return Normalizer.from_tensors(tensors)


def _load_weights(policy: torch.nn.Module, tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Exactly the policy's parameters and buffers: a missing or extra one means the checkpoint
    was written by another version of the policy, and loading it partly would run garbage."""
    weights = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    expected = set(policy.state_dict())
    missing, extra = sorted(expected - set(weights)), sorted(set(weights) - expected)
    if missing or extra:
        raise CheckpointError(
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
    policy = _build(path, meta, _normalizer(tensors, meta, path))
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
