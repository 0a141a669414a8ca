"""`python -m evals train`: fit the default scorer's classifier on evals/data/train.jsonl (fixed seed)."""

import argparse
import json
import sys
import time
from pathlib import Path

from sim.scoring.dataset import DatasetError, load_examples
from sim.scoring.embedder import EmbeddingError, load_embedder
from sim.scoring.model import MODEL_PATH, load_classifier, save_classifier
from sim.scoring.training import train

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "train.jsonl"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="training JSONL (default: %(default)s)"
    )
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="classifier file (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for folds and solvers")


def main(args: argparse.Namespace) -> int:
    try:
        examples = load_examples(args.data)
        embedder = load_embedder()
    except (DatasetError, EmbeddingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    embeddings = embedder.encode([ex.text for ex in examples])
    fit = train(examples, embeddings, seed=args.seed)
    size = save_classifier(fit.classifier, args.out)
    load_started = time.perf_counter()
    load_classifier(args.out)
    load_ms = (time.perf_counter() - load_started) * 1000
    print(
        json.dumps(
            {
                "examples": len(examples),
                "cv_macro_f1_principles": fit.cv_macro_f1,
                "assertive_cues": fit.classifier.assertive,
                "cv_f1": fit.cv_f1,
                "file": str(args.out),
                "bytes": size,
                "load_ms": round(load_ms, 1),
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
        )
    )
    return 0
