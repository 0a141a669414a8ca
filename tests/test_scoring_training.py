import numpy as np
import pytest

from sim.scoring import training
from sim.scoring.dataset import Example
from sim.scoring.model import LABELS, build_features


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
