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
