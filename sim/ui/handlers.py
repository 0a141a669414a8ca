"""The app's behaviour as plain functions of (input, state): no Gradio in here, so every one is unit-tested.

The browser keeps a small `Store` in local storage (owner id, current session, this browser's
sessions); the engine keeps everything else. Each handler returns a `Screen` (what the rehearse tab
shows) or plain values; `sim.ui.app` turns them into component updates.
"""

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from sim.engine import export
from sim.engine.session import InputError
from sim.engine.state import SessionView
from sim.llm.protocol import ModelError
from sim.ui import render
from sim.ui.review import review_html
from sim.vocab import DIFFICULTIES, Difficulty

MAX_REMEMBERED = 50
TYPING = "…"
REVEAL_FRAMES = 12
NO_REVIEW = '<p class="rh-muted">Open a session to review it, or load a JSON export.</p>'


class RehearsalLike(Protocol):
    """The part of `sim.engine.session.Rehearsal` the UI uses."""

    def start(
        self, persona_id: str, difficulty: Difficulty | None = None, owner: str | None = None
    ) -> SessionView: ...

    def send(
        self,
        session_id: str,
        text: str,
        on_token: Callable[[str], None] | None = None,
        owner: str | None = None,
    ) -> SessionView: ...

    def retry_from(self, session_id: str, turn_index: int, owner: str | None = None) -> SessionView: ...

    def view(self, session_id: str, owner: str | None = None) -> SessionView: ...


class Store(BaseModel):
    """What this browser remembers in its local storage."""

    model_config = ConfigDict(extra="forbid")

    owner: str
    """A random id for this browser, or the login name when the app has users."""
    current: str | None = None
    """The session the rehearse tab shows; reopened after a reload or a restart."""
    sessions: list[str] = []
    """This browser's sessions, newest first."""


def load_store(raw: Any, username: str | None = None) -> Store:
    """The browser's stored value, repaired: a fresh owner id when nothing valid is stored."""
    store: Store | None = None
    if isinstance(raw, dict):
        try:
            store = Store.model_validate(raw)
        except ValidationError:
            store = None
    if store is None:
        store = Store(owner=secrets.token_urlsafe(18))
    if username and store.owner != username:
        store = Store(owner=username)
    return store


def remember(store: Store, session_id: str) -> Store:
    rest = [s for s in store.sessions if s != session_id]
    return store.model_copy(update={"current": session_id, "sessions": [session_id, *rest][:MAX_REMEMBERED]})


@dataclass(frozen=True)
class Screen:
    """Everything the rehearse tab shows for one session."""

    session_id: str | None
    title: str
    messages: list[dict[str, str]]
    panel: str
    draft: str = ""
    error: str | None = None
    retry_send: bool = False
    """True when the error was the model's: the page offers to send the kept text again."""
    turn_choices: list[tuple[str, int]] = field(default_factory=list)
    finished: bool = False


EMPTY = Screen(None, "", [], "")


def chat_messages(view: SessionView) -> list[dict[str, str]]:
    """The conversation as Chatbot messages, every text escaped (the Chatbot is set to render none)."""
    out = [{"role": "assistant", "content": render.plain(view.opening_line)}]
    for turn in view.turns:
        out.append({"role": "user", "content": render.plain(turn.user_text)})
        out.append({"role": "assistant", "content": render.plain(turn.reply)})
    return out


def turn_choices(view: SessionView) -> list[tuple[str, int]]:
    def label(text: str) -> str:
        one_line = " ".join(text.split())
        return one_line if len(one_line) <= 60 else one_line[:57] + "..."

    return [(f"Turn {t.index + 1}: {label(t.user_text)}", t.index) for t in view.turns]


def title(view: SessionView) -> str:
    branch = f" · retried from turn {view.branch_of[1] + 1}" if view.branch_of else ""
    return f"{view.persona_name}, {view.persona_role} · {view.difficulty}{branch}"


def screen(view: SessionView, draft: str = "", error: str | None = None, retry_send: bool = False) -> Screen:
    return Screen(
        view.id,
        title(view),
        chat_messages(view),
        render.live_panel(view),
        draft,
        error,
        retry_send,
        turn_choices(view),
        view.outcome is not None,
    )


def difficulty_choice(value: str | None) -> Difficulty | None:
    return next((d for d in DIFFICULTIES if d == value), None)


def open_current(rehearsal: RehearsalLike, store: Store) -> Screen:
    """The stored current session, or the empty screen when there is none (or it is not this owner's)."""
    if store.current is None:
        return EMPTY
    try:
        view = rehearsal.view(store.current, owner=store.owner)
    except KeyError:
        return EMPTY
    return screen(view, draft=view.pending or "")


def start(rehearsal: RehearsalLike, store: Store, persona_id: str, difficulty: str | None) -> tuple[Store, Screen]:
    view = rehearsal.start(persona_id, difficulty_choice(difficulty), owner=store.owner)
    return remember(store, view.id), screen(view)


def open_session(rehearsal: RehearsalLike, store: Store, session_id: str | None) -> tuple[Store, Screen]:
    if not session_id or session_id not in store.sessions:
        return store, open_current(rehearsal, store)
    try:
        view = rehearsal.view(session_id, owner=store.owner)
    except KeyError:
        return store, open_current(rehearsal, store)
    return remember(store, view.id), screen(view, draft=view.pending or "")


