"""Worker processes driven by the event loop (crawler/worker_procs.py): real spawned processes, a real socket pair,
a worker really killed."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from typing import Any

import pytest

from crawler.worker_procs import WorkerDied, WorkerProcess, WorkerTimedOut


def echo(value: Any) -> Any:
    """Return `value` and this worker's pid."""
    return value, os.getpid()


def fail(reason: str) -> None:
    """Raise a ValueError carrying `reason`."""
    raise ValueError(reason)


class Picky(Exception):
    """An exception its pickle cannot rebuild (its constructor wants two arguments, its args hold one)."""

    def __init__(self, a: str, b: str) -> None:
        super().__init__(a)


def raise_picky(_: Any) -> None:
    """Raise a Picky."""
    raise Picky("first", "second")


def nap(seconds: float) -> float:
    """Sleep `seconds`, then return them."""
    time.sleep(seconds)
    return seconds


def test_answers_come_back_to_their_jobs_in_order_with_no_helper_thread_here() -> None:
    async def run(proc: WorkerProcess) -> tuple[list[Any], int]:
        before = threading.active_count()
        answers = await asyncio.gather(*(proc.submit(echo, k) for k in range(50)))
        return answers, threading.active_count() - before

    proc = WorkerProcess()
    try:
        answers, threads = asyncio.run(run(proc))
    finally:
        proc.close()
    assert [a for a, _ in answers] == list(range(50))
    assert {pid for _, pid in answers} == {proc.process.pid} != {os.getpid()}
    assert threads == 0  # ProcessPoolExecutor starts a manager and a feeder thread in the caller's process
    assert not proc.process.is_alive()  # close() ended it


def test_a_job_larger_than_the_socket_buffer_crosses_whole_both_ways() -> None:
    big = os.urandom(3 * 1024 * 1024) + b"end"

    async def run(proc: WorkerProcess) -> list[Any]:
        return await asyncio.gather(proc.submit(echo, big), proc.submit(echo, b"small"), proc.submit(echo, big[::-1]))

    proc = WorkerProcess()
    try:
        answers = asyncio.run(run(proc))
    finally:
        proc.close()
    assert [a for a, _ in answers] == [big, b"small", big[::-1]]


def test_a_job_that_raises_fails_with_its_exception_and_the_worker_goes_on() -> None:
    async def run(proc: WorkerProcess) -> list[Any]:
        return await asyncio.gather(proc.submit(fail, "bad input"), proc.submit(echo, 1), return_exceptions=True)

    proc = WorkerProcess()
    try:
        failed, after = asyncio.run(run(proc))
    finally:
        proc.close()
    assert isinstance(failed, ValueError) and str(failed) == "bad input"
    assert after[0] == 1


def test_an_answer_that_cannot_be_read_here_fails_its_job_and_the_worker_goes_on() -> None:
    async def run(proc: WorkerProcess) -> list[Any]:
        return await asyncio.gather(proc.submit(raise_picky, None), proc.submit(echo, 1), return_exceptions=True)

    proc = WorkerProcess()
    try:
        failed, after = asyncio.run(run(proc))
    finally:
        proc.close()
    assert isinstance(failed, RuntimeError) and "could not be read" in str(failed), failed
    assert after[0] == 1


def test_a_worker_ignores_ctrl_c_so_the_crawl_can_stop_gracefully() -> None:
    async def run(proc: WorkerProcess) -> Any:
        await proc.submit(echo, 0)  # the worker is up
        job = proc.submit(nap, 1.0)
        await asyncio.sleep(0.3)
        os.kill(proc.process.pid, signal.SIGINT)  # as Ctrl-C sends it to the whole process group
        return await job

    proc = WorkerProcess()
    try:
        assert asyncio.run(run(proc)) == 1.0  # finished, not interrupted
    finally:
        proc.close()


@pytest.mark.slow  # a worker killed
def test_a_killed_worker_fails_every_job_it_held_and_refuses_more() -> None:
    async def run(proc: WorkerProcess) -> tuple[list[Any], Any]:
        jobs = [proc.submit(nap, 30), proc.submit(echo, 1)]
        await asyncio.sleep(0.5)
        os.kill(proc.process.pid, signal.SIGKILL)  # as the kernel's OOM killer would
        held = await asyncio.gather(*jobs, return_exceptions=True)
        try:
            proc.submit(echo, 2)
            refused: Any = None
        except WorkerDied as exc:
            refused = exc
        return held, refused

    proc = WorkerProcess()
    try:
        held, refused = asyncio.run(run(proc))
    finally:
        proc.close()
    assert all(isinstance(h, WorkerDied) for h in held), held
    assert isinstance(refused, WorkerDied) and not proc.alive


@pytest.mark.slow  # a worker stopped
def test_a_job_over_its_time_is_failed_and_its_clock_starts_when_the_worker_starts_it() -> None:
    async def run(proc: WorkerProcess) -> list[Any]:
        await proc.submit(echo, 0)  # started: the clocks below count only the jobs' own time
        jobs = [proc.submit(nap, 1.5), proc.submit(nap, 0, timeout=1.0), proc.submit(nap, 60, timeout=1.0),
                proc.submit(echo, 1)]  # fmt: skip
        return await asyncio.gather(*jobs, return_exceptions=True)

    proc = WorkerProcess()
    try:
        slow, quick, hung, behind = asyncio.run(run(proc))
    finally:
        proc.close()
    assert (slow, quick) == (1.5, 0)  # queued 1.5 s behind the first, the second was not timed out
    assert isinstance(hung, WorkerTimedOut) and isinstance(behind, WorkerDied)
    assert not proc.process.is_alive()
