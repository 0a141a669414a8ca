"""Coaching: which principle to work on next, a tip, and a better version of the user's turn.

The better version comes from the coach model (prompts/coach.md) when one is given, otherwise it is
composed from the user's own sentences (minus the ones carrying an anti-pattern) and a rubric
template filled with the persona's incident. It is shown only if the scorer rates it higher than
the user's turn on the target principle and finds no anti-pattern in it.
"""

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Final, NamedTuple, Protocol

from sim.llm.protocol import ChatModel, ModelError
from sim.prompts import load_prompts
from sim.scoring.lexical import find_cues
from sim.scoring.rubric import Rubric, load_rubric
from sim.scoring.sentences import split_sentences
from sim.scoring.types import Scorer, Span, TurnScore
from sim.vocab import PRINCIPLES, Phase, PrincipleId

NEXT_BY_PHASE: Final[Mapping[Phase, tuple[PrincipleId, ...]]] = {
    "acknowledge": ("acknowledge", "open_communication", "apologize", "empathize", "listen"),
    "listen": ("listen", "empathize", "acknowledge", "patience"),
    "empathize": ("empathize", "listen", "apologize", "acknowledge"),
    "apologize": ("apologize", "acknowledge", "empathize", "rebuild_trust"),
    "propose": ("propose_solutions", "set_expectations", "rebuild_trust", "common_ground", "patience"),
}
_PRONOUNS: Final = {
    "her": "your",
    "his": "your",
    "their": "your",
    "him": "you",
    "them": "you",
    "she": "you",
    "he": "you",
    "they": "you",
    "hers": "yours",
    "theirs": "yours",
}


class PersonaLike(Protocol):
    """What the coach needs from a persona."""

    @property
    def name(self) -> str: ...
    @property
    def incident(self) -> str: ...
    @property
    def summary(self) -> str: ...


class Coaching(NamedTuple):
    """The principle to work on next, a tip, and a better reply (None unless it scores higher)."""

    principle: PrincipleId
    tip: str
    better_reply: str | None


def next_principle(score: TurnScore, phase: Phase, shown: Collection[PrincipleId] = ()) -> PrincipleId:
    """The phase's first principle not yet shown (in this turn or `shown`); else the phase's own."""
    done = set(score.detected) | set(shown)
    order = (*NEXT_BY_PHASE[phase], *PRINCIPLES)
    return next((p for p in order if p not in done), NEXT_BY_PHASE[phase][0])


def first_person(summary: str) -> str:
    """'Mocked her rota at the huddle; you've barely spoken since.' -> 'I mocked your rota at the huddle'."""
    clause = re.split(r"[;.!?]|\s[-–—]\s", summary.strip(), maxsplit=1)[0].strip()
    if not clause:
        return "I let you down"
    words = [_PRONOUNS.get(w.lower(), w) for w in clause.split()]
    if words[0].lower() not in ("i", "you"):
        words[0] = words[0][0].lower() + words[0][1:]
        words.insert(0, "I")
    return " ".join(words)


def keep_clean(score: TurnScore) -> str:
    """The user's sentences without those carrying an anti-pattern or a lexical cue; empty on injection."""
    if "injection" in score.anti:
        return ""
    bad: list[Span] = [a.span for a in score.anti_patterns if a.span is not None]
    bad += [h.span for h in find_cues(score.text)]
    kept = [
        s.text
        for s in split_sentences(score.text)
        if not any(b.start < s.end and s.start < b.end for b in bad)
    ]
    return " ".join(kept)


def composed(score: TurnScore, principle: PrincipleId, persona: PersonaLike, rubric: Rubric) -> list[str]:
    """Candidate better replies: the user's clean sentences plus each template of the principle."""
    first_name = persona.name.split()[0] if persona.name.strip() else "there"
    incident = first_person(persona.summary or persona.incident)
    base = keep_clean(score)
    out = []
    for template in rubric.principle(principle).templates:
        line = template.format(incident=incident, name=first_name)
        line = line[0].upper() + line[1:]
        out.append(f"{base} {line}".strip() if base else line)
    return out


def rewritten(
    score: TurnScore, principle: PrincipleId, persona: PersonaLike, model: ChatModel, rubric: Rubric
) -> str | None:
    """The coach model's rewrite, cleaned; None if the model fails or answers nothing usable."""
    entry = rubric.principle(principle)
    prompt = load_prompts()["coach"].render(
        principle_name=entry.name,
        principle_description=entry.description,
        tip=entry.tip,
        example=entry.positive[0],
        colleague=persona.name,
        incident=persona.summary or persona.incident,
        text=score.text,
    )
    try:
        reply = model.complete([{"role": "user", "content": prompt}], max_tokens=160, temperature=0.3)
    except ModelError:
        return None
    text = reply.text.strip().split("\n\n")[0].strip().strip('"“”').strip()
    return text or None


def _first_better(
    candidates: Sequence[str], principle: PrincipleId, level: int, scorer: Scorer
) -> str | None:
    for candidate in candidates:
        verdict = scorer.score(candidate)
        if verdict.level(principle) > level and not verdict.anti:
            return candidate
    return None


def coach(
    score: TurnScore,
    phase: Phase,
    persona: PersonaLike,
    scorer: Scorer,
    model: ChatModel | None = None,
    *,
    shown: Collection[PrincipleId] = (),
) -> Coaching:
    """The principle to work on next and, when one scores higher on it, a better version of the turn."""
    rubric = load_rubric()
    principle = next_principle(score, phase, shown)
    tip = rubric.principle(principle).tip
    level = score.level(principle)
    if level >= 3 or (score.unscored and not score.text.strip()):
        return Coaching(principle, tip, None)
    candidates: list[str] = []
    if model is not None:
        llm = rewritten(score, principle, persona, model, rubric)
        if llm:
            candidates.append(llm)
    candidates += composed(score, principle, persona, rubric)
    better = _first_better(candidates, principle, level, scorer)
    return Coaching(principle, tip, better)
