"""The real app as a child process: launch to ready page, memory of its process tree, turns over HTTP."""

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sim.llm.embedded import free_port

READY_TIMEOUT = 180.0
PAGE_MARKER = "gradio"


@dataclass
class AppProcess:
    """A running `python -m sim ui` on 127.0.0.1 and what its launch took."""

    proc: "subprocess.Popen[str]"
    url: str
    log_path: Path
    page_seconds: float = 0.0
    """From spawning the process to the page (HTTP 200) and its /config being served."""
    model_seconds: float | None = None
    """From spawning the process to the model and the scorer being loaded (the app says so on stdout)."""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants, from /proc."""
    tree, out, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(tree.get(current, []))
    return out


def _status_kb(pid: int, field_name: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(pid: int) -> dict[int, float]:
    """Resident memory (MB) of each process in the tree of `pid`."""
    return {p: _status_kb(p, "VmRSS") / 1024 for p in process_tree(pid)}


def tree_hwm_mb(pid: int) -> dict[int, float]:
    """Peak resident memory (VmHWM, MB) each process in the tree of `pid` reached so far."""
    return {p: _status_kb(p, "VmHWM") / 1024 for p in process_tree(pid)}


def command_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            parts = f.read().split(b"\0")
    except OSError:
        return "?"
    text = " ".join(p.decode(errors="replace") for p in parts if p)
    return "llama.cpp server" if "llama_cpp.server" in text else ("app" if "sim" in text else text[:60])


@dataclass
class MemorySampler:
    """Samples the summed RSS of a process tree on a thread; `peak_mb` is the largest sum seen."""

    pid: int
    interval: float = 0.2
    peak_mb: float = 0.0
    peak_by_process: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> float:
        rss = tree_rss_mb(self.pid)
        total = sum(rss.values())
        if total > self.peak_mb:
            self.peak_mb = total
            self.peak_by_process = {f"{command_name(p)} ({p})": round(mb, 1) for p, mb in rss.items() if mb}
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> "MemorySampler":
        self.sample()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()


def _page_ready(client: httpx.Client, url: str) -> bool:
    try:
        page = client.get(url)
        config = client.get(url.rstrip("/") + "/config")
    except httpx.HTTPError:
        return False
    return page.status_code == 200 and PAGE_MARKER in page.text.lower() and config.status_code == 200


@contextmanager
def launch_app(
    env: Mapping[str, str] | None = None, port: int = 0, workdir: Path | None = None
) -> Iterator[AppProcess]:
    """Run `python -m sim ui --port P` until the block ends; waits for the page, then for the model.

    Each app gets its own SQLite file and browser key in a temporary folder unless `env` says otherwise.
    """
    port = port or free_port()
    folder = Path(tempfile.mkdtemp(prefix="rehearse-bench-"))
    child_env = {**os.environ, "REHEARSE_DB_PATH": str(folder / "sessions.sqlite"), **(env or {})}
    log_path = folder / "app.log"
    began = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "ui", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_env,
            cwd=workdir or Path.cwd(),
            text=True,
        )
    app = AppProcess(proc, f"http://127.0.0.1:{port}/", log_path)
    try:
        _wait(app, began)
        yield app
    finally:
        _stop(proc)


def _wait(app: AppProcess, began: float) -> None:
    deadline = began + READY_TIMEOUT
    with httpx.Client(timeout=5.0) as client:
        while not app.page_seconds:
            _check_alive(app)
            if _page_ready(client, app.url):
                app.page_seconds = time.monotonic() - began
            elif time.monotonic() > deadline:
                raise RuntimeError(
                    f"the app served no page within {READY_TIMEOUT:.0f} s:\n{app.log()[-2000:]}"
                )
            else:
                time.sleep(0.05)
    while app.model_seconds is None:
        _check_alive(app)
        text = app.log()
        if "Model ready" in text:
            app.model_seconds = time.monotonic() - began
        elif "could not be started" in text or time.monotonic() > deadline:
            raise RuntimeError(f"the app's model did not load:\n{text[-2000:]}")
        else:
            time.sleep(0.05)


def _check_alive(app: AppProcess) -> None:
    if app.proc.poll() is not None:
        raise RuntimeError(f"the app exited with code {app.proc.returncode}:\n{app.log()[-2000:]}")


def _stop(proc: "subprocess.Popen[str]") -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
