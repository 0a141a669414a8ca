"""Shared fixtures. Keep each one small; add yours below with a one-line docstring."""

from collections.abc import Iterator

import pytest

from sim.config import Settings
from sim.llm.backend import Models, open_models
from tests.fakeserver import FakeServer


def embedded_settings() -> Settings:
    """Settings that use the embedded server whatever the environment or `.env` say."""
    return Settings(_env_file=None, base_url=None, api_key=None)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def embedded_models() -> Iterator[Models]:
    """The real embedded llama.cpp server (one per test session) behind the persona, judge and coach roles."""
    with open_models(embedded_settings()) as models:
        yield models


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A scriptable OpenAI-compatible HTTP server on 127.0.0.1 (see tests/fakeserver.py)."""
    with FakeServer() as server:
        yield server
    assert not server.errors, f"the fake server itself failed: {server.errors}"
