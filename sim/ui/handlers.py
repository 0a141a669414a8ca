"""The app's behaviour as plain functions of (input, state): no Gradio in here, so every one is unit-tested.

The browser keeps a small `Store` in local storage (its owner id and the session it shows); the
engine keeps everything else, and lists an owner's sessions. Each handler returns a `Screen` (what
the rehearse tab shows) or plain values; `sim.ui.app` turns them into component updates.
"""

import queue
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from sim.engine import export
from sim.engine.session import InputError
from sim.engine.state import SessionSummary, SessionView
from sim.llm.protocol import ModelError
from sim.ui import render
from sim.ui.review import report_markdown, review_head, review_turns
from sim.vocab import DIFFICULTIES, Difficulty

TYPING = "…"
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

    def list_sessions(self, owner: str | None = None) -> list[SessionSummary]: ...


class Store(BaseModel):
    """What this browser remembers in its local storage."""

    model_config = ConfigDict(extra="forbid")

    owner: str
    """A random id for this browser, or the login name when the app has users."""
    current: str | None = None
    """The session the rehearse tab shows; reopened after a reload or a restart."""


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
    return store.model_copy(update={"current": session_id})


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
ENDED_ERROR = "This conversation has ended. Open the review, or retry from a turn."
"""What a turn sent after the outcome gets: nothing is stored, the text stays in the box."""


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


def start(
    rehearsal: RehearsalLike, store: Store, persona_id: str, difficulty: str | None
) -> tuple[Store, Screen]:
    view = rehearsal.start(persona_id, difficulty_choice(difficulty), owner=store.owner)
    return remember(store, view.id), screen(view)


def open_session(rehearsal: RehearsalLike, store: Store, session_id: str | None) -> tuple[Store, Screen]:
    if not session_id:
        return store, open_current(rehearsal, store)
    try:
        view = rehearsal.view(session_id, owner=store.owner)
    except KeyError:
        return store, open_current(rehearsal, store)
    return remember(store, view.id), screen(view, draft=view.pending or "")


@dataclass
class _Outcome:
    view: SessionView | None = None
    error: Exception | None = None


def _run_send(
    rehearsal: RehearsalLike, store: Store, session_id: str, text: str
) -> tuple["queue.Queue[str | None]", _Outcome]:
    """Run the turn on a thread; the vetted reply's chunks arrive on the queue, then None."""
    chunks: queue.Queue[str | None] = queue.Queue()
    result = _Outcome()

    def work() -> None:
        try:
            result.view = rehearsal.send(session_id, text, on_token=chunks.put, owner=store.owner)
        except Exception as exc:
            result.error = exc
        finally:
            chunks.put(None)

    threading.Thread(target=work, name="rehearse-send", daemon=True).start()
    return chunks, result


def send(rehearsal: RehearsalLike, store: Store, text: str) -> Iterator[Screen]:
    """Send one turn: show it at once, then the colleague's vetted reply as it arrives, then the feedback.

    The reply is vetted whole before any of it arrives, so it is shown as soon as it comes, with no
    typing animation holding back the feedback.

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
        yield screen(before, error=ENDED_ERROR)
        return
    waiting = screen(before)
    said = [*waiting.messages, {"role": "user", "content": render.plain(text)}]

    def showing(reply: str) -> Screen:
        return replace(waiting, messages=[*said, {"role": "assistant", "content": reply}])

    yield showing(TYPING)
    chunks, result = _run_send(rehearsal, store, before.id, text)
    shown = ""
    while (chunk := chunks.get()) is not None:
        shown += chunk
        yield showing(render.plain(shown.rstrip()))
    if isinstance(result.error, InputError):
        yield screen(before, draft=text, error=str(result.error))
    elif isinstance(result.error, ModelError):
        kept = rehearsal.view(before.id, owner=store.owner)
        yield screen(kept, draft=kept.pending or text, error=result.error.message, retry_send=True)
    elif result.error is not None:
        raise result.error
    elif result.view is not None:
        yield screen(result.view)


def retry_from(rehearsal: RehearsalLike, store: Store, turn_index: int | None) -> tuple[Store, Screen]:
    """Branch before `turn_index`; the old text goes back in the box to be said differently."""
    if store.current is None or turn_index is None:
        return store, open_current(rehearsal, store)
    try:
        old = rehearsal.view(store.current, owner=store.owner)
    except KeyError:
        return store, EMPTY
    try:
        branch = rehearsal.retry_from(old.id, turn_index, owner=store.owner)
    except InputError:
        return store, screen(old, error="Pick one of your turns to retry from.")
    return remember(store, branch.id), screen(branch, draft=old.turns[turn_index].user_text)


@dataclass(frozen=True)
class PastSession:
    session_id: str
    label: str


def past_sessions(rehearsal: RehearsalLike, store: Store, names: Mapping[str, str]) -> list[PastSession]:
    """The owner's sessions (the engine filters by owner), most recently updated first."""
    out = []
    for s in rehearsal.list_sessions(store.owner):
        parts = [
            names.get(s.persona_id, s.persona_id),
            s.updated_at[:16].replace("T", " "),
            (s.outcome or "in progress").replace("_", " "),
            f"{s.turns} turn{'s' if s.turns != 1 else ''}",
            f"score {s.score:.0f}" if s.score is not None else "not scored yet",
        ]
        if s.branch_of:
            parts.append(f"retry of turn {s.branch_of[1] + 1}")
        out.append(PastSession(s.id, " · ".join(parts)))
    return out


@dataclass(frozen=True)
class ReviewResult:
    """The review tab's content: the page, the two export files, or an error to show."""

    html: str
    report: str = ""
    """The end-of-session report, Markdown from the export (its text already escaped)."""
    turns: str = ""
    markdown_path: str | None = None
    json_path: str | None = None
    error: str | None = None


def _review_of(view: SessionView, folder: Path) -> ReviewResult:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"rehearse-{view.persona_id}-{view.id[:8]}"
    md, js = folder / f"{stem}.md", folder / f"{stem}.json"
    md.write_text(export.to_markdown(view), encoding="utf-8")
    js.write_text(export.to_json(view), encoding="utf-8")
    return ReviewResult(review_head(view), report_markdown(view), review_turns(view), str(md), str(js))


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
