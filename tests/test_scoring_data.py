"""The hand-written c- lines only ever feed training; the test split stays as it was fixed and unleaked."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from evals.agreement import agreement
from evals.split import DATA, is_test, near_duplicates, split
from sim.scoring.dataset import Example, load_examples
from sim.scoring.embedder import load_embedder


def test_part_c_ids_never_go_to_test() -> None:
    ids = [f"c-{i:04d}" for i in range(1000)]
    assert not any(is_test(i) for i in ids)
    assert any(is_test(f"a-{i:04d}") for i in range(100))


def test_committed_split_matches_the_raw_files() -> None:
    train, test, _ = split(DATA / "raw")
    committed_train = load_examples(DATA / "train.jsonl")
    committed_test = load_examples(DATA / "test.jsonl")
    assert [e.id for e in test] == [e.id for e in committed_test]
    assert [e.id for e in train] == [e.id for e in committed_train]
    part_c = {e.id for e in load_examples(Path(DATA / "raw" / "part_c.jsonl"))}
    assert len(part_c) >= 50 and not part_c & {e.id for e in committed_test}
    assert len(part_c & {e.id for e in committed_train}) >= 50


def test_no_training_turn_paraphrases_a_test_turn_and_the_validation_set_repeats_neither() -> None:
    train = load_examples(DATA / "train.jsonl")
    test = load_examples(DATA / "test.jsonl")
    dev = load_examples(DATA / "dev.jsonl")
    embedder = load_embedder()
    assert near_duplicates(train, test, embedder) == []
    assert near_duplicates(train, dev, embedder) == []
    assert near_duplicates(dev, test, embedder) == []
    assert len(dev) >= 250 and not {e.id for e in dev} & {e.id for e in train + test}


class _Fixed:
    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.array([self.vectors[t] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_near_duplicates_reports_pairs_at_or_above_the_cosine() -> None:
    train = [Example(id="c-1", text="x", labels=[], anti=[]), Example(id="c-2", text="y", labels=[], anti=[])]
    test = [Example(id="a-1", text="z", labels=[], anti=[])]
    fixed = _Fixed({"x": [1.0, 0.0], "y": [0.0, 1.0], "z": [0.95, 0.05]})
    assert [(a, b) for a, b, _ in near_duplicates(train, test, fixed)] == [("c-1", "a-1")]
    assert near_duplicates(train, test, fixed, cosine=0.9999) == []


def test_agreement_scores_the_second_labeller_against_the_first() -> None:
    first = {"t1": {"acknowledge", "blame"}, "t2": {"apologize"}, "t3": set()}
    second = {"t1": {"acknowledge"}, "t2": {"apologize", "pressure"}}
    report = agreement(first, second)
    assert report["turns"] == 2
    assert report["f1"]["acknowledge"] == 1.0 and report["f1"]["apologize"] == 1.0
    assert report["anti_precision"] == 0.0 and report["anti_recall"] == 0.0


@pytest.mark.parametrize(
    ("name", "size"),
    [("second_labeller.jsonl", 200), ("relabel_m_q.jsonl", 1059), ("relabel_control.jsonl", 172)],
)
def test_every_second_labelling_is_of_training_turns_only(name: str, size: int) -> None:
    second = load_examples(DATA / name)
    train = {ex.id: ex.text for ex in load_examples(DATA / "train.jsonl")}
    assert len(second) == size
    assert all(train.get(ex.id) == ex.text for ex in second)
