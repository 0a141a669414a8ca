"""`python -m evals dialogues`: the scripted conversations in evals/dialogues/, through the app's own engine.

Each file is a script plus what must come of it. The replies do not decide anything (phase, mood and
outcome follow the scorer), so the verdicts are deterministic given the scorer; the model only
changes which replies are generated, retried or authored fallbacks, which the summary reports.
"""

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.config import Settings, get_settings
from sim.engine.guard import check
from sim.engine.play import run_script
from sim.engine.relevance import topic_gate_for
from sim.engine.session import Rehearsal
from sim.engine.state import SessionView
from sim.engine.store import sqlite_checkpointer
from sim.llm.fake import FakeChatModel
from sim.personas import Persona, load_personas
from sim.vocab import PHASES, Difficulty, MoveId, Outcome

FOLDER = Path(__file__).parent / "dialogues"
FAKE_REPLY = "I hear you. I am not sure yet where this leaves us."


class Expect(BaseModel):
    """What a script must end in."""

    model_config = ConfigDict(extra="forbid")

    outcome: list[Outcome | None] = Field(min_length=1)
    """Allowed outcomes; null allows an unfinished conversation."""
    trust: Literal["up", "down", "flat"] | None = None
    feedback_contains: list[str] = []
    """Each text must appear in some turn's feedback."""
    no_phase_advance: bool = False
    no_credit: bool = False
    """No turn raises trust."""
    less_trust_than: str | None = None
    """The final trust must be lower than that of this other script (same persona and difficulty)."""
    moves_include: list[MoveId] = []


class Dialogue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    persona: str
    difficulty: Difficulty | None = None
    description: str = ""
    turns: list[str] = Field(min_length=1)
    expect: Expect
    known_failure: str | None = None
    """Why this script is known to fail today (an open defect, named). It is still run and printed as
    XFAIL; the run fails if it starts passing (XPASS), so the marker cannot outlive the defect."""


class Result(NamedTuple):
    name: str
    view: SessionView
    failures: list[str]
    guard_failures: int


def load_dialogues(folder: Path = FOLDER) -> dict[str, Dialogue]:
    found: dict[str, Dialogue] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            found[path.stem] = Dialogue.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise SystemExit(f"{path}: field '{where}': {first['msg']}") from exc
    return found


def judge(dialogue: Dialogue, view: SessionView, persona: Persona) -> tuple[list[str], int]:
    """The failed expectations of one finished script, and how many of its replies fail the guard."""
    want, failures = dialogue.expect, []
    start = view.turns[0].mood_before.trust
    end = view.mood.trust
    if view.outcome not in want.outcome:
        failures.append(f"outcome {view.outcome} not in {want.outcome}")
    direction = "up" if end > start else "down" if end < start else "flat"
    if want.trust and direction != want.trust:
        failures.append(f"trust went {direction} ({start}->{end}), expected {want.trust}")
    said = [line for turn in view.turns for line in turn.feedback]
    failures += [
        f"no feedback contains {text!r}"
        for text in want.feedback_contains
        if not any(text in s for s in said)
    ]
    if want.no_phase_advance and any(
        PHASES.index(t.phase_after) > PHASES.index(t.phase_before) or t.skipped for t in view.turns
    ):
        failures.append("the phase advanced")
    if want.no_credit and any(t.mood_after.trust > t.mood_before.trust for t in view.turns):
        failures.append("a turn earned trust")
    moves = {t.move for t in view.turns}
    failures += [f"move {m} never chosen" for m in want.moves_include if m not in moves]
    previous = [view.opening_line]
    guard_failures = 0
    for turn in view.turns:
        if not check(turn.reply, persona, previous=previous).ok:
            guard_failures += 1
            failures.append(f"turn {turn.index + 1}: reply fails the guard: {turn.reply!r}")
        previous.append(turn.reply)
    return failures, guard_failures


@contextmanager
def open_rehearsal(model: str, settings: Settings, personas: dict[str, Persona]) -> Iterator[Rehearsal]:
    from sim.scoring import load_scorer

    with ExitStack() as stack:
        checkpointer = stack.enter_context(sqlite_checkpointer(":memory:"))
        if model == "embedded":
            from sim.llm.backend import open_models

            models: Any = stack.enter_context(open_models(settings))
            judge_model, gate = models.judge, topic_gate_for(settings)
        else:
            fake = FakeChatModel(name="fake", default=FAKE_REPLY)
            models, judge_model, gate = argparse.Namespace(persona=fake, coach=fake), None, None
        scorer = load_scorer(settings, judge=judge_model)
        yield Rehearsal(
            models,
            scorer,
            checkpointer,
            personas,
            settings=settings,
            use_default_coach=False,
            topic_gate=gate,
        )


