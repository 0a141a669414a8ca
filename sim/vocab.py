"""The shared vocabulary: principle, anti-pattern, phase and outcome ids used everywhere."""

from typing import Final, Literal, get_args

PrincipleId = Literal[
    "acknowledge",
    "open_communication",
    "listen",
    "empathize",
    "apologize",
    "propose_solutions",
    "patience",
    "rebuild_trust",
    "common_ground",
    "set_expectations",
]
AntiPatternId = Literal["blame", "excuse", "dismiss", "avoid", "pressure", "defensive", "injection"]
Phase = Literal["acknowledge", "listen", "empathize", "apologize", "propose"]
Outcome = Literal["repaired", "stalled", "walked_out"]
Difficulty = Literal["easy", "normal", "hard"]
ReplySource = Literal["generated", "retried", "fallback"]

PRINCIPLES: Final[tuple[PrincipleId, ...]] = get_args(PrincipleId)
ANTI_PATTERNS: Final[tuple[AntiPatternId, ...]] = get_args(AntiPatternId)
PHASES: Final[tuple[Phase, ...]] = get_args(Phase)
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)
DIFFICULTIES: Final[tuple[Difficulty, ...]] = get_args(Difficulty)

DETECTED_AT: Final = 2
"""A principle counts as detected when its 0-3 score reaches this level."""

MoveId = Literal[
    "guarded",
    "vents",
    "tests_sincerity",
    "softens",
    "shares_side",
    "counter_proposes",
    "accepts",
    "withdraws",
]
"""What the colleague does next; chosen by a pure rule from the state, then voiced by the LLM."""
MOVES: Final[tuple[MoveId, ...]] = get_args(MoveId)

Situation = Literal[
    "missed_deadline",
    "manager_disagreement",
    "left_out",
    "missed_meeting",
    "recurring_deadline_conflict",
    "partner_missing_updates",
    "differing_opinions",
    "work_division",
]
"""The example situations of the source article, one persona at least for each."""
SITUATIONS: Final[tuple[Situation, ...]] = get_args(Situation)
