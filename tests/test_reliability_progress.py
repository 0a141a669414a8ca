"""The load check's deadlock detector (`await_sessions`): no answer for a while is a deadlock, a slow run
that keeps answering is not, and a run past the cap is reported either way."""

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from evals.reliability_load import Progress, await_sessions


def test_sessions_that_finish_leave_nothing_to_report() -> None:
    progress = Progress()
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(progress.tick) for _ in range(4)]
        assert await_sessions(futures, progress, stall=5.0, cap=10.0, poll=0.05) == ""
    assert progress.steps == 4


def test_no_answer_for_the_stall_time_is_a_deadlock() -> None:
    stuck: Future[None] = Future()
    progress = Progress()
    started = time.monotonic()
    why = await_sessions([stuck], progress, stall=0.3, cap=30.0, poll=0.05)
    assert "deadlock" in why and "0 steps" in why
    assert 0.3 <= time.monotonic() - started < 5.0


def test_a_slow_run_that_keeps_answering_is_waited_for() -> None:
    """Each step comes after 0.1 s, the whole run takes 1 s: far past the 0.3 s stall, never stalled."""
    progress = Progress()

    def slow() -> None:
        for _ in range(10):
            time.sleep(0.1)
            progress.tick()

    with ThreadPoolExecutor(1) as pool:
        futures = [pool.submit(slow)]
        assert await_sessions(futures, progress, stall=0.3, cap=30.0, poll=0.05) == ""
    assert progress.steps == 10


def test_a_run_that_answers_forever_stops_at_the_cap() -> None:
    stop = threading.Event()
    progress = Progress()

    def busy() -> None:
        while not stop.wait(0.02):
            progress.tick()

    with ThreadPoolExecutor(1) as pool:
        futures = [pool.submit(busy)]
        why = await_sessions(futures, progress, stall=0.3, cap=0.5, poll=0.05)
        stop.set()
    assert "livelock" in why
