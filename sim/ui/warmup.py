"""A Rehearsal built in the background, so the page is up (and says so) while the model loads."""

import threading
import time
from collections.abc import Callable
from typing import Literal

from sim.engine.state import SessionSummary, SessionView
from sim.llm.protocol import ModelError
from sim.ui.handlers import RehearsalLike
from sim.vocab import Difficulty

LoadState = Literal["loading", "ready", "failed"]


class Warmup:
    """Builds the real Rehearsal on a thread; every call waits for it (up to `wait` seconds)."""

    def __init__(self, build: Callable[[], RehearsalLike], wait: float = 180.0) -> None:
        self._build = build
        self._wait = wait
        self._done = threading.Event()
        self._rehearsal: RehearsalLike | None = None
        self._error: str | None = None
        self.started = time.monotonic()
        self.seconds: float | None = None
        self._thread = threading.Thread(target=self._run, name="rehearse-warmup", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._rehearsal = self._build()
        except ModelError as exc:
            self._error = exc.message
        except Exception as exc:
            self._error = f"{type(exc).__name__}: {exc}"
        finally:
            self.seconds = time.monotonic() - self.started
            self._done.set()

    @property
    def state(self) -> LoadState:
        if not self._done.is_set():
            return "loading"
        return "ready" if self._rehearsal is not None else "failed"

    @property
    def error(self) -> str | None:
        return self._error

    def wait(self, timeout: float | None = None) -> LoadState:
        self._done.wait(timeout)
        return self.state

    def _get(self) -> RehearsalLike:
        if not self._done.wait(self._wait):
            raise ModelError("unavailable", "The model is still loading. Please try again in a moment.")
        if self._rehearsal is None:
            raise ModelError("config", f"The model could not be started: {self._error}")
        return self._rehearsal

    def start(
        self, persona_id: str, difficulty: Difficulty | None = None, owner: str | None = None
    ) -> SessionView:
        return self._get().start(persona_id, difficulty, owner=owner)

    def send(
        self,
        session_id: str,
        text: str,
        on_token: Callable[[str], None] | None = None,
        owner: str | None = None,
    ) -> SessionView:
        return self._get().send(session_id, text, on_token=on_token, owner=owner)

    def retry_from(self, session_id: str, turn_index: int, owner: str | None = None) -> SessionView:
        return self._get().retry_from(session_id, turn_index, owner=owner)

    def view(self, session_id: str, owner: str | None = None) -> SessionView:
        return self._get().view(session_id, owner=owner)

    def list_sessions(self, owner: str | None = None) -> list[SessionSummary]:
        return self._get().list_sessions(owner)