def run(model: str, only: list[str] | None = None) -> list[Result]:
    personas = load_personas().personas
    dialogues = load_dialogues()
    if only:
        dialogues = {k: v for k, v in dialogues.items() if k in only}
    settings = get_settings()
    if model == "embedded":
        settings = settings.model_copy(update={"base_url": None, "api_key": None})
    results: list[Result] = []
    with open_rehearsal(model, settings, personas) as rehearsal:
        for name, dialogue in dialogues.items():
            if dialogue.persona not in personas:
                raise SystemExit(
                    f"{FOLDER / name}.json: field 'persona': unknown persona {dialogue.persona!r}"
                )
            view = run_script(rehearsal, dialogue.persona, dialogue.turns, dialogue.difficulty)
            failures, guard_failures = judge(dialogue, view, personas[dialogue.persona])
            results.append(Result(name, view, failures, guard_failures))
    ends = {r.name: r.view.mood.trust for r in results}
    for result in results:
        other = dialogues[result.name].expect.less_trust_than
        if other and other in ends and not ends[result.name] < ends[other]:
            result.failures.append(f"trust {ends[result.name]} not below {other}'s {ends[other]}")
    return results


def summary(results: list[Result]) -> dict[str, Any]:
    sources = Counter(t.reply_source for r in results for t in r.view.turns)
    replies = sum(sources.values())
    rejected = Counter(g.split(": ", 1)[-1] for r in results for t in r.view.turns for g in t.guard_reasons)
    return {
        "scripts": len(results),
        "passed": sum(not r.failures for r in results),
        "replies": replies,
        "share": {
            s: round(sources[s] / replies, 3) if replies else 0.0
            for s in ("generated", "retried", "fallback")
        },
        "guard_pass_rate": round(1 - sum(r.guard_failures for r in results) / replies, 3) if replies else 1.0,
        "rejected_by_guard": dict(rejected.most_common()),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", choices=("embedded", "fake"), default="embedded", help="who voices the replies"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--only", nargs="*", help="run only these scripts (file names without .json)")


def verdict(result: Result, known_failure: str | None) -> str:
    """PASS, FAIL, XFAIL (fails for its named known defect) or XPASS (a known failure now passes)."""
    if known_failure:
        return "XFAIL" if result.failures else "XPASS"
    return "FAIL" if result.failures else "PASS"


def main(args: argparse.Namespace) -> int:
    results = run(args.model, args.only)
    total = summary(results)
    known = {name: d.known_failure for name, d in load_dialogues().items()}
    marks = {r.name: verdict(r, known.get(r.name)) for r in results}
    total["xfail"] = sorted(n for n, m in marks.items() if m == "XFAIL")
    bad = [n for n, m in marks.items() if m in ("FAIL", "XPASS")]
    if args.json:
        rows = []
        for r in results:
            sources = Counter(t.reply_source for t in r.view.turns)
            start = r.view.turns[0].mood_before.trust
            rows.append(
                {
                    "name": r.name,
                    "ok": not r.failures,
                    "mark": marks[r.name],
                    "failures": r.failures,
                    "outcome": r.view.outcome,
                    "trust": [start, r.view.mood.trust],
                    "turns": len(r.view.turns),
                    "sources": dict(sources),
                }
            )
        print(json.dumps({"model": args.model, "results": rows, "summary": total}, indent=2))
    else:
        for r in results:
            sources = Counter(t.reply_source for t in r.view.turns)
            start = r.view.turns[0].mood_before.trust
            mark = marks[r.name]
            print(
                f"{mark} {r.name}: {r.view.outcome or 'unfinished'} after {len(r.view.turns)} turns, "
                f"trust {start}->{r.view.mood.trust}, replies "
                + " ".join(f"{s}={sources[s]}" for s in ("generated", "retried", "fallback"))
            )
            for failure in r.failures:
                print(f"     - {failure}")
            if mark in ("XFAIL", "XPASS"):
                print(
                    f"     known failure: {known[r.name]}"
                    + (" (now passes: remove the marker)" if mark == "XPASS" else "")
                )
        share = total["share"]
        print(
            f"{total['passed']}/{total['scripts']} scripts passed ({len(total['xfail'])} known failures); "
            f"{total['replies']} replies: generated "
            f"{share['generated']:.0%}, retried {share['retried']:.0%}, fallback {share['fallback']:.0%}; "
            f"guard pass rate of replies shown {total['guard_pass_rate']:.0%}"
        )
        rejected = total["rejected_by_guard"]
        if rejected:
            print("model replies the guard rejected: " + ", ".join(f"{k} {v}" for k, v in rejected.items()))
    sys.stdout.flush()
    return 0 if not bad and total["scripts"] else 1
