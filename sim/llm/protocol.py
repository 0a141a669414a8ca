"""The one call every node makes to a model, and the one error it can raise."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypedDict


class ChatMessage(TypedDict):
    """One chat message in OpenAI format."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class Completion:
    """A finished reply with what it cost."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    first_token_seconds: float | None = None
    tokens_estimated: bool = False
    """True when the server reported no usage and the counts come from tiktoken."""


ErrorKind = Literal["timeout", "unavailable", "rate_limited", "server_error", "bad_response", "config"]


class ModelError(Exception):
    """The model could not give a reply; `message` is written for the user, `kind` for the code."""

    def __init__(self, kind: ErrorKind, message: str, *, attempts: int = 1) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.attempts = attempts


class ChatModel(Protocol):
    """One call in, one reply out. Nodes receive this; they never build clients."""

    name: str
    context_window: int

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 200,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        """Return the whole reply (streamed under the hood; `on_token` sees each piece). Raises ModelError."""
        ...
