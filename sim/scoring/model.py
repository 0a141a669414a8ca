"""The default scorer's classifier: one logistic regression per label over embedding, TF-IDF and cue features.

Stored as a compressed `.npz` of plain arrays (no pickle): weights, biases, per-label thresholds,
the TF-IDF vocabulary, the lexical cues trusted outright (chosen on the training data by their
precision) and a small JSON of training facts.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from sim.scoring.lexical import CUE_NAMES, cue_vector, find_cues
from sim.scoring.tfidf import Vocabulary
from sim.vocab import ANTI_PATTERNS, PRINCIPLES

LABELS: Final[tuple[str, ...]] = (*PRINCIPLES, *ANTI_PATTERNS)
MODEL_PATH: Final = Path(__file__).with_name("model") / "classifier.npz"


class ModelFileError(ValueError):
    """The classifier file is missing or does not match this code."""


def build_features(embeddings: np.ndarray, texts: Sequence[str], vocab: Vocabulary) -> np.ndarray:
    """One row per text: the sentence embedding, then TF-IDF, then one 0/1 column per lexical cue."""
    cues = np.array([cue_vector(find_cues(t)) for t in texts], dtype=np.float32).reshape(len(texts), -1)
    return np.hstack([embeddings.astype(np.float32), vocab.transform(texts), cues])


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Logistic function, clipped so large logits do not overflow."""
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))


def head_probabilities(
    embeddings: np.ndarray, weight: np.ndarray, bias: np.ndarray, scale: float
) -> np.ndarray:
    """The fine-tuning head's per-label probabilities (sigmoid(scale * embedding @ weight.T + bias))."""
    return sigmoid((embeddings * scale) @ weight.T + bias)


@dataclass(frozen=True)
class Head:
    """The fine-tuning head (labels x embedding dims), blended into the regression label by label.

    p = share * regression + (1 - share) * sigmoid(scale * embedding @ weight.T + bias); share 1 keeps
    the regression alone.
    """

    weight: np.ndarray
    bias: np.ndarray
    scale: float
    share: np.ndarray

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        return head_probabilities(embeddings, self.weight, self.bias, self.scale)


@dataclass(frozen=True)
class Classifier:
    """Weights (features x labels), biases and decision thresholds, one per label in LABELS."""

    vocab: Vocabulary
    weights: np.ndarray
    bias: np.ndarray
    thresholds: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    assertive: tuple[str, ...] = ()
    """Lexical cues precise enough on the training data that their anti-pattern is reported outright."""
    head: Head | None = None

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Rows of per-label probabilities for rows of features."""
        regression = sigmoid(features @ self.weights + self.bias)
        if self.head is None:
            return regression
        tuned = self.head.probabilities(features[:, : self.head.weight.shape[1]])
        return self.head.share * regression + (1.0 - self.head.share) * tuned

    def threshold(self, label: str) -> float:
        return float(self.thresholds[LABELS.index(label)])


def save_classifier(clf: Classifier, path: Path = MODEL_PATH) -> int:
    """Write the classifier; returns the file size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(
            fh,
            labels=np.array(LABELS),
            cues=np.array(CUE_NAMES),
            terms=np.array(clf.vocab.terms),
            idf=clf.vocab.idf.astype(np.float32),
            weights=clf.weights.astype(np.float16),
            bias=clf.bias.astype(np.float32),
            thresholds=clf.thresholds.astype(np.float32),
            meta=np.array(json.dumps(clf.meta, sort_keys=True)),
            assertive=np.array(clf.assertive, dtype=str),
            **_head_arrays(clf.head),
        )
    return path.stat().st_size


def _head_arrays(head: Head | None) -> dict[str, Any]:
    if head is None:
        return {}
    return {
        "head_weight": head.weight.astype(np.float32),
        "head_bias": head.bias.astype(np.float32),
        "head_scale": np.array(head.scale, dtype=np.float32),
        "head_share": head.share.astype(np.float32),
    }


def load_classifier(path: Path = MODEL_PATH) -> Classifier:
    """Read a classifier written by save_classifier; checks it matches this code's labels and cues."""
    if not path.is_file():
        raise ModelFileError(f"{path}: classifier not found; run `python -m evals train`")
    with np.load(path, allow_pickle=False) as data:
        if tuple(str(x) for x in data["labels"]) != LABELS:
            raise ModelFileError(f"{path}: field labels does not match sim.vocab; retrain")
        if tuple(str(x) for x in data["cues"]) != CUE_NAMES:
            raise ModelFileError(f"{path}: field cues does not match sim.scoring.lexical; retrain")
        vocab = Vocabulary(tuple(str(t) for t in data["terms"]), data["idf"].astype(np.float32))
        return Classifier(
            vocab,
            data["weights"].astype(np.float32),
            data["bias"].astype(np.float32),
            data["thresholds"].astype(np.float32),
            json.loads(str(data["meta"])),
            tuple(str(x) for x in data["assertive"]),
            _load_head(data) if "head_weight" in data.files else None,
        )


def _load_head(data: Any) -> Head:
    return Head(
        data["head_weight"].astype(np.float32),
        data["head_bias"].astype(np.float32),
        float(data["head_scale"]),
        data["head_share"].astype(np.float32),
    )
