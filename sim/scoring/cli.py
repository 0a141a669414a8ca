"""`rehearse score "text"` or `rehearse score --jsonl FILE`: TurnScore JSON, one per turn."""

import argparse
import json
import sys
from pathlib import Path

from sim.config import get_settings
from sim.scoring import open_scorer
from sim.scoring.dataset import DatasetError, load_examples


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help="the turn to score")
    parser.add_argument("--context", help="the colleague's previous line")
    parser.add_argument("--jsonl", type=Path, help="score every line of a JSONL file ({'id', 'text', ...})")
    parser.add_argument("--scorer", choices=["embed", "judge", "ensemble"], help="default: REHEARSE_SCORER")


def main(args: argparse.Namespace) -> int:
    if (args.text is None) == (args.jsonl is None):
        print("error: give either a text or --jsonl FILE", file=sys.stderr)
        return 2
    try:
        items = (
            [(None, args.text, args.context)]
            if args.jsonl is None
            else [(ex.id, ex.text, ex.context) for ex in load_examples(args.jsonl)]
        )
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = get_settings()
    if args.scorer:
        settings = settings.model_copy(update={"scorer": args.scorer})
    with open_scorer(settings) as scorer:
        for item_id, text, context in items:
            verdict = scorer.score(text, context).model_dump(mode="json")
            if args.jsonl is None:
                print(json.dumps(verdict, indent=2, ensure_ascii=False))
            else:
                print(json.dumps({"id": item_id, **verdict}, ensure_ascii=False))
    return 0
