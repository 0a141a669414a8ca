"""OpenAIChat against a real local HTTP server that misbehaves on cue (tests/fakeserver.py), and which
model each role's client asks for."""

import random
import time

import pytest

from sim.config import Settings
from sim.llm.backend import open_models
from sim.llm.client import OpenAIChat
from sim.llm.embedded import free_port
from sim.llm.protocol import ChatMessage, ModelError
from sim.llm.tokens import count_message_tokens
from tests.fakeserver import Cut, FakeServer, Garbled, Hang, Reply, Status

MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "You are Sam."},
    {"role": "user", "content": "Can we talk about the deadline?"},
]


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def chat(url: str, *, timeout: float = 2.0, max_retries: int = 2, sleeps: Sleeps | None = None) -> OpenAIChat:
    sleep = sleeps if sleeps is not None else Sleeps()
    return OpenAIChat(url, None, "fake-model", timeout, max_retries, sleep=sleep, rng=random.Random(7))


def test_streams_the_reply_and_uses_the_servers_usage(fake_server: FakeServer) -> None:
    fake_server.script(Reply("I hear you, go on"))
    pieces: list[str] = []
    completion = chat(fake_server.base_url).complete(MESSAGES, max_tokens=50, on_token=pieces.append)
    assert completion.text == "I hear you, go on"
    assert "".join(pieces) == completion.text and len(pieces) == 5
    assert (completion.prompt_tokens, completion.completion_tokens) == (11, 5)
    assert not completion.tokens_estimated
    assert completion.first_token_seconds is not None
    assert completion.first_token_seconds <= completion.seconds
    _, request = fake_server.requests[0]
    assert request["stream"] is True and request["max_tokens"] == 50 and request["model"] == "fake-model"
    assert request["stream_options"] == {"include_usage": True}
    assert request["messages"] == MESSAGES


def test_estimates_tokens_when_the_server_reports_no_usage(fake_server: FakeServer) -> None:
    fake_server.script(Reply("Fine, talk", usage=False))
    completion = chat(fake_server.base_url).complete(MESSAGES)
    assert completion.tokens_estimated
    assert completion.prompt_tokens == count_message_tokens(MESSAGES)
    assert completion.completion_tokens == 3


def test_retries_without_stream_options_when_the_server_rejects_them(fake_server: FakeServer) -> None:
    body = '{"error": {"message": "Unrecognized request argument supplied: stream_options"}}'
    client = chat(fake_server.base_url)
    fake_server.script(Status(400, body=body), Reply("ok then"), Reply("again"))
    assert client.complete(MESSAGES).text == "ok then"
    assert client.complete(MESSAGES).text == "again"
    assert [("stream_options" in r) for _, r in fake_server.requests] == [True, False, False]


def test_a_server_that_hangs_times_out_with_a_plain_message(fake_server: FakeServer) -> None:
    fake_server.script(Hang(10))
    began = time.monotonic()
    with pytest.raises(ModelError) as caught:
        chat(fake_server.base_url, timeout=0.5, max_retries=0).complete(MESSAGES)
    assert time.monotonic() - began < 2.0
    assert caught.value.kind == "timeout"
    assert caught.value.message == f"The model server at {fake_server.base_url} did not answer within 0.5 s."
    assert fake_server.attempts == 1


def test_a_stream_that_hangs_mid_reply_times_out(fake_server: FakeServer) -> None:
    fake_server.script(Hang(10, after_pieces=2))
    began = time.monotonic()
    with pytest.raises(ModelError) as caught:
        chat(fake_server.base_url, timeout=0.5, max_retries=0).complete(MESSAGES)
    assert time.monotonic() - began < 2.0
    assert caught.value.kind == "timeout"


