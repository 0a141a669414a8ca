"""A small in-memory stand-in for sim.engine.session.Rehearsal, for the UI's unit tests only."""

import itertools
from collections.abc import Callable

from sim.engine.session import InputError
from sim.engine.state import Coaching, Mood, SessionSummary, SessionView, TurnRecord
from sim.llm.protocol import ModelError
from sim.scoring.types import AntiPatternHit, PrincipleScore, Span, TurnScore, empty_principles
from sim.vocab import PHASES, Difficulty

STAMP = "2026-05-04T10:{:02d}:00+00:00"


def fake_score(text: str) -> TurnScore:
    """`sorry` shows apologize (with its span), `your fault` shows blame; everything else scores 0."""
    principles = empty_principles()
    anti: list[AntiPatternHit] = []
    low = text.lower()
    if "sorry" in low:
        start = low.index("sorry")
        span = Span(start=start, end=start + 5, text=text[start : start + 5])
        principles = [
            PrincipleScore(id=p.id, score=2, span=span) if p.id == "apologize" else p for p in principles
        ]
    if "your fault" in low:
        start = low.index("your fault")
        anti.append(
            AntiPatternHit(id="blame", span=Span(start=start, end=start + 10, text=text[start : start + 10]))
        )
    overall = 70.0 if "sorry" in low else 20.0
    return TurnScore(text=text, principles=principles, anti_patterns=anti, overall=overall, reason="fake")


class FakeRehearsal:
    """Sessions in a dict. A turn containing FAIL raises ModelError (keeping it as pending) once."""

    def __init__(self, fail_once: bool = True) -> None:
        self.sessions: dict[str, SessionView] = {}
        self.ids = (f"sess{n:04d}" for n in itertools.count(1))
        self.fail_once = fail_once
        self.sent: list[str] = []
        self.clock = itertools.count()

    def _check(self, session_id: str, owner: str | None) -> SessionView:
        view = self.sessions.get(session_id)
        if view is None or view.owner != owner:
            raise KeyError(session_id)
        return view

    def start(
        self, persona_id: str, difficulty: Difficulty | None = None, owner: str | None = None
    ) -> SessionView:
        sid = next(self.ids)
        view = SessionView(
            id=sid,
            persona_id=persona_id,
            persona_name="Wen <Li>",
            persona_role="Postdoc",
            difficulty=difficulty or "normal",
            phase="acknowledge",
            mood=Mood(trust=30, openness=40, tension=60),
            opening_line="You wanted to talk?",
            created_at=STAMP.format(next(self.clock)),
            updated_at=STAMP.format(next(self.clock)),
            owner=owner,
        )
        self.sessions[sid] = view
        return view

    def send(
        self,
        session_id: str,
        text: str,
        on_token: Callable[[str], None] | None = None,
        owner: str | None = None,
    ) -> SessionView:
        view = self._check(session_id, owner)
        if len(text) > 100:
            raise InputError("That turn is too long: keep it under 100 characters.")
        self.sent.append(text)
        if "FAIL" in text and self.fail_once:
            self.fail_once = False
            self.sessions[session_id] = view.model_copy(update={"pending": text})
            raise ModelError("timeout", "The model took too long to answer. Your text is kept: try again.")
        before = view.mood
        after = Mood(
            trust=min(100, before.trust + 10), openness=before.openness, tension=max(0, before.tension - 10)
        )
        i = PHASES.index(view.phase)
        phase_after = PHASES[min(i + 1, len(PHASES) - 1)]
        turn = TurnRecord(
            index=len(view.turns),
            user_text=text,
            reply=f"Reply number {len(view.turns) + 1}, with <b>markup</b> the model made up.",
            reply_source="generated",
            move="guarded",
            score=fake_score(text),
            phase_before=view.phase,
            phase_after=phase_after,
            mood_before=before,
            mood_after=after,
            feedback=["Say what happened in plain words."],
            coaching=Coaching(principle="acknowledge", tip="Name it.", better_reply="I missed the deadline."),
        )
        outcome = "repaired" if len(view.turns) + 1 >= 5 else None
        new = view.model_copy(
            update={
                "turns": [*view.turns, turn],
                "mood": after,
                "phase": phase_after,
                "completed": [*view.completed, view.phase],
                "pending": None,
                "outcome": outcome,
                "updated_at": STAMP.format(next(self.clock)),
            }
        )
        if on_token is not None:
            words = turn.reply.split(" ")
            for i in range(0, len(words), 3):
                on_token(" ".join(words[i : i + 3]) + " ")
        self.sessions[session_id] = new
        return new

    def retry_from(self, session_id: str, turn_index: int, owner: str | None = None) -> SessionView:
        view = self._check(session_id, owner)
        if not 0 <= turn_index < len(view.turns):
            raise InputError(f"There is no turn {turn_index} to retry from.")
        turns = view.turns[:turn_index]
        sid = next(self.ids)
        branch = view.model_copy(
            update={
                "id": sid,
                "turns": turns,
                "mood": turns[-1].mood_after if turns else Mood(trust=30, openness=40, tension=60),
                "phase": turns[-1].phase_after if turns else "acknowledge",
                "completed": [t.phase_before for t in turns],
                "outcome": None,
                "pending": None,
                "branch_of": (session_id, turn_index),
            }
        )
        self.sessions[sid] = branch
        return branch

    def view(self, session_id: str, owner: str | None = None) -> SessionView:
        return self._check(session_id, owner)

    def list_sessions(self, owner: str | None = None) -> list[SessionSummary]:
        mine = [v for v in self.sessions.values() if v.owner == owner]
        return [
            SessionSummary(
                id=v.id,
                owner=v.owner,
                persona_id=v.persona_id,
                created_at=v.created_at,
                updated_at=v.updated_at,
                outcome=v.outcome,
                score=sum(t.score.overall for t in v.turns) / len(v.turns) if v.turns else None,
                turns=len(v.turns),
                branch_of=v.branch_of,
            )
            for v in sorted(mine, key=lambda v: v.updated_at, reverse=True)
        ]
