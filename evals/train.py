"""`python -m evals train`: fit the default scorer on evals/data/train.jsonl (fixed seed).

By default MiniLM's top layers are fine-tuned for the labels first (sim/scoring/finetune.py): the
classifier is fit on cross-fitted embeddings (each turn embedded by layers tuned without it), and the
layers tuned on all turns are saved as an fp16 delta next to the classifier. The tuning head itself
is kept too and blended into each label's regression where cross-validation says it helps.
`--layers 0` keeps the frozen base embeddings (and removes the delta).

The training turns of the test split's writers weigh 4 (`sim.scoring.training.turn_weights`), in the
tuning and in the regressions. Last, the anti-pattern operating point is set: one scale of the
anti-pattern thresholds, the one with the best recall at precision 0.82 or more on the held-out
predictions of those writers' training turns. `--dev` (evals/data/dev.jsonl, never trained on) is
measured at the chosen scale and reported; without focus turns in the data it chooses instead.
"""

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from sim.scoring.checkpoints import Checkpoints, run_key
from sim.scoring.dataset import DatasetError, Example, load_examples
from sim.scoring.delta import DELTA_PATH, DeltaError, load_delta, save_delta
from sim.scoring.embed import EmbedScorer
from sim.scoring.embedder import Embedder, EmbeddingError, MiniLM
from sim.scoring.finetune import TuneConfig, cross_fit, frozen_states, tune_final
from sim.scoring.metrics import label_stats, micro
from sim.scoring.model import MODEL_PATH, Classifier, head_probabilities, load_classifier, save_classifier
from sim.scoring.training import (
    ANTI_PRECISION_FLOOR,
    FOCUS_WEIGHT,
    FOCUS_WRITERS,
    FOLDS,
    Fit,
    TuningHead,
    anti_operating_point,
    held_out_anti,
    targets,
    train,
    turn_weights,
    with_anti_scale,
    writer,
)
from sim.vocab import ANTI_PATTERNS

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "train.jsonl"
DEFAULT_DEV = Path(__file__).resolve().parent / "data" / "dev.jsonl"
DEFAULT_CHECKPOINTS = Path(__file__).resolve().parent.parent / ".cache" / "train"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="training JSONL (default: %(default)s)"
    )
    parser.add_argument(
        "--dev",
        type=Path,
        default=DEFAULT_DEV,
        help="validation JSONL, never trained on, that sets the anti-pattern operating point "
        "(default: %(default)s)",
    )
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="classifier file (default: %(default)s)")
    parser.add_argument(
        "--delta-out", type=Path, default=DELTA_PATH, help="tuned encoder layers (default: %(default)s)"
    )
    parser.add_argument(
        "--layers",
        type=int,
        default=TuneConfig().layers,
        help="top MiniLM layers to fine-tune; 0 = frozen embeddings (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed for folds, solvers and tuning")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: %(default)s)")
    parser.add_argument(
        "--cross-fit-out",
        type=Path,
        help="also save the cross-fitted embeddings, the tuning head's held-out probabilities and the "
        "final head (npz), for experiments on the classifier without re-tuning",
    )
    parser.add_argument(
        "--checkpoints",
        type=Path,
        default=DEFAULT_CHECKPOINTS,
        help="folder for each finished fold and the final model, so a stopped run resumes where it "
        "stopped; parts are keyed by the data and settings (default: %(default)s)",
    )
    parser.add_argument(
        "--no-checkpoints",
        dest="checkpoints",
        action="store_const",
        const=None,
        help="tune everything again and keep no checkpoints",
    )
    parser.add_argument(
        "--from-cross-fit",
        type=Path,
        help="skip tuning: refit the classifier from a file written by --cross-fit-out, next to the "
        "delta that run saved (--delta-out); training turns added since are embedded by those tuned "
        "layers, which never saw them",
    )


def _save_cross_fit(path: Path, examples: list[Example], embeddings: np.ndarray, head: TuningHead) -> None:
    """What --from-cross-fit reads back: the turns' ids, their cross-fitted embeddings and the head."""
    np.savez_compressed(
        path,
        ids=np.array([ex.id for ex in examples]),
        embeddings=embeddings,
        head_probabilities=head.held_out,
        head_weight=head.weight,
        head_bias=head.bias,
        scale=np.float32(head.scale),
    )


