"""One app worker under a rising number of concurrent sessions, over HTTP on 127.0.0.1.

Each level runs `sessions` simulated browsers at once, each playing the same scripted turns; the run
stops after the first level whose turn p95 passes the limit. Per level: turn latency, throughput,
errors, and how busy each process was (CPU seconds per wall second), which shows what limits it.
"""

import argparse
import json
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evals.app_client import BrowserSession
from evals.bench_app import MemorySampler, command_name, launch_app, process_tree
from evals.bench_e2e import load_turns
from evals.bench_stats import summarize

LEVELS = (1, 2, 4, 8, 16)
P95_LIMIT_S = 5.0
TURNS_PER_SESSION = 3
MIN_LEVELS = 2
"""Levels always run, so the report shows how latency grows even when the first level is over the limit."""
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU seconds of every process in the tree of `pid`."""
    out = {}
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[p] = (int(fields[11]) + int(fields[12])) / TICKS
    return out


def _busy(before: dict[int, float], after: dict[int, float], seconds: float) -> dict[str, float]:
    """CPU cores each process kept busy on average (1.0 = one core all the time)."""
    return {
        f"{command_name(p)} ({p})": round((after[p] - before.get(p, 0.0)) / seconds, 2)
        for p in after
        if after[p] - before.get(p, 0.0) > 0.01
    }


def play(url: str, persona_id: str, texts: Sequence[str], start_gate: threading.Barrier) -> dict[str, Any]:
    """One simulated browser: start a session, then send each text and time it."""
    browser = BrowserSession(url)
    try:
        try:
            browser.start(persona_id)
        except BaseException:
            start_gate.abort()
            raise
        start_gate.wait(timeout=300)
        seconds, errors = [], []
        for text in texts:
            try:
                turn = browser.send(text)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
                continue
            seconds.append(turn.seconds)
            if turn.error:
                errors.append(turn.error[:200])
        return {"seconds": seconds, "errors": errors}
    finally:
        browser.close()


def run_level(
    url: str, pid: int, sessions: int, texts: Sequence[str], personas: Sequence[str]
) -> dict[str, Any]:
    gate = threading.Barrier(sessions + 1)
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        futures = [pool.submit(play, url, personas[i % len(personas)], texts, gate) for i in range(sessions)]
        gate.wait(timeout=300)
        before, began = cpu_seconds(pid), time.monotonic()
        results = [f.result() for f in futures]
        wall = time.monotonic() - began
        after = cpu_seconds(pid)
    seconds = [s for r in results for s in r["seconds"]]
    errors = [e for r in results for e in r["errors"]]
    stats = summarize([s * 1000 for s in seconds])
    return {
        "sessions": sessions,
        "turns": len(seconds),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:3],
        "turn_ms": stats._asdict(),
        "turns_per_second": round(len(seconds) / wall, 2) if wall else None,
        "wall_seconds": round(wall, 1),
        "cpu_cores_busy": _busy(before, after, wall),
    }


def run_load(
    levels: Sequence[int] = LEVELS, turns: int = TURNS_PER_SESSION, limit_s: float = P95_LIMIT_S
) -> dict[str, Any]:
    """Launch one worker and load it level by level until p95 passes `limit_s` (or the levels run out)."""
    personas, texts = load_turns()
    rows: list[dict[str, Any]] = []
    with launch_app() as app, MemorySampler(app.pid) as memory:
        warm = BrowserSession(app.url)
        warm.start(personas[0])
        warm.send(texts[0])
        warm.close()
        for sessions in levels:
            row = run_level(app.url, app.pid, sessions, texts[:turns], personas)
            rows.append(row)
            if len(rows) >= MIN_LEVELS and (row["turn_ms"]["p95"] > limit_s * 1000 or row["errors"]):
                break
    passed = next((r["sessions"] for r in rows if r["turn_ms"]["p95"] > limit_s * 1000 or r["errors"]), None)
    carried = max((r["sessions"] for r in rows if r["turn_ms"]["p95"] <= limit_s * 1000 and not r["errors"]),
                  default=0)  # fmt: skip
    return {
        "p95_limit_s": limit_s,
        "turns_per_session": turns,
        "levels": rows,
        "p95_passes_limit_at_sessions": passed,
        "sessions_within_limit": carried,
        "peak_tree_mb": round(memory.peak_mb, 1),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)), help="concurrent sessions per level")
    parser.add_argument("--turns", type=int, default=TURNS_PER_SESSION, help="turns each session plays")
    parser.add_argument("--limit", type=float, default=P95_LIMIT_S, help="p95 seconds at which to stop")
    parser.add_argument("--out", type=Path, help="write the JSON report here")


def main(args: argparse.Namespace) -> int:
    levels = [int(x) for x in str(args.levels).split(",") if x.strip()]
    report = run_load(levels, args.turns, args.limit)
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m evals.load", description=__doc__)
    add_arguments(parser)
    raise SystemExit(main(parser.parse_args()))
