"""Labeled user turns (JSONL), as in docs/labeling.md, validated line by line."""

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.vocab import AntiPatternId, PrincipleId


class DatasetError(ValueError):
    """A data line is malformed; the message names the file, the line and the field."""


class Example(BaseModel):
    """One labeled turn."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    text: str
    labels: list[PrincipleId] = []
    anti: list[AntiPatternId] = []
    context: str | None = None

    @model_validator(mode="after")
    def _unique(self) -> "Example":
        if len(set(self.labels)) != len(self.labels) or len(set(self.anti)) != len(self.anti):
            raise ValueError("labels and anti must not repeat an id")
        return self


def load_examples(path: Path) -> list[Example]:
    """Every example in a JSONL file; blank lines are skipped, ids must be unique."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from exc
    examples: list[Example] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            example = Example.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(x) for x in first["loc"]) or "(line)"
            raise DatasetError(f"{path}:{number}: field {field}: {first['msg']}") from exc
        if example.id in seen:
            raise DatasetError(f"{path}:{number}: field id: duplicate id {example.id!r}")
        seen.add(example.id)
        examples.append(example)
    return examples


def write_examples(path: Path, examples: list[Example]) -> None:
    """Write examples as JSONL, one per line, fields in a stable order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for ex in examples:
            fh.write(json.dumps(ex.model_dump(exclude_none=True), ensure_ascii=False) + "\n")
