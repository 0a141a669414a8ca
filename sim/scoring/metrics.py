"""Precision, recall and F1 of predicted labels against gold labels, plus the confusions between them."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LabelStats:
    """Counts and scores for one label."""

    label: str
    support: int
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def label_stats(
    labels: Sequence[str], gold: Sequence[set[str]], pred: Sequence[set[str]]
) -> list[LabelStats]:
    """One LabelStats per label, over aligned sequences of gold and predicted label sets."""
    out = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if label in g and label in p)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if label not in g and label in p)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if label in g and label not in p)
        out.append(LabelStats(label, tp + fn, tp, fp, fn))
    return out


def micro(stats: Sequence[LabelStats], label: str = "micro") -> LabelStats:
    """All labels' counts pooled."""
    return LabelStats(
        label,
        sum(s.support for s in stats),
        sum(s.tp for s in stats),
        sum(s.fp for s in stats),
        sum(s.fn for s in stats),
    )


def macro_f1(stats: Sequence[LabelStats]) -> float:
    return sum(s.f1 for s in stats) / len(stats) if stats else 0.0


def confused_pairs(
    gold: Sequence[set[str]], pred: Sequence[set[str]], top: int = 5
) -> list[tuple[str, str, int]]:
    """(gold label missed, label predicted instead, count) over turns with both a miss and a false hit."""
    counts: Counter[tuple[str, str]] = Counter()
    for g, p in zip(gold, pred, strict=True):
        for missed in g - p:
            for wrong in p - g:
                counts[(missed, wrong)] += 1
    return [(a, b, n) for (a, b), n in counts.most_common(top)]
