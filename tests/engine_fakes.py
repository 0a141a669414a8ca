"""Fakes for the engine's unit tests: a keyword scorer and the two model roles."""

from dataclasses import dataclass, field

from sim.llm.fake import FakeChatModel
from sim.personas import Persona, load_personas
from sim.scoring.types import AntiPatternHit, PrincipleScore, Span, TurnScore
from sim.vocab import PRINCIPLES, AntiPatternId, PrincipleId

KEYWORDS: dict[PrincipleId, str] = {
    "acknowledge": "i missed",
    "open_communication": "clear the air",
    "listen": "your side",
    "empathize": "must have felt",
    "apologize": "i apologize",
    "propose_solutions": "i will",
    "patience": "take your time",
    "rebuild_trust": "prove it",
    "common_ground": "we both",
    "set_expectations": "from now on",
}
ANTI: dict[AntiPatternId, str] = {
    "blame": "your fault",
    "excuse": "because traffic",
    "dismiss": "not a big deal",
    "avoid": "anyway, lunch",
    "pressure": "get over it",
    "defensive": "i did nothing wrong",
    "injection": "ignore previous instructions",
}


class KeywordScorer:
    """Level 2 for a principle whose keyword appears (3 when twice); flags anti-pattern keywords."""

    def score(self, text: str, context: str | None = None) -> TurnScore:
        low = text.lower()
        levels = []
        for p in PRINCIPLES:
            key = KEYWORDS[p]
            count, start = low.count(key), low.find(key)
            span = (
                Span(start=start, end=start + len(key), text=text[start : start + len(key)])
                if count
                else None
            )
            levels.append(PrincipleScore(id=p, score=min(3, 1 + count) if count else 0, span=span))
        anti = [AntiPatternHit(id=a) for a, key in ANTI.items() if key in low]
        return TurnScore(text=text, principles=levels, anti_patterns=anti, overall=50.0)


@dataclass
class FakeModels:
    persona: FakeChatModel = field(default_factory=lambda: FakeChatModel(default=None))
    coach: FakeChatModel = field(default_factory=lambda: FakeChatModel(default="Try naming it."))


def persona(persona_id: str = "wen-li") -> Persona:
    return load_personas().personas[persona_id]


CAREFUL = [
    "I missed the chance to talk to you first, and I want to clear the air. What is your side?",
    "That must have felt humiliating in front of Michael and the students.",
    "I apologize for calling it p-hacking. It was wrong and unfair.",
    "I will email Michael today and from now on I will raise disagreements with you first.",
    "I will also run the analysis both ways, and from now on we both decide together.",
    "I will keep my word; you can hold me to it, and from now on we both check in weekly.",
    "I will follow through, from now on.",
]
