"""Voicing a move: the LLM writes the colleague's line, the guard vets it, the authored lines catch failures.

First try: prompts/persona.md. If the guard rejects it: one retry with prompts/persona_strict.md.
If that fails too: the persona's authored line for the move, rotated so it does not repeat.
A reply that passes the guard but is about nothing in the conversation (sim/engine/relevance.py) goes
straight to the authored line: a retry of the same model rarely does better, and costs a second reply.

A prompt's text before TURN_MARK is the persona card (the same every turn); after it comes this turn's
direction (move hint, example lines), sent as a system message after the user's latest turn. The card,
the opening line and the history then form a prefix the model server has already read, so each turn
it reads only the new exchange and the direction. The retry keeps the first prompt's card.
"""

import time
from collections.abc import Sequence
from typing import Final, NamedTuple

from sim.engine.guard import check
from sim.engine.moves import MOVE_HINTS
from sim.engine.relevance import TopicGate
from sim.llm.protocol import ChatMessage, ChatModel, ModelError
from sim.llm.tokens import count_message_tokens, count_tokens, fit_messages
from sim.personas import Persona
from sim.prompts import Prompt
from sim.vocab import MoveId, ReplySource

MAX_TOKENS: Final = 64
"""One to three spoken sentences; the guard drops an unfinished last sentence."""
HISTORY_TURNS: Final = 12
"""Recent exchanges shown to the model; older ones are dropped first anyway when the window is tight."""
CLIP_MARGIN: Final = 0.7
"""Share of the room a too-long turn keeps: the server's tokenizer counts more tokens than tiktoken's."""
STOP: Final = ("\n", "<|im_end|>", "<|im_start|>")
"""A spoken reply is one line: the next line is where a model starts a new speaker's label or narration."""
TURN_MARK: Final = "<!-- turn -->"
INJECTED: Final = "(They say something that has nothing to do with what happened.)"
"""Sent to the model in place of a turn the scorer flagged as an injection attempt."""


class Voiced(NamedTuple):
    """The vetted reply and how it came about."""

    text: str
    source: ReplySource
    reasons: tuple[str, ...]
    """Why the generated (and retried) replies failed the guard."""
    prompt_tokens: int
    completion_tokens: int
    reply_ms: float


NEAREST: Final[dict[MoveId, tuple[MoveId, ...]]] = {
    "guarded": ("tests_sincerity", "shares_side", "vents"),
    "vents": ("tests_sincerity", "shares_side", "guarded"),
    "tests_sincerity": ("guarded", "vents", "shares_side"),
    "softens": ("shares_side", "counter_proposes", "tests_sincerity"),
    "shares_side": ("softens", "vents", "guarded"),
    "counter_proposes": ("tests_sincerity", "softens", "shares_side"),
    "accepts": ("softens", "counter_proposes"),
    "withdraws": ("guarded", "vents"),
}
"""Moves whose lines stand in, nearest first, when every line of a move has been said already.

`accepts` and `withdraws` never stand in for another move: they would announce an outcome."""


def authored_line(persona: Persona, move: MoveId, previous: Sequence[str], turn_index: int) -> str:
    """The persona's line for the move that passes the guard and was not said yet.

    When the move's lines are used up, the nearest moves' lines stand in; only then does a line repeat.
    """
    for candidate_move in (move, *NEAREST[move]):
        for line in persona.lines[candidate_move]:
            verdict = check(line, persona, previous=previous)
            if verdict.ok:
                return verdict.text
    lines = persona.lines[move]
    return lines[turn_index % len(lines)]


def build_messages(
    system: str,
    history: Sequence[tuple[str, str]],
    user_text: str,
    opening: str,
    budget: int,
    direction: str = "",
) -> list[ChatMessage]:
    """System card, the opening line, the last exchanges, the current turn, then this turn's direction
    (a system message, when given); the oldest exchanges are dropped to fit."""
    messages: list[ChatMessage] = [{"role": "system", "content": system}]
    messages.append({"role": "assistant", "content": opening})
    for said, reply in history[-HISTORY_TURNS:]:
        messages.append({"role": "user", "content": said})
        messages.append({"role": "assistant", "content": reply})
    messages.append({"role": "user", "content": user_text})
    tail: list[ChatMessage] = [{"role": "system", "content": direction}] if direction else []
    fitted = fit_messages(messages, budget - count_message_tokens(tail))
    over = count_message_tokens([*fitted, *tail]) - budget
    if over > 0:
        keep = max(32, int((count_tokens(user_text) - over) * CLIP_MARGIN))
        fitted[-1] = {"role": "user", "content": clip(user_text, keep)}
    return [*fitted, *tail]


