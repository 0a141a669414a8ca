"""The hand-written part_c lines only ever feed training; the test split stays as it was fixed."""

from pathlib import Path

from evals.split import DATA, is_test, split
from sim.scoring.dataset import load_examples


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
