"""Drive the running browser app over HTTP with gradio_client, as a browser would: start, send, reopen.

The browser's local storage (owner id, current session) is the `store` dict the app's events take and
return; keeping it here and handing it to another worker is what a load balancer does with a browser.
"""

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import httpx
from gradio_client import Client

SEND_NAMES = ("send", "on_send")
LOAD_NAMES = ("load", "on_load")


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
        for event, candidates in (("send", SEND_NAMES), ("load", LOAD_NAMES)):
            if api_name in candidates:
                names.setdefault(event, api_name)
    return names


def error_text(out: Sequence[Any]) -> str:
    """The visible error of the rehearse screen (the HTML output holding role="alert") as text, or ''.

    The screen sets the error box with `gr.HTML(value, visible=...)`, which reaches the client as an
    update dict (`{"__type__": "update", "value": ..., "visible": ...}`), not as a bare string.
    """
    for value in out:
        if isinstance(value, Mapping) and value.get("__type__") == "update":
            if value.get("visible") is False:
                continue
            value = value.get("value")
        if isinstance(value, str) and 'role="alert"' in value:
            return " ".join(re.sub(r"<[^>]+>", " ", unescape(value)).split())
    return ""


def _positions(client: Client) -> dict[str, dict[str, int]]:
    """Where the store (BrowserState) and the chat (Chatbot) sit in each endpoint's returned tuple."""
    api = client.view_api(return_format="dict", print_info=False)
    out: dict[str, dict[str, int]] = {}
    for name, endpoint in (api or {}).get("named_endpoints", {}).items():
        kinds = [r.get("component") for r in endpoint.get("returns", [])]
        out[name.lstrip("/")] = {
            kind: kinds.index(kind) for kind in ("State", "Chatbot", "Html") if kind in kinds
        }
        if "BrowserState" in kinds:
            out[name.lstrip("/")]["State"] = kinds.index("BrowserState")
    return out


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
    positions: dict[str, dict[str, int]] = field(default_factory=dict)
    client: Client | None = None

    def __post_init__(self) -> None:
        self.move_to(self.url)

    def move_to(self, url: str) -> None:
        if self.client is not None:
            self.client.close()
        self.url = url
        self.client = Client(url, verbose=False, download_files=False)
        self.names = _api_names(url)
        self.positions = _positions(self.client)

    def _call(self, event: str, *args: Any) -> tuple[Any, dict[str, int]]:
        assert self.client is not None
        api_name = self.names.get(event, event)
        out = self.client.predict(*args, api_name="/" + api_name)
        return out, self.positions.get(api_name, {})

    def start(self, persona_id: str, difficulty: str = "default") -> list[dict[str, Any]]:
        """Start a rehearsal; returns the chat shown (the opening line)."""
        if persona_id not in self.names:
            raise KeyError(f"the app at {self.url} has no start button for {persona_id!r}")
        out, where = self._call(persona_id, self.store, difficulty)
        self.store = out[where.get("State", 0)]
        return list(out[where["Chatbot"]] or [])

    def send(self, text: str) -> Turn:
        """One turn, timed from request to the last update of the streamed reply."""
        began = time.monotonic()
        out, where = self._call("send", self.store, text)
        seconds = time.monotonic() - began
        chat = list(out[where["Chatbot"]] or [])
        return Turn(seconds, chat, error_text(out))

    def reopen(self) -> list[dict[str, Any]]:
        """What the page shows when this browser loads it (the current session, from the database)."""
        out, where = self._call("load", self.store)
        self.store = out[where.get("State", 0)]
        return list(out[where["Chatbot"]] or [])

    @property
    def session_id(self) -> str | None:
        return None if self.store is None else self.store.get("current")

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
