"""Finished parts of a long tuning run, kept on disk so that a stopped run resumes where it stopped.

Tuning MiniLM on the whole training split takes hours on two cores: five cross-fitted folds and a final
model. Each finished part (a fold's held-out outputs, the final layers and head) is one .npz file named
by a key of everything that decides it: the texts, their labels and weights, the tuning settings, the
seed and the folds. A run with the same inputs finds the parts and skips that work; a run with any input
changed has another key and starts afresh. A file is written under a temporary name and then renamed,
so a run killed while writing leaves no half file; an unreadable file is done again.
"""

import hashlib
import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np


def run_key(
    texts: Sequence[str], y: np.ndarray, weights: np.ndarray | None, settings: Mapping[str, Any]
) -> str:
    """A short digest of a tuning run's inputs: the same inputs give the same key, any change another."""
    digest = hashlib.sha256()
    digest.update(json.dumps(list(texts), ensure_ascii=False).encode("utf-8"))
    digest.update(np.ascontiguousarray(y, dtype=np.float32).tobytes())
    if weights is not None:
        digest.update(b"weights")
        digest.update(np.ascontiguousarray(weights, dtype=np.float64).tobytes())
    digest.update(json.dumps(dict(settings), sort_keys=True).encode("utf-8"))
    return digest.hexdigest()[:16]


class Checkpoints:
    """Named parts of one run (one key) in `folder`."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = folder
        self.key = key

    def path(self, name: str) -> Path:
        return self.folder / f"{self.key}-{name}.npz"

    def load(self, name: str) -> dict[str, np.ndarray] | None:
        """The arrays saved under `name` for this key, or None when there are none (or none readable)."""
        path = self.path(name)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return {field: data[field] for field in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            return None

    def save(self, name: str, arrays: Mapping[str, np.ndarray]) -> Path:
        path = self.path(name)
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as fh:
            np.savez(fh, **cast(dict[str, Any], arrays))
        partial.replace(path)
        return path
