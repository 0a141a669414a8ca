"""Mood: the colleague's trust, openness and tension, moved by one pure function per turn.

Trust is earned slowly (a per-turn cap: repair takes several good turns) and lost quickly
(every anti-pattern costs, the persona's triggers cost double). The difficulty sets where the mood
starts, how much each step costs and how much trust the repair needs.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final

from sim.engine.phases import VOIDING, phase_of
from sim.engine.state import Mood
from sim.vocab import PHASES, AntiPatternId, Difficulty, Phase, PrincipleId


@dataclass(frozen=True)
class Profile:
    """The numbers of one difficulty."""

    start: Mood
    repair_trust: int
    """Trust needed, with every phase shown, for the repair to count."""
    max_gain: int
    """Most trust one turn can earn."""
    anti_cost: int
    """Trust lost per anti-pattern (double for a trigger of the persona); a turn loses at most twice this."""
    skip_cost: int
    """Trust lost per phase skipped by jumping ahead."""
    walkout_trust: int
    walkout_tension: int
    max_turns: int = 12


PROFILES: Final[Mapping[Difficulty, Profile]] = {
    "easy": Profile(Mood(trust=35, openness=40, tension=45), 60, 10, 6, 2, 3, 95),
    "normal": Profile(Mood(trust=25, openness=30, tension=60), 65, 12, 9, 3, 5, 92),
    "hard": Profile(Mood(trust=15, openness=20, tension=70), 70, 10, 12, 4, 6, 90),
}

POINTS: Final[Mapping[int, int]] = {0: 0, 1: 1, 2: 5, 3: 7}
"""Trust points per principle level (0 absent, 1 hinted, 2 clear, 3 exemplary)."""
OPENING: Final[frozenset[PrincipleId]] = frozenset(
    {"listen", "empathize", "open_communication", "common_ground"}
)
"""Principles that also make the colleague more open."""


def profile(difficulty: Difficulty) -> Profile:
    if difficulty not in PROFILES:
        raise ValueError(f"unknown difficulty {difficulty!r}")
    return PROFILES[difficulty]


def _clamp(value: float) -> int:
    return max(0, min(100, round(value)))


def earned(levels: Mapping[PrincipleId, int], completed: Collection[Phase]) -> float:
    """Trust points of a clean turn before the cap.

    `completed` includes the phases this turn showed; a principle of a phase beyond the first phase
    still owed counts half (fixes before listening are worth less than fixes after it).
    """
    frontier = next((i for i, p in enumerate(PHASES) if p not in completed), len(PHASES))
    total = 0.0
    for principle, level in levels.items():
        home = phase_of(principle)
        ahead = home is not None and PHASES.index(home) > frontier
        total += POINTS[level] / 2 if ahead else POINTS[level]
    return total


def update_mood(
    mood: Mood,
    *,
    levels: Mapping[PrincipleId, int],
    anti: Collection[AntiPatternId],
    triggers: Collection[AntiPatternId],
    completed: Collection[Phase],
    skipped: int,
    difficulty: Difficulty,
) -> Mood:
    """The mood after one user turn; `completed` is after this turn's phase step.

    A turn with any anti-pattern earns nothing; an injection attempt alone changes nothing.
    """
    rules = profile(difficulty)
    costly = [a for a in anti if a not in VOIDING]
    cost = min(sum(rules.anti_cost * (2 if a in triggers else 1) for a in costly), 2 * rules.anti_cost)
    gain = 0.0 if anti else min(float(rules.max_gain), earned(levels, completed))
    opening = 0.0 if anti else sum(POINTS[lvl] for p, lvl in levels.items() if p in OPENING)
    skip = rules.skip_cost * skipped
    return Mood(
        trust=_clamp(mood.trust + gain - cost - skip),
        openness=_clamp(mood.openness + min(opening, rules.max_gain) - cost / 2 - skip),
        tension=_clamp(mood.tension - 0.8 * gain + cost + skip),
    )
