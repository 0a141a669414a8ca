"""Drive the running browser app over HTTP with gradio_client, as a browser would: start, send, reopen.

The browser's local storage (owner id, current session) is the `store` dict the app's events take and
return; keeping it here and handing it to another worker is what a load balancer does with a browser.
"""

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from gradio_client import Client

SEND_EVENT = "on_send"
LOAD_EVENT = "on_load"


def _api_names(url: str) -> dict[str, str]:
    """Start buttons by persona id (from their elem_id `start-<id>`), plus the send and load events."""
    config = httpx.get(url.rstrip("/") + "/config", timeout=10.0).json()
    elem_ids = {c["id"]: (c.get("props") or {}).get("elem_id") for c in config["components"]}
    names: dict[str, str] = {}
    for dep in config["dependencies"]:
        api_name = dep.get("api_name")
        if not api_name:
            continue
        for target in dep.get("targets", []):
            elem = elem_ids.get(target[0])
            if isinstance(elem, str) and elem.startswith("start-"):
                names.setdefault(elem.removeprefix("start-"), api_name)
        for event in (SEND_EVENT, LOAD_EVENT):
            if api_name == event:
                names[event] = api_name
    return names


@dataclass
class Turn:
    """One turn as the browser saw it: how long it took and what the page showed."""

    seconds: float
    chat: list[dict[str, Any]]
    error: str


@dataclass
class BrowserSession:
    """One browser talking to one worker; `move_to` hands its storage to another worker."""

    url: str
    store: dict[str, Any] | None = None
    names: dict[str, str] = field(default_factory=dict)
    client: Client | None = None

    def __post_init__(self) -> None:
        self.move_to(self.url)

    def move_to(self, url: str) -> None:
        if self.client is not None:
            self.client.close()
        self.url = url
        self.client = Client(url, verbose=False, download_files=False)
        self.names = _api_names(url)

    def _call(self, api_name: str, *args: Any) -> Any:
        assert self.client is not None
        return self.client.predict(*args, api_name="/" + api_name.lstrip("/"))

    def start(self, persona_id: str, difficulty: str = "default") -> list[dict[str, Any]]:
        """Start a rehearsal; returns the chat shown (the opening line)."""
        if persona_id not in self.names:
            raise KeyError(f"the app at {self.url} has no start button for {persona_id!r}")
        out = self._call(self.names[persona_id], self.store, difficulty)
        self.store = out[0]
        return list(out[3] or [])

    def send(self, text: str) -> Turn:
        """One turn, timed from request to the last update of the streamed reply."""
        began = time.monotonic()
        out = self._call(self.names.get(SEND_EVENT, SEND_EVENT), self.store, text)
        seconds = time.monotonic() - began
        return Turn(seconds, list(out[1] or []), str(out[4] or ""))

    def reopen(self) -> list[dict[str, Any]]:
        """What the page shows when this browser loads it (the current session, from the database)."""
        out = self._call(self.names.get(LOAD_EVENT, LOAD_EVENT), self.store)
        self.store = out[0]
        return list(out[3] or [])

    @property
    def session_id(self) -> str | None:
        return None if self.store is None else self.store.get("current")

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
