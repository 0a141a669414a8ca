"""Fit the default scorer's classifier: per-label logistic regression, C and thresholds by cross-validation.

Everything in the fit is chosen on the training data only: 5-fold out-of-fold probabilities pick, for
each label, the regularisation strength and the decision threshold with the best F1. The training turns
of the test split's writers (`FOCUS_WRITERS`) weigh more, since their labelling is the one measured.
One thing is chosen afterwards: the anti-pattern operating point (`anti_operating_point`), because the
issue asks more of their recall than F1 thresholds give. It is chosen on the held-out probabilities
of the focus writers' training turns (`held_out_anti`), never on the test split.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from sim.scoring.dataset import Example
from sim.scoring.lexical import CUES, find_cues
from sim.scoring.metrics import label_stats, micro
from sim.scoring.model import LABELS, Classifier, Head, build_features, sigmoid
from sim.scoring.tfidf import Vocabulary, fit_vocabulary
from sim.scoring.verdict import anti_reported
from sim.vocab import ANTI_PATTERNS

C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0)
THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.01), 2)
FOLDS = 5
SHARE_GRID = (1.0, 0.75, 0.5, 0.25, 0.0)
ASSERTIVE_MIN_HITS = 3
ASSERTIVE_MIN_PRECISION = 0.8
FOCUS_WRITERS = ("a", "b")
"""The writers of the test split (`evals/data/README`): their training turns are the target population."""
FOCUS_WEIGHT = 4.0
"""Weight of a focus writer's training turn in the tuning loss and the regressions (others weigh 1)."""
ANTI_SCALES = (1.3, 1.25, 1.2, 1.15, 1.1, 1.05, 1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5)
ANTI_PRECISION_FLOOR = 0.82
"""The target is 0.80; the margin allows for a validation set of a few hundred turns."""


@dataclass(frozen=True)
class Fit:
    """The trained classifier and what cross-validation said about it."""

    classifier: Classifier
    cv_macro_f1: float
    cv_f1: dict[str, float]
    held_out: np.ndarray
    """Each training turn's probabilities (turns x LABELS) from a fit without its fold, as the
    classifier blends them: what the operating point is chosen on."""


@dataclass(frozen=True)
class OperatingPoint:
    """A scale of the anti-pattern thresholds and the micro precision and recall it gave on validation."""

    scale: float
    precision: float
    recall: float


@dataclass(frozen=True)
class TuningHead:
    """The fine-tuning head: its held-out probabilities on the training turns and its final weights."""

    held_out: np.ndarray
    weight: np.ndarray
    bias: np.ndarray
    scale: float


def writer(example_id: str) -> str:
    """The writer of a turn: its id's prefix ("a-0002" -> "a")."""
    return example_id.split("-", 1)[0]


def turn_weights(
    examples: Sequence[Example], focus: Sequence[str] = FOCUS_WRITERS, weight: float = FOCUS_WEIGHT
) -> np.ndarray:
    """One weight per turn: `weight` for a turn by a `focus` writer, 1 for the others."""
    return np.array([weight if writer(ex.id) in focus else 1.0 for ex in examples], dtype=np.float64)


def targets(examples: Sequence[Example]) -> np.ndarray:
    """0/1 matrix (examples x LABELS)."""
    y = np.zeros((len(examples), len(LABELS)), dtype=np.int8)
    for row, ex in enumerate(examples):
        for label in (*ex.labels, *ex.anti):
            y[row, LABELS.index(label)] = 1
    return y


