"""Fine-tuning the top MiniLM layers and shipping them as a delta, on a tiny random BERT (no model files),
and the cross-fit file `python -m evals train` keeps to refit without tuning again."""

import itertools
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel

from evals.train import _load_cross_fit, _save_cross_fit
from sim.scoring.checkpoints import Checkpoints, run_key
from sim.scoring.dataset import DatasetError, Example
from sim.scoring.delta import DeltaError, apply_delta, fingerprint, load_delta, save_delta
from sim.scoring.finetune import (
    Frozen,
    TuneConfig,
    cross_fit,
    embed_states,
    epoch_batches,
    lr_factor,
    pool,
    positive_weights,
    tune,
    tune_final,
)
from sim.scoring.model import head_probabilities
from sim.scoring.training import TuningHead

TINY = TuneConfig(layers=1, epochs=15, lr=1e-3, head_lr=1e-2, batch=8, scale=5.0)


def tiny_bert() -> BertModel:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32
    )
    return BertModel(config).eval()


def separable(n: int = 48) -> tuple[Frozen, np.ndarray]:
    """Label 0 is on when the tokens' first feature is positive; label 1 never."""
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(n, 6, 16)).astype(np.float32)
    y = np.zeros((n, 2), dtype=np.float32)
    y[:, 0] = rng.random(n) > 0.5
    hidden[:, :, 0] += np.where(y[:, :1] > 0, 3.0, -3.0)
    mask = torch.ones((n, 6), dtype=torch.long)
    mask[::3, 4:] = 0
    return Frozen(torch.from_numpy(hidden), mask), y


