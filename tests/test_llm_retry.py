"""Retry policy: Retry-After parsing and the backoff schedule."""

import email.utils
import random

from sim.llm.protocol import ModelError
from sim.llm.retry import BACKOFF_CAP, RETRY_AFTER_CAP, backoff_delay, is_retryable, parse_retry_after


def test_parse_retry_after_in_seconds_millis_and_dates() -> None:
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert (
        parse_retry_after({"retry-after": email.utils.formatdate(1_000_030, usegmt=True)}, now=1_000_000)
        == 30
    )
    assert parse_retry_after({"retry-after": "-4"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    for attempt in range(8):
        full = min(BACKOFF_CAP, 0.5 * 2**attempt)
        delays = [backoff_delay(attempt, rng=rng) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 1


def test_retry_after_wins_up_to_its_cap() -> None:
    assert backoff_delay(0, 3.0) == 3.0
    assert backoff_delay(3, 3600.0) == RETRY_AFTER_CAP


def test_only_transient_kinds_are_retryable() -> None:
    assert is_retryable(ModelError("timeout", "x"))
    assert is_retryable(ModelError("bad_response", "x"))
    assert not is_retryable(ModelError("config", "x"))
