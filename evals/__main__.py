"""`python -m evals NAME`: scorer, train, dialogues, reliability, bench, relevance, agreement."""

import argparse
import importlib
import sys

RUNNERS = {
    "scorer": ("evals.scorer", "per-label precision/recall/F1 of a scorer on a JSONL file"),
    "train": ("evals.train", "train the default scorer's classifier from evals/data/train.jsonl"),
    "dialogues": ("evals.dialogues", "run the scripted conversations in evals/dialogues/"),
    "reliability": ("evals.reliability", "bad input, injections, faults, durability, concurrency"),
    "bench": ("evals.bench", "latency, throughput and memory on this machine"),
    "relevance": ("evals.relevance", "the topic check on hand-labelled replies of the embedded model"),
    "agreement": ("evals.agreement", "how often a second labeller agrees with the labeled data"),
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m evals", description=__doc__)
    sub = parser.add_subparsers(dest="runner", required=True)
    for name, (module, help_text) in RUNNERS.items():
        importlib.import_module(module).add_arguments(sub.add_parser(name, help=help_text))
    args = parser.parse_args(sys.argv[1:])
    return int(importlib.import_module(RUNNERS[args.runner][0]).main(args) or 0)


raise SystemExit(main())
