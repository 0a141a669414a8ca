"""ChatModel over any OpenAI-compatible server through the `openai` SDK, streaming, with bounded retries."""

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import openai

from sim.llm.protocol import ChatMessage, Completion, ModelError
from sim.llm.retry import backoff_delay, describe, is_retryable, parse_retry_after
from sim.llm.tokens import count_message_tokens, count_tokens

NO_KEY = "not-needed"


class _CallbackFailed(Exception):
    """The caller's `on_token` raised: its error goes back to the caller untouched, never retried."""


@dataclass
class _Reply:
    text: str = ""
    model: str = ""
    usage: tuple[int, int] | None = None
    first_token_seconds: float | None = None
    finish_reason: str | None = None
    pieces: list[str] = field(default_factory=list)


class OpenAIChat:
    """One model role (persona, judge or coach) at one OpenAI-compatible endpoint.

    The SDK's own retries are off (`max_retries=0`); this class retries 429, 5xx, connection errors,
    timeouts and empty or garbled replies up to `max_retries` times with jittered exponential backoff,
    honoring Retry-After up to a cap. Nothing is retried once a piece of the reply went to `on_token`.
    `timeout` bounds the connection, every wait for the next bytes, and the whole reply (checked as
    pieces arrive).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        timeout: float = 30.0,
        max_retries: int = 2,
        context_window: int = 2048,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.name = model
        self.context_window = context_window
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.last_attempts = 0
        self._sleep = sleep
        self._rng = rng
        self._stream_usage = True
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or NO_KEY, timeout=timeout, max_retries=0
        )

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 200,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        began = time.monotonic()
        sent: list[str] = []

        def forward(piece: str) -> None:
            sent.append(piece)
            if on_token is not None:
                try:
                    on_token(piece)
                except Exception as exc:
                    raise _CallbackFailed from exc

        for attempt in range(self.max_retries + 1):
            self.last_attempts = attempt + 1
            try:
                reply = self._attempt(messages, max_tokens, temperature, stop, forward, began)
            except _CallbackFailed as failed:
                assert failed.__cause__ is not None
                raise failed.__cause__ from None
            except Exception as exc:
                error = describe(exc, self.base_url, self.timeout)
                error.attempts = attempt + 1
                if attempt >= self.max_retries or not is_retryable(error) or (on_token and sent):
                    if error is exc:
                        raise
                    raise error from exc
                self._sleep(backoff_delay(attempt, _retry_after(exc), rng=self._rng))
                continue
            return self._completion(messages, reply, began)
        raise AssertionError("unreachable")

    def _attempt(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
        forward: Callable[[str], None],
        began: float,
    ) -> _Reply:
        attempt_began = time.monotonic()
        stream = self._open(messages, max_tokens, temperature, stop)
        reply = _Reply(model=self.name)
        with stream:
            try:
                for chunk in stream:
                    if time.monotonic() - attempt_began > self.timeout:
                        raise ModelError(
                            "timeout",
                            f"The model server at {self.base_url} did not finish within {self.timeout:g} s.",
                        )
                    self._read_chunk(chunk, reply, began, forward)
            except openai.APITimeoutError:
                raise
            except openai.APIConnectionError as exc:
                raise ModelError(
                    "bad_response", f"The model server at {self.base_url} dropped the connection mid-reply."
                ) from exc
        reply.text = "".join(reply.pieces)
        if reply.finish_reason is None:
            raise ModelError("bad_response", f"The model server at {self.base_url} cut its reply off midway.")
        if not reply.text.strip():
            raise ModelError("bad_response", f"The model server at {self.base_url} returned an empty reply.")
        return reply

    @staticmethod
    def _read_chunk(chunk: Any, reply: _Reply, began: float, forward: Callable[[str], None]) -> None:
        reply.model = chunk.model or reply.model
        if chunk.usage is not None:
            reply.usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        for choice in chunk.choices:
            reply.finish_reason = choice.finish_reason or reply.finish_reason
            piece = choice.delta.content if choice.delta is not None else None
            if piece:
                if reply.first_token_seconds is None:
                    reply.first_token_seconds = time.monotonic() - began
                reply.pieces.append(piece)
                forward(piece)

    def _open(
        self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float, stop: Sequence[str] | None
    ) -> Any:
        request: dict[str, Any] = {
            "model": self.name,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if stop:
            request["stop"] = list(stop)
        if self._stream_usage:
            try:
                return self._client.chat.completions.create(**request, stream_options={"include_usage": True})
            except openai.BadRequestError as exc:
                if "stream_options" not in str(exc.body or exc.message):
                    raise
                self._stream_usage = False
        return self._client.chat.completions.create(**request)

    def _completion(self, messages: Sequence[ChatMessage], reply: _Reply, began: float) -> Completion:
        if reply.usage is not None:
            prompt_tokens, completion_tokens = reply.usage
            estimated = False
        else:
            prompt_tokens, completion_tokens = count_message_tokens(messages), count_tokens(reply.text)
            estimated = True
        return Completion(
            text=reply.text,
            model=reply.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            seconds=time.monotonic() - began,
            first_token_seconds=reply.first_token_seconds,
            tokens_estimated=estimated,
        )


def _retry_after(exc: Exception) -> float | None:
    if isinstance(exc, openai.APIStatusError):
        return parse_retry_after(exc.response.headers)
    return None


__all__ = ["ModelError", "OpenAIChat"]
