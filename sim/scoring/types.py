"""TurnScore: how one user turn stands against the ten principles. Shared by engine, UI, exports, evals."""

from typing import Literal, Protocol

from pydantic import BaseModel, Field

from sim.vocab import DETECTED_AT, PRINCIPLES, AntiPatternId, PrincipleId


class Span(BaseModel):
    """A piece of the user's own text, by character offsets into TurnScore.text."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class PrincipleScore(BaseModel):
    """One principle's level: 0 absent, 1 hinted, 2 clear, 3 exemplary."""

    id: PrincipleId
    score: int = Field(ge=0, le=3)
    probability: float = Field(0.0, ge=0, le=1)
    span: Span | None = None


class AntiPatternHit(BaseModel):
    """An anti-pattern found in the turn, with the words that show it."""

    id: AntiPatternId
    probability: float = Field(1.0, ge=0, le=1)
    span: Span | None = None


class TurnScore(BaseModel):
    """The scorer's verdict on one user turn."""

    text: str
    principles: list[PrincipleScore]
    """All ten principles, in the order of sim.vocab.PRINCIPLES."""
    anti_patterns: list[AntiPatternHit] = []
    reason: str = ""
    overall: float = Field(0.0, ge=0, le=100)
    """Turn score 0-100 from sim.scoring.aggregate.turn_score."""
    confidence: float = Field(0.0, ge=0, le=1)
    scorer: Literal["embed", "judge", "ensemble"] = "embed"
    unscored: str | None = None
    """Set (with the reason) when the scorer could not score the turn; then all levels are 0."""

    @property
    def detected(self) -> list[PrincipleId]:
        return [p.id for p in self.principles if p.score >= DETECTED_AT]

    @property
    def anti(self) -> list[AntiPatternId]:
        return [a.id for a in self.anti_patterns]

    def level(self, principle: PrincipleId) -> int:
        return next(p.score for p in self.principles if p.id == principle)


def empty_principles() -> list[PrincipleScore]:
    return [PrincipleScore(id=p, score=0) for p in PRINCIPLES]


class Scorer(Protocol):
    """Anything that turns a user turn (and optionally the colleague's last line) into a TurnScore."""

    def score(self, text: str, context: str | None = None) -> TurnScore: ...
