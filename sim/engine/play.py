"""`rehearse play`: a conversation in the terminal, scripted (`--script FILE.json`) or interactive."""

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.config import Settings, get_settings
from sim.engine.session import InputError, Rehearsal
from sim.engine.state import SessionView, TurnRecord
from sim.engine.store import sqlite_checkpointer
from sim.llm.protocol import ModelError
from sim.personas import Persona, load_personas
from sim.vocab import DIFFICULTIES, Difficulty


class Script(BaseModel):
    """A scripted conversation: the user's turns, and optionally the persona and difficulty to use."""

    model_config = ConfigDict(extra="allow")

    persona: str | None = None
    difficulty: Difficulty | None = None
    turns: list[str] = Field(min_length=1)


def load_script(path: Path) -> Script:
    try:
        return Script.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SystemExit(f"{path}: cannot read ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise SystemExit(f"{path}: field '{where}': {first['msg']}") from exc


def run_script(
    rehearsal: Rehearsal,
    persona_id: str,
    turns: Sequence[str],
    difficulty: Difficulty | None = None,
    on_turn: Callable[[TurnRecord], None] | None = None,
) -> SessionView:
    """Send the turns in order until the conversation reaches an outcome; returns the final view."""
    view = rehearsal.start(persona_id, difficulty)
    for text in turns:
        if view.outcome:
            break
        view = rehearsal.send(view.id, text)
        if on_turn is not None:
            on_turn(view.turns[-1])
    return view


def turn_json(turn: TurnRecord) -> dict[str, Any]:
    return {
        "turn": turn.index + 1,
        "user": turn.user_text,
        "reply": turn.reply,
        "source": turn.reply_source,
        "move": turn.move,
        "phase": {"before": turn.phase_before, "after": turn.phase_after, "skipped": turn.skipped},
        "mood": turn.mood_after.model_dump(),
        "detected": turn.score.detected,
        "anti_patterns": turn.score.anti,
        "feedback": turn.feedback,
        "coaching": turn.coaching.model_dump() if turn.coaching else None,
    }


def turn_text(turn: TurnRecord, name: str) -> str:
    mood = turn.mood_after
    lines = [
        f"[{turn.index + 1}] you: {turn.user_text}",
        f"    {name} ({turn.reply_source}, {turn.move}): {turn.reply}",
        f"    phase {turn.phase_before} -> {turn.phase_after}"
        + (f" (skipped {', '.join(turn.skipped)})" if turn.skipped else "")
        + f" | trust {mood.trust} openness {mood.openness} tension {mood.tension}",
        f"    detected: {', '.join(turn.score.detected) or '-'}"
        + f" | anti-patterns: {', '.join(turn.score.anti) or '-'}",
    ]
    lines += [f"    - {sentence}" for sentence in turn.feedback]
    if turn.coaching:
        lines.append(f"    tip ({turn.coaching.principle}): {turn.coaching.tip}")
    return "\n".join(lines)


@contextmanager
def open_rehearsal(settings: Settings, personas: dict[str, Persona], db: str) -> Iterator[Rehearsal]:
    """The real models and scorer, with a SQLite checkpointer on `db` (":memory:" for a throwaway one)."""
    from sim.engine.relevance import topic_gate_for
    from sim.llm.backend import open_models
    from sim.scoring import load_scorer

    with ExitStack() as stack:
        checkpointer = stack.enter_context(sqlite_checkpointer(db))
        models = stack.enter_context(open_models(settings))
        scorer = load_scorer(settings, judge=models.judge)
        gate = topic_gate_for(settings)
        yield Rehearsal(models, scorer, checkpointer, personas, settings=settings, topic_gate=gate)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--persona", help="persona id (default: the script's persona)")
    parser.add_argument("--difficulty", choices=DIFFICULTIES, help="default: the persona's own")
    parser.add_argument("--script", type=Path, help='JSON file {"turns": ["...", ...]}; omit to chat')
    parser.add_argument("--json", action="store_true", help="print the turns and the outcome as JSON")
    parser.add_argument("--db", default=":memory:", help="SQLite file to keep the session in")


def _interactive(rehearsal: Rehearsal, persona: Persona, difficulty: Difficulty | None) -> SessionView:
    view = rehearsal.start(persona.id, difficulty)
    print(f"{persona.name}, {persona.role} ({view.difficulty}). Type /quit to stop.")
    print(f"{persona.name}: {view.opening_line}")
    while not view.outcome:
        try:
            text = input("you> ")
        except EOFError:
            break
        if text.strip() == "/quit":
            break
        try:
            view = rehearsal.send(view.id, text)
        except (InputError, ModelError) as exc:
            print(f"! {exc}")
            continue
        print(turn_text(view.turns[-1], persona.name))
    return view


def main(args: argparse.Namespace) -> int:
    loaded = load_personas()
    for error in loaded.errors:
        print(f"skipped persona: {error}", file=sys.stderr)
    script = load_script(args.script) if args.script else None
    persona_id = args.persona or (script.persona if script else None)
    if persona_id not in loaded.personas:
        known = ", ".join(sorted(loaded.personas))
        print(f"choose a persona with --persona: {known}", file=sys.stderr)
        return 2
    persona = loaded.personas[persona_id]
    difficulty = args.difficulty or (script.difficulty if script else None)
    with open_rehearsal(get_settings(), loaded.personas, args.db) as rehearsal:
        if script is None:
            view = _interactive(rehearsal, persona, difficulty)
        else:

            def show(turn: TurnRecord) -> None:
                if not args.json:
                    print(turn_text(turn, persona.name), flush=True)

            view = run_script(rehearsal, persona.id, script.turns, difficulty, on_turn=show)
    if args.json:
        result = {
            "session": view.id,
            "persona": view.persona_id,
            "difficulty": view.difficulty,
            "turns": [turn_json(t) for t in view.turns],
            "outcome": view.outcome,
            "phase": view.phase,
            "mood": view.mood.model_dump(),
        }
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(f"outcome: {view.outcome or 'unfinished'} | phase {view.phase} | trust {view.mood.trust}")
    return 0
