"""`python -m evals bench`: latency and throughput on this machine, one section per part of the app.

Each section is a function of the parsed arguments returning plain data; add a section by adding
it to SECTIONS (and any options it needs to add_arguments). `--write` saves evals/reports/bench.json.
"""

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals import bench_report
from sim.config import Settings
from sim.scoring.dataset import load_examples
from sim.scoring.types import Scorer

HERE = Path(__file__).resolve().parent
REPORT = HERE / "reports" / "bench.json"
TEXTS = HERE / "data" / "test.jsonl"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def time_scorer(scorer: Scorer, texts: Sequence[str]) -> dict[str, Any]:
    """Per-turn ms (p50, p95, mean), turns per second and unscored count, after one warm-up call."""
    scorer.score(texts[0])
    ms, unscored = [], 0
    for text in texts:
        started = time.perf_counter()
        unscored += bool(scorer.score(text).unscored)
        ms.append((time.perf_counter() - started) * 1000)
    return {
        "turns": len(texts), "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
        "mean_ms": round(statistics.fmean(ms), 1), "turns_per_s": round(1000 * len(ms) / sum(ms), 1),
        "unscored": unscored,
    }  # fmt: skip


def scoring_section(args: argparse.Namespace) -> dict[str, Any]:
    """The default scorer once loaded (and what loading costs), then the judge on the embedded model."""
    import torch

    from sim.scoring.embed import EmbedScorer
    from sim.scoring.embedder import load_scoring_embedder
    from sim.scoring.model import load_classifier

    texts = [ex.text for ex in load_examples(TEXTS)][: args.turns]
    started = time.perf_counter()
    embedder = load_scoring_embedder()
    embedder_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    classifier = load_classifier()
    classifier_ms = (time.perf_counter() - started) * 1000
    result: dict[str, Any] = {
        "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "load_ms": {"embedding_model": round(embedder_ms, 1), "classifier": round(classifier_ms, 1)},
        "embed": time_scorer(EmbedScorer(classifier, embedder), texts),
    }  # fmt: skip
    if args.judge_turns > 0:
        from sim.llm.backend import open_models
        from sim.scoring.judge import JudgeScorer

        with open_models(Settings(scorer="judge")) as models:
            judge = time_scorer(JudgeScorer(models.judge), texts[: args.judge_turns])
        judge["model"] = models.judge.name
        judge["p50_ratio_to_embed"] = round(judge["p50_ms"] / max(result["embed"]["p50_ms"], 1e-6), 1)
        result["judge"] = judge
    return result


SECTIONS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "scoring": scoring_section,
    "e2e": bench_report.e2e_section,
    "load": bench_report.load_section,
}
OPT_IN = {"load": "load"}
"""Sections that run only when named with --section or when their flag (e.g. --load) is given."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--section", action="append", choices=sorted(SECTIONS), help="run only these")
    parser.add_argument("--turns", type=int, default=200, help="turns for the default scorer (test.jsonl)")
    parser.add_argument("--judge-turns", type=int, default=10, help="turns for the LLM judge (0: skip it)")
    parser.add_argument("--write", action="store_true", help=f"also write {REPORT.relative_to(HERE.parent)}")
    parser.add_argument("--out", type=Path, help="write the JSON report to this file instead")
    bench_report.add_arguments(parser)


def main(args: argparse.Namespace) -> int:
    chosen = args.section or [n for n in SECTIONS if n not in OPT_IN or getattr(args, OPT_IN[n])]
    report: dict[str, Any] = {name: SECTIONS[name](args) for name in chosen}
    target = args.out or (REPORT if args.write else None)
    if target is not None:
        report = bench_report.merge(target, report)
    report["targets"] = bench_report.checks({**report, **report.get("e2e", {})})
    text = json.dumps(report, indent=2)
    print(text if args.json else bench_report.table(report))
    if args.readme:
        bench_report.write_readme(bench_report.table(report))
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text + "\n", encoding="utf-8")
    return 0
