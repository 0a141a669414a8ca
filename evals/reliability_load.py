"""Durability and many users, against the real app in a subprocess.

- durability: complete some turns, SIGKILL the app while a turn is in flight, restart it on the same SQLite
  file: every completed turn is there, the journal is WAL, and the session goes on.
- many users: N browsers rehearse at once, T turns each; after every turn each page must show exactly its
  own turns, in order, once. A session whose colleague reaches an outcome refuses further turns (the page
  says so and keeps the text); that browser starts a new session and goes on, as a user would.
"""

import secrets
import sqlite3
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from evals.reliability_app import AppProcess, Browser
from evals.reliability_data import Count
from sim.personas import load_personas
from sim.ui.handlers import ENDED_ERROR

PERSONA_IDS: Final = sorted(load_personas().personas)

SENTENCES: Final = (
    "I want to understand what the missed deadline cost you",
    "You are right that I should have told you sooner",
    "I can see why that left you feeling let down",
    "Going forward I will send you an update every Friday",
    "What would help you trust my updates again",
    "I hear that the extra weekend work was hard on you",
    "I take responsibility for not flagging the delay",
    "Could we agree on how we flag risks early",
    "Thank you for telling me how it felt",
    "I would like us to work well together again",
    "Let me check that I understood what you needed",
    "I value working with you and want to fix this",
)


LOAD_MAX_TOKENS: Final = 40
"""REHEARSE_EMBEDDED_MAX_TOKENS for the load run: 20 x 3 turns took 286 s on 2 idle cores, so 20 x 10 take
about a quarter of an hour (most prompts are re-read when 20 sessions take turns)."""


LOAD_STALL: Final = 240.0
"""Seconds without any browser finishing a step (a start, a turn, a reload) before the run counts as a
deadlock. On 2 cores a turn waits behind up to 19 others (about 5 s each), so a live run never goes
this long without progress."""

LOAD_CAP: Final = 2400.0
"""Seconds the whole many-users run may take even while it progresses (a livelock, or a machine far too
slow to say anything about); about 2.5 times what 20 x 10 turns take on 2 idle cores."""


def turn_text(tag: str, n: int) -> str:
    """A unique, plain turn: a sentence a user might say, with a tag naming its session and number."""
    return f"{SENTENCES[n % len(SENTENCES)]}. Note {tag} {n}"


def journal_mode(db: Path) -> str:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()


def run_durability(turns_before_kill: int = 3) -> tuple[Count, Count]:
    """Kill -9 mid-turn and restart; returns (turns lost, WAL + continue failures)."""
    lost = Count("turns lost after kill -9")
    resumed = Count("sessions not resumed after kill -9")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rehearse-durability-") as tmp:
        db = Path(tmp) / "app.sqlite"
        tag = secrets.token_hex(4)
        sent: list[str] = []
        app = AppProcess(db).start()
        try:
            browser = Browser(app.url)
            browser.start(PERSONA_IDS[0])
            for n in range(turns_before_kill):
                text = turn_text(tag, n)
                shown, error = browser.send(text)
                if error:
                    resumed.add(True, f"turn {n} failed before the kill: {error}")
                sent.append(text)
            in_flight = turn_text(tag, turns_before_kill)
            job = browser.client.submit(browser.store, in_flight, api_name="/send")
            time.sleep(0.4)
        finally:
            app.kill()
        del job
        mode = journal_mode(db)
        resumed.add(mode != "wal", f"journal_mode is {mode!r}, not 'wal'")
        with AppProcess(db, port=app.port) as again:
            reopened = Browser(again.url, store=browser.store)
            shown = reopened.load()
            for text in sent:
                lost.add(text not in shown, f"completed turn missing after restart: {text!r}")
            extra = [t for t in shown if t not in sent and t != in_flight]
            twice = len(shown) != len(set(shown))
            resumed.add(bool(extra) or twice, f"unexpected turns after restart: {shown}")
            follow = turn_text(tag, turns_before_kill + 1)
            after, error = reopened.send(follow)
            resumed.add(
                bool(error) or after[-1:] != [follow] or after[: len(sent)] != sent,
                f"the session did not go on after restart: error={error!r}, turns={after}",
            )
            logs = "".join(app.output + again.output)
            resumed.add(tag in logs, "the app's log holds conversation text")
    lost.seconds = resumed.seconds = time.monotonic() - started
    return lost, resumed


