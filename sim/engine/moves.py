"""The colleague's next move: a pure rule over the turn's result, so the LLM only voices it."""

from collections.abc import Collection
from typing import Final

from sim.engine.mood import profile
from sim.engine.phases import PHASE_PRINCIPLES, PhaseStep
from sim.engine.state import Mood
from sim.vocab import AntiPatternId, Difficulty, MoveId, Outcome, PrincipleId

MOVE_HINTS: Final[dict[MoveId, str]] = {
    "guarded": "You stay careful and short. You do not open up yet.",
    "vents": "You say plainly how what they did affected you and your work.",
    "tests_sincerity": "You doubt them and ask whether they really mean it or will really change.",
    "softens": "You ease a little. You admit it helps to hear this, but you are not over it.",
    "shares_side": "You tell your side: what happened for you and what it cost you.",
    "counter_proposes": "You answer their plan with what you would need instead, or a condition.",
    "accepts": "You accept their plan and say you are willing to try again.",
    "withdraws": "You pull back and end the conversation for now.",
}
"""What each move means, told to the model that voices it."""

SHUTTING: Final[frozenset[AntiPatternId]] = frozenset({"injection", "pressure", "avoid"})
HEATING: Final[frozenset[AntiPatternId]] = frozenset({"blame", "dismiss"})
DOUBTING: Final[frozenset[AntiPatternId]] = frozenset({"excuse", "defensive"})


def choose_move(
    step: PhaseStep,
    mood: Mood,
    *,
    detected: Collection[PrincipleId],
    anti: Collection[AntiPatternId],
    triggers: Collection[AntiPatternId],
    outcome: Outcome | None,
    difficulty: Difficulty,
) -> MoveId:
    """What the colleague does after this turn, from the phase step, the new mood and the outcome."""
    rules = profile(difficulty)
    hit = set(anti)
    if outcome == "walked_out":
        return "withdraws"
    if outcome == "repaired":
        return "accepts"
    if hit & SHUTTING:
        return "withdraws" if mood.tension >= rules.walkout_tension - 10 else "guarded"
    if hit & HEATING:
        return "vents"
    if hit & DOUBTING:
        return "vents" if hit & set(triggers) else "tests_sincerity"
    if step.skipped:
        return "tests_sincerity"
    shown = set(detected)
    if shown & PHASE_PRINCIPLES["propose"]:
        return "counter_proposes"
    if shown & (PHASE_PRINCIPLES["apologize"] | PHASE_PRINCIPLES["empathize"]):
        doubtful = difficulty == "hard" and mood.trust < rules.repair_trust // 2
        return "tests_sincerity" if doubtful else "softens"
    if shown & PHASE_PRINCIPLES["listen"]:
        return "shares_side"
    if shown & PHASE_PRINCIPLES["acknowledge"]:
        return "vents" if mood.tension >= 50 else "shares_side"
    return "guarded" if mood.trust < rules.repair_trust // 2 else "shares_side"
