"""Model faults: a scripted OpenAI-compatible server failing on purpose, and the real embedded server killed.

For every fault the user's turn must come back as `pending` (also when the SQLite file is read afresh), the
error must be a ModelError with a message for the user, and sending the same text again once the server is
well must record the turn exactly once.
"""

import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Final, NamedTuple

from evals.reliability_data import Check
from sim.engine.session import Rehearsal
from sim.engine.store import sqlite_checkpointer
from sim.llm.client import OpenAIChat
from sim.llm.embedded import free_port
from sim.llm.protocol import ModelError
from sim.personas import Persona
from sim.scoring.types import Scorer
from tests.fakeserver import Action, Cut, FakeServer, Garbled, Hang, Reply, Status

OWNER: Final = "reliability-faults"
TURN: Final = "I'm sorry I left you out of the planning meeting; I want to hear how that landed."
GOOD: Final = Reply("That still stings. I need to know it will not happen again.")
TIMEOUT: Final = 1.5

FAULTS: Final[dict[str, Action | None]] = {
    "server down at start": None,
    "dies mid-reply": Cut("That still stings and I need", pieces=2),
    "hangs before answering": Hang(seconds=30),
    "hangs mid-reply": Hang(seconds=30, after_pieces=2),
    "answers HTTP 500": Status(500),
    "answers HTTP 503": Status(503),
    "answers HTTP 429": Status(429, headers={"retry-after": "0"}),
    "answers an empty reply": Reply(""),
    "answers garbage": Garbled(),
    "stops without finishing": Reply("That still", finish=False),
}


class Rig(NamedTuple):
    """A Rehearsal on a fresh SQLite file whose models talk to `base_url`."""

    rehearsal: Rehearsal
    db: Path


@contextmanager
def rig(base_url: str, scorer: Scorer, personas: dict[str, Persona], folder: Path) -> Iterator[Rig]:
    def client() -> OpenAIChat:
        return OpenAIChat(base_url, None, "fake", timeout=TIMEOUT, max_retries=1)

    db = folder / "faults.sqlite"
    with sqlite_checkpointer(db) as saver:
        models = SimpleNamespace(persona=client(), coach=client())
        yield Rig(Rehearsal(models, scorer, saver, personas), db)


def pending_on_disk(db: Path, session_id: str, scorer: Scorer, personas: dict[str, Persona]) -> str | None:
    """The pending text as a second connection to the SQLite file sees it."""
    unused = SimpleNamespace(persona=None, coach=None)
    with sqlite_checkpointer(db) as saver:
        return Rehearsal(unused, scorer, saver, personas).view(session_id, owner=OWNER).pending


def failed_then_recovered(
    rehearsal: Rehearsal, session_id: str, heal: Callable[[], None], on_disk: Callable[[], str | None]
) -> str | None:
    """Send TURN into the fault, check what was kept, heal the server, send again. None when all held."""
    try:
        rehearsal.send(session_id, TURN, owner=OWNER)
    except ModelError as exc:
        if not exc.message.strip() or "Traceback" in exc.message:
            return f"unclear error message {exc.message!r}"
    except Exception as exc:
        return f"raised {type(exc).__name__} instead of ModelError: {str(exc)[:160]}"
    else:
        return "no error reached the caller"
    view = rehearsal.view(session_id, owner=OWNER)
    if view.pending != TURN or view.turns:
        return f"after the fault: pending={view.pending!r}, turns={len(view.turns)}"
    if on_disk() != TURN:
        return "the pending turn was not on disk"
    heal()
    try:
        view = rehearsal.send(session_id, TURN, owner=OWNER)
    except Exception as exc:
        return f"retry failed: {type(exc).__name__}: {str(exc)[:160]}"
    if [t.user_text for t in view.turns] != [TURN] or view.pending is not None:
        return f"after the retry: turns={[t.user_text for t in view.turns]}, pending={view.pending!r}"
    return None


def one_fault(
    action: Action | None, scorer: Scorer, personas: dict[str, Persona], persona_id: str
) -> str | None:
    with tempfile.TemporaryDirectory(prefix="rehearse-faults-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        if action is None:
            port = free_port()
            base_url = f"http://127.0.0.1:{port}/v1"

            def heal() -> None:
                stack.enter_context(FakeServer(default=GOOD, port=port))
        else:
            server = stack.enter_context(FakeServer(default=action))
            base_url = server.base_url

            def heal() -> None:
                server.default = GOOD

        r = stack.enter_context(rig(base_url, scorer, personas, folder))
        session_id = r.rehearsal.start(persona_id, owner=OWNER).id
        return failed_then_recovered(
            r.rehearsal, session_id, heal, lambda: pending_on_disk(r.db, session_id, scorer, personas)
        )


def run_faults(scorer: Scorer, personas: dict[str, Persona], persona_id: str) -> Check:
    check = Check("model faults survived")
    for name, action in FAULTS.items():
        problem = one_fault(action, scorer, personas, persona_id)
        check.add(problem is None, f"{name}: {problem}")
    return check


def kill_embedded(rehearsal: Any, embedded: Any, persona_id: str, check: Check) -> None:
    """SIGKILL the real llama.cpp server between two turns; the next turn must restart it and lose nothing."""
    session_id = rehearsal.start(persona_id, owner=OWNER).id
    rehearsal.send(session_id, TURN, owner=OWNER)
    pid = embedded.pid
    if pid is None:
        check.add(False, "killed embedded server: it was not running")
        return
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while embedded.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = "Thank you for telling me. What would help you trust my updates again?"
    try:
        view = rehearsal.send(session_id, second, owner=OWNER)
    except Exception as exc:
        check.add(False, f"killed embedded server: next send failed: {type(exc).__name__}: {exc}")
        return
    texts = [t.user_text for t in view.turns]
    ok = texts == [TURN, second] and embedded.alive() and embedded.pid != pid
    check.add(ok, f"killed embedded server: turns={texts}, restarted={embedded.pid != pid}")
