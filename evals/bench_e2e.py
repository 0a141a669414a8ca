"""Turn latency split by stage, and the bare-model floor of the same prompts.

Runs the real Rehearsal facade in this process on the embedded model (or whatever the settings
name), records every prompt the persona model receives, and right after each turn sends the reply
prompt straight to the same server with the same sampling settings: that bare completion is the
floor the whole turn is compared with. Scorer throughput is the `scoring` section of evals/bench.py.
"""

import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai

from evals.bench_stats import summarize
from sim.config import Settings
from sim.engine.relevance import topic_gate_for
from sim.llm.backend import Models, open_models
from sim.llm.embedded import EmbeddedServer, find_gguf
from sim.llm.protocol import ChatMessage, ChatModel, Completion

TURNS_FILE = Path(__file__).parent / "data" / "bench_turns.json"
FLOOR_TIMEOUT = 60.0


@dataclass
class Call:
    """One request the persona model received, and its reply."""

    messages: list[ChatMessage]
    max_tokens: int
    temperature: float
    stop: list[str] | None
    completion: Completion


class RecordingModel:
    """A ChatModel that passes every call to `inner` and keeps it."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.name = inner.name
        self.context_window = inner.context_window
        self.calls: list[Call] = []

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 200,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        done = self.inner.complete(
            messages, max_tokens=max_tokens, temperature=temperature, stop=stop, on_token=on_token
        )
        self.calls.append(Call(list(messages), max_tokens, temperature, list(stop) if stop else None, done))
        return done


class Floor:
    """The same request sent straight to the server with the openai SDK, streamed, no retries.

    With `eos_id` (a llama.cpp server, whose `/extras/tokenize` counts with the model's own tokenizer),
    the floor generates exactly as many tokens as the turn's reply had: end-of-text is banned and no stop
    string is sent, so sampling luck (a 10-token answer here, a 64-token one there) does not decide the
    ratio; the work compared is the same prompt and the same number of new tokens.
    """

    def __init__(self, base_url: str, api_key: str | None, model: str, eos_id: int | None = None) -> None:
        self.model = model
        self.base_url = base_url
        self.eos_id = eos_id
        self.client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=FLOOR_TIMEOUT, max_retries=0
        )

    def count(self, text: str) -> int:
        root = self.base_url.rstrip("/").removesuffix("/v1")
        reply = httpx.post(f"{root}/extras/tokenize", json={"input": text}, timeout=FLOOR_TIMEOUT)
        reply.raise_for_status()
        return len(reply.json()["tokens"])

    def measure(self, call: Call) -> dict[str, float]:
        began = time.monotonic()
        first: float | None = None
        tokens = 0
        request: dict[str, Any] = {
            "model": self.model,
            "messages": call.messages,
            "max_tokens": call.max_tokens,
            "temperature": call.temperature,
            "stop": call.stop,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self.eos_id is not None:
            same = max(1, self.count(call.completion.text))
            request.update(max_tokens=same, stop=None, logit_bias={str(self.eos_id): -100.0})
            began = time.monotonic()
        stream = self.client.chat.completions.create(**request)
        for chunk in stream:
            if chunk.usage is not None:
                tokens = chunk.usage.completion_tokens
            if first is None and any(c.delta and c.delta.content for c in chunk.choices):
                first = time.monotonic() - began
        full = time.monotonic() - began
        return {"full_ms": full * 1000, "first_token_ms": (first or full) * 1000, "completion_tokens": tokens}


def embedded_eos() -> int:
    """The end-of-text token id of the embedded GGUF (read from its vocabulary only)."""
    import llama_cpp

    vocab = llama_cpp.Llama(str(find_gguf()), vocab_only=True, verbose=False)
    return int(vocab.token_eos())


class ColdServer(EmbeddedServer):
    """The app's embedded server command with llama.cpp's prompt cache off: a floor that re-reads the
    whole prompt, as the app's server must when the prompt changes near its start."""

    def command(self) -> list[str]:
        cmd = super().command()
        cmd[cmd.index("--cache") + 1] = "False"
        return cmd


def load_turns(path: Path = TURNS_FILE) -> tuple[list[str], list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    personas, turns = data.get("personas"), data.get("turns")
    if not personas or not turns:
        raise ValueError(f"{path}: needs non-empty 'personas' and 'turns' lists")
    return list(personas), list(turns)


def _turn_row(
    view: Any, wall_ms: float, warm: dict[str, float] | None, cold: dict[str, float] | None
) -> dict[str, Any]:
    turn = view.turns[-1]
    t = turn.timings
    row = {
        "persona": view.persona_id,
        "index": turn.index,
        "wall_ms": wall_ms,
        "score_ms": t.score_ms,
        "graph_ms": t.graph_ms,
        "first_token_ms": t.first_token_ms,
        "reply_ms": t.reply_ms,
        "coach_ms": getattr(t, "coach_ms", 0.0),
        "overhead_ms": wall_ms - t.score_ms - max(t.reply_ms, getattr(t, "coach_ms", 0.0)),
        "prompt_tokens": turn.prompt_tokens,
        "completion_tokens": turn.completion_tokens,
        "reply_source": turn.reply_source,
    }
    for name, floor in (("warm", warm), ("cold", cold)):
        if floor is not None:
            row.update({f"floor_{name}_{k}": v for k, v in floor.items()})
            row[f"ratio_to_{name}_floor"] = wall_ms / floor["full_ms"] if floor["full_ms"] else None
    cold_or_warm = cold or warm
    if cold_or_warm is not None:
        row["ratio_to_floor"] = wall_ms / cold_or_warm["full_ms"] if cold_or_warm["full_ms"] else None
    return row


def _stats(rows: list[dict[str, Any]], key: str, digits: int = 1) -> dict[str, float]:
    return summarize([r[key] for r in rows if isinstance(r.get(key), int | float)], digits)._asdict()


def run_turns(
    settings: Settings, models: Models, rounds: int = 1, warmup: int = 1, max_turns: int | None = None
) -> dict[str, Any]:
    """`rounds` times the scripted turns (the first `max_turns`) for every persona; per-stage summaries."""
    from sim.engine.session import Rehearsal
    from sim.engine.store import sqlite_checkpointer
    from sim.personas import load_personas
    from sim.scoring import load_scorer

    persona_ids, texts = load_turns()
    texts = texts[:max_turns] if max_turns else texts
    personas = load_personas().personas
    recorder = RecordingModel(models.persona)
    wrapped = Models(recorder, models.judge, models.coach, None)
    scorer = load_scorer(settings, judge=models.judge)
    base_url = getattr(models.persona, "base_url", None)
    eos = embedded_eos() if models.embedded is not None else None
    floor = Floor(base_url, _api_key(settings), models.persona.name, eos) if base_url else None
    rows: list[dict[str, Any]] = []
    cold_server = ColdServer(n_ctx=settings.embedded_ctx) if models.embedded is not None else None
    with (
        tempfile.TemporaryDirectory() as folder,
        sqlite_checkpointer(Path(folder) / "b.sqlite") as saver,
        cold_server or nullcontext() as cold_running,
    ):
        running = cold_running
        cold = Floor(running.base_url, None, running.model, eos) if running is not None else None
        rehearsal = Rehearsal(wrapped, scorer, saver, personas, topic_gate=topic_gate_for(settings))
        for _ in range(warmup):
            rehearsal.send(rehearsal.start(persona_ids[0]).id, texts[0])
        for _ in range(rounds):
            for persona_id in persona_ids:
                session = rehearsal.start(persona_id).id
                for text in texts:
                    seen = len(recorder.calls)
                    began = time.monotonic()
                    view = rehearsal.send(session, text)
                    wall_ms = (time.monotonic() - began) * 1000
                    calls = recorder.calls[seen:]
                    warm = floor.measure(calls[0]) if floor is not None and calls else None
                    fresh = cold.measure(calls[0]) if cold is not None and calls else None
                    rows.append(_turn_row(view, wall_ms, warm, fresh))
                    _progress(rows[-1])
                    if view.outcome is not None:
                        break
    keys = ("wall_ms", "score_ms", "graph_ms", "overhead_ms", "first_token_ms", "reply_ms", "coach_ms",
            "floor_cold_full_ms", "floor_cold_first_token_ms", "floor_warm_full_ms",
            "floor_warm_first_token_ms", "prompt_tokens", "completion_tokens")  # fmt: skip
    out: dict[str, Any] = {k: _stats(rows, k) for k in keys}
    for key in ("ratio_to_floor", "ratio_to_cold_floor", "ratio_to_warm_floor"):
        out[key] = _stats(rows, key, digits=2)
    out["reply_sources"] = {
        s: sum(r["reply_source"] == s for r in rows) for s in ("generated", "retried", "fallback")
    }
    out["model_calls_per_turn"] = round(len(recorder.calls) / max(1, len(rows) + warmup), 2)
    out["rows"] = rows
    return out


def _progress(row: dict[str, Any]) -> None:
    floors = {k: round(row[f"floor_{k}_full_ms"]) for k in ("cold", "warm") if f"floor_{k}_full_ms" in row}
    print(
        f"bench: {row['persona']} turn {row['index'] + 1}: {row['wall_ms']:.0f} ms "
        f"(score {row['score_ms']:.0f}, reply {row['reply_ms']:.0f}, coach {row['coach_ms']:.0f}, "
        f"floors {floors}) {row['reply_source']}",
        file=sys.stderr,
        flush=True,
    )


def _api_key(settings: Settings) -> str | None:
    return settings.api_key.get_secret_value() if settings.api_key is not None else None


def run_in_process(settings: Settings, rounds: int = 1, max_turns: int | None = None) -> dict[str, Any]:
    """Turns and their floor on one model server (the embedded one unless the settings name another)."""
    with open_models(settings) as models:
        return run_turns(settings, models, rounds, max_turns=max_turns)
