"""A queue-based fake ChatModel for unit tests: enqueue replies or errors, read back the history."""

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sim.llm.protocol import ChatMessage, Completion, ModelError


@dataclass
class FakeChatModel:
    """Replies with what was enqueued, in order; records every call's messages."""

    name: str = "fake"
    context_window: int = 2048
    default: str | None = None
    """Reply used when the queue is empty; None makes an empty queue an error."""
    queue: deque[str | ModelError] = field(default_factory=deque)
    history: list[list[ChatMessage]] = field(default_factory=list)

    def enqueue(self, *items: str | ModelError) -> "FakeChatModel":
        self.queue.extend(items)
        return self

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 200,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        self.history.append(list(messages))
        if self.queue:
            item = self.queue.popleft()
        elif self.default is not None:
            item = self.default
        else:
            raise AssertionError("FakeChatModel: no reply enqueued")
        if isinstance(item, ModelError):
            raise item
        if on_token is not None:
            for word in item.split(" "):
                on_token(word + " ")
        prompt_tokens = sum(len(m["content"].split()) for m in messages)
        return Completion(item, self.name, prompt_tokens, len(item.split()), 0.0, 0.0, tokens_estimated=True)
