"""How well the topic check (sim/engine/relevance.py) separates sensible replies from off-topic ones.

evals/data/replies.jsonl holds raw replies of the embedded model (SmolLM2-135M) to scripted turns,
each labelled by hand `on_topic` (in character, about this conversation, makes sense) or not. The
report gives, at the shipped threshold and a few around it, the share of on-topic replies kept and of
off-topic ones replaced. `--check` fails below the floors measured when the threshold was chosen.
"""

import argparse
import sys
from pathlib import Path
from typing import Final, NamedTuple

from pydantic import BaseModel, ConfigDict

from sim.engine.relevance import MIN_SIMILARITY, TopicGate
from sim.jsonl import read_jsonl
from sim.personas import load_personas
from sim.scoring.embedder import load_embedder

DATA: Final = Path(__file__).resolve().parent / "data" / "replies.jsonl"
KEEP_FLOOR: Final = 0.75
"""At least this share of the sensible replies must reach the user (measured 0.81 at 0.55)."""
REPLACE_FLOOR: Final = 0.85
"""At least this share of the off-topic replies must be replaced (measured 0.94 at 0.55)."""
SWEEP: Final = (0.35, 0.45, 0.50, 0.55, 0.60, 0.65)


class Labelled(BaseModel):
    """One raw reply of the embedded model to a scripted turn, labelled by hand."""

    model_config = ConfigDict(frozen=True)

    persona: str
    user: str
    reply: str
    on_topic: bool


class Rates(NamedTuple):
    threshold: float
    kept: float
    replaced: float
    shown_sensible: float


def load(path: Path) -> list[Labelled]:
    return read_jsonl(path, Labelled, SystemExit)


def rates(similarities: list[float], labels: list[bool], threshold: float) -> Rates:
    """Share of on-topic replies kept, of off-topic ones replaced, and of shown replies that are sensible."""
    passed = [s >= threshold for s in similarities]
    good = [p for p, label in zip(passed, labels, strict=True) if label]
    bad = [p for p, label in zip(passed, labels, strict=True) if not label]
    shown = [label for p, label in zip(passed, labels, strict=True) if p]
    return Rates(
        threshold,
        sum(good) / len(good) if good else 0.0,
        (len(bad) - sum(bad)) / len(bad) if bad else 0.0,
        sum(shown) / len(shown) if shown else 0.0,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=DATA, help="labelled replies (JSONL)")
    parser.add_argument("--check", action="store_true", help="exit 1 below the floors")


def main(args: argparse.Namespace) -> int:
    rows = load(args.data)
    personas = load_personas().personas
    unknown = sorted({r.persona for r in rows} - set(personas))
    if unknown:
        print(f"{args.data}: unknown persona ids {unknown}", file=sys.stderr)
        return 2
    gate = TopicGate(load_embedder())
    sims = [gate.similarity(r.reply, personas[r.persona], r.user) for r in rows]
    labels = [r.on_topic for r in rows]
    print(f"{len(rows)} replies, {sum(labels)} labelled on topic (sensible), {len(rows) - sum(labels)} not")
    print("threshold  kept(on topic)  replaced(off topic)  sensible among shown")
    for t in sorted({*SWEEP, MIN_SIMILARITY}):
        r = rates(sims, labels, t)
        mark = "  <- shipped" if t == MIN_SIMILARITY else ""
        print(f"{t:9.2f}  {r.kept:14.2f}  {r.replaced:19.2f}  {r.shown_sensible:20.2f}{mark}")
    print(f"without the check, sensible among shown: {sum(labels) / len(labels):.2f}")
    shipped = rates(sims, labels, MIN_SIMILARITY)
    if args.check and (shipped.kept < KEEP_FLOOR or shipped.replaced < REPLACE_FLOOR):
        print(
            f"FAIL: kept {shipped.kept:.2f} (floor {KEEP_FLOOR}), replaced {shipped.replaced:.2f} "
            f"(floor {REPLACE_FLOOR})"
        )
        return 1
    return 0
