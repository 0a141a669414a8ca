"""The real app as a user meets it: `python -m sim ui` in a subprocess, driven with gradio_client."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from html import unescape
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from gradio_client import Client

from evals.app_client import error_text
from sim.llm.embedded import free_port

ROOT: Final = Path(__file__).resolve().parent.parent
READY: Final = re.compile(r"Model ready|could not be started")
READY_TIMEOUT: Final = 240.0


class AppProcess:
    """One `python -m sim ui` on a free port with its own SQLite file; kill() is a SIGKILL of its group."""

    def __init__(self, db_path: Path, env: Mapping[str, str] | None = None, port: int = 0) -> None:
        self.db_path = db_path
        self.port = port or free_port()
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> "AppProcess":
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "REHEARSE_DB_PATH": str(self.db_path),
            "REHEARSE_PORT": str(self.port),
            "REHEARSE_HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "ui"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(READY_TIMEOUT) or self.proc.poll() is not None:
            self.kill()
            raise RuntimeError(f"the app did not get ready:\n{self.log()}")
        if "could not be started" in self.log():
            self.kill()
            raise RuntimeError(f"the app's model did not start:\n{self.log()}")
        return self

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            if READY.search(line):
                self._ready.set()
        self._ready.set()

    def log(self) -> str:
        return "".join(self.output[-60:])

    def kill(self) -> None:
        """SIGKILL the app and everything it started (its llama.cpp server too), like a power cut."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> "AppProcess":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self.kill()


def message_text(message: Mapping[str, Any]) -> str:
    """The plain text of one Chatbot message, whatever shape this Gradio gives it."""
    content = message.get("content")
    if isinstance(content, list):
        content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return unescape(str(content or ""))


class Browser:
    """One visitor: a gradio_client and the store its browser would keep in local storage."""

    def __init__(
        self,
        url: str,
        store: Any = None,
        auth: tuple[str, str] | None = None,
        on_reply: Callable[[], None] | None = None,
    ) -> None:
        self.client = Client(url, verbose=False, auth=auth)
        self.store = store
        self.on_reply = on_reply
        """Called each time the app answers a call (the load check watches progress with it)."""

    def call(self, *args: Any, api_name: str) -> Any:
        out = self.client.predict(*args, api_name=api_name)
        if self.on_reply is not None:
            self.on_reply()
        return out

    def start(self, persona_id: str) -> str:
        """Press "Rehearse with ..." for the persona; returns the new session id."""
        out = self.call(self.store, "default", api_name="/start_" + persona_id.replace("-", "_"))
        self.store = find_store(out)
        current = self.store.get("current") if isinstance(self.store, Mapping) else None
        if not current:
            raise RuntimeError(f"starting a session gave no session id: {out!r}")
        return str(current)

    def send(self, text: str) -> tuple[list[str], str]:
        """Send one turn; returns the user turns the page now shows and its error text ('' when none)."""
        out = self.call(self.store, text, api_name="/send")
        return user_turns(out), error_text(out)

    def load(self) -> list[str]:
        """Reload the page: the user turns of the session it reopens."""
        out = self.call(self.store, api_name="/load")
        self.store = find_store(out)
        return user_turns(out)


def find_store(out: Any) -> Any:
    """The browser-state output: the dict holding the owner id."""
    return next((v for v in out if isinstance(v, Mapping) and "owner" in v), None)


def user_turns(out: Any) -> list[str]:
    """The user's messages in the Chatbot output (the list of role/content dicts)."""
    for value in out:
        if isinstance(value, list) and value and all(isinstance(m, Mapping) and "role" in m for m in value):
            return [message_text(m) for m in value if m.get("role") == "user"]
    return []
