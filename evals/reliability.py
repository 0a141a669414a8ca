"""`python -m evals reliability [--json]`: bad input, injections, model faults, kill -9, many users at once.

Prints one table and exits 1 when any line falls short: every bad input handled, >= 95% of injections
resisted (real embedded model, real scorer), every fault survived, no turn lost, duplicated or crossed.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Final

from evals.reliability_data import Check, Count, bad_inputs, injections

Row = Check | Count
SECTIONS: Final = ("inputs", "injections", "faults", "durability", "load")
FAST_TOKENS: Final = 48
"""Reply cap where only handling is measured (bad inputs, the kill test): keeps the run within minutes."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions in the load section")
    parser.add_argument("--turns", type=int, default=10, help="turns per session in the load section")


def in_process(sections: set[str], rows: list[Row], details: dict[str, Any]) -> None:
    """Bad inputs, injections and faults against a Rehearsal built the way the app builds it."""
    from evals.reliability_faults import kill_embedded, run_faults
    from evals.reliability_injections import run_injections
    from evals.reliability_inputs import run_bad_inputs
    from sim.config import Settings
    from sim.engine.relevance import topic_gate_for
    from sim.engine.session import Rehearsal
    from sim.engine.store import open_checkpointer
    from sim.llm.backend import open_models
    from sim.personas import load_personas
    from sim.scoring import load_scorer

    personas = load_personas().personas
    first = sorted(personas)[0]
    with tempfile.TemporaryDirectory(prefix="rehearse-reliability-") as tmp, ExitStack() as stack:
        settings = Settings(_env_file=None, db_path=Path(tmp) / "r.sqlite")
        saver = stack.enter_context(open_checkpointer(settings))
        models = stack.enter_context(open_models(settings))
        fast = settings.model_copy(update={"embedded_max_tokens": FAST_TOKENS})
        capped = stack.enter_context(open_models(fast))
        scorer = load_scorer(settings, judge=models.judge)
        gate = topic_gate_for(settings)
        rehearsal = Rehearsal(capped, scorer, saver, personas, settings=settings, topic_gate=gate)
        if "inputs" in sections:
            say(f"bad inputs through the engine, real model (replies capped at {FAST_TOKENS} tokens)")
            rows.append(timed(lambda: run_bad_inputs(rehearsal, first, bad_inputs())))
            show(rows[-1:])
        if "injections" in sections:
            say("prompt injections, real model and scorer (full-length replies, no coaching)")
            began = time.monotonic()
            plain = Rehearsal(
                models, scorer, saver, personas, settings=settings, use_default_coach=False, topic_gate=gate
            )
            found = run_injections(plain, models.persona, list(personas.values()), injections())
            for row in (found.resisted, found.scorer, found.persona):
                row.seconds = time.monotonic() - began
                rows.append(row)
            details["injections"] = found.cases
            show(rows[-3:])
        if "faults" in sections:
            say("model faults: scripted server, then SIGKILL of the embedded server")
            began = time.monotonic()
            faults = run_faults(scorer, personas, first)
            kill_embedded(rehearsal, capped.embedded, first, faults)
            faults.seconds = time.monotonic() - began
            rows.append(faults)
            show(rows[-1:])


def say(text: str) -> None:
    print(f"reliability: {text}", file=sys.stderr, flush=True)


def show(new: Sequence[Row]) -> None:
    for row in new:
        tried, good, need, status = cells(row)
        say(f"  {row.name.strip()}: {good} of {tried} (need {need}) {status}, {row.seconds:.0f} s")


def timed(run: Callable[[], Row]) -> Row:
    began = time.monotonic()
    row = run()
    row.seconds = time.monotonic() - began
    return row


def in_app(sections: set[str], rows: list[Row], sessions: int, turns: int) -> None:
    from evals.reliability_load import run_durability, run_many_users

    if "durability" in sections:
        say("kill -9 of the app mid-turn, restart on the same SQLite file")
        found = guarded("kill -9 and restart", run_durability)
        rows.extend(found)
        show(found)
    if "load" in sections:
        say(f"{sessions} browsers at once, {turns} turns each, through gradio_client")
        found = guarded("many users at once", lambda: run_many_users(sessions, turns))
        rows.extend(found)
        show(found)


def guarded(name: str, run: Callable[[], tuple[Row, ...]]) -> tuple[Row, ...]:
    """The section's rows, or one failed row saying why it could not run."""
    try:
        return run()
    except Exception as exc:
        failed = Count(f"{name}: could not run")
        failed.add(True, f"{type(exc).__name__}: {exc}")
        return (failed,)


def cells(row: Row) -> tuple[str, str, str, str]:
    if isinstance(row, Check):
        share = f"{row.passed / row.tried:.1%}" if row.tried else "-"
        return str(row.tried), f"{row.passed} ({share})", row.need, "ok" if row.ok else "FAIL"
    return str(row.out_of), str(row.found), "0", "ok" if row.ok else "FAIL"


def table(rows: list[Row]) -> str:
    head = ("check", "tried", "good / found", "need", "", "seconds")
    body = [(r.name, *cells(r), f"{r.seconds:.0f}") for r in rows]
    widths = [max(len(str(line[i])) for line in [head, *body]) for i in range(len(head))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in [head, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = dict.fromkeys(row.note for row in rows if row.note)
    lines.extend(f"note: {note}" for note in notes)
    for row in rows:
        lines.extend(f"  {row.name.strip()}: {failure}" for failure in row.failures[:8])
    return "\n".join(lines)


def as_json(rows: list[Row], details: dict[str, Any]) -> str:
    out = []
    for row in rows:
        tried, good, need, status = cells(row)
        out.append(
            {
                "check": row.name.strip(),
                "tried": tried,
                "result": good,
                "need": need,
                "ok": status == "ok",
                "seconds": round(row.seconds, 1),
                "note": row.note,
                "failures": row.failures,
            }
        )
    return json.dumps({"ok": all(r.ok for r in rows), "rows": out, **details}, indent=2, ensure_ascii=False)


def main(args: argparse.Namespace) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sections = set(args.only or SECTIONS)
    rows: list[Row] = []
    details: dict[str, Any] = {}
    began = time.monotonic()
    if sections & {"inputs", "injections", "faults"}:
        in_process(sections, rows, details)
    if sections & {"durability", "load"}:
        in_app(sections, rows, args.sessions, args.turns)
    details["seconds"] = round(time.monotonic() - began, 1)
    summary = f"{table(rows)}\n\nreliability: {details['seconds']:.0f} s"
    print(as_json(rows, details) if args.json else summary)
    return 0 if rows and all(r.ok for r in rows) else 1
