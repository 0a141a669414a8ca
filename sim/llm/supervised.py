"""A model role on the embedded server that brings the server back when it died (crash, OOM kill, SIGKILL)."""

from collections.abc import Callable, Sequence
from typing import Any

from sim.llm.client import OpenAIChat
from sim.llm.embedded import EmbeddedServer
from sim.llm.protocol import ChatMessage, Completion, ModelError


class SupervisedChat(OpenAIChat):
    """OpenAIChat that restarts its EmbeddedServer when the server process is gone, then asks again once.

    Only a dead process triggers a restart: a live server that errs (timeout, garbage) gets the normal
    retries, and so does a reply that already streamed. A server restarted on another port is followed.
    """

    def __init__(
        self, server: EmbeddedServer, *args: Any, max_tokens_cap: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(server.base_url, *args, **kwargs)
        self.server = server
        self.max_tokens_cap = max_tokens_cap
        """Upper bound on every request's max_tokens (REHEARSE_EMBEDDED_MAX_TOKENS), None for none."""
        self.restarts = 0

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 200,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        if not self.server.alive():
            self._revive()
        sent: list[str] = []

        def forward(piece: str) -> None:
            sent.append(piece)
            if on_token is not None:
                on_token(piece)

        if self.max_tokens_cap is not None:
            max_tokens = min(max_tokens, self.max_tokens_cap)
        options: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature, "stop": stop}
        try:
            return super().complete(messages, **options, on_token=forward if on_token is not None else None)
        except ModelError:
            if self.server.alive() or sent:
                raise
        self._revive()
        return super().complete(messages, **options, on_token=on_token)

    def _revive(self) -> None:
        self.server.restart()
        self.restarts += 1
        if self.server.base_url != self.base_url:
            self.base_url = self.server.base_url
            self._client = self._client.with_options(base_url=self.base_url)