def clip(text: str, tokens: int) -> str:
    """About `tokens` tokens of a turn too long for the window: its beginning and its end."""
    total = count_tokens(text)
    if total <= tokens:
        return text
    half = max(1, len(text) * tokens // total // 2)
    return f"{text[:half]} … {text[-half:]}"


def unsaid_examples(persona: Persona, move: MoveId, previous: Sequence[str]) -> list[str]:
    """The move's example lines not said yet (the guard rejects a repeat); else the nearest moves' ones."""
    said = {" ".join(p.lower().split()) for p in previous}
    for candidate in (move, *NEAREST[move]):
        lines = [line for line in persona.lines[candidate] if " ".join(line.lower().split()) not in said]
        if lines:
            return lines
    return []


def render(prompt: Prompt, persona: Persona, move: MoveId, previous: Sequence[str] = ()) -> str:
    values = {
        "name": persona.name,
        "role": persona.role,
        "personality": ", ".join(persona.personality),
        "speaking_style": persona.speaking_style,
        "incident": persona.incident,
        "how_they_took_it": persona.how_they_took_it,
        "move_hint": MOVE_HINTS[move],
        "examples": unsaid_examples(persona, move, previous),
    }
    return prompt.render(**{k: v for k, v in values.items() if k in prompt.inputs})


class Parts(NamedTuple):
    """A rendered prompt split at TURN_MARK."""

    card: str
    direction: str


def split_turn(text: str) -> Parts:
    """The card before TURN_MARK and the direction after it; without the mark, all of it is the card."""
    card, mark, direction = text.partition(TURN_MARK)
    return Parts(card.strip(), direction.strip()) if mark else Parts(text.strip(), "")


def read_card(model: ChatModel, prompt: Prompt, persona: Persona) -> None:
    """Have the model server read the persona card and the opening line now (one token, no reply kept).

    The first turn's prompt starts with exactly these messages, so a server that keeps its last prompt
    (llama.cpp) reads only the user's turn and the direction then. A failure here changes nothing.
    """
    card = split_turn(render(prompt, persona, "guarded", [persona.opening_line])).card
    messages: list[ChatMessage] = [
        {"role": "system", "content": card},
        {"role": "assistant", "content": persona.opening_line},
    ]
    try:
        model.complete(messages, max_tokens=1, temperature=0.0)
    except ModelError:
        return


def voice(
    model: ChatModel,
    prompts: tuple[Prompt, Prompt],
    persona: Persona,
    move: MoveId,
    *,
    history: Sequence[tuple[str, str]],
    user_text: str,
    injected: bool,
    turn_index: int,
    gate: TopicGate | None = None,
) -> Voiced:
    """Generate, guard, retry once, fall back. A ModelError on the first call propagates."""
    previous = [persona.opening_line, *(reply for _, reply in history)]
    said = INJECTED if injected else user_text
    budget = model.context_window - MAX_TOKENS - 16
    reasons: list[str] = []
    prompt_tokens = completion_tokens = 0
    started = time.perf_counter()
    first_card = split_turn(render(prompts[0], persona, move, previous)).card
    for attempt, (prompt, temperature) in enumerate(zip(prompts, (0.6, 0.3), strict=True)):
        card, direction = split_turn(render(prompt, persona, move, previous))
        card = card or first_card
        system = f"{card}\n{direction}"
        messages = build_messages(card, history, said, persona.opening_line, budget, direction)
        try:
            reply = model.complete(messages, max_tokens=MAX_TOKENS, temperature=temperature, stop=list(STOP))
        except ModelError:
            if attempt == 0:
                raise
            reasons.append("model error on retry")
            break
        prompt_tokens += reply.prompt_tokens
        completion_tokens += reply.completion_tokens
        verdict = check(
            reply.text, persona, instructions=system, previous=previous, user_text=said, move=move
        )
        answered = "" if injected else said
        if verdict.ok and gate is not None and not gate.on_topic(verdict.text, persona, answered):
            reasons.append(f"{'retry' if attempt else 'first'}: off topic")
            break
        if verdict.ok:
            source: ReplySource = "generated" if attempt == 0 else "retried"
            elapsed = (time.perf_counter() - started) * 1000
            return Voiced(verdict.text, source, tuple(reasons), prompt_tokens, completion_tokens, elapsed)
        reasons.extend(f"{'retry' if attempt else 'first'}: {r}" for r in verdict.reasons)
    line = authored_line(persona, move, previous, turn_index)
    elapsed = (time.perf_counter() - started) * 1000
    return Voiced(line, "fallback", tuple(reasons), prompt_tokens, completion_tokens, elapsed)