def _load_cross_fit(
    path: Path, examples: list[Example], embedder: Embedder
) -> tuple[np.ndarray, TuningHead, int]:
    """Embeddings and tuning head saved by --cross-fit-out, and how many turns were added since.

    A training turn the file does not hold was written after that tuning: the tuned layers (`embedder`,
    with the delta that run saved) never saw it, so its embedding and the head's probability for it
    are held out too, like the cross-fitted ones. A turn the file holds must still be in the data.
    """
    with np.load(path, allow_pickle=False) as data:
        saved = {str(i): row for row, i in enumerate(data["ids"])}
        gone = sorted(saved.keys() - {ex.id for ex in examples})
        if gone:
            raise DatasetError(
                f"{path}: field ids: {len(gone)} tuned turns are not in the training data "
                f"(first: {gone[0]!r}); re-run the tuning"
            )
        weight, bias, scale = data["head_weight"], data["head_bias"], float(data["scale"])
        embeddings = np.zeros((len(examples), data["embeddings"].shape[1]), dtype=np.float32)
        held_out = np.zeros((len(examples), data["head_probabilities"].shape[1]), dtype=np.float64)
        old = [k for k, ex in enumerate(examples) if ex.id in saved]
        rows = [saved[examples[k].id] for k in old]
        embeddings[old] = data["embeddings"][rows]
        held_out[old] = data["head_probabilities"][rows]
    added = [k for k, ex in enumerate(examples) if ex.id not in saved]
    if added:
        vectors = embedder.encode([examples[k].text for k in added])
        embeddings[added] = vectors
        held_out[added] = head_probabilities(vectors, weight, bias, scale)
    return embeddings, TuningHead(held_out, weight, bias, scale), len(added)


class _Remembered:
    """An Embedder that encodes each text once: the operating point scores the same turns at every scale."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.vectors: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if new:
            self.vectors.update(zip(new, self.inner.encode(new), strict=True))
        return np.stack([self.vectors[t] for t in texts])


def set_operating_point(
    classifier: Classifier,
    embedder: Embedder,
    dev: list[Example],
    chooser: tuple[str, Callable[[float], tuple[float, float]]] | None = None,
) -> tuple[Classifier, dict[str, Any]]:
    """The classifier at the anti-pattern operating point, and what was measured.

    `chooser` is (what it measures, measure(scale) -> (precision, recall)); without it the point is
    chosen on `dev`. Either way `dev` is measured at the chosen scale.
    """
    remembered = _Remembered(embedder)
    gold: list[set[str]] = [set(ex.anti) for ex in dev]

    def on_dev(scale: float) -> tuple[float, float]:
        scorer = EmbedScorer(with_anti_scale(classifier, scale), remembered)
        found: list[set[str]] = [set(scorer.score(ex.text).anti) for ex in dev]
        pooled = micro(label_stats(ANTI_PATTERNS, gold, found))
        return pooled.precision, pooled.recall

    chosen_on, measure = chooser or (f"{len(dev)} validation turns", on_dev)
    point = anti_operating_point(measure)
    dev_precision, dev_recall = on_dev(point.scale)
    record = {
        "anti_threshold_scale": point.scale,
        "anti_precision_floor": ANTI_PRECISION_FLOOR,
        "chosen_on": chosen_on,
        "chosen_anti_precision": round(point.precision, 4),
        "chosen_anti_recall": round(point.recall, 4),
        "dev_examples": len(dev),
        "dev_anti_precision": round(dev_precision, 4),
        "dev_anti_recall": round(dev_recall, 4),
    }
    chosen = with_anti_scale(classifier, point.scale)
    return replace(chosen, meta={**classifier.meta, **record}), record


def focus_chooser(
    examples: Sequence[Example], fit: Fit
) -> tuple[str, Callable[[float], tuple[float, float]]] | None:
    """Measures a scale on the held-out predictions of the focus writers' training turns (None: none)."""
    rows = [i for i, ex in enumerate(examples) if writer(ex.id) in FOCUS_WRITERS]
    if not rows:
        return None
    y, probs = targets(examples)[rows], fit.held_out[rows]
    what = f"held-out predictions of {len(rows)} training turns by writers {', '.join(FOCUS_WRITERS)}"
    return what, lambda scale: held_out_anti(y, probs, fit.classifier.thresholds, scale)


