"""`python -m evals scorer --data FILE.jsonl`: per-label precision/recall/F1 of a scorer on labeled turns.

--check exits 1 unless: macro-F1 over the ten principles >= 0.85, anti-pattern micro recall >= 0.85
with micro precision >= 0.80, no hedged apology credited `apologize`, no injection earning credit.

--baseline FILE replaces the three quality targets by the floors in FILE (a ratchet: the scorer's last
measured quality, so a change that makes it worse fails) while the hard rules stay. The targets are
still printed, with each one that is missed, so a run never hides that the scorer falls short.
"""

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.config import Settings
from sim.scoring import open_scorer
from sim.scoring.dataset import DatasetError, Example, load_examples
from sim.scoring.lexical import find_cues, hedged_apology, injection
from sim.scoring.metrics import confused_pairs, label_stats, macro_f1, micro
from sim.scoring.types import TurnScore
from sim.vocab import ANTI_PATTERNS, PRINCIPLES

TARGETS = {"macro_f1": 0.85, "anti_recall": 0.85, "anti_precision": 0.80}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="JSONL of labeled turns (docs/labeling.md)")
    parser.add_argument("--scorer", choices=["embed", "judge", "ensemble"], default="embed")
    parser.add_argument("--limit", type=int, default=0, help="score only the first N lines (0: all)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="with --check: JSON floors (macro_f1, anti_recall, anti_precision) gating instead of targets",
    )


def evaluate(examples: Sequence[Example], scores: Sequence[TurnScore], seconds: float) -> dict[str, Any]:
    """The whole report as plain data."""
    gold_p: list[set[str]] = [set(ex.labels) for ex in examples]
    pred_p: list[set[str]] = [set(s.detected) for s in scores]
    gold_a: list[set[str]] = [set(ex.anti) for ex in examples]
    pred_a: list[set[str]] = [set(s.anti) for s in scores]
    principles = label_stats(PRINCIPLES, gold_p, pred_p)
    anti = label_stats(ANTI_PATTERNS, gold_a, pred_a)
    pooled = micro(anti)
    hedged = [i for i, ex in enumerate(examples) if hedged_apology(find_cues(ex.text))]
    injected = [i for i, ex in enumerate(examples) if "injection" in ex.anti or injection(find_cues(ex.text))]

    def row(s):
        return {
            "support": s.support,
            "precision": round(s.precision, 3),
            "recall": round(s.recall, 3),
            "f1": round(s.f1, 3),
        }

    return {
        "examples": len(examples),
        "unscored": sum(1 for s in scores if s.unscored),
        "unscored_reasons": [r for r, _ in Counter(s.unscored for s in scores if s.unscored).most_common(3)],
        "ms_per_turn": round(1000 * seconds / max(1, len(examples)), 1),
        "principles": {s.label: row(s) for s in principles},
        "macro_f1": round(macro_f1(principles), 3),
        "anti_patterns": {s.label: row(s) for s in anti},
        "anti_micro": row(pooled),
        "confused": [
            {"gold": a, "predicted": b, "count": n}
            for a, b, n in confused_pairs(
                [g | h for g, h in zip(gold_p, gold_a, strict=True)],
                [g | h for g, h in zip(pred_p, pred_a, strict=True)],
            )
        ],
        "hedged_apologies": len(hedged),
        "hedged_credited": [examples[i].id for i in hedged if scores[i].level("apologize") >= 2],
        "injections": len(injected),
        "injection_credited": [
            examples[i].id for i in injected if any(p.score > 0 for p in scores[i].principles)
        ],
    }


def quality_misses(report: dict[str, Any], floors: dict[str, float]) -> list[str]:
    """Each quality floor the report falls below, in words."""
    out = []
    if report["macro_f1"] < floors["macro_f1"]:
        out.append(f"macro-F1 {report['macro_f1']} < {floors['macro_f1']}")
    if report["anti_micro"]["recall"] < floors["anti_recall"]:
        out.append(f"anti-pattern recall {report['anti_micro']['recall']} < {floors['anti_recall']}")
    if report["anti_micro"]["precision"] < floors["anti_precision"]:
        out.append(f"anti-pattern precision {report['anti_micro']['precision']} < {floors['anti_precision']}")
    return out


def failures(report: dict[str, Any], floors: dict[str, float] = TARGETS) -> list[str]:
    """Each missed floor (the targets unless a baseline is given) and each broken hard rule, in words."""
    out = quality_misses(report, floors)
    if report["hedged_credited"]:
        out.append(f"hedged apologies credited apologize: {report['hedged_credited']}")
    if report["injection_credited"]:
        out.append(f"injections earning principle credit: {report['injection_credited']}")
    if report["unscored"]:
        out.append(f"{report['unscored']} turns unscored")
    return out


def render(report: dict[str, Any]) -> str:
    lines = [
        f"{report['examples']} turns, {report['unscored']} unscored, {report['ms_per_turn']} ms/turn",
        "",
        f"{'principle':<20}{'n':>5}{'P':>7}{'R':>7}{'F1':>7}",
    ]
    for name, r in report["principles"].items():
        lines.append(f"{name:<20}{r['support']:>5}{r['precision']:>7.3f}{r['recall']:>7.3f}{r['f1']:>7.3f}")
    lines += [
        f"{'macro-F1':<20}{'':>19}{report['macro_f1']:>7.3f}",
        "",
        f"{'anti-pattern':<20}{'n':>5}{'P':>7}{'R':>7}{'F1':>7}",
    ]
    for name, r in [*report["anti_patterns"].items(), ("micro", report["anti_micro"])]:
        lines.append(f"{name:<20}{r['support']:>5}{r['precision']:>7.3f}{r['recall']:>7.3f}{r['f1']:>7.3f}")
    lines.append("")
    lines.append(
        "most confused (gold missed -> predicted instead): "
        + (", ".join(f"{c['gold']}->{c['predicted']} ({c['count']})" for c in report["confused"]) or "none")
    )
    lines += [f"unscored because: {r}" for r in report.get("unscored_reasons", [])]
    lines.append(
        f"hedged apologies: {report['hedged_apologies']}, credited apologize: "
        f"{len(report['hedged_credited'])} {report['hedged_credited'] or ''}".rstrip()
    )
    lines.append(
        f"injections: {report['injections']}, earning principle credit: "
        f"{len(report['injection_credited'])} {report['injection_credited'] or ''}".rstrip()
    )
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    try:
        examples = load_examples(args.data)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.limit:
        examples = examples[: args.limit]
    with open_scorer(Settings(scorer=args.scorer)) as scorer:
        started = time.perf_counter()
        scores = [scorer.score(ex.text, ex.context) for ex in examples]
        seconds = time.perf_counter() - started
    report = evaluate(examples, scores, seconds)
    report["scorer"], report["data"] = args.scorer, str(args.data)
    print(json.dumps(report, indent=2) if args.json else render(report))
    floors = TARGETS
    if args.baseline is not None:
        floors = {key: float(json.loads(args.baseline.read_text())[key]) for key in TARGETS}
        for miss in quality_misses(report, TARGETS):
            print(f"TARGET NOT MET: {miss}", file=sys.stderr)
    missed = failures(report, floors)
    if args.check and missed:
        print("check failed: " + "; ".join(missed), file=sys.stderr)
        return 1
    return 0
