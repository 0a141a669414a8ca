"""`python -m evals agreement`: how often two labellers agree on the same turns.

The second file holds a sample of turns labelled again, blind, from docs/labeling.md alone. Its
labels are scored against the first file's as if they were a scorer's predictions, so the numbers
read like the scorer's: a rough ceiling for what a scorer trained on these labels can reach.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sim.scoring.dataset import DatasetError, load_examples
from sim.scoring.metrics import label_stats, macro_f1, micro
from sim.vocab import ANTI_PATTERNS, PRINCIPLES

DATA = Path(__file__).resolve().parent / "data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--first", type=Path, default=DATA / "train.jsonl", help="default: %(default)s")
    parser.add_argument(
        "--second", type=Path, default=DATA / "second_labeller.jsonl", help="default: %(default)s"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def agreement(first: dict[str, set[str]], second: dict[str, set[str]]) -> dict[str, Any]:
    """Per-label F1 of the second labeller against the first, over the ids both labelled."""
    ids = sorted(first.keys() & second.keys())
    gold = [first[i] for i in ids]
    pred = [second[i] for i in ids]
    principles = label_stats(PRINCIPLES, gold, pred)
    anti = label_stats(ANTI_PATTERNS, gold, pred)
    pooled = micro(anti)
    return {
        "turns": len(ids),
        "macro_f1": round(macro_f1(principles), 3),
        "anti_precision": round(pooled.precision, 3),
        "anti_recall": round(pooled.recall, 3),
        "f1": {s.label: round(s.f1, 3) for s in (*principles, *anti)},
        "support": {s.label: s.support for s in (*principles, *anti)},
    }


def main(args: argparse.Namespace) -> int:
    try:
        first: dict[str, set[str]] = {ex.id: {*ex.labels, *ex.anti} for ex in load_examples(args.first)}
        second: dict[str, set[str]] = {ex.id: {*ex.labels, *ex.anti} for ex in load_examples(args.second)}
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    missing = sorted(second.keys() - first.keys())
    if missing:
        print(f"error: {args.second}: ids not in {args.first}: {', '.join(missing[:5])}", file=sys.stderr)
        return 2
    report = agreement(first, second)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['turns']} turns labelled twice")
    print(f"macro-F1 over the ten principles: {report['macro_f1']}")
    print(f"anti-patterns, micro precision / recall: {report['anti_precision']} / {report['anti_recall']}")
    for label, value in report["f1"].items():
        print(f"  {label:20} F1 {value:.3f}  (n={report['support'][label]})")
    return 0
