"""One turn of the rules, pure: the score moves the phase, the mood and the outcome; the move follows."""

from collections.abc import Sequence
from typing import NamedTuple

from sim.engine.feedback import turn_feedback
from sim.engine.mood import profile, update_mood
from sim.engine.moves import choose_move
from sim.engine.phases import VOIDING, PhaseStep, advance, decide_outcome
from sim.engine.state import Mood
from sim.personas import Persona
from sim.scoring.types import TurnScore
from sim.vocab import AntiPatternId, Difficulty, MoveId, Outcome, Phase, PrincipleId


class TurnResult(NamedTuple):
    """Everything the rules decide about one user turn."""

    step: PhaseStep
    mood: Mood
    outcome: Outcome | None
    feedback: list[str]


def signals(score: TurnScore) -> tuple[dict[PrincipleId, int], list[PrincipleId], list[AntiPatternId]]:
    """Levels, detected principles and anti-patterns (deduplicated); an unscored turn shows nothing."""
    if score.unscored:
        return {}, [], []
    levels = {p.id: p.score for p in score.principles}
    return levels, score.detected, list(dict.fromkeys(score.anti))


def is_strike(score: TurnScore) -> bool:
    """A turn with an anti-pattern that costs trust (an injection attempt alone does not)."""
    return bool(set(signals(score)[2]) - VOIDING)


def apply_turn(
    *,
    phase: Phase,
    completed: Sequence[Phase],
    mood: Mood,
    score: TurnScore,
    persona: Persona,
    difficulty: Difficulty,
    turn_number: int,
    strikes_before: int = 0,
) -> TurnResult:
    """Apply the rules to turn `turn_number` (1-based); `strikes_before` counts earlier anti-pattern turns.

    Raises ValueError on an impossible state.
    """
    rules = profile(difficulty)
    levels, detected, anti = signals(score)
    step = advance(phase, completed, detected, anti)
    new_mood = update_mood(
        mood,
        levels=levels,
        anti=anti,
        triggers=persona.triggers,
        completed=step.completed,
        skipped=len(step.skipped),
        difficulty=difficulty,
    )
    outcome = decide_outcome(
        completed=step.completed,
        trust=new_mood.trust,
        tension=new_mood.tension,
        anti=anti,
        strikes=strikes_before + is_strike(score),
        turns=turn_number,
        repair_trust=rules.repair_trust,
        walkout_trust=rules.walkout_trust,
        walkout_tension=rules.walkout_tension,
        max_turns=rules.max_turns,
    )
    feedback = turn_feedback(
        step,
        phase_before=phase,
        detected=detected,
        anti=anti,
        triggers=persona.triggers,
        mood_before=mood,
        mood_after=new_mood,
        repair_trust=rules.repair_trust,
        outcome=outcome,
        name=persona.name.split()[0],
    )
    if score.unscored:
        feedback.insert(0, f"This turn could not be scored ({score.unscored}); nothing moved.")
    return TurnResult(step, new_mood, outcome, feedback)


def next_move(
    step: PhaseStep,
    mood: Mood,
    *,
    score: TurnScore,
    persona: Persona,
    outcome: Outcome | None,
    difficulty: Difficulty,
) -> MoveId:
    """The colleague's move after the rules have run on this turn."""
    _, detected, anti = signals(score)
    return choose_move(
        step,
        mood,
        detected=detected,
        anti=anti,
        triggers=persona.triggers,
        outcome=outcome,
        difficulty=difficulty,
    )