def test_a_stream_that_trickles_past_the_timeout_is_abandoned(fake_server: FakeServer) -> None:
    fake_server.script(Reply("one two three four five six seven eight nine ten", delay=0.15))
    began = time.monotonic()
    with pytest.raises(ModelError) as caught:
        chat(fake_server.base_url, timeout=0.5, max_retries=0).complete(MESSAGES)
    assert time.monotonic() - began < 1.0
    assert caught.value.kind == "timeout" and "did not finish within 0.5 s" in caught.value.message


def test_a_timeout_is_retried_then_succeeds(fake_server: FakeServer) -> None:
    fake_server.script(Hang(10), Reply("back again"))
    sleeps = Sleeps()
    assert chat(fake_server.base_url, timeout=0.5, sleeps=sleeps).complete(MESSAGES).text == "back again"
    assert fake_server.attempts == 2 and len(sleeps) == 1


def test_a_500_then_success(fake_server: FakeServer) -> None:
    fake_server.script(Status(500), Reply("all good"))
    sleeps = Sleeps()
    client = chat(fake_server.base_url, sleeps=sleeps)
    assert client.complete(MESSAGES).text == "all good"
    assert fake_server.attempts == 2 and client.last_attempts == 2
    assert len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.5


def test_a_429_honors_retry_after(fake_server: FakeServer) -> None:
    fake_server.script(Status(429, headers={"Retry-After": "3"}), Reply("thanks for waiting"))
    sleeps = Sleeps()
    assert chat(fake_server.base_url, sleeps=sleeps).complete(MESSAGES).text == "thanks for waiting"
    assert sleeps == [3.0] and fake_server.attempts == 2


def test_a_huge_retry_after_is_capped(fake_server: FakeServer) -> None:
    fake_server.script(Status(429, headers={"Retry-After": "3600"}), Reply("ok"))
    sleeps = Sleeps()
    chat(fake_server.base_url, sleeps=sleeps).complete(MESSAGES)
    assert sleeps == [20.0]


def test_persistent_rate_limiting_gives_up_with_a_plain_message(fake_server: FakeServer) -> None:
    fake_server.default = Status(429)
    with pytest.raises(ModelError) as caught:
        chat(fake_server.base_url, max_retries=1).complete(MESSAGES)
    assert caught.value.kind == "rate_limited" and "is rate limiting" in caught.value.message
    assert fake_server.attempts == 2


@pytest.mark.parametrize("max_retries", [0, 2, 3])
def test_persistent_500_stops_after_exactly_max_retries_plus_one(
    fake_server: FakeServer, max_retries: int
) -> None:
    fake_server.default = Status(503)
    sleeps = Sleeps()
    with pytest.raises(ModelError) as caught:
        chat(fake_server.base_url, max_retries=max_retries, sleeps=sleeps).complete(MESSAGES)
    assert fake_server.attempts == max_retries + 1
    assert caught.value.attempts == max_retries + 1
    assert caught.value.kind == "server_error" and "failed with HTTP 503" in caught.value.message
    assert len(sleeps) == max_retries
    for attempt, slept in enumerate(sleeps):
        assert 0.5 * 2**attempt / 2 <= slept <= 0.5 * 2**attempt


def test_a_garbled_body_is_a_bad_response(fake_server: FakeServer) -> None:
    fake_server.default = Garbled()
    with pytest.raises(ModelError) as caught:
        chat(fake_server.base_url, max_retries=1).complete(MESSAGES)
    assert caught.value.kind == "bad_response" and "garbled" in caught.value.message
    assert fake_server.attempts == 2


def test_an_empty_reply_is_a_bad_response(fake_server: FakeServer) -> None:
    fake_server.default = Reply("")
    with pytest.raises(ModelError) as caught:
        chat(fake_server.base_url, max_retries=1).complete(MESSAGES)
    assert caught.value.kind == "bad_response" and "empty reply" in caught.value.message
    assert fake_server.attempts == 2


def test_an_empty_reply_then_a_real_one(fake_server: FakeServer) -> None:
    fake_server.script(Reply(""), Reply("Now I speak"))
    assert chat(fake_server.base_url).complete(MESSAGES).text == "Now I speak"


