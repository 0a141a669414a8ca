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


def test_operating_point_takes_the_most_precise_scale_when_nothing_reaches_the_floor() -> None:
    point = training.anti_operating_point(lambda s: (0.5 + s / 10, 1.0 - s / 2), floor=0.82)
    assert point.scale == max(training.ANTI_SCALES) and point.precision == pytest.approx(0.63)


def test_operating_point_can_raise_the_thresholds_above_the_f1_ones() -> None:
    curve = {s: (0.70 + (s - 0.5) * 0.2, 0.95 - (s - 0.5) * 0.1) for s in training.ANTI_SCALES}
    point = training.anti_operating_point(curve.__getitem__, floor=0.82)
    assert point.scale == 1.1 and point.precision >= 0.82


def test_turn_weights_weigh_the_focus_writers_turns() -> None:
    examples = [Example(id=i, text="t") for i in ("a-0001", "b-0300", "c-aa001", "v-001", "ab-1")]
    weights = training.turn_weights(examples, focus=("a", "b"), weight=4.0)
    assert weights.tolist() == [4.0, 4.0, 1.0, 1.0, 1.0]
    assert training.writer("c-aa001") == "c"


def test_sample_weights_act_like_repeated_turns() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 3))
    y = np.zeros((40, 1), dtype=np.int8)
    y[:, 0] = x[:, 0] + rng.normal(0, 1.0, 40) > 0
    weights = np.where(np.arange(40) < 10, 3.0, 1.0)
    repeated = np.r_[np.repeat(np.arange(10), 3), np.arange(10, 40)]
    w1, b1 = training._fit_weights(x, y, [1.0], 0, weights)
    w2, b2 = training._fit_weights(x[repeated], y[repeated], [1.0], 0)
    np.testing.assert_allclose(w1, w2, atol=1e-3)
    np.testing.assert_allclose(b1, b2, atol=1e-3)
    w3, _ = training._fit_weights(x, y, [1.0], 0)
    assert np.abs(w1 - w3).max() > 1e-2


def test_held_out_anti_pools_the_anti_patterns_as_the_scorer_reports_them() -> None:
    thresholds = np.full(len(LABELS), 0.5)
    y = np.zeros((4, len(LABELS)), dtype=np.int8)
    probs = np.zeros((4, len(LABELS)))
    blame, excuse, inj = (LABELS.index(a) for a in ("blame", "excuse", "injection"))
    y[0, blame] = y[1, excuse] = y[3, inj] = 1
    probs[0, blame] = 0.9  # found
    probs[1, excuse] = 0.4  # found only when the thresholds come down to 0.4
    probs[2, blame] = 0.6  # a false alarm unless the thresholds go up
    probs[3, inj] = 0.3  # injection is reported from half its threshold, whatever the scale
    assert training.held_out_anti(y, probs, thresholds, 1.0) == pytest.approx((2 / 3, 2 / 3))
    assert training.held_out_anti(y, probs, thresholds, 0.8) == pytest.approx((3 / 4, 3 / 3))
    assert training.held_out_anti(y, probs, thresholds, 1.25) == pytest.approx((2 / 2, 2 / 3))


def test_held_out_probabilities_are_the_blend_the_classifier_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training, "C_GRID", (1.0,))
    rng = np.random.default_rng(3)
    embeddings = rng.normal(size=(50, 8)).astype(np.float32)
    examples = [
        Example(id=f"a-{i}", text=f"turn {i}", anti=["blame"] if embeddings[i, 2] > 0 else [])
        for i in range(50)
    ]
    head = training.TuningHead(
        held_out=np.full((50, len(LABELS)), 0.25),
        weight=np.zeros((len(LABELS), 8), dtype=np.float32),
        bias=np.zeros(len(LABELS), dtype=np.float32),
        scale=10.0,
    )
    plain = training.train(examples, embeddings, seed=0)
    fit = training.train(examples, embeddings, seed=0, head=head)
    assert fit.held_out.shape == (50, len(LABELS))
    assert fit.classifier.head is not None
    share = fit.classifier.head.share
    np.testing.assert_allclose(fit.held_out, share * plain.held_out + (1 - share) * 0.25, atol=1e-6)


def test_operating_point_ties_keep_the_larger_scale() -> None:
    assert training.anti_operating_point(lambda s: (0.9, 0.8), floor=0.82).scale == max(training.ANTI_SCALES)


def _tiny_classifier() -> Classifier:
    vocab = Vocabulary(("a",), np.ones(1, dtype=np.float32))
    thresholds = np.linspace(0.2, 0.8, len(LABELS)).astype(np.float32)
    return Classifier(vocab, np.zeros((3, len(LABELS))), np.zeros(len(LABELS)), thresholds)
