"""The LLM judge: the rubric rendered into prompts/judge.md, a JSON verdict validated by pydantic.

A reply that is not valid JSON in the expected shape is asked for again, up to `attempts` calls in
all; after that the turn comes back unscored with the reason, never as a crash or a silent zero.
"""

import json
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.llm.protocol import ChatModel, ModelError
from sim.prompts import Prompt, load_prompts
from sim.scoring.aggregate import turn_score
from sim.scoring.lexical import find_cues
from sim.scoring.rubric import Rubric, load_rubric
from sim.scoring.types import AntiPatternHit, PrincipleScore, Span, TurnScore, empty_principles
from sim.scoring.verdict import apply_hard_rules, make_reason
from sim.vocab import DETECTED_AT, PRINCIPLES, AntiPatternId, PrincipleId

Level = Annotated[int, Field(ge=0, le=3)]
JUDGE_CONFIDENCE = 0.5
"""The judge reports no probability; its verdicts carry this fixed, middling confidence."""
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


class JudgeReply(BaseModel):
    """What the judge must answer: all ten levels, the anti-patterns, quotes and a reason."""

    model_config = ConfigDict(extra="ignore")

    levels: dict[PrincipleId, Level]
    anti_patterns: list[AntiPatternId] = []
    evidence: dict[str, str] = {}
    reason: str = ""

    @model_validator(mode="after")
    def _all_ten(self) -> "JudgeReply":
        missing = [p for p in PRINCIPLES if p not in self.levels]
        if missing:
            raise ValueError(f"levels is missing {missing}")
        return self


def parse_reply(raw: str) -> JudgeReply:
    """The verdict in the reply (fences, chatter ignored; levels may sit at the top). Else ValueError."""
    match = _OBJECT.search(raw)
    if match is None:
        raise ValueError("no JSON object in the reply")
    try:
        data = json.loads(match.group(0))
        if isinstance(data, dict) and "levels" not in data and any(p in data for p in PRINCIPLES):
            data = {"levels": {p: data.pop(p) for p in PRINCIPLES if p in data}, **data}
        return JudgeReply.model_validate(data)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"field {'.'.join(str(x) for x in first['loc'])}: {first['msg']}") from exc


def locate(text: str, quote: str | None) -> Span | None:
    """The quote's position in the text (case-insensitive), or None if the judge did not quote exactly."""
    if not quote or not quote.strip():
        return None
    start = text.lower().find(quote.strip().lower())
    if start < 0:
        return None
    end = start + len(quote.strip())
    return Span(start=start, end=end, text=text[start:end])


def unscored(text: str, why: str, scorer: str = "judge") -> TurnScore:
    """A turn the judge could not score: every level 0, flagged with the reason."""
    return TurnScore(
        text=text,
        principles=empty_principles(),
        reason=f"Not scored: {why}.",
        overall=0.0,
        confidence=0.0,
        scorer="ensemble" if scorer == "ensemble" else "judge",
        unscored=why,
    )


class JudgeScorer:
    """Scores a turn by asking a ChatModel, then applies the same hard rules as the default scorer."""

    def __init__(
        self, model: ChatModel, attempts: int = 2, rubric: Rubric | None = None, prompt: Prompt | None = None
    ) -> None:
        self.model = model
        self.attempts = max(1, attempts)
        self.rubric = rubric or load_rubric()
        self.prompt = prompt or load_prompts()["judge"]

    def render(self, text: str, context: str | None) -> str:
        return self.prompt.render(
            principles=[p.model_dump() for p in self.rubric.principles],
            anti_patterns=[a.model_dump() for a in self.rubric.anti_patterns],
            text=text,
            context=context or "",
        )

    def score(self, text: str, context: str | None = None) -> TurnScore:
        if not text.strip():
            return unscored(text, "the turn is empty")
        content = self.render(text, context)
        problem = "no reply"
        for _ in range(self.attempts):
            try:
                raw = self.model.complete(
                    [{"role": "user", "content": content}], max_tokens=320, temperature=0.0
                )
                return self._verdict(text, parse_reply(raw.text))
            except ModelError as exc:
                problem = f"the judge model failed ({exc.kind}: {exc.message})"
            except ValueError as exc:
                problem = f"the judge's reply was not a valid verdict ({exc})"
        return unscored(text, f"{problem} after {self.attempts} attempts")

    def _verdict(self, text: str, reply: JudgeReply) -> TurnScore:
        ruled = apply_hard_rules(reply.levels, reply.anti_patterns, find_cues(text))
        principles = [
            PrincipleScore(
                id=p,
                score=ruled.levels[p],
                probability=round(ruled.levels[p] / 3, 4),
                span=locate(text, reply.evidence.get(p)) if ruled.levels[p] >= DETECTED_AT else None,
            )
            for p in PRINCIPLES
        ]
        anti = [
            AntiPatternHit(id=a, probability=1.0, span=locate(text, reply.evidence.get(a)))
            for a in ruled.anti
        ]
        reason = reply.reason.strip().splitlines()[0] if reply.reason.strip() else ""
        if reason and ruled.notes:
            reason = f"{reason} ({'; '.join(ruled.notes)})"
        return TurnScore(
            text=text,
            principles=principles,
            anti_patterns=anti,
            reason=reason or make_reason(ruled.levels, ruled.anti, ruled.notes),
            overall=turn_score(ruled.levels, ruled.anti),
            confidence=JUDGE_CONFIDENCE,
            scorer="judge",
        )
