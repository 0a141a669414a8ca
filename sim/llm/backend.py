"""The three model roles the app uses, on the embedded server or on a configured endpoint."""

from dataclasses import dataclass
from types import TracebackType

from sim.config import Settings
from sim.llm.client import OpenAIChat
from sim.llm.embedded import EmbeddedServer, shared_server
from sim.llm.protocol import ChatModel
from sim.llm.supervised import SupervisedChat


@dataclass
class Models:
    """The persona, judge and coach models; `embedded` is the local server when the app runs its own."""

    persona: ChatModel
    judge: ChatModel
    coach: ChatModel
    embedded: EmbeddedServer | None = None

    def close(self) -> None:
        """Release the embedded server (the last user stops it); safe to call twice."""
        server, self.embedded = self.embedded, None
        if server is not None:
            server.release()

    def __enter__(self) -> "Models":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_models(settings: Settings) -> Models:
    """Models for `settings`: with no base URL and no key, start (or reuse) this process's llama.cpp server.

    Use as `with open_models(settings) as models:`; raises ModelError if the embedded server cannot start.
    """
    if settings.embedded:
        server = shared_server(settings.embedded_ctx).acquire()
        persona, judge, coach = (
            SupervisedChat(
                server,
                None,
                server.model,
                timeout=settings.timeout,
                max_retries=settings.max_retries,
                context_window=server.n_ctx,
                max_tokens_cap=settings.embedded_max_tokens,
            )
            for _ in range(3)
        )
        return Models(persona, judge, coach, server)

    base_url = settings.base_url or "https://api.openai.com/v1"
    api_key = settings.api_key.get_secret_value() if settings.api_key is not None else None

    def remote(model: str) -> OpenAIChat:
        return OpenAIChat(
            base_url,
            api_key,
            model,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            context_window=settings.context_tokens,
        )

    named = settings.persona_model
    return Models(remote(named), remote(settings.judge_model or named), remote(settings.coach_model or named))