def run_many_users(sessions: int = 20, turns: int = 10) -> tuple[Count, Count, Count]:
    """N browsers at once against one app; returns (turns lost, turns duplicated, sessions crossed).

    A turn counts as lost when any page view after it was sent lacks it; a session counts as crossed
    when any of its page views shows a turn it did not send.
    """
    seen = [Seen() for _ in range(sessions)]
    failures: list[str] = []
    started = time.monotonic()
    cap = {"REHEARSE_EMBEDDED_MAX_TOKENS": str(LOAD_MAX_TOKENS)}
    with tempfile.TemporaryDirectory(prefix="rehearse-load-") as tmp, AppProcess(Path(tmp) / "d", cap) as app:
        tags = [f"s{i:02d}x{secrets.token_hex(3)}" for i in range(sessions)]

        def one(i: int) -> None:
            persona_id = PERSONA_IDS[i % len(PERSONA_IDS)]
            browser = Browser(app.url, on_reply=progress.tick)
            browser.start(persona_id)
            for n in range(turns):
                text = turn_text(tags[i], n)
                shown, error = browser.send(text)
                if error == ENDED_ERROR:
                    # The colleague reached an outcome (good turns can repair things early): the page
                    # refused the turn and kept it in the box, so the user starts a new rehearsal.
                    seen[i].look(browser.load(), tags[i], f"after the outcome, before turn {n}")
                    browser.start(persona_id)
                    seen[i].new_session()
                    shown, error = browser.send(text)
                if error and text not in shown:
                    shown, error = browser.send(text)
                seen[i].sent.append(text)
                seen[i].look(shown, tags[i], f"after turn {n} (error {error!r})")
            seen[i].look(browser.load(), tags[i], "after a reload")

        pool = ThreadPoolExecutor(max_workers=sessions)
        progress = Progress()  # the stall clock starts with the browsers, not with the app's start-up
        futures = [pool.submit(one, i) for i in range(sessions)]
        why = await_sessions(futures, progress)
        for i, future in enumerate(futures):
            if not future.done():
                failures.append(f"session {i} unfinished: {why}")
            elif (exc := future.exception()) is not None:
                failures.append(f"session {i} failed: {type(exc).__name__}: {exc}")
        pool.shutdown(wait=False, cancel_futures=True)
    lost = Count("turns lost under load")
    duplicated = Count("turns duplicated under load")
    crossed = Count("sessions crossed under load")
    for i, s in enumerate(seen):
        for text in [*s.earlier, *s.sent]:
            lost.add(text in s.missing, f"session {i}: {text!r} missing {s.missing.get(text, '')}")
            duplicated.add(text in s.repeated, f"session {i}: {text!r} shown twice")
        crossed.add(bool(s.foreign), f"session {i} showed {s.foreign[:3]}")
    for text in failures:
        lost.add(True, text)
    restarted = sum(s.restarts for s in seen)
    for count in (lost, duplicated, crossed):
        count.seconds = time.monotonic() - started
        count.note = (
            f"{sessions} sessions x {turns} turns, replies capped at {LOAD_MAX_TOKENS} tokens; "
            f"{restarted} reached an outcome early and went on in a new session; "
            f"{progress.steps} calls answered"
        )
    return lost, duplicated, crossed


class Progress:
    """When any browser last got an answer from the app (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.last = time.monotonic()
        self.steps = 0

    def tick(self) -> None:
        with self._lock:
            self.last = time.monotonic()
            self.steps += 1

    def idle(self) -> float:
        """Seconds since the last answer."""
        with self._lock:
            return time.monotonic() - self.last


def await_sessions(
    futures: Sequence[Future[None]],
    progress: Progress,
    stall: float = LOAD_STALL,
    cap: float = LOAD_CAP,
    poll: float = 5.0,
) -> str:
    """Wait until every session is done; '' then, else why the wait gave up.

    A deadlock shows as no answer at all for `stall` seconds; a run that keeps answering may go on,
    up to `cap` seconds in all, because a slow machine is not a concurrency failure.
    """
    started = time.monotonic()
    while True:
        if not wait(futures, timeout=poll).not_done:
            return ""
        if progress.idle() >= stall:
            return f"no answer from the app for {stall:.0f} s after {progress.steps} steps (deadlock)"
        if time.monotonic() - started >= cap:
            steps = progress.steps
            return f"still running after {cap:.0f} s, {steps} steps answered (livelock, or far too slow)"


@dataclass
class Seen:
    """What one browser sent and what went wrong in the pages it saw."""

    sent: list[str] = field(default_factory=list)
    """The turns of the session the page shows now."""
    earlier: list[str] = field(default_factory=list)
    """The turns of this browser's sessions that ended before it (see `new_session`)."""
    restarts: int = 0
    missing: dict[str, str] = field(default_factory=dict)
    repeated: set[str] = field(default_factory=set)
    foreign: list[str] = field(default_factory=list)

    def new_session(self) -> None:
        """The browser started a new session: its page must show only what is sent from now on."""
        self.earlier += self.sent
        self.sent = []
        self.restarts += 1

    def look(self, shown: list[str], tag: str, when: str) -> None:
        """Compare one page view with everything sent so far: exactly those turns, in order, once each."""
        for text in self.sent:
            if text not in shown:
                self.missing.setdefault(text, when)
        self.repeated |= {t for t in shown if shown.count(t) > 1}
        self.foreign += [t for t in shown if t not in self.sent or tag not in t]
        if not self.missing and not self.foreign and shown != self.sent:
            self.missing.setdefault(self.sent[-1], f"{when}: out of order {shown}")
