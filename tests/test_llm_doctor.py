"""`rehearse doctor` against a fake endpoint, a dead one, and the real embedded server."""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.config import Settings, get_settings
from sim.llm import doctor
from sim.llm.embedded import free_port
from tests.fakeserver import FakeServer, Status

ROOT = Path(__file__).resolve().parent.parent


def remote(url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, base_url=url, api_key=None, max_retries=0, timeout=2.0, persona_model="remote-model"
    )


def run_main(
    monkeypatch: pytest.MonkeyPatch, url: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setenv("REHEARSE_BASE_URL", url)
    monkeypatch.setenv("REHEARSE_MAX_RETRIES", "0")
    get_settings.cache_clear()
    try:
        code = doctor.main(argparse.Namespace(json=True))
    finally:
        get_settings.cache_clear()
    return code, capsys.readouterr().out


def test_a_healthy_remote_endpoint(fake_server: FakeServer) -> None:
    report = doctor.diagnose(remote(fake_server.base_url))
    assert report.healthy and report.answers and report.backend == "remote"
    assert report.model == "remote-model" and report.latency_seconds is not None
    assert report.base_url == fake_server.base_url and not report.server_tokenizer
    assert fake_server.requests[0][1]["max_tokens"] == 1
    assert all(version for version in report.versions.values())
    assert "answers   yes" in doctor.render(report) and doctor.render(report).endswith("healthy")


def test_a_dead_endpoint_is_unhealthy_with_a_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    code, out = run_main(monkeypatch, url, capsys)
    report = json.loads(out)
    assert code == 1 and report["healthy"] is False and report["answers"] is False
    [problem] = report["problems"]
    assert problem["check"] == "answers" and "is not running" in problem["message"]
    assert "REHEARSE_BASE_URL" in problem["hint"]


def test_a_rejected_key_gets_a_key_hint(fake_server: FakeServer) -> None:
    fake_server.default = Status(401)
    report = doctor.diagnose(remote(fake_server.base_url))
    assert not report.healthy
    assert "rejected the API key" in report.problems[0].message
    assert "REHEARSE_API_KEY" in report.problems[0].hint
    assert "answers   no" in doctor.render(report) and doctor.render(report).endswith("not healthy")


def test_the_json_report_of_a_healthy_endpoint(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_main(monkeypatch, fake_server.base_url, capsys)
    report = json.loads(out)
    assert code == 0 and report["healthy"] is True and report["problems"] == []
    assert set(report["versions"]) == set(doctor.PACKAGES)


@pytest.mark.integration
def test_rehearse_doctor_against_the_embedded_server() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REHEARSE_")}
    done = subprocess.run(
        [sys.executable, "-m", "sim", "doctor", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["backend"] == "embedded" and report["answers"] is True
    assert report["model"] == "smollm2-135m" and report["context_window"] == 2048
    assert report["server_tokenizer"] is True and report["server_start_seconds"] > 0
    assert report["base_url"].startswith("http://127.0.0.1:")
