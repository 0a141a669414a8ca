"""Which model failures are worth another try, how long to wait, and what to tell the user."""

import email.utils
import math
import random
import time
from collections.abc import Mapping

import openai

from sim.llm.protocol import ModelError

RETRYABLE_KINDS = frozenset({"timeout", "unavailable", "rate_limited", "server_error", "bad_response"})
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
RETRY_AFTER_CAP = 20.0


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: `retry-after-ms`, `retry-after` in seconds or as an HTTP date."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if math.isfinite(seconds) else None


def backoff_delay(
    attempt: int,
    retry_after: float | None = None,
    *,
    base: float = BACKOFF_BASE,
    cap: float = BACKOFF_CAP,
    retry_after_cap: float = RETRY_AFTER_CAP,
    rng: random.Random | None = None,
) -> float:
    """Seconds to sleep before retry number `attempt` (0-based): the server's wish up to a cap, else
    exponential backoff with full jitter in [delay/2, delay]."""
    if retry_after is not None:
        return min(retry_after, retry_after_cap)
    delay = min(cap, base * 2**attempt)
    return delay * (0.5 + 0.5 * (rng or random).random())


def is_retryable(error: ModelError) -> bool:
    return error.kind in RETRYABLE_KINDS


def describe(exc: Exception, base_url: str, timeout: float) -> ModelError:
    """Turn an SDK or transport failure into a ModelError whose message a user can act on."""
    where = f"The model server at {base_url}"
    if isinstance(exc, ModelError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return ModelError("timeout", f"{where} did not answer within {timeout:g} s.")
    if isinstance(exc, openai.APIConnectionError):
        return ModelError(
            "unavailable", f"{where} is not running or cannot be reached (is the address right?)."
        )
    if isinstance(exc, openai.RateLimitError):
        return ModelError("rate_limited", f"{where} is rate limiting requests; try again in a moment.")
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return ModelError("config", f"{where} rejected the API key (set REHEARSE_API_KEY).")
    if isinstance(exc, openai.NotFoundError):
        return ModelError(
            "config",
            f"{where} does not know this model or path (check REHEARSE_BASE_URL and the model names).",
        )
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return ModelError("server_error", f"{where} failed with HTTP {exc.status_code}.")
        return ModelError(
            "config", f"{where} refused the request with HTTP {exc.status_code}: {_short(exc.message)}"
        )
    if isinstance(exc, openai.APIError | ValueError | KeyError | TypeError | AttributeError):
        return ModelError("bad_response", f"{where} returned a garbled reply ({_short(str(exc))}).")
    raise exc


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
