"""The graph's nodes. Each reads the state and returns only the channels it changes.

The turn in progress lives in `draft`; phase, mood, outcome and turns are committed together by
`record`, so a model error halfway leaves the session as it was (with the user's text pending).

Streaming: the reply must pass the guard before the user sees any of it, so `voice` generates the
whole reply, vets it, and only then emits it in chunks through LangGraph's stream writer.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from langgraph.config import get_stream_writer

from sim.engine.phases import PhaseStep
from sim.engine.relevance import TopicGate
from sim.engine.state import Coaching, EngineState, Mood, TurnRecord
from sim.engine.turn import apply_turn, is_strike, next_move
from sim.engine.voice import voice
from sim.llm.protocol import ChatModel, ModelError
from sim.personas import Persona
from sim.prompts import Prompt
from sim.scoring.types import Scorer, TurnScore

CoachFn = Callable[..., Any]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


def last_line(state: EngineState) -> str:
    turns = state.get("turns") or []
    return str(turns[-1]["reply"]) if turns else state["opening_line"]


def route_start(state: EngineState) -> Literal["score", "__end__"]:
    """A new user turn goes to scoring; a state without one (a new or forked session) just ends."""
    if state.get("pending") is None:
        return "__end__"
    if state.get("outcome") is not None:
        raise ValueError(f"impossible state: a turn was sent after the outcome {state.get('outcome')!r}")
    return "score"


@dataclass
class Nodes:
    """The node functions, bound to the models, scorer and personas they use."""

    persona_model: ChatModel
    scorer: Scorer
    personas: Mapping[str, Persona]
    prompts: tuple[Prompt, Prompt]
    coach_model: ChatModel | None = None
    coach_fn: CoachFn | None = None
    topic_gate: TopicGate | None = None

    def persona(self, state: EngineState) -> Persona:
        found = self.personas.get(state["persona_id"])
        if found is None:
            raise ValueError(f"impossible state: persona {state['persona_id']!r} is not loaded")
        return found

    def score(self, state: EngineState) -> dict[str, Any]:
        started = time.perf_counter()
        text = state.get("pending")
        if not text:
            raise ValueError("impossible state: scoring without a pending user turn")
        result = self.scorer.score(text, context=last_line(state))
        return {"draft": {"t0": started, "score": result.model_dump(mode="json"), "score_ms": _ms(started)}}

    def advance(self, state: EngineState) -> dict[str, Any]:
        draft = state.get("draft") or {}
        turn_number = len(state.get("turns") or []) + 1
        result = apply_turn(
            phase=state["phase"],
            completed=state.get("completed") or [],
            mood=Mood.model_validate(state["mood"]),
            score=TurnScore.model_validate(draft["score"]),
            persona=self.persona(state),
            difficulty=state["difficulty"],
            turn_number=turn_number,
            strikes_before=sum(
                is_strike(TurnScore.model_validate(t["score"])) for t in state.get("turns") or []
            ),
        )
        return {
            "draft": {
                "phase_after": result.step.phase,
                "completed_after": list(result.step.completed),
                "shown": list(result.step.shown),
                "skipped": list(result.step.skipped),
                "regressed": result.step.regressed,
                "mood_after": result.mood.model_dump(),
                "outcome_after": result.outcome,
                "feedback": result.feedback,
            }
        }

    def choose(self, state: EngineState) -> dict[str, Any]:
        draft = state.get("draft") or {}
        step = PhaseStep(
            draft["phase_after"],
            tuple(draft["completed_after"]),
            tuple(draft["shown"]),
            tuple(draft["skipped"]),
            draft["regressed"],
        )
        move = next_move(
            step,
            Mood.model_validate(draft["mood_after"]),
            score=TurnScore.model_validate(draft["score"]),
            persona=self.persona(state),
            outcome=draft["outcome_after"],
            difficulty=state["difficulty"],
        )
        return {"draft": {"move": move}}

    def speak(self, state: EngineState) -> dict[str, Any]:
        draft = state.get("draft") or {}
        turns = state.get("turns") or []
        score = TurnScore.model_validate(draft["score"])
        voiced = voice(
            self.persona_model,
            self.prompts,
            self.persona(state),
            draft["move"],
            history=[(t["user_text"], t["reply"]) for t in turns],
            user_text=str(state.get("pending")),
            injected="injection" in score.anti,
            turn_index=len(turns),
            gate=self.topic_gate,
        )
        first_token_ms = _ms(draft["t0"]) if "t0" in draft else None
        get_stream_writer()({"token": voiced.text})
        return {
            "draft": {
                "reply": voiced.text,
                "reply_source": voiced.source,
                "guard_reasons": list(voiced.reasons),
                "prompt_tokens": voiced.prompt_tokens,
                "completion_tokens": voiced.completion_tokens,
                "reply_ms": round(voiced.reply_ms, 1),
                "first_token_ms": first_token_ms,
            }
        }

    def coach(self, state: EngineState) -> dict[str, Any]:
        draft = state.get("draft") or {}
        if self.coach_fn is None:
            return {"draft": {"coaching": None, "coach_ms": 0.0}}
        started = time.perf_counter()
        try:
            found = self.coach_fn(
                TurnScore.model_validate(draft["score"]),
                draft["phase_after"],
                self.persona(state),
                self.scorer,
                model=self.coach_model,
                shown=sorted(
                    {
                        p
                        for t in state.get("turns") or []
                        for p in TurnScore.model_validate(t["score"]).detected
                    }
                ),
            )
        except ModelError:
            found = None
        coaching = None
        if found is not None:
            coaching = Coaching(
                principle=found.principle, tip=found.tip, better_reply=found.better_reply
            ).model_dump()
        return {"draft": {"coaching": coaching, "coach_ms": _ms(started)}}

    def record(self, state: EngineState) -> dict[str, Any]:
        draft = state.get("draft") or {}
        turns = state.get("turns") or []
        record = TurnRecord(
            index=len(turns),
            user_text=str(state.get("pending")),
            reply=draft["reply"],
            reply_source=draft["reply_source"],
            move=draft["move"],
            score=TurnScore.model_validate(draft["score"]),
            phase_before=state["phase"],
            phase_after=draft["phase_after"],
            skipped=draft["skipped"],
            regressed=draft["regressed"],
            completed_after=draft["completed_after"],
            mood_before=Mood.model_validate(state["mood"]),
            mood_after=Mood.model_validate(draft["mood_after"]),
            outcome_after=draft["outcome_after"],
            feedback=draft["feedback"],
            coaching=Coaching.model_validate(draft["coaching"]) if draft.get("coaching") else None,
            guard_reasons=draft["guard_reasons"],
            prompt_tokens=draft["prompt_tokens"],
            completion_tokens=draft["completion_tokens"],
            timings={
                "score_ms": draft["score_ms"],
                "graph_ms": _ms(draft["t0"]),
                "first_token_ms": draft["first_token_ms"],
                "reply_ms": draft["reply_ms"],
                "coach_ms": draft["coach_ms"],
            },
        )
        return {
            "turns": [record.model_dump(mode="json")],
            "phase": record.phase_after,
            "completed": draft["completed_after"],
            "mood": record.mood_after.model_dump(),
            "outcome": record.outcome_after,
            "pending": None,
            "draft": None,
            "updated_at": now_iso(),
        }
