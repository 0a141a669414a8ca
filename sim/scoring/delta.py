"""The scorer's tuned MiniLM layers, stored as an fp16 delta over the packaged base model.

Only the fine-tuned top layers are shipped (`.npz` of plain arrays, no pickle), named as in the
base encoder's state dict (`encoder.layer.5.output.dense.weight`, ...). Loading copies them over
the base model's weights; the fingerprint ties a classifier to the delta it was trained with.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

DELTA_PATH: Final = Path(__file__).with_name("model") / "encoder_delta.npz"


class DeltaError(ValueError):
    """The delta file is unreadable or does not fit the base model."""


@dataclass(frozen=True)
class Delta:
    """Tuned weights by parameter name (fp16), and the fingerprint of their bytes."""

    weights: dict[str, np.ndarray]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.weights)


def fingerprint(weights: Mapping[str, np.ndarray]) -> str:
    """sha256 (first 16 hex digits) over the sorted names and fp16 bytes of the weights."""
    digest = hashlib.sha256()
    for name in sorted(weights):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(weights[name], dtype=np.float16).tobytes())
    return digest.hexdigest()[:16]


def save_delta(weights: Mapping[str, np.ndarray], path: Path = DELTA_PATH) -> Delta:
    """Write the weights as fp16; returns what a later load_delta will read."""
    half = {name: np.asarray(value, dtype=np.float16) for name, value in weights.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        names = sorted(half)
        np.savez(fh, np.array(names), *[half[n] for n in names])
    return Delta(half)


def load_delta(path: Path = DELTA_PATH) -> Delta:
    """Read a delta written by save_delta."""
    try:
        with np.load(path, allow_pickle=False) as data:
            names = [str(n) for n in data["arr_0"]]
            return Delta({name: data[f"arr_{i + 1}"].astype(np.float16) for i, name in enumerate(names)})
    except (OSError, KeyError, ValueError) as exc:
        raise DeltaError(f"{path}: cannot read the tuned encoder layers ({exc})") from exc


def apply_delta(encoder: Any, delta: Delta) -> None:
    """Copy the delta's weights into a transformers encoder (in place); every name and shape must match."""
    import torch

    state = encoder.state_dict()
    for name, value in delta.weights.items():
        if name not in state:
            raise DeltaError(f"delta weight {name} is not in the base model")
        if tuple(state[name].shape) != value.shape:
            expected = tuple(state[name].shape)
            raise DeltaError(f"delta weight {name} has shape {value.shape}, the base model {expected}")
    with torch.no_grad():
        for name, value in delta.weights.items():
            state[name].copy_(torch.from_numpy(value.astype(np.float32)))
