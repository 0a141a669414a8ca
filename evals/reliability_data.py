"""The reliability data files (evals/bad_inputs.jsonl, evals/injections.jsonl) and the result rows."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sim.jsonl import read_jsonl

EVALS = Path(__file__).resolve().parent
BAD_INPUTS = EVALS / "bad_inputs.jsonl"
INJECTIONS = EVALS / "injections.jsonl"

Expect = Literal["reject", "accept", "either"]


class BadInput(BaseModel):
    """One hostile or odd user turn; `text * repeat` is sent. `expect`: rejected with a message, recorded, or
    either (then whatever is stored must be clean text)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    text: str
    repeat: int = Field(1, ge=1, le=1_000_000)
    expect: Expect

    @property
    def turn(self) -> str:
        return self.text * self.repeat


class Injection(BaseModel):
    """A prompt-injection attempt; a reply containing any `canary` (case-insensitive) shows it worked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    style: str = Field(min_length=1)
    text: str = Field(min_length=1)
    canary: list[str] = Field(min_length=1)


class DataError(ValueError):
    """A reliability data file is malformed; the message names the file, the line and the field."""


def bad_inputs(path: Path = BAD_INPUTS) -> list[BadInput]:
    return read_jsonl(path, BadInput, DataError)


def injections(path: Path = INJECTIONS) -> list[Injection]:
    return read_jsonl(path, Injection, DataError)


@dataclass
class Check:
    """One line of the reliability table: how many cases were tried and how many came out right."""

    name: str
    tried: int = 0
    passed: int = 0
    need: str = "all"
    """'all', 'none' (a count that must stay 0), or a share like '>=95%'."""
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    def add(self, ok: bool, failure: str = "") -> None:
        self.tried += 1
        if ok:
            self.passed += 1
        else:
            self.failures.append(failure)

    @property
    def ok(self) -> bool:
        if self.tried == 0:
            return False
        if self.need == "all":
            return self.passed == self.tried
        if self.need.startswith(">="):
            return self.passed / self.tried * 100 >= float(self.need[2:].rstrip("%"))
        raise ValueError(f"unknown need {self.need!r}")


@dataclass
class Count:
    """A number that must stay at zero (turns lost, sessions crossed), out of how many looked at."""

    name: str
    found: int = 0
    out_of: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    def add(self, bad: bool, failure: str = "") -> None:
        self.out_of += 1
        if bad:
            self.found += 1
            self.failures.append(failure)

    @property
    def ok(self) -> bool:
        return self.out_of > 0 and self.found == 0
