"""Labeled user turns (JSONL), as in docs/labeling.md, validated line by line."""

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.jsonl import read_jsonl
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
    return read_jsonl(path, Example, DatasetError)


def write_examples(path: Path, examples: list[Example]) -> None:
    """Write examples as JSONL, one per line, fields in a stable order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for ex in examples:
            fh.write(json.dumps(ex.model_dump(exclude_none=True), ensure_ascii=False) + "\n")
