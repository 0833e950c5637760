"""Worker processes driven by the crawl's event loop: jobs and answers cross a socket pair the loop itself reads
and writes, so the crawl's process runs no helper thread for them.

`concurrent.futures.ProcessPoolExecutor` hands each call to a manager thread and a queue feeder thread, and its
workers answer through a feeder thread of their own: at a few hundred pages a second those threads took a quarter
of the crawl process's CPU and some 30 context switches a page, all of it beside the reactor's thread for its GIL.
Here a `WorkerProcess` writes a job as one frame (an 8-byte length, then the pickle of the function and its
argument) from the loop, the worker runs jobs one at a time in order and writes each answer back as a frame, and
the loop's reader callback resolves the job's future. A worker that ends (a crash, the OOM killer, `stop`) closes
its end: every job still in it fails with `WorkerDied`. A job not answered `timeout` seconds after its worker
started it fails with `WorkerTimedOut`, and the worker is stopped (its later jobs fail with `WorkerDied`).
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_HEADER = struct.Struct("!Q")
_READ_SIZE = 1 << 18


class WorkerDied(Exception):
    """The worker process ended (or was stopped) before it answered this job."""


class WorkerTimedOut(Exception):
    """The worker had not answered this job `timeout` seconds after it started on it."""


def exit_with_parent() -> None:
    """Make this process (a crawl's worker) end with the crawl's process, however that ends: a SIGKILLed crawl must
    not leave workers holding its pipes open."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(sentinel: int) -> None:
    """End this worker at once when the process that started it has ended."""
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


def freeze_startup() -> None:
    """Collect what this process's start-up left and freeze the rest (modules, tables): no collection scans it
    again, and the process ends a quarter of a second sooner (the collections at exit skip it too)."""
    gc.collect()
    gc.freeze()


def _frame(value: Any) -> bytes:
    """Return `value` pickled behind its 8-byte length: one message on the socket."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def _read_exact(sock: socket.socket, n: int) -> bytearray | None:
    """Return the next `n` bytes of `sock` (blocking), or None where it ended first."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            return None
        got += k
    return buf


def serve(sock: socket.socket, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    """Run in the worker process: start it with `initializer(*initargs)`, then answer each job `sock` brings, in
    order, with `(True, fn(arg))` or `(False, the exception fn raised)`, until the crawl's end of `sock` closes."""
    # Ctrl-C reaches the whole process group: the crawl stops gracefully and lets the worker finish what it holds.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)
    while (header := _read_exact(sock, _HEADER.size)) is not None:
        body = _read_exact(sock, _HEADER.unpack(header)[0])
        if body is None:
            return
        try:
            fn, arg = pickle.loads(body)
            answer: tuple[bool, Any] = (True, fn(arg))
        except BaseException as exc:  # the job's failure is its answer; the worker reads on
            # A SystemExit or KeyboardInterrupt raised in the crawl's coroutine would stop the crawl, not fail the job.
            answer = (False, exc if isinstance(exc, Exception) else RuntimeError(f"the job ended in {exc!r}"))
        del body
        try:
            frame = _frame(answer)
        except Exception as exc:  # an answer that does not pickle is an error of that job, not of the worker
            frame = _frame((False, RuntimeError(f"the worker's answer could not be sent: {type(exc).__name__}: {exc}")))
        sock.sendall(frame)


@dataclass(slots=True)
class _Job:
    """A job sent to a worker, waiting for its answer."""

    future: asyncio.Future[Any]
    """Resolved with the answer, or failed with the job's exception, WorkerDied or WorkerTimedOut."""
    timeout: float
    """Seconds the job may run once the worker starts it (0: no limit)."""
    timer: asyncio.TimerHandle | None = None
    """The clock of a job the worker is on."""


class WorkerProcess:
    """One spawned process running jobs (a module-level function and its argument, both pickled) one at a time."""

    def __init__(self, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()) -> None:
        ours, theirs = socket.socketpair()
        # spawn: a forked child of a process running a reactor and threads may inherit held locks.
        self.process = multiprocessing.get_context("spawn").Process(
            target=serve, args=(theirs, initializer, initargs), daemon=True
        )
        try:
            self.process.start()
        finally:
            theirs.close()  # the worker holds its end alone: its exit is the end of the stream here
        ours.setblocking(False)
        self._sock: socket.socket | None = ours
        self._jobs: deque[_Job] = deque()
        self._out: deque[memoryview] = deque()
        self._in = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writing = False

    @property
    def load(self) -> int:
        """Return the jobs sent to this worker and not answered yet."""
        return len(self._jobs)

    @property
    def alive(self) -> bool:
        """Return True until the worker's end of the stream is seen closed (or it is stopped)."""
        return self._sock is not None

    def submit(self, fn: Callable[[Any], Any], arg: Any, timeout: float = 0) -> asyncio.Future[Any]:
        """Return the future of `fn(arg)` run by this worker after the jobs sent before it (`timeout`: seconds it may
        run once started; 0 for no limit). Raises WorkerDied where the worker has ended, and what pickling raises."""
        frame = _frame((fn, arg))
        loop = self._attach()
        if self._sock is None:
            raise WorkerDied("the worker process has ended")
        job = _Job(loop.create_future(), timeout)
        self._jobs.append(job)
        if len(self._jobs) == 1:
            self._clock(job)
        self._out.append(memoryview(frame))
        if not self._writing:
            self._flush()
        return job.future

    def stop(self) -> None:
        """End the worker now (SIGTERM): the jobs in it fail with WorkerDied."""
        if self.process.is_alive():
            self.process.terminate()
        self._ended()

    def close(self, wait: float | None = 5.0) -> None:
        """Close the stream (the worker ends once it has answered the job it is on) and wait up to `wait` seconds for
        it to end (None: until it ends), then stop it."""
        self._ended()
        self.process.join(wait)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(1)

    def _attach(self) -> asyncio.AbstractEventLoop:
        """Return the running loop, reading this worker's answers in it (a new loop takes the stream over)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            if self._loop is not None and self._sock is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._sock.fileno())
                if self._writing:
                    self._loop.remove_writer(self._sock.fileno())
            self._loop, self._writing = loop, False
            if self._sock is not None:
                loop.add_reader(self._sock.fileno(), self._readable)
        return loop

    def _flush(self) -> None:
        """Write what the socket takes of the frames waiting; wait for it to take more where it is full."""
        sock, loop = self._sock, self._loop
        assert sock is not None and loop is not None
        while self._out:
            view = self._out[0]
            try:
                sent = sock.send(view)
            except BlockingIOError:
                sent = 0
            except OSError:
                self._ended()
                return
            if sent < len(view):
                self._out[0] = view[sent:]
                if not self._writing:
                    self._writing = True
                    loop.add_writer(sock.fileno(), self._flush)
                return
            self._out.popleft()
        if self._writing:
            self._writing = False
            loop.remove_writer(sock.fileno())

    def _readable(self) -> None:
        """Take the answers the worker wrote: each resolves the oldest job waiting."""
        sock = self._sock
        if sock is None:
            return
        try:
            chunk = sock.recv(_READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._ended()
            return
        buf = self._in
        buf += chunk
        at = 0
        while len(buf) - at >= _HEADER.size:
            n = _HEADER.unpack_from(buf, at)[0]
            end = at + _HEADER.size + n
            if len(buf) < end:
                break
            try:
                ok, value = pickle.loads(memoryview(buf)[at + _HEADER.size : end])
            except Exception as exc:  # e.g. an exception class that cannot be rebuilt from its pickle
                ok, value = False, RuntimeError(f"the worker's answer could not be read: {type(exc).__name__}: {exc}")
            at = end
            self._answer(ok, value)
        if at:
            del buf[:at]

    def _answer(self, ok: bool, value: Any) -> None:
        """Resolve the oldest job with the worker's answer and start the next one's clock."""
        job = self._jobs.popleft()
        if job.timer is not None:
            job.timer.cancel()
        if not job.future.done():
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)
        if self._jobs:
            self._clock(self._jobs[0])

    def _clock(self, job: _Job) -> None:
        """Start the clock of the job the worker is now on."""
        if job.timeout > 0 and self._loop is not None:
            job.timer = self._loop.call_later(job.timeout, self._overdue, job)

    def _overdue(self, job: _Job) -> None:
        """Fail a job its worker did not answer in time, and stop the worker."""
        if not job.future.done():
            job.future.set_exception(WorkerTimedOut(f"not answered within {job.timeout:g} s"))
        self.stop()

    def _ended(self) -> None:
        """Close this end of the stream and fail every job still waiting with WorkerDied."""
        sock, self._sock = self._sock, None
        if sock is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(sock.fileno())
                if self._writing:
                    self._loop.remove_writer(sock.fileno())
            self._writing = False
            sock.close()
            self.process.join(0)  # reaped where it has ended
        self._out.clear()
        jobs, self._jobs = self._jobs, deque()
        for job in jobs:
            if job.timer is not None:
                job.timer.cancel()
            if not job.future.done():
                job.future.set_exception(WorkerDied("the worker process ended before it answered"))
