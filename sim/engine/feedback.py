"""Feedback sentences for one turn: what moved, what was skipped, what cost trust. Pure."""

from collections.abc import Collection
from typing import Final

from sim.engine.phases import PhaseStep, owed
from sim.engine.state import Mood
from sim.vocab import PHASES, AntiPatternId, Outcome, Phase, PrincipleId

TITLE: Final[dict[Phase, str]] = {
    "acknowledge": "Acknowledging",
    "listen": "Listening",
    "empathize": "Empathy",
    "apologize": "Apology",
    "propose": "Solutions",
}
NOUN: Final[dict[Phase, str]] = {
    "acknowledge": "acknowledging",
    "listen": "listening",
    "empathize": "empathy",
    "apologize": "an apology",
    "propose": "solutions",
}
DID: Final[dict[Phase, str]] = {
    "acknowledge": "named the problem",
    "listen": "asked for their side",
    "empathize": "showed understanding",
    "apologize": "apologized",
    "propose": "proposed fixes",
}
MISSING: Final[dict[Phase, str]] = {
    "acknowledge": "naming what went wrong",
    "listen": "hearing their side",
    "empathize": "showing you understand how it felt",
    "apologize": "owning your part",
    "propose": "agreeing on next steps",
}
HINT: Final[dict[Phase, str]] = {
    "acknowledge": "Name what happened and your part in it.",
    "listen": "Ask for their side and let them finish.",
    "empathize": "Show you understand how it felt for them.",
    "apologize": "Apologize for the specific thing, without excuses.",
    "propose": "Offer concrete steps and agree how you will work from now on.",
}
ANTI: Final[dict[AntiPatternId, str]] = {
    "blame": "Blame: pointing at them or at others costs trust.",
    "excuse": "Excuse: explaining it away undercuts the apology.",
    "dismiss": "Dismissing: playing down how it affected them costs trust.",
    "avoid": "Avoiding: steering away from what happened leaves it unresolved.",
    "pressure": "Pressure: pushing them to move on before they are ready costs trust.",
    "defensive": "Defensive: defending yourself instead of hearing them costs trust.",
    "injection": (
        "Not part of the conversation: instructions to the simulator change nothing and earn no credit."
    ),
}


def skip_sentence(shown: Phase, skipped: Phase) -> str:
    """E.g. 'Solutions before listening: you proposed fixes before hearing their side.'"""
    return f"{TITLE[shown]} before {NOUN[skipped]}: you {DID[shown]} before {MISSING[skipped]}."


def turn_feedback(
    step: PhaseStep,
    *,
    phase_before: Phase,
    detected: Collection[PrincipleId],
    anti: Collection[AntiPatternId],
    triggers: Collection[AntiPatternId],
    mood_before: Mood,
    mood_after: Mood,
    repair_trust: int,
    outcome: Outcome | None,
    name: str,
) -> list[str]:
    """Plain sentences about this turn, most important first."""
    out: list[str] = []
    for anti_id in anti:
        sentence = ANTI[anti_id]
        out.append(f"{sentence} It hits {name} hardest." if anti_id in triggers else sentence)
    if step.regressed:
        out.append(f"Back to {NOUN[step.phase]}: after that, {name} needs this again. {HINT[step.phase]}")
    if step.shown:
        furthest = step.shown[-1]
        out.extend(skip_sentence(furthest, s) for s in step.skipped)
        shown = ", ".join(NOUN[p] for p in step.shown)
        out.append(f"Shown clearly: {shown}.")
    elif not anti:
        out.append(f"No repair principle came through clearly. {HINT[phase_before]}")
    missing = owed(step.completed, step.phase)
    if missing and step.phase == "propose":
        out.append("Still owed: " + ", ".join(NOUN[p] for p in missing) + ".")
    elif step.phase != phase_before and not step.regressed and "propose" not in step.completed:
        out.append(f"Next: {HINT[step.phase]}")
    if outcome is None and set(step.completed) >= set(PHASES) and mood_after.trust < repair_trust:
        out.append(
            f"Trust is {mood_after.trust} of the {repair_trust} needed: keep showing it; repair takes time."
        )
    if outcome == "repaired":
        out.append(f"Repaired: {name} is willing to work with you again.")
    elif outcome == "walked_out":
        out.append(f"{name} walked out: trust fell too low or tension ran too high.")
    elif outcome == "stalled":
        out.append("Stalled: the turn limit came before the repair.")
    delta = mood_after.trust - mood_before.trust
    if delta:
        out.append(f"Trust {mood_before.trust} → {mood_after.trust} ({delta:+d}).")
    return out
