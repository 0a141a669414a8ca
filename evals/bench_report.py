"""The end-to-end and load sections of `python -m evals bench`, the targets table, and the README section.

`e2e`: launch `python -m sim ui` and time it to a ready page and a loaded model, play turns over HTTP
while sampling the memory of the app and its model server, then split turns by stage against the
bare-model floor in this process. `load`: one worker under rising concurrency (only with --load).
"""

import argparse
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Any

from evals.app_client import BrowserSession
from evals.bench_app import MemorySampler, launch_app, tree_hwm_mb
from evals.bench_e2e import load_turns, run_in_process
from evals.bench_stats import checks, machine, summarize

__all__ = ["checks"]
from sim.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
THINK_S = 3.0
"""Pause before each HTTP turn: a person reads the colleague's line and types an answer (3 s is quick).
Only the turn itself is timed; the pause is when background work (the card read at start) happens."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--e2e-turns", type=int, default=4, help="scripted turns per persona (e2e section)")
    parser.add_argument(
        "--http-personas", type=int, default=2, help="personas played over HTTP (e2e section)"
    )
    parser.add_argument(
        "--think", type=float, default=THINK_S, help="seconds a person reads and types before each HTTP turn"
    )
    parser.add_argument("--load", action="store_true", help="also run the load section (minutes)")
    parser.add_argument("--load-levels", default="1,2,4,8,16", help="concurrent sessions per load level")
    parser.add_argument("--json", action="store_true", help="print the JSON report instead of the table")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md's Benchmarks")


def http_turns(url: str, personas: list[str], texts: list[str], think: float = THINK_S) -> list[float]:
    """Seconds of each turn played through the app's HTTP API, as a browser would, `think` s apart."""
    seconds = []
    for persona_id in personas:
        browser = BrowserSession(url)
        try:
            browser.start(persona_id)
            for text in texts:
                time.sleep(think)
                turn = browser.send(text)
                if turn.error:
                    raise RuntimeError(f"the app showed an error on a benchmark turn: {turn.error}")
                seconds.append(turn.seconds)
                print(f"bench: HTTP {persona_id}: {turn.seconds * 1000:.0f} ms", file=sys.stderr, flush=True)
        finally:
            browser.close()
    return seconds


def e2e_section(args: argparse.Namespace) -> dict[str, Any]:
    personas, texts = load_turns()
    texts = texts[: args.e2e_turns]
    out: dict[str, Any] = {"machine_before": machine()}
    with launch_app() as app, MemorySampler(app.pid) as memory:
        out["launch"] = {
            "page_seconds": round(app.page_seconds, 2),
            "model_seconds": round(app.model_seconds or 0, 2),
        }
        loaded_mb = round(memory.sample(), 1)
        seconds = http_turns(app.url, personas[: args.http_personas], texts, args.think)
        firsts = seconds[:: len(texts)] if texts else []
        out["http_turns"] = {
            "wall_ms": summarize([s * 1000 for s in seconds])._asdict(),
            "first_turn_ms": summarize([s * 1000 for s in firsts])._asdict(),
            "think_seconds": args.think,
        }
        hwm = tree_hwm_mb(app.pid)
    out["memory"] = {
        "loaded_tree_mb": loaded_mb,
        "peak_tree_mb": round(memory.peak_mb, 1),
        "peak_by_process_mb": memory.peak_by_process,
        "sum_of_process_peaks_mb": round(sum(hwm.values()), 1),
    }
    out["turns"] = run_in_process(Settings(), max_turns=args.e2e_turns)
    out["machine_after"] = machine()
    return out


def load_section(args: argparse.Namespace) -> dict[str, Any]:
    from evals.load import run_load

    return run_load([int(x) for x in str(args.load_levels).split(",") if x.strip()])


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def table(report: dict[str, Any]) -> str:
    """The targets and the machine as Markdown."""
    flat = {**report, **report.get("e2e", {})}
    rows = ["| measure | measured | target | met |", "|---|---|---|---|"]
    for check in checks(flat):
        met = {True: "yes", False: "**no**", None: "not measured"}[check["ok"]]
        rows.append(f"| {check['name']} | {_fmt(check['value'])} | {check['target']} | {met} |")
    http = flat.get("http_turns") or {}
    first = http.get("first_turn_ms") or {}
    if first:
        rows.append(
            f"| first turn of a session (HTTP), p50 / max | {_fmt(first.get('p50'))} / "
            f"{_fmt(first.get('max'))} | | |"
        )
    if "think_seconds" in http:
        pause = _fmt(http["think_seconds"])
        rows.append(f"| pause before each HTTP turn (a person reading and typing) | {pause} s | | |")
    turns = flat.get("turns", {})
    for key, label in (("score_ms", "scoring inside a turn"),
                       ("overhead_ms", "graph overhead (turn - scoring - max(reply, coaching))"),
                       ("first_token_ms", "first token (the vetted reply; it is guarded whole)"),
                       ("reply_ms", "full reply (model)"),
                       ("coach_ms", "coaching rewrite"), ("wall_ms", "whole turn (in process)"),
                       ("floor_cold_full_ms", "bare-model floor, prompt not cached"),
                       ("floor_warm_full_ms", "bare-model floor, prompt cached"),
                       ("completion_tokens", "completion tokens"),
                       ("prompt_tokens", "prompt tokens")):  # fmt: skip
        stats = turns.get(key) or {}
        rows.append(f"| {label}, p50 / p95 | {_fmt(stats.get('p50'))} / {_fmt(stats.get('p95'))} | | |")
    m = flat.get("machine_before") or {}
    after = (flat.get("machine_after") or {}).get("load_average")
    rows.append("")
    rows.append(
        f"Machine: {m.get('nproc')} CPUs ({m.get('cpu_model')}), {m.get('ram_gb')} GB RAM, "
        f"Python {m.get('python')}, llama-cpp-python {m.get('llama_cpp_python')}; "
        f"load average {m.get('load_average')} before, {after} after."
    )
    return "\n".join(rows)


def merge(path: Path, report: dict[str, Any]) -> dict[str, Any]:
    """The sections already in the report file at `path`, updated with this run's sections."""
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        existing = {}
    return {**(existing if isinstance(existing, dict) else {}), **report}


def write_readme(text: str, path: Path = README) -> None:
    """Replace the Benchmarks table between the markers (adding the section if missing)."""
    readme = path.read_text(encoding="utf-8")
    block = f"{START}\n{text}\n{END}"
    if START in readme and END in readme:
        readme = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, readme, flags=re.S)
    else:
        readme = readme.rstrip("\n") + "\n\n## Benchmarks\n\n" + block + "\n"
    path.write_text(readme, encoding="utf-8")
