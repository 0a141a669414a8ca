"""Phase transitions: a table of which principles complete which phase, and one pure step function.

acknowledge -> listen -> empathize -> apologize -> propose. The phase is the furthest stage the
conversation has reached; `completed` is the set of phases whose principles the user has shown.
Showing a later phase's principles jumps ahead (the passed-over phases are recorded as skipped and
stay owed until shown); a turn with an anti-pattern earns no phase, and blaming, dismissing or
getting defensive sends the phase back one step. An injection turn changes nothing.
"""

from collections.abc import Collection, Mapping
from typing import Final, NamedTuple

from sim.vocab import PHASES, AntiPatternId, Outcome, Phase, PrincipleId

PHASE_PRINCIPLES: Final[Mapping[Phase, frozenset[PrincipleId]]] = {
    "acknowledge": frozenset({"acknowledge", "open_communication"}),
    "listen": frozenset({"listen"}),
    "empathize": frozenset({"empathize"}),
    "apologize": frozenset({"apologize"}),
    "propose": frozenset({"propose_solutions", "set_expectations", "common_ground", "rebuild_trust"}),
}
"""The principles that, shown clearly (score >= 2), complete each phase. `patience` completes none."""

REGRESSING: Final[frozenset[AntiPatternId]] = frozenset({"blame", "dismiss", "defensive"})
"""Anti-patterns that send the phase back one step (the colleague needs to be heard again)."""

VOIDING: Final[frozenset[AntiPatternId]] = frozenset({"injection"})
"""Anti-patterns that void the turn: no phase moves, no credit."""


WALKOUT_STRIKES: Final = 2
"""Turns with an anti-pattern it takes before the colleague can walk out: one lapse is not the end."""


class PhaseStep(NamedTuple):
    """The result of one turn on the phase machine."""

    phase: Phase
    completed: tuple[Phase, ...]
    """In PHASES order."""
    shown: tuple[Phase, ...]
    """Phases whose principles this turn showed (and that counted)."""
    skipped: tuple[Phase, ...]
    """Phases passed over by a jump ahead this turn, in PHASES order."""
    regressed: bool


def phase_of(principle: PrincipleId) -> Phase | None:
    return next((ph for ph, group in PHASE_PRINCIPLES.items() if principle in group), None)


def _check(phase: str, completed: Collection[str]) -> None:
    if phase not in PHASES:
        raise ValueError(f"impossible state: unknown phase {phase!r}")
    unknown = [c for c in completed if c not in PHASES]
    if unknown:
        raise ValueError(f"impossible state: unknown completed phases {unknown}")


def ordered(phases: Collection[Phase]) -> tuple[Phase, ...]:
    return tuple(p for p in PHASES if p in phases)


def advance(
    phase: Phase,
    completed: Collection[Phase],
    detected: Collection[PrincipleId],
    anti: Collection[AntiPatternId],
) -> PhaseStep:
    """Move the phase machine by one user turn. Raises ValueError on an impossible state."""
    _check(phase, completed)
    if set(anti) & VOIDING:
        return PhaseStep(phase, ordered(completed), (), (), False)
    done = set(completed)
    here = PHASES.index(phase)
    if anti:
        if not set(anti) & REGRESSING:
            return PhaseStep(phase, ordered(done), (), (), False)
        back = max(here - 1, 0)
        done.discard(PHASES[back])
        return PhaseStep(PHASES[back], ordered(done), (), (), back != here or bool(set(completed) - done))
    shown = ordered({ph for ph in PHASES if PHASE_PRINCIPLES[ph] & set(detected)})
    if not shown:
        return PhaseStep(phase, ordered(done), (), (), False)
    furthest = max(PHASES.index(s) for s in shown)
    passed = {PHASES[i] for i in range(here, furthest)}
    skipped = ordered(passed - done - set(shown))
    done |= set(shown)
    target = max(here, min(furthest + 1, len(PHASES) - 1))
    return PhaseStep(PHASES[target], ordered(done), shown, skipped, False)


def owed(completed: Collection[Phase], phase: Phase) -> tuple[Phase, ...]:
    """Phases before the current one that were never shown (skipped and not made up)."""
    _check(phase, completed)
    return tuple(p for p in PHASES[: PHASES.index(phase)] if p not in completed)


def decide_outcome(
    *,
    completed: Collection[Phase],
    trust: int,
    tension: int,
    anti: Collection[AntiPatternId],
    strikes: int,
    turns: int,
    repair_trust: int,
    walkout_trust: int,
    walkout_tension: int,
    max_turns: int,
) -> Outcome | None:
    """The outcome after a turn, or None while the conversation goes on.

    repaired: every phase shown and trust at the difficulty's threshold, on a clean turn;
    walked_out: on a turn with an anti-pattern (not a mere injection attempt), when it is at least the
    second such turn (`strikes` counts them, this one included) and trust is at or below the floor or
    tension at or above the ceiling;
    stalled: the turn limit reached without either.
    """
    if turns < 1 or turns > max_turns:
        raise ValueError(f"impossible state: turn {turns} outside 1..{max_turns}")
    if strikes < 0 or strikes > turns:
        raise ValueError(f"impossible state: {strikes} strikes in {turns} turns")
    if not anti and set(completed) >= set(PHASES) and trust >= repair_trust:
        return "repaired"
    hit = bool(set(anti) - VOIDING)
    if hit and strikes >= WALKOUT_STRIKES and (trust <= walkout_trust or tension >= walkout_tension):
        return "walked_out"
    if turns >= max_turns:
        return "stalled"
    return None
