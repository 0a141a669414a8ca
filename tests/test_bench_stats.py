"""The benchmark's pure parts: percentiles, targets, the README table, and /proc process trees."""

import math
import os
import subprocess
import sys
import time
from pathlib import Path

from evals.bench_app import MemorySampler, process_tree, tree_rss_mb
from evals.bench_e2e import Call, Floor, RecordingModel
from evals.bench_report import END, START, merge, table, write_readme
from evals.bench_stats import checks, percentile, summarize
from sim.llm.fake import FakeChatModel
from sim.llm.protocol import ChatMessage, Completion
from tests.fakeserver import FakeServer, Reply


def test_percentile_interpolates_between_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 100) == 40.0
    assert math.isclose(percentile(values, 95), 38.5)
    assert math.isnan(percentile([], 50))


def test_summarize_rounds_and_handles_empty() -> None:
    s = summarize([1.0, 2.0, 3.0, 100.0])
    assert (s.n, s.p50, s.max) == (4, 2.5, 100.0)
    assert summarize([]).n == 0


def test_checks_compare_each_target_and_mark_missing_ones() -> None:
    report = {
        "http_turns": {"wall_ms": {"p50": 1200.0, "p95": 3500.0}},
        "launch": {"page_seconds": 9.0},
        "memory": {"peak_tree_mb": float("nan")},
    }
    by_name = {c["name"]: c for c in checks(report)}
    assert by_name["turn p50 (end to end, HTTP)"]["ok"] is True
    assert by_name["turn p95 (end to end, HTTP)"]["ok"] is False
    assert by_name["launch to ready page"]["ok"] is True
    assert by_name["peak memory, app + model server"]["ok"] is None
    assert by_name["scoring p50"]["value"] is None


def test_table_and_readme_section_replace_only_their_block(tmp_path: Path) -> None:
    report = {"e2e": {"launch": {"page_seconds": 20.0}, "machine_before": {"nproc": 2}}}
    text = table(report)
    assert "| launch to ready page | 20 | <= 15 s | **no** |" in text
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n\n## Layout\n\nkept\n", encoding="utf-8")
    write_readme("first", readme)
    write_readme("second", readme)
    body = readme.read_text(encoding="utf-8")
    assert body.count("## Benchmarks") == 1 and body.count(START) == 1 and body.count(END) == 1
    assert "second" in body and "first" not in body and "## Layout\n\nkept" in body


def test_process_tree_and_memory_include_children() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(60_000_000); time.sleep(30)"])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and tree_rss_mb(os.getpid()).get(child.pid, 0) < 50:
            time.sleep(0.1)
        assert child.pid in process_tree(os.getpid())
        with MemorySampler(os.getpid(), interval=0.05) as sampler:
            time.sleep(0.2)
        assert sampler.peak_mb >= tree_rss_mb(child.pid)[child.pid] >= 50
    finally:
        child.kill()
        child.wait()


def test_recording_model_keeps_each_request() -> None:
    fake = FakeChatModel().enqueue("Fine.")
    recorder = RecordingModel(fake)
    done = recorder.complete([{"role": "user", "content": "hi"}], max_tokens=12, temperature=0.2, stop=["\n"])
    assert done.text == "Fine."
    assert recorder.calls == [Call([{"role": "user", "content": "hi"}], 12, 0.2, ["\n"], done)]
    assert recorder.name == fake.name


def test_floor_sends_the_recorded_request_unchanged(fake_server: FakeServer) -> None:
    fake_server.script(Reply("Fine, go on then.", delay=0.05))
    messages: list[ChatMessage] = [{"role": "system", "content": "card"}, {"role": "user", "content": "hi"}]
    done = Completion("x", "m", 3, 1, 0.0)
    measured = Floor(fake_server.base_url, None, "m").measure(Call(messages, 40, 0.3, ["\n\n"], done))
    path, request = fake_server.requests[-1]
    assert path.endswith("/chat/completions")
    assert (request["messages"], request["max_tokens"], request["temperature"], request["stop"]) == (
        messages,
        40,
        0.3,
        ["\n\n"],
    )
    assert measured["full_ms"] >= measured["first_token_ms"] > 0
    assert measured["full_ms"] >= 3 * 50


def test_merge_keeps_sections_from_earlier_runs(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    assert merge(path, {"e2e": {"a": 1}}) == {"e2e": {"a": 1}}
    path.write_text('{"scoring": {"embed": 1}, "e2e": {"a": 0}}', encoding="utf-8")
    assert merge(path, {"e2e": {"a": 2}}) == {"scoring": {"embed": 1}, "e2e": {"a": 2}}
