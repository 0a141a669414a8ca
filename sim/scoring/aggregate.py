"""One number per turn: principle levels earn points, anti-patterns cost points, clamped to 0-100.

    overall = clamp(min(100, sum(LEVEL_POINTS[level] for each principle)) - sum(ANTI_COST[a] for each anti))

A turn seldom shows more than three or four principles at once, so four clear principles already
reach 100; a hint (level 1) earns a little. Each anti-pattern costs 20 points, and an injection
attempt costs everything.
"""

from collections.abc import Iterable, Mapping
from typing import Final

from sim.vocab import ANTI_PATTERNS, PRINCIPLES, AntiPatternId, PrincipleId

LEVEL_POINTS: Final[Mapping[int, float]] = {0: 0.0, 1: 8.0, 2: 25.0, 3: 35.0}
ANTI_COST: Final[Mapping[AntiPatternId, float]] = {
    "blame": 20.0,
    "excuse": 20.0,
    "dismiss": 20.0,
    "avoid": 20.0,
    "pressure": 20.0,
    "defensive": 20.0,
    "injection": 100.0,
}


def turn_score(levels: Mapping[PrincipleId, int], anti: Iterable[AntiPatternId]) -> float:
    """The 0-100 score of one turn from its principle levels (0-3) and its anti-patterns."""
    for pid, level in levels.items():
        if pid not in PRINCIPLES:
            raise ValueError(f"unknown principle {pid!r}")
        if level not in LEVEL_POINTS:
            raise ValueError(f"level of {pid} must be 0-3, got {level!r}")
    found = set(anti)
    unknown = found - set(ANTI_PATTERNS)
    if unknown:
        raise ValueError(f"unknown anti-patterns {sorted(unknown)}")
    earned = min(100.0, sum(LEVEL_POINTS[level] for level in levels.values()))
    lost = sum(ANTI_COST[a] for a in found)
    return max(0.0, min(100.0, earned - lost))
