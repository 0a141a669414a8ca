"""Judge and default scorer together: weighted levels, anti-patterns both agree on or one is sure of.

    level = round(EMBED_WEIGHT * embed_level + (1 - EMBED_WEIGHT) * judge_level)   (halves round down)
    anti-pattern kept if the default scorer found it, or the judge found it and the default scorer's
    probability for it reaches level 1 (half its threshold).
The hard rules run again on the result. When the judge cannot score, the default verdict stands
(marked `ensemble`, with the judge's problem in the reason).
"""

import math

from sim.scoring.aggregate import turn_score
from sim.scoring.embed import EmbedScorer
from sim.scoring.judge import JudgeScorer
from sim.scoring.lexical import find_cues
from sim.scoring.model import LABELS
from sim.scoring.types import AntiPatternHit, PrincipleScore, TurnScore
from sim.scoring.verdict import apply_hard_rules, level_from_probability, make_reason
from sim.vocab import ANTI_PATTERNS, DETECTED_AT, PRINCIPLES, AntiPatternId, PrincipleId

EMBED_WEIGHT = 0.6


def combine_level(embed_level: int, judge_level: int, embed_weight: float = EMBED_WEIGHT) -> int:
    """Weighted mean of two 0-3 levels, halves rounded down."""
    value = embed_weight * embed_level + (1 - embed_weight) * judge_level
    return min(3, max(0, math.ceil(value - 0.5)))


class EnsembleScorer:
    """Asks both scorers and merges their verdicts (see the module docstring)."""

    def __init__(self, embed: EmbedScorer, judge: JudgeScorer) -> None:
        self.embed = embed
        self.judge = judge

    def score(self, text: str, context: str | None = None) -> TurnScore:
        base, embed_probs = self.embed.analyse(text)
        verdict = self.judge.score(text, context)
        if verdict.unscored:
            return base.model_copy(
                update={
                    "scorer": "ensemble",
                    "reason": f"{base.reason} (judge unavailable: {verdict.unscored})",
                }
            )
        levels: dict[PrincipleId, int] = {
            p: combine_level(base.level(p), verdict.level(p)) for p in PRINCIPLES
        }
        thresholds = self.embed.classifier.thresholds

        def hinted(a: AntiPatternId) -> bool:
            return level_from_probability(embed_probs[a], thresholds[LABELS.index(a)]) >= 1

        found = [a for a in ANTI_PATTERNS if a in base.anti or (a in verdict.anti and hinted(a))]
        ruled = apply_hard_rules(levels, found, find_cues(text))
        by_id = {p.id: p for p in base.principles}
        judged = {p.id: p for p in verdict.principles}
        principles = [
            PrincipleScore(
                id=p,
                score=ruled.levels[p],
                probability=by_id[p].probability,
                span=(by_id[p].span or judged[p].span) if ruled.levels[p] >= DETECTED_AT else None,
            )
            for p in PRINCIPLES
        ]
        spans = {a.id: a.span for a in (*verdict.anti_patterns, *base.anti_patterns)}
        anti = [
            AntiPatternHit(id=a, probability=round(embed_probs[a], 4), span=spans.get(a)) for a in ruled.anti
        ]
        return TurnScore(
            text=text,
            principles=principles,
            anti_patterns=anti,
            reason=make_reason(ruled.levels, ruled.anti, ruled.notes),
            overall=turn_score(ruled.levels, ruled.anti),
            confidence=round((base.confidence + verdict.confidence) / 2, 3),
            scorer="ensemble",
        )