def test_a_closed_port_says_the_server_is_not_running() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    sleeps = Sleeps()
    client = chat(url, max_retries=2, sleeps=sleeps)
    with pytest.raises(ModelError) as caught:
        client.complete(MESSAGES)
    assert caught.value.kind == "unavailable"
    assert caught.value.message.startswith(f"The model server at {url} is not running")
    assert caught.value.attempts == 3 and client.last_attempts == 3 and len(sleeps) == 2


def test_a_stream_cut_mid_reply_is_not_retried_once_the_user_saw_it(fake_server: FakeServer) -> None:
    fake_server.default = Cut("this reply will never end properly", pieces=3)
    seen: list[str] = []
    with pytest.raises(ModelError) as caught:
        chat(fake_server.base_url).complete(MESSAGES, on_token=seen.append)
    assert caught.value.kind == "bad_response" and "mid-reply" in caught.value.message
    assert fake_server.attempts == 1 and seen == ["this ", "reply ", "will "]


def test_a_stream_cut_mid_reply_is_retried_when_nobody_was_streaming(fake_server: FakeServer) -> None:
    fake_server.script(Cut("half a reply"), Reply("a whole reply"))
    assert chat(fake_server.base_url).complete(MESSAGES).text == "a whole reply"
    assert fake_server.attempts == 2


def test_a_stream_without_a_finish_reason_is_cut_off(fake_server: FakeServer) -> None:
    fake_server.default = Reply("no ending here", finish=False)
    with pytest.raises(ModelError) as caught:
        chat(fake_server.base_url, max_retries=0).complete(MESSAGES)
    assert caught.value.kind == "bad_response" and "cut its reply off" in caught.value.message


@pytest.mark.parametrize(
    ("status", "words"), [(401, "rejected the API key"), (404, "does not know this model")]
)
def test_configuration_errors_are_not_retried(fake_server: FakeServer, status: int, words: str) -> None:
    fake_server.default = Status(status)
    with pytest.raises(ModelError) as caught:
        chat(fake_server.base_url).complete(MESSAGES)
    assert caught.value.kind == "config" and words in caught.value.message
    assert fake_server.attempts == 1


def test_sends_stop_sequences_and_temperature(fake_server: FakeServer) -> None:
    chat(fake_server.base_url).complete(MESSAGES, stop=["\nUser:"], temperature=0.0)
    _, request = fake_server.requests[0]
    assert request["stop"] == ["\nUser:"] and request["temperature"] == 0.0


def test_an_error_in_the_callers_on_token_is_not_taken_for_a_model_failure(fake_server: FakeServer) -> None:
    def broken(piece: str) -> None:
        raise ValueError("the UI went away")

    with pytest.raises(ValueError, match="the UI went away"):
        chat(fake_server.base_url).complete(MESSAGES, on_token=broken)
    assert fake_server.attempts == 1


def test_a_server_that_comes_back_on_its_port_is_reached_again() -> None:
    port = free_port()
    client = chat(f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(ModelError):
        client.complete(MESSAGES)
    with FakeServer(default=Reply("I am back"), port=port):
        assert client.complete(MESSAGES).text == "I am back"


def test_the_judge_and_coach_use_the_persona_model_unless_named() -> None:
    url = "http://127.0.0.1:9/v1"
    one = Settings(_env_file=None, base_url=url, persona_model="llama3.2")
    named = Settings(
        _env_file=None, base_url=url, persona_model="llama3.2", judge_model="qwen3", coach_model="phi4"
    )
    with open_models(one) as models:
        assert [m.name for m in (models.persona, models.judge, models.coach)] == ["llama3.2"] * 3
    with open_models(named) as models:
        assert [m.name for m in (models.persona, models.judge, models.coach)] == ["llama3.2", "qwen3", "phi4"]