def _progress(started: float) -> Callable[[str], None]:
    """A progress line on stderr with the seconds since `started` (stdout keeps the JSON report)."""

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.0f} s] {message}", file=sys.stderr, flush=True)

    return say


def main(args: argparse.Namespace) -> int:
    try:
        examples = load_examples(args.data)
        dev = load_examples(args.dev)
        embedder = MiniLM(threads=args.threads)
    except (DatasetError, EmbeddingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    say = _progress(started)
    texts = [ex.text for ex in examples]
    report: dict[str, Any] = {"examples": len(examples)}
    meta: dict[str, Any] = {"encoder_delta": None}
    head: TuningHead | None = None
    tuned: Embedder | None = None
    config = replace(TuneConfig(), layers=args.layers)
    weights = turn_weights(examples)
    if args.from_cross_fit:
        try:
            delta = load_delta(args.delta_out)
            tuned = MiniLM(threads=args.threads, delta=delta)
            embeddings, head, added = _load_cross_fit(args.from_cross_fit, examples, tuned)
        except (DatasetError, DeltaError, EmbeddingError, OSError, KeyError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        meta = {"encoder_delta": delta.fingerprint, "tuning": config.as_meta(), "added_after_tuning": added}
        report["added_after_tuning"] = added
    elif args.layers > 0:
        y = targets(examples).astype(np.float32)
        say("caching the frozen layers' states")
        states = frozen_states(embedder.transformer, embedder.tokenizer, texts, config)
        settings = {"tuning": config.as_meta(), "seed": args.seed, "folds": FOLDS}
        store = (
            None
            if args.checkpoints is None
            else Checkpoints(args.checkpoints, run_key(texts, y, weights, settings))
        )
        if store is not None:
            say(f"checkpoints: {store.path('*')}")
        crossed = cross_fit(embedder.transformer, states, y, config, args.seed, FOLDS, weights, say, store)
        embeddings = crossed.embeddings
        final = tune_final(embedder.transformer, states, y, config, args.seed, weights, say, store)
        head = TuningHead(crossed.head_probabilities, final.weight, final.bias, final.scale)
        if args.cross_fit_out:
            _save_cross_fit(args.cross_fit_out, examples, embeddings, head)
        delta = save_delta(final.layers, args.delta_out)
        meta = {"encoder_delta": delta.fingerprint, "tuning": config.as_meta()}
        report["delta"] = {"file": str(args.delta_out), "bytes": args.delta_out.stat().st_size}
        report["tune_seconds"] = round(time.perf_counter() - started, 1)
    else:
        embeddings = embedder.encode(texts)
        args.delta_out.unlink(missing_ok=True)
    meta |= {"focus_writers": list(FOCUS_WRITERS), "focus_weight": FOCUS_WEIGHT}
    say("fitting the regressions (C grid x 5 folds, then all turns)")
    fit = train(examples, embeddings, seed=args.seed, meta=meta, head=head, weights=weights)
    if tuned is None and meta["encoder_delta"] is not None:
        tuned = MiniLM(threads=args.threads, delta=load_delta(args.delta_out))
    scoring_embedder = embedder if tuned is None else tuned
    say("choosing the anti-pattern operating point")
    classifier, report["operating_point"] = set_operating_point(
        fit.classifier, scoring_embedder, dev, focus_chooser(examples, fit)
    )
    size = save_classifier(classifier, args.out)
    load_started = time.perf_counter()
    load_classifier(args.out)
    load_ms = (time.perf_counter() - load_started) * 1000
    report |= {
        "cv_macro_f1_principles": fit.cv_macro_f1,
        "assertive_cues": fit.classifier.assertive,
        "cv_f1": fit.cv_f1,
        "file": str(args.out),
        "bytes": size,
        "load_ms": round(load_ms, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=2))
    return 0
