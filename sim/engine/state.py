"""The conversation's state: the LangGraph channels, and the typed views the UI, CLI and exports read.

Graph channels hold JSON-native values only (dicts, lists, strings, numbers), so every checkpointer
(SQLite, PostgreSQL, memory) stores them without custom serializers; `view_of` turns them into the
validated pydantic `SessionView`.
"""

from operator import add
from typing import Annotated, Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from sim.scoring.types import TurnScore
from sim.vocab import Difficulty, MoveId, Outcome, Phase, PrincipleId, ReplySource


class Mood(BaseModel):
    """How the colleague feels about the user right now, each 0-100."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trust: int = Field(ge=0, le=100)
    openness: int = Field(ge=0, le=100)
    tension: int = Field(ge=0, le=100)


class Coaching(BaseModel):
    """The next principle to work on, a tip, and a better reply only when the scorer rates it higher."""

    model_config = ConfigDict(extra="forbid")

    principle: PrincipleId
    tip: str
    better_reply: str | None = None


class Timings(BaseModel):
    """Milliseconds spent on one turn."""

    model_config = ConfigDict(extra="forbid")

    score_ms: float = 0.0
    graph_ms: float = 0.0
    first_token_ms: float | None = None
    """From the start of the turn to the first chunk of the vetted reply reaching the caller."""
    reply_ms: float = 0.0
    """Model time for the reply, including a retry."""
    coach_ms: float = 0.0


class TurnRecord(BaseModel):
    """One finished exchange: what the user said, how it scored, what moved, and what the colleague said."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0)
    user_text: str
    reply: str
    reply_source: ReplySource
    move: MoveId
    score: TurnScore
    phase_before: Phase
    phase_after: Phase
    skipped: list[Phase] = []
    regressed: bool = False
    """True when an anti-pattern sent the phase back."""
    completed_after: list[Phase] = []
    """Phases whose principles have been shown, after this turn."""
    mood_before: Mood
    mood_after: Mood
    outcome_after: Outcome | None = None
    feedback: list[str] = []
    coaching: Coaching | None = None
    guard_reasons: list[str] = []
    """Why the first generated reply (and the retry) failed the guard; empty when it passed."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    timings: Timings = Timings()


class SessionView(BaseModel):
    """Everything a caller may show about one rehearsal."""

    model_config = ConfigDict(extra="forbid")

    id: str
    persona_id: str
    persona_name: str
    persona_role: str
    difficulty: Difficulty
    phase: Phase
    mood: Mood
    opening_line: str
    turns: list[TurnRecord] = []
    outcome: Outcome | None = None
    pending: str | None = None
    """A user turn saved before the model failed; sending it again retries it."""
    branch_of: tuple[str, int] | None = None
    """(original session id, turn index) when this session was forked with retry_from."""
    created_at: str
    updated_at: str
    owner: str | None = None
    completed: list[Phase] = []
    max_turns: int = 12
    repair_trust: int = 0
    """The trust the colleague needs, at this difficulty, before the repair counts."""


class SessionSummary(BaseModel):
    """One row of a user's session list."""

    model_config = ConfigDict(extra="forbid")

    id: str
    owner: str | None
    persona_id: str
    created_at: str
    updated_at: str
    outcome: Outcome | None = None
    score: float | None = None
    """Mean turn score 0-100, None before the first turn."""
    turns: int = 0
    branch_of: tuple[str, int] | None = None


def merge_draft(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any] | None:
    """Reducer of `draft`: each node adds its keys; writing None clears the draft."""
    if new is None:
        return None
    return {**(old or {}), **new}


class EngineState(TypedDict, total=False):
    """The LangGraph channels of one session (one thread per session id)."""

    session_id: str
    persona_id: str
    persona_name: str
    persona_role: str
    opening_line: str
    difficulty: Difficulty
    owner: str | None
    phase: Phase
    """The phase the user is working on now."""
    completed: list[Phase]
    """Phases whose principles have been shown (skipped ones are missing until shown later)."""
    mood: dict[str, int]
    """A dumped `Mood`."""
    outcome: Outcome | None
    turns: Annotated[list[dict[str, Any]], add]
    """Dumped `TurnRecord`s; reducer: appended, never rewritten."""
    pending: str | None
    """The user's turn being processed (or kept after a model error)."""
    draft: Annotated[dict[str, Any] | None, merge_draft]
    """The turn in progress: each node adds its keys; cleared when the turn is recorded."""
    branch_of: list[Any] | None
    created_at: str
    updated_at: str


def view_of(state: EngineState, *, max_turns: int, repair_trust: int) -> SessionView:
    """The validated view of a state's channels."""
    branch = state.get("branch_of")
    return SessionView(
        id=state["session_id"],
        persona_id=state["persona_id"],
        persona_name=state["persona_name"],
        persona_role=state["persona_role"],
        difficulty=state["difficulty"],
        phase=state["phase"],
        mood=Mood.model_validate(state["mood"]),
        opening_line=state["opening_line"],
        turns=[TurnRecord.model_validate(t) for t in state.get("turns", [])],
        outcome=state.get("outcome"),
        pending=state.get("pending"),
        branch_of=(str(branch[0]), int(branch[1])) if branch else None,
        created_at=state["created_at"],
        updated_at=state["updated_at"],
        owner=state.get("owner"),
        completed=list(state.get("completed", [])),
        max_turns=max_turns,
        repair_trust=repair_trust,
    )
