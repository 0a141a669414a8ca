"""The rubric as validated data: ten principles and seven anti-patterns from `rubric.yaml`."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.vocab import ANTI_PATTERNS, PRINCIPLES, AntiPatternId, PrincipleId

RUBRIC_PATH = Path(__file__).with_name("rubric.yaml")


class RubricError(ValueError):
    """The rubric file is malformed; the message names the file and the field."""


class Principle(BaseModel):
    """One principle: what it means, what each level looks like, examples and coaching material."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: PrincipleId
    label: str = Field(min_length=1)
    """The short title shown in the app and the exports."""
    name: str = Field(min_length=1)
    description: str = Field(min_length=20)
    levels: dict[Literal[0, 1, 2, 3], str]
    tip: str = Field(min_length=1)
    positive: list[str] = Field(min_length=1)
    negative: list[str] = Field(min_length=1)
    templates: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _all_levels(self) -> "Principle":
        if sorted(self.levels) != [0, 1, 2, 3]:
            raise ValueError(f"principle {self.id}: levels must describe 0, 1, 2 and 3")
        return self


class AntiPattern(BaseModel):
    """One anti-pattern with examples of what it is and what it is not."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: AntiPatternId
    name: str = Field(min_length=1)
    description: str = Field(min_length=10)
    positive: list[str] = Field(min_length=1)
    negative: list[str] = Field(min_length=1)


class Rubric(BaseModel):
    """All ten principles and seven anti-patterns, in the order of sim.vocab."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    principles: list[Principle]
    anti_patterns: list[AntiPattern]

    @model_validator(mode="after")
    def _complete(self) -> "Rubric":
        if tuple(p.id for p in self.principles) != PRINCIPLES:
            raise ValueError(f"principles must be exactly {list(PRINCIPLES)} in that order")
        if tuple(a.id for a in self.anti_patterns) != ANTI_PATTERNS:
            raise ValueError(f"anti_patterns must be exactly {list(ANTI_PATTERNS)} in that order")
        return self

    def principle(self, pid: PrincipleId) -> Principle:
        return next(p for p in self.principles if p.id == pid)

    def anti_pattern(self, aid: AntiPatternId) -> AntiPattern:
        return next(a for a in self.anti_patterns if a.id == aid)


def parse_rubric(path: Path) -> Rubric:
    """Read and validate a rubric file; errors name the file and the failing field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RubricError(f"{path}: cannot read rubric ({exc})") from exc
    try:
        return Rubric.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(x) for x in first["loc"]) or "(top level)"
        raise RubricError(f"{path}: field {field}: {first['msg']}") from exc


@lru_cache(maxsize=1)
def load_rubric() -> Rubric:
    """The project's rubric, read once."""
    return parse_rubric(RUBRIC_PATH)
