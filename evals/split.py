"""Fixed train/test split of evals/data/raw/*.jsonl by a hash of each id (about 25% test).

Run as `python -m evals.split`. Ids starting with `c-` (raw part_c.jsonl to part_l.jsonl, written
after the test split was fixed) always go to train, so the test split never changes. Duplicated texts
(same words, case and spacing aside) are kept once, the first by id, so no sentence sits in both halves;
`near_duplicates` finds paraphrases too close to a test turn (tests/test_scoring_data.py keeps it empty).
"""

import hashlib
import re
import sys
from pathlib import Path

import numpy as np

from sim.scoring.dataset import DatasetError, Example, load_examples, write_examples
from sim.scoring.embedder import Embedder

DATA = Path(__file__).resolve().parent / "data"
TEST_PERCENT = 25
TRAIN_ONLY_PREFIX = "c-"
NEAR_DUPLICATE_COSINE = 0.9


def is_test(example_id: str) -> bool:
    """Stable across runs and machines: the first 8 bytes of sha256(id) modulo 100; `c-` ids never."""
    if example_id.startswith(TRAIN_ONLY_PREFIX):
        return False
    digest = hashlib.sha256(example_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 100 < TEST_PERCENT


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def split(raw_dir: Path = DATA / "raw") -> tuple[list[Example], list[Example], int]:
    """(train, test, number of duplicates dropped) from every raw JSONL file, sorted by id."""
    examples: dict[str, Example] = {}
    for path in sorted(raw_dir.glob("*.jsonl")):
        for ex in load_examples(path):
            if ex.id in examples:
                raise DatasetError(f"{path}: field id: {ex.id!r} also appears in another raw file")
            examples[ex.id] = ex
    seen: set[str] = set()
    kept: list[Example] = []
    for ex in sorted(examples.values(), key=lambda e: e.id):
        if _key(ex.text) in seen:
            continue
        seen.add(_key(ex.text))
        kept.append(ex)
    train = [ex for ex in kept if not is_test(ex.id)]
    test = [ex for ex in kept if is_test(ex.id)]
    return train, test, len(examples) - len(kept)


def near_duplicates(
    train: list[Example], test: list[Example], embedder: Embedder, cosine: float = NEAR_DUPLICATE_COSINE
) -> list[tuple[str, str, float]]:
    """(train id, test id, cosine) for every pair of turns whose sentence embeddings are that close."""
    a = embedder.encode([ex.text for ex in train])
    b = embedder.encode([ex.text for ex in test])
    sims = a @ b.T
    return [(train[i].id, test[j].id, round(float(sims[i, j]), 3)) for i, j in np.argwhere(sims >= cosine)]


def main() -> int:
    try:
        train, test, dropped = split()
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_examples(DATA / "train.jsonl", train)
    write_examples(DATA / "test.jsonl", test)
    print(f"train {len(train)}, test {len(test)}, duplicates dropped {dropped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
