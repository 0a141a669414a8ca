"""Colleague personas: YAML files in `personas/` validated into `Persona` (see personas/SCHEMA.md)."""

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from sim.paths import data_dir
from sim.vocab import MOVES, AntiPatternId, Difficulty, MoveId, Situation

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")]


class PersonaError(ValueError):
    """A persona file is missing, unreadable or breaks the schema; the message names the file and field."""


class Persona(BaseModel):
    """One colleague the user rehearses with. Field meanings: personas/SCHEMA.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    name: Text
    role: Text
    relation: Text
    situation: Situation
    incident: Text
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=90)]
    how_they_took_it: Text
    personality: list[Text] = Field(min_length=1)
    speaking_style: Text
    difficulty: Difficulty
    triggers: list[AntiPatternId] = Field(default_factory=list)
    rebuilds_trust: list[Text] = Field(min_length=1)
    opening_line: Text
    lines: dict[MoveId, list[Text]]

    @model_validator(mode="after")
    def _every_move_has_lines(self) -> "Persona":
        for move in MOVES:
            found = self.lines.get(move)
            if found is None:
                raise ValueError(f"lines.{move}: missing; every move needs at least two authored lines")
            if len(found) < 2:
                raise ValueError(f"lines.{move}: has {len(found)} line(s); at least two are needed")
        return self

    def lines_text(self) -> list[str]:
        """Everything the persona may say in its own words: authored lines, opening, the incident."""
        authored = [line for move in MOVES for line in self.lines[move]]
        return [self.opening_line, self.incident, self.how_they_took_it, *authored]


class PersonaLoad(NamedTuple):
    """What a folder held: the valid personas by id, and one message per broken file."""

    personas: dict[str, Persona]
    errors: list[str]


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(message if message.startswith("lines.") else f"field '{where}': {message}")
    return "; ".join(parts)


def load_persona(path: Path) -> Persona:
    """Read and validate one persona file; raises PersonaError naming the file and the field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PersonaError(f"{path}: cannot read ({exc})") from exc
    except yaml.YAMLError as exc:
        raise PersonaError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise PersonaError(f"{path}: must be a mapping of fields, got {type(raw).__name__}")
    try:
        persona = Persona.model_validate(raw)
    except ValidationError as exc:
        raise PersonaError(f"{path}: {_describe(exc)}") from exc
    if persona.id != path.stem:
        raise PersonaError(f"{path}: field 'id' is {persona.id!r} but must equal the file name {path.stem!r}")
    return persona


def load_personas(folder: Path | None = None) -> PersonaLoad:
    """Every `*.yaml` persona in the folder (default: the project's `personas/`).

    A broken file is reported in `errors` and skipped; the good ones still load.
    """
    folder = folder or data_dir("personas")
    return collect(sorted(folder.glob("*.yaml")))


def collect(paths: Iterable[Path]) -> PersonaLoad:
    personas: dict[str, Persona] = {}
    errors: list[str] = []
    for path in paths:
        try:
            persona = load_persona(path)
        except PersonaError as exc:
            errors.append(str(exc))
            continue
        if persona.id in personas:
            errors.append(f"{path}: field 'id' {persona.id!r} is already used by another persona")
            continue
        personas[persona.id] = persona
    return PersonaLoad(personas, errors)
