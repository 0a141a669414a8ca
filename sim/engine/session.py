"""Rehearsal: the public facade over the graph (start, send, retry_from, view, branches, list_sessions)."""

import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from langgraph.checkpoint.base import BaseCheckpointSaver

from sim.config import Settings
from sim.engine.graph import build_graph, persona_prompts
from sim.engine.index import index_for
from sim.engine.mood import profile
from sim.engine.nodes import now_iso
from sim.engine.state import EngineState, SessionSummary, SessionView, view_of
from sim.engine.store import new_session_id, thread
from sim.engine.voice import read_card
from sim.llm.protocol import ChatModel
from sim.personas import Persona
from sim.scoring.types import Scorer
from sim.vocab import DIFFICULTIES, Difficulty

_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


class InputError(ValueError):
    """The user's input cannot be used; the message is written for the user. Nothing was stored."""


class ModelsLike(Protocol):
    """The two model roles the engine uses (`sim.llm.backend.Models` has them)."""

    @property
    def persona(self) -> ChatModel: ...
    @property
    def coach(self) -> ChatModel: ...


def clean_text(text: str, max_chars: int) -> str:
    """The user's turn without NUL, control characters and lone surrogates (newline, tab and the zero-width
    joiners of emoji and scripts stay); InputError if unusable."""
    if not isinstance(text, str):
        raise InputError("Type what you would say to your colleague.")
    cleaned = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not cleaned:
        raise InputError("Type what you would say to your colleague: the message is empty.")
    if len(cleaned) > max_chars:
        raise InputError(f"That turn is too long ({len(cleaned)} characters): keep it under {max_chars}.")
    return cleaned


