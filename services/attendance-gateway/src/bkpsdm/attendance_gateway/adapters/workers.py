"""Worker processes for pyzk sessions, each job under a hard deadline.

A thread cannot be stopped, and pyzk can spin forever on a terminal that closed its socket
mid-chunk; so each session runs in a long-lived worker process, and a worker past its
deadline is SIGKILLed and replaced. Workers die with the gateway (PR_SET_PDEATHSIG), so a
crashed gateway leaves no spinning orphan behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

from bkpsdm.attendance_gateway.adapters.zk_session import (
    SessionJob,
    SessionMessage,
    SessionResult,
    run_session,
)
from bkpsdm.common.logs import get_logger

log = get_logger(__name__)

_PR_SET_PDEATHSIG = 1
_START_TIMEOUT_S = 60.0
_MODULE = "bkpsdm.attendance_gateway.adapters.workers"


def main() -> None:
    """`python -m bkpsdm.attendance_gateway.adapters.workers`: serve sessions over stdin/stdout.

    A plain subprocess, not multiprocessing's spawn: spawn re-imports the parent's main module
    (the whole service, or a script without a main guard) in every worker.
    """
    channel = os.dup(1)
    os.dup2(2, 1)  # anything printed goes to stderr, never into the channel
    jobs, results = Connection(0, writable=False), Connection(channel, readable=False)
    # Fires when the thread that started this worker ends: the session threads live as long as
    # the gateway (SessionWorkers never shrinks its pool), so in practice with the gateway.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the gateway decides when its workers stop
    results.send("ready")  # imports done: a job's deadline counts only the session
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        results.send(run_session(job, lambda event: results.send(("event", event))))


class _Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", _MODULE], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self._jobs = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self._results = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        # A cold start (imports) on a busy machine can take seconds; it must not eat a job's deadline.
        if not self._results.poll(_START_TIMEOUT_S) or self._results.recv() != "ready":
            self.kill()
            raise RuntimeError("session worker did not start")

    def call(
        self, job: SessionJob, deadline_s: float, on_event: Callable[[SessionMessage], None] | None = None
    ) -> SessionResult | None:
        """The result, or None when the deadline passed or the worker died (it is then killed).
        Live events and log chunks streamed before the result go to `on_event` as they arrive."""
        deadline = time.monotonic() + deadline_s
        try:
            self._jobs.send(job)
            while self._results.poll(max(0.0, deadline - time.monotonic())):
                message = self._results.recv()
                if isinstance(message, SessionResult):
                    return message
                if on_event is not None:
                    on_event(message[1])
        except (EOFError, OSError):
            pass
        self.kill()
        return None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self._jobs.close()
        self._results.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._jobs.send(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(2)
        self.kill()


class SessionWorkers:
    """At most `size` sessions at once; each on its own process, killed past `deadline_s`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="zk-session")
        self._idle: list[_Worker] = []
        self._slots = asyncio.Semaphore(size)
        self.killed = 0

    async def run(
        self, job: SessionJob, deadline_s: float, on_event: Callable[[SessionMessage], None] | None = None
    ) -> SessionResult:
        """`on_event` is called on a worker thread: hand messages over to the loop thread-safely."""
        async with self._slots:
            loop = asyncio.get_running_loop()
            worker = self._idle.pop() if self._idle else await loop.run_in_executor(self._threads, _Worker)
            result = await loop.run_in_executor(self._threads, worker.call, job, deadline_s, on_event)
            if result is None:
                self.killed += 1
                log.warning(
                    "terminal.session_killed", address=job.address, port=job.port, deadline_s=deadline_s
                )
                return SessionResult(
                    ok=False, reason="DEADLINE_EXCEEDED", detail=f"no answer within {deadline_s:g} s"
                )
            self._idle.append(worker)
            return result

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._threads, w.stop) for w in idle))
        self._threads.shutdown(wait=False, cancel_futures=True)


if __name__ == "__main__":
    main()
