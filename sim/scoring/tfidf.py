"""A tiny word 1-2 gram TF-IDF, stored as plain arrays so the classifier artifact needs no pickle."""

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def terms(text: str) -> list[str]:
    """Lower-cased word unigrams and bigrams."""
    words = _TOKEN.findall(text.lower().replace("’", "'"))
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


@dataclass(frozen=True)
class Vocabulary:
    """Term -> column, and the inverse document frequency of each column."""

    terms: tuple[str, ...]
    idf: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.terms)})

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Rows of sublinear TF times IDF, L2-normalised; unknown terms are ignored."""
        index: dict[str, int] = self._index  # type: ignore[attr-defined]
        out = np.zeros((len(texts), len(self.terms)), dtype=np.float32)
        for row, text in enumerate(texts):
            for term, count in Counter(terms(text)).items():
                col = index.get(term)
                if col is not None:
                    out[row, col] = (1.0 + math.log(count)) * self.idf[col]
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
        return out


def fit_vocabulary(texts: Sequence[str], min_df: int = 2, max_terms: int = 3000) -> Vocabulary:
    """Keep the `max_terms` most frequent terms seen in at least `min_df` texts (ties by name)."""
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(terms(text)))
    kept = sorted((t for t, n in df.items() if n >= min_df), key=lambda t: (-df[t], t))[:max_terms]
    kept.sort()
    n = len(texts)
    idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in kept], dtype=np.float32)
    return Vocabulary(tuple(kept), idf)
