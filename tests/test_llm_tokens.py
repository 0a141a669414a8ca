"""Token counting and prompt trimming."""

import pytest

from sim.llm.fake import FakeChatModel
from sim.llm.protocol import ChatMessage
from sim.llm.tokens import (
    MESSAGE_OVERHEAD,
    count_message_tokens,
    count_tokens,
    fit_messages,
    server_token_count,
)
from tests.fakeserver import FakeServer


def msg(role: str, content: str) -> ChatMessage:
    return {"role": role, "content": content}  # type: ignore[typeddict-item]


SYSTEM = msg("system", "You are Sam, a colleague who felt blamed for the missed launch.")
HISTORY = [msg("user" if i % 2 == 0 else "assistant", f"turn {i} " + "word " * 20) for i in range(8)]
CURRENT = msg("user", "I want to understand what happened from your side.")


def test_count_tokens_uses_the_offline_cl100k_encoding() -> None:
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("<|endoftext|>") > 1


def test_count_message_tokens_adds_the_template_overhead() -> None:
    messages = [SYSTEM, CURRENT]
    expected = count_tokens(SYSTEM["content"]) + count_tokens(CURRENT["content"]) + 2 * MESSAGE_OVERHEAD + 3
    assert count_message_tokens(messages) == expected


def test_messages_that_fit_are_returned_unchanged() -> None:
    messages = [SYSTEM, *HISTORY, CURRENT]
    assert fit_messages(messages, budget=10_000) == messages


def test_the_oldest_turns_go_first_and_the_system_card_and_current_turn_stay() -> None:
    messages = [SYSTEM, *HISTORY, CURRENT]
    budget = count_message_tokens([SYSTEM, *HISTORY[-3:], CURRENT])
    fitted = fit_messages(messages, budget)
    assert fitted == [SYSTEM, *HISTORY[-3:], CURRENT]
    assert count_message_tokens(fitted) <= budget
    assert fit_messages(messages, budget - 1) == [SYSTEM, *HISTORY[-2:], CURRENT]


def test_keep_first_and_keep_last_survive_even_over_budget() -> None:
    messages = [SYSTEM, *HISTORY, CURRENT]
    assert fit_messages(messages, budget=5) == [SYSTEM, CURRENT]
    assert fit_messages(messages, budget=5, keep_first=2, keep_last=2) == [
        SYSTEM,
        HISTORY[0],
        HISTORY[-1],
        CURRENT,
    ]
    assert fit_messages(messages, budget=5, keep_first=0, keep_last=1) == [CURRENT]


def test_short_lists_and_bad_arguments() -> None:
    assert fit_messages([SYSTEM], budget=1) == [SYSTEM]
    with pytest.raises(ValueError):
        fit_messages([SYSTEM, CURRENT], budget=100, keep_first=-1)


def test_fitted_messages_are_what_a_model_receives() -> None:
    model = FakeChatModel(default="ok")
    model.complete(fit_messages([SYSTEM, *HISTORY, CURRENT], budget=80))
    sent = model.history[0]
    assert sent[0] == SYSTEM and sent[-1] == CURRENT and len(sent) < len(HISTORY) + 2


def test_server_token_count_is_none_without_the_llama_cpp_endpoint(fake_server: FakeServer) -> None:
    assert server_token_count(fake_server.base_url, "hello") is None
    assert fake_server.requests[-1][0] == "/extras/tokenize"
    assert server_token_count("http://127.0.0.1:9/v1", "hello", timeout=0.5) is None
