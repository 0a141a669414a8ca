import numpy as np
import pytest

from sim.scoring import training
from sim.scoring.dataset import Example
from sim.scoring.model import LABELS, Classifier, build_features
from sim.scoring.tfidf import Vocabulary
from sim.vocab import ANTI_PATTERNS


def test_training_learns_a_separable_label_and_is_reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training, "C_GRID", (1.0, 4.0))
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(60, 8)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    examples = [
        Example(id=str(i), text=f"turn {i}", labels=["apologize"] if embeddings[i, 0] > 0 else [])
        for i in range(60)
    ]
    fit = training.train(examples, embeddings, seed=0)
    again = training.train(examples, embeddings, seed=0)
    np.testing.assert_array_equal(fit.classifier.weights, again.classifier.weights)
    clf = fit.classifier
    assert 0 < clf.threshold("apologize") < 1
    assert fit.cv_f1["apologize"] > 0.8
    probs = clf.probabilities(build_features(embeddings, [e.text for e in examples], clf.vocab))
    predicted = probs[:, LABELS.index("apologize")] >= clf.threshold("apologize")
    assert (predicted == (embeddings[:, 0] > 0)).mean() > 0.9
    assert probs[:, LABELS.index("blame")].max() < 0.01


def test_best_share_takes_the_informative_source_and_ties_keep_the_regression() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(200) > 0.5).astype(np.int8)
    informative = np.where(y == 1, 0.8, 0.2) + rng.normal(0, 0.05, 200)
    noise = rng.random(200)
    assert training.best_share(y, noise, informative)[0] < 0.5
    assert training.best_share(y, informative, noise)[0] > 0.5
    share, _, score = training.best_share(y, informative, informative)
    assert share == 1.0 and score == 1.0


def test_training_blends_in_the_tuning_head_where_it_is_better(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(training, "C_GRID", (1.0,))
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(60, 8)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    on = embeddings[:, 1] > 0
    examples = [Example(id=str(i), text=f"turn {i}", labels=["listen"] if on[i] else []) for i in range(60)]
    weight = np.zeros((len(LABELS), 8), dtype=np.float32)
    weight[LABELS.index("listen"), 1] = 1.0
    head = training.TuningHead(
        held_out=np.outer(np.where(on, 0.9, 0.1), np.arange(len(LABELS)) == LABELS.index("listen")),
        weight=weight,
        bias=np.zeros(len(LABELS), dtype=np.float32),
        scale=10.0,
    )
    fit = training.train(examples, np.zeros_like(embeddings), seed=0, head=head)
    clf = fit.classifier
    assert clf.head is not None
    assert clf.head.share[LABELS.index("listen")] < 1.0
    assert fit.cv_f1["listen"] == 1.0
    probs = clf.probabilities(build_features(embeddings, [e.text for e in examples], clf.vocab))
    predicted = probs[:, LABELS.index("listen")] >= clf.threshold("listen")
    assert (predicted == on).all()


def test_anti_scale_lowers_every_anti_threshold_but_injections() -> None:
    clf = _tiny_classifier()
    scaled = training.with_anti_scale(clf, 0.5)
    for label in LABELS:
        expected = clf.threshold(label) * (0.5 if label in ANTI_PATTERNS and label != "injection" else 1)
        assert scaled.threshold(label) == pytest.approx(expected)
    assert training.with_anti_scale(clf, 1.0).thresholds.tolist() == clf.thresholds.tolist()


def test_operating_point_takes_the_best_recall_that_keeps_precision_at_the_floor() -> None:
    # precision falls and recall rises as the thresholds come down
    curve = {s: (0.9 - (1 - s) * 0.4, 0.7 + (1 - s) * 0.4) for s in training.ANTI_SCALES}
    point = training.anti_operating_point(curve.__getitem__, floor=0.82)
    assert point.scale == 0.8 and point.precision >= 0.82
    assert point.recall == pytest.approx(0.78)


def test_operating_point_keeps_the_f1_thresholds_when_nothing_reaches_the_floor() -> None:
    point = training.anti_operating_point(lambda s: (0.5, 1.0 - s), floor=0.82)
    assert point == training.OperatingPoint(1.0, 0.5, 0.0)


def test_operating_point_ties_keep_the_larger_scale() -> None:
    assert training.anti_operating_point(lambda s: (0.9, 0.8), floor=0.82).scale == 1.0


def _tiny_classifier() -> Classifier:
    vocab = Vocabulary(("a",), np.ones(1, dtype=np.float32))
    thresholds = np.linspace(0.2, 0.8, len(LABELS)).astype(np.float32)
    return Classifier(vocab, np.zeros((3, len(LABELS))), np.zeros(len(LABELS)), thresholds)