def f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = int(np.sum((y == 1) & (pred == 1)))
    fp = int(np.sum((y == 0) & (pred == 1)))
    fn = int(np.sum((y == 1) & (pred == 0)))
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def _fit_weights(
    x: np.ndarray, y: np.ndarray, cs: Sequence[float], seed: int, sample_weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    weights = np.zeros((x.shape[1], y.shape[1]), dtype=np.float64)
    bias = np.full(y.shape[1], -10.0)
    for j in range(y.shape[1]):
        if y[:, j].min() == y[:, j].max():
            bias[j] = 10.0 if y[0, j] else -10.0
            continue
        model = LogisticRegression(C=cs[j], class_weight="balanced", max_iter=2000, random_state=seed)
        model.fit(x, y[:, j], sample_weight=sample_weight)
        weights[:, j], bias[j] = model.coef_[0], model.intercept_[0]
    return weights, bias


def _out_of_fold(
    texts: list[str], emb: np.ndarray, y: np.ndarray, c: float, seed: int, sample_weight: np.ndarray | None
) -> np.ndarray:
    oof = np.zeros(y.shape, dtype=np.float64)
    for train_idx, val_idx in KFold(FOLDS, shuffle=True, random_state=seed).split(texts):
        vocab = fit_vocabulary([texts[i] for i in train_idx])
        x_train = build_features(emb[train_idx], [texts[i] for i in train_idx], vocab)
        x_val = build_features(emb[val_idx], [texts[i] for i in val_idx], vocab)
        fold_weight = None if sample_weight is None else sample_weight[train_idx]
        w, b = _fit_weights(x_train, y[train_idx], [c] * y.shape[1], seed, fold_weight)
        oof[val_idx] = sigmoid(x_val @ w + b)
    return oof


def best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The threshold with the best F1; ties go to the one closest to 0.5."""
    scored = [(f1(y, (p >= t).astype(np.int8)), -abs(t - 0.5), float(t)) for t in THRESHOLD_GRID]
    return max(scored)[2]


def best_share(y: np.ndarray, regression: np.ndarray, head: np.ndarray) -> tuple[float, float, float]:
    """(share, threshold, F1) of the blend share * regression + (1 - share) * head with the best F1;
    ties keep the larger share of the regression."""
    scored = []
    for rank, share in enumerate(SHARE_GRID):
        blended = share * regression + (1 - share) * head
        threshold = best_threshold(y, blended)
        scored.append((f1(y, (blended >= threshold).astype(np.int8)), -rank, share, threshold))
    best = max(scored)
    return best[2], best[3], best[0]


def assertive_cues(examples: Sequence[Example]) -> tuple[str, ...]:
    """Cues that fire on at least 3 training turns and carry their anti-pattern label on 80% of them."""
    fired: dict[str, list[bool]] = {c.name: [] for c in CUES if c.anti is not None}
    anti_of = {c.name: c.anti for c in CUES}
    for ex in examples:
        for name in {h.cue for h in find_cues(ex.text)} & set(fired):
            fired[name].append(anti_of[name] in ex.anti)
    return tuple(
        name
        for name, hits in fired.items()
        if len(hits) >= ASSERTIVE_MIN_HITS and sum(hits) / len(hits) >= ASSERTIVE_MIN_PRECISION
    )


def train(
    examples: Sequence[Example],
    embeddings: np.ndarray,
    seed: int = 0,
    meta: Mapping[str, Any] | None = None,
    head: TuningHead | None = None,
    weights: np.ndarray | None = None,
) -> Fit:
    """Choose each label's C and threshold by cross-validation on `examples`, then fit on all of them.

    With the fine-tuning `head`, each label's share of it in the blend is chosen the same way, from
    its held-out probabilities. `meta` adds facts to the classifier's record (which embeddings it was
    trained on). `weights` (one per turn) weigh the turns in the regressions (`turn_weights`).
    """
    texts = [ex.text for ex in examples]
    y = targets(examples)
    n = len(LABELS)
    per_c: list[tuple[np.ndarray, list[float]]] = []
    for c in C_GRID:
        oof = _out_of_fold(texts, embeddings, y, c, seed, weights)
        per_c.append((oof, [best_threshold(y[:, j], oof[:, j]) for j in range(n)]))
    scores = np.array(
        [[f1(y[:, j], (oof[:, j] >= th[j]).astype(np.int8)) for j in range(n)] for oof, th in per_c]
    )
    choice = [int(np.argmax(scores[:, j])) for j in range(n)]
    cs = [C_GRID[k] for k in choice]
    thresholds = np.array([per_c[k][1][j] for j, k in enumerate(choice)], dtype=np.float32)
    f1s = [float(scores[choice[j], j]) for j in range(n)]
    blend: Head | None = None
    shares = np.ones(n, dtype=np.float32)
    held_out = np.stack([per_c[k][0][:, j] for j, k in enumerate(choice)], axis=1)
    if head is not None:
        for j, k in enumerate(choice):
            shares[j], thresholds[j], f1s[j] = best_share(y[:, j], per_c[k][0][:, j], head.held_out[:, j])
        blend = Head(head.weight, head.bias, head.scale, shares)
        held_out = shares * held_out + (1 - shares) * head.held_out
    cv_f1 = {label: round(f1s[j], 4) for j, label in enumerate(LABELS)}
    macro = round(float(np.mean([cv_f1[p] for p in LABELS[:10]])), 4)
    vocab: Vocabulary = fit_vocabulary(texts)
    coef, bias = _fit_weights(build_features(embeddings, texts, vocab), y, cs, seed, weights)
    meta = {
        "C": dict(zip(LABELS, cs, strict=True)),
        "regression_share": dict(zip(LABELS, [float(x) for x in shares], strict=True)),
        "seed": seed,
        "folds": FOLDS,
        "train_examples": len(examples),
        "weighted_turns": 0 if weights is None else int(np.sum(weights != 1.0)),
        "cv_macro_f1_principles": macro,
        "embedding": "all-MiniLM-L6-v2",
        **(meta or {}),
    }
    assertive = assertive_cues(examples)
    return Fit(Classifier(vocab, coef, bias, thresholds, meta, assertive, blend), macro, cv_f1, held_out)


def with_anti_scale(classifier: Classifier, scale: float) -> Classifier:
    """The classifier with every anti-pattern threshold except injection's multiplied by `scale`.

    Injection keeps its own threshold: it is already reported from half of it (`verdict.anti_reported`).
    """
    return replace(
        classifier, thresholds=scaled_anti_thresholds(classifier.thresholds, scale).astype(np.float32)
    )


def scaled_anti_thresholds(thresholds: np.ndarray, scale: float) -> np.ndarray:
    """A float64 copy of `thresholds` (one per LABELS), every anti-pattern's but injection's times `scale`."""
    scaled = thresholds.astype(np.float64)
    for anti in ANTI_PATTERNS:
        if anti != "injection":
            scaled[LABELS.index(anti)] *= scale
    return scaled


def anti_operating_point(
    measure: Callable[[float], tuple[float, float]], floor: float = ANTI_PRECISION_FLOOR
) -> OperatingPoint:
    """The scale in ANTI_SCALES with the best recall whose precision is at least `floor`.

    `measure(scale)` gives the anti-pattern (precision, recall) on validation turns at that scale. Ties
    keep the larger scale; if no scale reaches the floor, the scale with the best precision.
    """
    points = [OperatingPoint(scale, *measure(scale)) for scale in ANTI_SCALES]
    good = [p for p in points if p.precision >= floor]
    if not good:
        return max(points, key=lambda p: (p.precision, p.scale))
    return max(good, key=lambda p: (p.recall, p.scale))


def held_out_anti(
    y: np.ndarray, probs: np.ndarray, thresholds: np.ndarray, scale: float
) -> tuple[float, float]:
    """Pooled anti-pattern (precision, recall) of held-out probabilities (turns x LABELS) against `y`,
    with the anti-pattern thresholds scaled as `with_anti_scale` does and reported as the scorer
    reports them (`anti_reported`; lexical cues aside)."""
    scaled = scaled_anti_thresholds(thresholds, scale)
    columns = [(anti, LABELS.index(anti)) for anti in ANTI_PATTERNS]
    gold: list[set[str]] = [{a for a, j in columns if row[j] == 1} for row in y]
    found: list[set[str]] = [
        {a for a, j in columns if anti_reported(a, float(row[j]), float(scaled[j]))} for row in probs
    ]
    pooled = micro(label_stats(ANTI_PATTERNS, gold, found))
    return pooled.precision, pooled.recall
