"""Pure rules shared by every scorer: probability to level, the two hard rules, reason and confidence.

Probability to level, with t the label's calibrated threshold:
    p < t/2 -> 0 (absent), t/2 <= p < t -> 1 (hinted), t <= p < (1+t)/2 -> 2 (clear), else 3 (exemplary).
An anti-pattern is reported from level 2, an injection already from level 1: one that slips through
would earn principle credit. Hard rules: a hedged apology caps `apologize` at 1; an injection attempt
sets every principle to 0 and always reports the `injection` anti-pattern.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.scoring.lexical import LexicalHit, hedged_apology, injection
from sim.vocab import ANTI_PATTERNS, DETECTED_AT, PRINCIPLES, AntiPatternId, PrincipleId


def level_from_probability(p: float, threshold: float) -> int:
    """Map a probability to 0-3 around the label's threshold (see the module docstring)."""
    if p < threshold / 2:
        return 0
    if p < threshold:
        return 1
    if p < (1 + threshold) / 2:
        return 2
    return 3


def anti_reported(anti: AntiPatternId, p: float, threshold: float) -> bool:
    """Whether the classifier's probability reports the anti-pattern (see the module docstring)."""
    return level_from_probability(p, threshold) >= (1 if anti == "injection" else DETECTED_AT)


@dataclass(frozen=True)
class Ruled:
    """Levels and anti-patterns after the hard rules, and a note for each rule that fired."""

    levels: dict[PrincipleId, int]
    anti: list[AntiPatternId]
    notes: list[str]


def apply_hard_rules(
    levels: Mapping[PrincipleId, int], anti: Sequence[AntiPatternId], hits: Sequence[LexicalHit]
) -> Ruled:
    """Cap `apologize` at 1 on a hedged apology; zero every principle on an injection attempt."""
    out = {p: int(levels.get(p, 0)) for p in PRINCIPLES}
    found = [a for a in ANTI_PATTERNS if a in set(anti)]
    notes: list[str] = []
    hit_list = list(hits)
    if hedged_apology(hit_list) and out["apologize"] > 1:
        out["apologize"] = 1
        notes.append("a hedged apology does not count as an apology")
    if injection(hit_list) or "injection" in found:
        out = dict.fromkeys(PRINCIPLES, 0)
        if "injection" not in found:
            found.append("injection")
        notes.append("instructions to the system earn no credit")
    return Ruled(out, found, notes)


def make_reason(
    levels: Mapping[PrincipleId, int], anti: Sequence[AntiPatternId], notes: Sequence[str]
) -> str:
    """One line saying what the turn clearly shows, what it only hints at, and what hurts it."""
    clear = [p for p in PRINCIPLES if levels.get(p, 0) >= DETECTED_AT]
    hinted = [p for p in PRINCIPLES if levels.get(p, 0) == 1]
    parts = []
    if clear:
        parts.append("shows " + ", ".join(clear).replace("_", " "))
    if hinted:
        parts.append("hints at " + ", ".join(hinted).replace("_", " "))
    if not clear and not hinted:
        parts.append("no repair principle is clearly shown")
    line = "; ".join(parts)
    line = line[0].upper() + line[1:] + "."
    if anti:
        line += " Working against it: " + ", ".join(anti) + "."
    if notes:
        line += " Note: " + "; ".join(notes) + "."
    return line


def confidence(probabilities: Sequence[float], thresholds: Sequence[float]) -> float:
    """Mean distance of each probability from its threshold, scaled to 0-1 on that side of it."""
    if not probabilities:
        return 0.0
    total = 0.0
    for p, t in zip(probabilities, thresholds, strict=True):
        total += (p - t) / (1 - t) if p >= t else (t - p) / t
    return round(max(0.0, min(1.0, total / len(probabilities))), 3)