def test_pool_ignores_masked_tokens_and_normalises() -> None:
    hidden = torch.tensor([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    np.testing.assert_allclose(pool(hidden, mask).numpy(), [[1.0, 0.0]], atol=1e-6)
    assert pool(hidden, torch.tensor([[1, 1, 1]])).norm().item() == pytest.approx(1.0)


def test_positive_weights_favour_rare_labels() -> None:
    y = np.array([[1, 0, 1], [0, 0, 1], [0, 0, 1], [0, 0, 0]])
    np.testing.assert_allclose(positive_weights(y), [np.sqrt(3.0), 1.0, np.sqrt(1 / 3)])


def test_lr_factor_warms_up_then_decays_to_zero() -> None:
    factors = [lr_factor(s, 100, 0.1) for s in range(100)]
    assert factors[0] == pytest.approx(0.1)
    assert max(factors) == pytest.approx(factors[9]) and factors[9] > 0.9
    assert all(a >= b for a, b in itertools.pairwise(factors[9:]))
    assert factors[-1] == pytest.approx(0.01)


def test_tuning_learns_a_label_reproducibly() -> None:
    bert = tiny_bert()
    states, y = separable()
    model = tune(bert, states, y, TINY, seed=0)
    again = tune(bert, states, y, TINY, seed=0)
    for name, value in model.layer_state().items():
        np.testing.assert_array_equal(value, again.layer_state()[name])
    assert set(model.layer_state()) <= set(bert.state_dict())
    with torch.inference_mode():
        probs = torch.sigmoid(model(states.hidden, states.mask)).numpy()
    assert ((probs[:, 0] >= 0.5) == (y[:, 0] > 0)).mean() > 0.9
    assert probs[:, 1].max() < 0.5
    embeddings = embed_states(model, states)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)


def test_cross_fit_embeds_every_text_once() -> None:
    bert = tiny_bert()
    states, y = separable(30)
    out = cross_fit(bert, states, y, replace(TINY, epochs=2), seed=0, folds=3).embeddings
    assert out.shape == (30, 16)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_cross_fit_head_probabilities_are_held_out_predictions() -> None:
    bert = tiny_bert()
    states, y = separable(45)
    crossed = cross_fit(bert, states, y, TINY, seed=0, folds=3)
    assert crossed.head_probabilities.shape == y.shape
    assert ((crossed.head_probabilities[:, 0] >= 0.5) == (y[:, 0] > 0)).mean() > 0.8
    assert crossed.head_probabilities[:, 1].mean() < 0.5
    again = cross_fit(bert, states, y, TINY, seed=0, folds=3)
    np.testing.assert_array_equal(crossed.embeddings, again.embeddings)
    np.testing.assert_array_equal(crossed.head_probabilities, again.head_probabilities)


def test_delta_round_trips_and_overwrites_only_the_tuned_layers(tmp_path: Path) -> None:
    bert = tiny_bert()
    states, y = separable()
    model = tune(bert, states, y, replace(TINY, epochs=3), seed=0)
    path = tmp_path / "delta.npz"
    saved = save_delta(model.layer_state(), path)
    loaded = load_delta(path)
    assert loaded.fingerprint == saved.fingerprint == fingerprint(model.layer_state())
    target = tiny_bert()
    before = {k: v.clone() for k, v in target.state_dict().items()}
    apply_delta(target, loaded)
    after = target.state_dict()
    changed = {k for k in after if not torch.equal(after[k], before[k])}
    assert changed and all(k.startswith("encoder.layer.1.") for k in changed)
    with torch.inference_mode():
        tuned = model.layers[0](states.hidden[:4], attention_mask=None)
        shipped = target.encoder.layer[1](states.hidden[:4], attention_mask=None)
    tuned = tuned[0] if isinstance(tuned, tuple) else tuned
    shipped = shipped[0] if isinstance(shipped, tuple) else shipped
    np.testing.assert_allclose(shipped.numpy(), tuned.numpy(), atol=1e-5)


def test_delta_that_does_not_fit_the_model_is_refused(tmp_path: Path) -> None:
    bert = tiny_bert()
    wrong_shape = save_delta({"encoder.layer.1.output.dense.bias": np.zeros(3)}, tmp_path / "a.npz")
    with pytest.raises(DeltaError, match="shape"):
        apply_delta(bert, wrong_shape)
    unknown = save_delta({"encoder.layer.9.output.dense.bias": np.zeros(16)}, tmp_path / "b.npz")
    with pytest.raises(DeltaError, match="not in the base model"):
        apply_delta(bert, unknown)
    (tmp_path / "c.npz").write_bytes(b"not a delta")
    with pytest.raises(DeltaError):
        load_delta(tmp_path / "c.npz")


def test_scorer_refuses_a_classifier_trained_on_another_delta(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from sim.config import Settings
    from sim.scoring import embedder, load_scorer, model

    monkeypatch.setattr(model, "load_classifier", lambda: SimpleNamespace(meta={"encoder_delta": "abc"}))
    monkeypatch.setattr(embedder, "load_scoring_embedder", lambda: SimpleNamespace(delta_id=None))
    settings = Settings(_env_file=None, scorer="embed")  # type: ignore[call-arg]
    with pytest.raises(model.ModelFileError, match="python -m evals train"):
        load_scorer(settings)
    monkeypatch.setattr(embedder, "load_scoring_embedder", lambda: SimpleNamespace(delta_id="abc"))
    assert load_scorer(settings).embedder.delta_id == "abc"  # type: ignore[attr-defined]


class _Counting:
    """An embedder that records what it was asked to encode."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.asked += texts
        return np.full((len(texts), 4), 0.5, dtype=np.float32)


def _turn(i: str) -> Example:
    return Example(id=i, text=f"turn {i}", labels=[], anti=[])


def test_turns_added_after_the_tuning_are_embedded_by_the_tuned_layers(tmp_path: Path) -> None:
    path = tmp_path / "cf.npz"
    rng = np.random.default_rng(0)
    tuned = TuningHead(rng.random((2, 3)), rng.random((3, 4)), rng.random(3), 2.0)
    saved = rng.random((2, 4)).astype(np.float32)
    _save_cross_fit(path, [_turn("a"), _turn("b")], saved, tuned)
    embedder = _Counting()
    embeddings, head, added = _load_cross_fit(path, [_turn("a"), _turn("n"), _turn("b")], embedder)
    assert added == 1 and embedder.asked == ["turn n"]
    assert np.allclose(embeddings[[0, 2]], saved) and np.allclose(embeddings[1], 0.5)
    assert np.allclose(head.held_out[[0, 2]], tuned.held_out)
    assert np.allclose(head.held_out[1], head_probabilities(embeddings[1:2], tuned.weight, tuned.bias, 2.0))


def test_a_tuned_turn_missing_from_the_data_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cf.npz"
    tuned = TuningHead(np.zeros((2, 3)), np.zeros((3, 4)), np.zeros(3), 1.0)
    _save_cross_fit(path, [_turn("a"), _turn("b")], np.zeros((2, 4), dtype=np.float32), tuned)
    with pytest.raises(DatasetError, match=r"cf\.npz: field ids: 1 tuned turns"):
        _load_cross_fit(path, [_turn("a")], _Counting())


def test_length_buckets_cover_every_turn_once_and_pad_less_than_random_batches() -> None:
    lengths = torch.tensor([3, 40, 5, 38, 4, 41, 6, 39] * 25)
    bucketed = epoch_batches(lengths, 8, 5, torch.Generator().manual_seed(0))
    plain = epoch_batches(lengths, 8, 0, torch.Generator().manual_seed(0))
    for batches in (bucketed, plain):
        assert sorted(torch.cat(batches).tolist()) == list(range(200))
        assert len(batches) == 25

    def padded(batches: list[torch.Tensor]) -> int:
        return sum(len(b) * int(lengths[b].max()) for b in batches)

    assert padded(bucketed) < 0.7 * padded(plain)
    again = epoch_batches(lengths, 8, 5, torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(bucketed, again, strict=True))


def test_unit_turn_weights_tune_the_same_model_as_no_weights() -> None:
    bert = tiny_bert()
    states, y = separable(24)
    config = replace(TINY, epochs=3)
    plain = tune(bert, states, y, config, seed=0)
    weighted = tune(bert, states, y, config, seed=0, weights=np.ones(len(y)))
    for name, value in plain.layer_state().items():
        np.testing.assert_allclose(value, weighted.layer_state()[name], atol=2e-3)


def test_a_heavier_turn_pulls_the_tuning_towards_its_labels() -> None:
    # the same states twice with opposite labels: the heavier copy decides what the head learns
    bert = tiny_bert()
    states, _ = separable(16)
    twice = Frozen(torch.cat([states.hidden, states.hidden]), torch.cat([states.mask, states.mask]))
    y = np.zeros((32, 2), dtype=np.float32)
    y[:16, 0] = 1.0
    config = replace(TINY, epochs=20)

    def mean_probability(weights: np.ndarray) -> float:
        model = tune(bert, twice, y, config, seed=0, weights=weights)
        with torch.inference_mode():
            return float(torch.sigmoid(model(states.hidden, states.mask))[:, 0].mean())

    on_heavy = mean_probability(np.r_[np.full(16, 8.0), np.ones(16)])
    off_heavy = mean_probability(np.r_[np.ones(16), np.full(16, 8.0)])
    assert on_heavy > 0.7 and off_heavy < 0.3


def test_cross_fit_passes_each_fold_its_own_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.scoring.finetune as finetune

    seen: list[np.ndarray | None] = []
    real = finetune.tune

    def spy(bert, states, y, config, seed, weights=None, progress=None):  # type: ignore[no-untyped-def]
        seen.append(weights)
        return real(bert, states, y, config, seed, weights, progress)

    monkeypatch.setattr(finetune, "tune", spy)
    states, y = separable(12)
    weights = np.arange(12, dtype=np.float64)
    cross_fit(tiny_bert(), states, y, replace(TINY, epochs=1), seed=0, folds=3, weights=weights)
    assert len(seen) == 3 and all(w is not None and len(w) == 8 for w in seen)
    assert sorted(np.concatenate([np.setdiff1d(weights, w) for w in seen if w is not None])) == list(weights)


def test_tuning_reports_each_fold_and_epoch_as_it_finishes() -> None:
    states, y = separable(12)
    heard: list[str] = []
    cross_fit(tiny_bert(), states, y, replace(TINY, epochs=2), seed=0, folds=3, progress=heard.append)
    assert heard == [f"fold {f}/3 epoch {e}/2" for f in (1, 2, 3) for e in (1, 2)]
    quiet = tune(tiny_bert(), states, y, replace(TINY, epochs=2), seed=0)
    told = tune(tiny_bert(), states, y, replace(TINY, epochs=2), seed=0, progress=heard.append)
    assert heard[-2:] == ["epoch 1/2", "epoch 2/2"]
    np.testing.assert_array_equal(embed_states(quiet, states), embed_states(told, states))


def _counting_tune(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    import sim.scoring.finetune as finetune

    calls: list[int] = []
    real = finetune.tune

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(finetune, "tune", counted)
    return calls


def test_a_stopped_cross_fit_resumes_from_its_checkpoints_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    states, y = separable(12)
    config = replace(TINY, epochs=2)
    plain = cross_fit(tiny_bert(), states, y, config, seed=0, folds=3)
    calls = _counting_tune(monkeypatch)
    store = Checkpoints(tmp_path, run_key(["t"] * 12, y, None, {"folds": 3}))
    first = cross_fit(tiny_bert(), states, y, config, seed=0, folds=3, checkpoints=store)
    assert len(calls) == 3 and len(list(tmp_path.glob("*.npz"))) == 3
    store.path("fold-2-of-3").unlink()
    heard: list[str] = []
    again = cross_fit(
        tiny_bert(), states, y, config, seed=0, folds=3, progress=heard.append, checkpoints=store
    )
    assert len(calls) == 4
    assert "fold 1/3 read back from its checkpoint" in heard and "fold 2/3 epoch 2/2" in heard
    for out in (first, again):
        np.testing.assert_array_equal(out.embeddings, plain.embeddings)
        np.testing.assert_array_equal(out.head_probabilities, plain.head_probabilities)


def test_the_final_model_is_read_back_whole_and_other_inputs_do_not_reuse_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    states, y = separable(12)
    config = replace(TINY, epochs=2)
    calls = _counting_tune(monkeypatch)
    store = Checkpoints(tmp_path, run_key(["t"] * 12, y, None, {"folds": 3}))
    heard: list[str] = []
    made = tune_final(tiny_bert(), states, y, config, seed=0, progress=heard.append, checkpoints=store)
    read = tune_final(tiny_bert(), states, y, config, seed=0, progress=heard.append, checkpoints=store)
    assert len(calls) == 1
    assert heard == ["final epoch 1/2", "final epoch 2/2", "final model read back from its checkpoint"]
    assert made.layers.keys() == read.layers.keys() and made.scale == read.scale
    for name, value in made.layers.items():
        np.testing.assert_array_equal(read.layers[name], value)
    np.testing.assert_array_equal(read.weight, made.weight)
    other = Checkpoints(tmp_path, run_key(["t"] * 12, y, np.full(12, 4.0), {"folds": 3}))
    tune_final(tiny_bert(), states, y, config, seed=0, checkpoints=other)
    assert len(calls) == 2


def test_a_checkpoint_written_halfway_or_unreadable_counts_as_not_done(tmp_path: Path) -> None:
    store = Checkpoints(tmp_path, "k")
    store.save("fold-1-of-5", {"embeddings": np.ones((2, 3), dtype=np.float32)})
    store.path("fold-1-of-5").write_bytes(b"PK\x03\x04 cut off")
    assert store.load("fold-1-of-5") is None
    store.path("fold-2-of-5").with_name(store.path("fold-2-of-5").name + ".partial").write_bytes(b"x")
    assert store.load("fold-2-of-5") is None


def test_the_run_key_changes_with_every_input() -> None:
    y = np.zeros((2, 3), dtype=np.float32)
    base = run_key(["a", "b"], y, None, {"seed": 0})
    assert base == run_key(["a", "b"], y.copy(), None, {"seed": 0})
    changed = [
        run_key(["a", "c"], y, None, {"seed": 0}),
        run_key(["a", "b"], y + np.eye(2, 3, dtype=np.float32), None, {"seed": 0}),
        run_key(["a", "b"], y, np.ones(2), {"seed": 0}),
        run_key(["a", "b"], y, None, {"seed": 1}),
    ]
    assert base not in changed and len(set(changed)) == len(changed)