class Rehearsal:
    """Many concurrent sessions over one compiled graph; each session is one checkpointer thread."""

    def __init__(
        self,
        models: ModelsLike,
        scorer: Scorer,
        checkpointer: BaseCheckpointSaver[Any] | None,
        personas: Mapping[str, Persona],
        *,
        settings: Settings | None = None,
        read_cards: bool = False,
        **graph_options: Any,
    ) -> None:
        """`read_cards`: when a session starts, have the persona model read its card in the background
        (worth it for a local server that keeps its last prompt; see `voice.read_card`)."""
        self.personas = dict(personas)
        self.settings = settings or Settings()
        self._card_reader = (models.persona, (graph_options.get("prompts") or persona_prompts())[0])
        self.read_cards = read_cards
        self._gate = graph_options.get("topic_gate")
        coach_model = models.coach if self.settings.coach_uses_model else None
        self.graph = build_graph(
            models.persona, scorer, coach_model, self.personas, checkpointer, **graph_options
        )
        self.index = index_for(checkpointer)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _lock(self, session_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(session_id, threading.Lock())

    def _state(self, session_id: str, owner: str | None) -> EngineState:
        if not isinstance(session_id, str) or not session_id:
            raise KeyError(session_id)
        values: EngineState = self.graph.get_state(thread(session_id)).values  # type: ignore[assignment]
        if not values or "session_id" not in values or values.get("owner") != owner:
            raise KeyError(session_id)
        return values

    def _view(self, state: EngineState) -> SessionView:
        rules = profile(state["difficulty"])
        return view_of(state, max_turns=rules.max_turns, repair_trust=rules.repair_trust)

    def _index(self, view: SessionView) -> None:
        scores = [t.score.overall for t in view.turns]
        self.index.upsert(
            SessionSummary(
                id=view.id,
                owner=view.owner,
                persona_id=view.persona_id,
                created_at=view.created_at,
                updated_at=view.updated_at,
                outcome=view.outcome,
                score=round(sum(scores) / len(scores), 1) if scores else None,
                turns=len(view.turns),
                branch_of=view.branch_of,
            )
        )

    def start(
        self, persona_id: str, difficulty: Difficulty | None = None, owner: str | None = None
    ) -> SessionView:
        """A new session with the persona, at its default difficulty unless one is given."""
        persona = self.personas.get(persona_id)
        if persona is None:
            known = ", ".join(sorted(self.personas))
            raise InputError(f"Unknown colleague {persona_id!r}: choose one of {known}.")
        level = difficulty or persona.difficulty
        if level not in DIFFICULTIES:
            raise InputError(f"Unknown difficulty {level!r}: choose one of {', '.join(DIFFICULTIES)}.")
        session_id, stamp = new_session_id(), now_iso()
        initial: EngineState = {
            "session_id": session_id,
            "persona_id": persona.id,
            "persona_name": persona.name,
            "persona_role": persona.role,
            "opening_line": persona.opening_line,
            "difficulty": level,
            "owner": owner,
            "phase": "acknowledge",
            "completed": [],
            "mood": profile(level).start.model_dump(),
            "outcome": None,
            "turns": [],
            "pending": None,
            "draft": None,
            "branch_of": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        if self.read_cards or self._gate is not None:
            # Not a daemon: exit waits for it rather than tearing torch down mid-embedding, which aborted
            # the process. Bounded: one embedding pass, one model call under the client's timeout and retries.
            threading.Thread(target=self._prepare, args=(persona,), name="rehearse-prepare").start()
        self.graph.invoke(initial, thread(session_id), durability="sync")
        view = self.view(session_id, owner=owner)
        self._index(view)
        return view

    def _prepare(self, persona: Persona) -> None:
        """While the user reads the opening line: the card read and the topic check's reference vectors."""
        if self._gate is not None:
            self._gate.prepare(persona)
        if self.read_cards:
            read_card(*self._card_reader, persona)

    def send(
        self,
        session_id: str,
        text: str,
        on_token: Callable[[str], None] | None = None,
        owner: str | None = None,
    ) -> SessionView:
        """Play one user turn. InputError: nothing stored. ModelError: the text is kept as `pending`."""
        with self._lock(session_id):
            state = self._state(session_id, owner)
            cleaned = clean_text(text, self.settings.max_chars)
            if state["persona_id"] not in self.personas:
                raise InputError(f"The colleague {state['persona_name']} is no longer available here.")
            ended = state.get("outcome")
            if ended:
                raise InputError(
                    f"This conversation has ended ({ended.replace('_', ' ')}). "
                    "Start a new one, or retry from an earlier turn."
                )
            try:
                for chunk in self.graph.stream(
                    {"pending": cleaned, "draft": None},
                    thread(session_id),
                    stream_mode="custom",
                    durability="sync",
                ):
                    if on_token is not None and isinstance(chunk, dict) and "token" in chunk:
                        on_token(str(chunk["token"]))
            finally:
                view = self._view(self._state(session_id, owner))
                self._index(view)
            return view

    def retry_from(self, session_id: str, turn_index: int, owner: str | None = None) -> SessionView:
        """A new session that continues from just before turn `turn_index`; the original stays as it was."""
        with self._lock(session_id):
            state = self._state(session_id, owner)
            turns = state.get("turns") or []
            if not isinstance(turn_index, int) or not 0 <= turn_index < len(turns):
                raise InputError(f"There is no turn {turn_index} to retry from ({len(turns)} turns so far).")
            before = self._checkpoint_before(session_id, turn_index)
        branch_id, stamp = new_session_id(), now_iso()
        forked: EngineState = {
            **before,
            "session_id": branch_id,
            "pending": None,
            "draft": None,
            "branch_of": [session_id, turn_index],
            "created_at": stamp,
            "updated_at": stamp,
        }
        self.graph.invoke(forked, thread(branch_id), durability="sync")
        view = self.view(branch_id, owner=owner)
        self._index(view)
        return view

    def _checkpoint_before(self, session_id: str, turn_index: int) -> EngineState:
        for snapshot in self.graph.get_state_history(thread(session_id)):
            values: EngineState = snapshot.values  # type: ignore[assignment]
            if (
                not snapshot.next
                and "session_id" in values
                and len(values.get("turns") or []) == turn_index
                and values.get("pending") is None
            ):
                return values
        raise KeyError(f"{session_id}: no checkpoint before turn {turn_index}")

    def view(self, session_id: str, owner: str | None = None) -> SessionView:
        """The session as it stands; KeyError if unknown or not this owner's."""
        return self._view(self._state(session_id, owner))

    def branches(self, session_id: str) -> list[str]:
        """Ids of the sessions forked from this one, oldest first."""
        return self.index.branches(session_id)

    def list_sessions(self, owner: str | None = None) -> list[SessionSummary]:
        """This owner's sessions, most recently updated first."""
        return self.index.by_owner(owner)
