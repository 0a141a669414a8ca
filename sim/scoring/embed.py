"""The default scorer: MiniLM embeddings + a trained per-label classifier + lexical hard rules. No LLM."""

from typing import NamedTuple

import numpy as np

from sim.scoring.aggregate import turn_score
from sim.scoring.embedder import Embedder
from sim.scoring.lexical import LexicalHit, find_cues
from sim.scoring.model import LABELS, Classifier, build_features
from sim.scoring.sentences import split_sentences
from sim.scoring.types import AntiPatternHit, PrincipleScore, Span, TurnScore, empty_principles
from sim.scoring.verdict import (
    anti_reported,
    apply_hard_rules,
    confidence,
    level_from_probability,
    make_reason,
)
from sim.vocab import ANTI_PATTERNS, DETECTED_AT, PRINCIPLES, AntiPatternId, PrincipleId


class Analysis(NamedTuple):
    """A TurnScore plus the raw per-label probabilities of the whole turn (before any rule)."""

    score: TurnScore
    probabilities: dict[str, float]


class EmbedScorer:
    """Scores a turn as a whole, then scores each sentence to point at the evidence."""

    def __init__(self, classifier: Classifier, embedder: Embedder) -> None:
        self.classifier = classifier
        self.embedder = embedder

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Per-label probabilities (rows: texts, columns: LABELS), before any rule."""
        vectors = self.embedder.encode(texts)
        return self.classifier.probabilities(build_features(vectors, texts, self.classifier.vocab))

    def score(self, text: str, context: str | None = None) -> TurnScore:
        return self.analyse(text).score

    def analyse(self, text: str) -> Analysis:
        """Score the turn and keep the raw probabilities (the ensemble needs them)."""
        sentences = split_sentences(text)
        if not sentences:
            empty = TurnScore(
                text=text,
                principles=empty_principles(),
                reason="Empty turn: nothing to score.",
                confidence=1.0,
                scorer="embed",
            )
            return Analysis(empty, dict.fromkeys(LABELS, 0.0))
        pieces = [text] + ([s.text for s in sentences] if len(sentences) > 1 else [])
        probs = self.probabilities(pieces)
        whole, per_sentence = probs[0], (probs[1:] if len(sentences) > 1 else probs[:1])
        thresholds = self.classifier.thresholds
        hits = find_cues(text)
        levels: dict[PrincipleId, int] = {
            p: level_from_probability(float(whole[i]), float(thresholds[i])) for i, p in enumerate(PRINCIPLES)
        }
        asserted = {h.anti for h in hits if h.cue in self.classifier.assertive}
        found: list[AntiPatternId] = [
            a
            for a in ANTI_PATTERNS
            if anti_reported(a, float(whole[LABELS.index(a)]), float(thresholds[LABELS.index(a)]))
            or a in asserted
        ]
        ruled = apply_hard_rules(levels, found, hits)
        principles = [
            PrincipleScore(
                id=p,
                score=ruled.levels[p],
                probability=round(float(whole[i]), 4),
                span=_best_sentence(sentences, per_sentence[:, i])
                if ruled.levels[p] >= DETECTED_AT
                else None,
            )
            for i, p in enumerate(PRINCIPLES)
        ]
        anti_hits = [
            AntiPatternHit(
                id=a,
                probability=round(max(float(whole[LABELS.index(a)]), 1.0 if _cue_span(hits, a) else 0.0), 4),
                span=_cue_span(hits, a) or _best_sentence(sentences, per_sentence[:, LABELS.index(a)]),
            )
            for a in ruled.anti
        ]
        verdict = TurnScore(
            text=text,
            principles=principles,
            anti_patterns=anti_hits,
            reason=make_reason(ruled.levels, ruled.anti, ruled.notes),
            overall=turn_score(ruled.levels, ruled.anti),
            confidence=confidence([float(x) for x in whole], [float(x) for x in thresholds]),
            scorer="embed",
        )
        return Analysis(verdict, {label: float(whole[i]) for i, label in enumerate(LABELS)})


def _best_sentence(sentences: list[Span], column: np.ndarray) -> Span:
    return sentences[int(np.argmax(column))]


def _cue_span(hits: list[LexicalHit], anti: AntiPatternId) -> Span | None:
    return next((h.span for h in hits if h.anti == anti), None)