def _reveal(reply: str) -> Iterator[str]:
    words = reply.split(" ")
    step = max(1, -(-len(words) // REVEAL_FRAMES))
    for end in range(step, len(words), step):
        yield " ".join(words[:end]) + " " + TYPING
    yield reply


def send(
    rehearsal: RehearsalLike, store: Store, text: str, reveal_delay: float = 0.03
) -> Iterator[Screen]:
    """Send one turn: show it at once, wait for the vetted reply, then reveal the reply word by word.

    An InputError keeps the text in the box with the message; a ModelError keeps it too and offers a retry.
    """
    if store.current is None:
        yield EMPTY
        return
    try:
        before = rehearsal.view(store.current, owner=store.owner)
    except KeyError:
        yield EMPTY
        return
    if not text.strip():
        yield screen(before, error="Write what you would say first.")
        return
    if before.outcome is not None:
        yield screen(before, error="This conversation has ended. Open the review, or retry from a turn.")
        return
    waiting = screen(before)
    typing = [*waiting.messages, {"role": "user", "content": render.plain(text)}]
    yield Screen(**{**waiting.__dict__, "messages": [*typing, {"role": "assistant", "content": TYPING}]})
    try:
        after = rehearsal.send(before.id, text, owner=store.owner)
    except InputError as exc:
        yield screen(before, draft=text, error=str(exc))
        return
    except ModelError as exc:
        kept = rehearsal.view(before.id, owner=store.owner)
        yield screen(kept, draft=kept.pending or text, error=exc.message, retry_send=True)
        return
    final = screen(after)
    for partial in _reveal(after.turns[-1].reply if after.turns else ""):
        yield Screen(**{**final.__dict__, "messages": [*typing, {"role": "assistant", "content": render.plain(partial)}]})
        time.sleep(reveal_delay)
    yield final


def retry_from(
    rehearsal: RehearsalLike, store: Store, turn_index: int | None
) -> tuple[Store, Screen]:
    """Branch before `turn_index`; the old text goes back in the box to be said differently."""
    if store.current is None or turn_index is None:
        return store, open_current(rehearsal, store)
    old = rehearsal.view(store.current, owner=store.owner)
    if not 0 <= turn_index < len(old.turns):
        return store, screen(old, error="Pick one of your turns to retry from.")
    branch = rehearsal.retry_from(old.id, turn_index, owner=store.owner)
    return remember(store, branch.id), screen(branch, draft=old.turns[turn_index].user_text)


@dataclass(frozen=True)
class PastSession:
    session_id: str
    label: str


def session_score(view: SessionView) -> float | None:
    scored = [t.score.overall for t in view.turns if t.score.unscored is None]
    return sum(scored) / len(scored) if scored else None


def past_sessions(rehearsal: RehearsalLike, store: Store) -> list[PastSession]:
    """This browser's sessions that still exist and belong to its owner, newest first."""
    out = []
    for sid in store.sessions:
        try:
            view = rehearsal.view(sid, owner=store.owner)
        except KeyError:
            continue
        score = session_score(view)
        parts = [
            view.persona_name,
            view.created_at[:16].replace("T", " "),
            (view.outcome or "in progress").replace("_", " "),
            f"{len(view.turns)} turns",
            f"score {score:.0f}" if score is not None else "not scored",
        ]
        if view.branch_of:
            parts.append(f"retry of turn {view.branch_of[1] + 1}")
        out.append(PastSession(sid, " · ".join(parts)))
    return out


@dataclass(frozen=True)
class ReviewResult:
    """The review tab's content: the page, the two export files, or an error to show."""

    html: str
    markdown_path: str | None = None
    json_path: str | None = None
    error: str | None = None


def _review_of(view: SessionView, folder: Path) -> ReviewResult:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"rehearse-{view.persona_id}-{view.id[:8]}"
    md, js = folder / f"{stem}.md", folder / f"{stem}.json"
    md.write_text(export.to_markdown(view), encoding="utf-8")
    js.write_text(export.to_json(view), encoding="utf-8")
    return ReviewResult(review_html(view), str(md), str(js))


def review(rehearsal: RehearsalLike, store: Store, folder: Path) -> ReviewResult:
    """The current session's review, with its Markdown and JSON exports written into `folder`."""
    if store.current is None:
        return ReviewResult(NO_REVIEW)
    try:
        view = rehearsal.view(store.current, owner=store.owner)
    except KeyError:
        return ReviewResult(NO_REVIEW)
    return _review_of(view, folder / secrets.token_hex(8))


def load_export(path: str | None, folder: Path) -> ReviewResult:
    """A JSON export read back into the review (read-only: it is not added to this browser's sessions)."""
    if not path:
        return ReviewResult(NO_REVIEW)
    name = Path(path).name
    try:
        view = export.from_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return ReviewResult(NO_REVIEW, error=f"{name}: cannot read the file ({exc}).")
    except (ValueError, ValidationError) as exc:
        return ReviewResult(NO_REVIEW, error=f"{name} is not a Rehearse JSON export: {_first_line(exc)}")
    return _review_of(view, folder / secrets.token_hex(8))


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
