"""Run `nianbao` commands as real child processes that skip the interpreter's start-up.

`python -m nianbao.cli crawl …` spends about two seconds of CPU importing Scrapy, Twisted, SQLAlchemy, the
extractors and their readers before it reads a page; the crawl tests start dozens of such processes. Here each
command runs in a process forked from a `multiprocessing` fork server (one per test process) that imported all
that once (`PRELOAD`, without installing a Twisted reactor: the child installs its own, as the CLI does).

A child is a process of its own, as under `subprocess`: its own pid (SIGINT and SIGKILL reach it and only it), its
own reactor, working folder, environment, stdout and stderr (files, so not a terminal), and its exit status is
`nianbao.cli.main`'s return value, exactly what `sys.exit(main())` under `python -m nianbao.cli` gives. What it
does not repeat is the import of modules whose import has no effect that depends on the command; `IMPORT_TIME_ENV`
are the variables a module reads at import time, so a command given other values of those runs in a fresh
`python -m nianbao.cli` instead.
"""

from __future__ import annotations

import contextlib
import io
import locale
import multiprocessing
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PRELOAD = "tests.clirun_preload"
IMPORT_TIME_ENV = ("NIANBAO_MAX_BYTES", "NIANBAO_CONTACT", "PYTHONPATH", "PYTHONHASHSEED")
"""Variables read when a module is imported (extractors.api, crawler.settings) or the interpreter starts."""

_CTX: Any = None
_BASE_ENV: dict[str, str] = {}


def _context() -> Any:
    """Return the fork-server context, its server preloading `PRELOAD` (started on first use)."""
    global _CTX, _BASE_ENV
    if _CTX is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([PRELOAD])
        _BASE_ENV = dict(os.environ)
        _CTX = ctx
    return _CTX


def _child(argv: list[str], cwd: str, env: dict[str, str] | None, out: str, err: str) -> None:
    """In the forked child: become `python -m nianbao.cli ARGV` run in `cwd` with `env`, output to files."""
    os.chdir(cwd)
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    sys.stdout.flush()
    sys.stderr.flush()
    for path, fd in ((out, 1), (err, 2)):
        f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(f, fd)
        os.close(f)
    sys.argv = [str(Path(sys.modules["nianbao.cli"].__file__ or "cli.py")), *argv]
    from nianbao.cli import main

    try:
        code = main(argv)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    sys.exit(code)


class Child:
    """A `nianbao` command running in a forked child; the subset of `subprocess.Popen` the tests use."""

    def __init__(self, argv: list[str], cwd: str | os.PathLike[str], env: dict[str, str] | None = None):
        self.args = ["nianbao", *argv]
        self._dir = tempfile.TemporaryDirectory(prefix="nianbao-cli-")
        self._out = os.path.join(self._dir.name, "stdout")
        self._err = os.path.join(self._dir.name, "stderr")
        self._process = _context().Process(target=_child, args=(list(argv), os.fspath(cwd), env, self._out, self._err))
        self._process.start()
        self.pid = self._process.pid
        self._exitcode: int | None = None

    @property
    def returncode(self) -> int | None:
        if self._exitcode is None:
            self._exitcode = self._process.exitcode
        return self._exitcode

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self._exitcode is None:
            self._process.join(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return self.returncode

    def kill(self) -> None:
        if self._exitcode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()

    def communicate(self, timeout: float | None = None) -> tuple[bytes, bytes]:
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait()
            raise
        out, err = Path(self._out).read_bytes(), Path(self._err).read_bytes()
        self._process.close()  # its exit status is kept
        self._dir.cleanup()
        return out, err


def stop() -> None:
    """Stop this process's fork server and reap it (so its children's CPU time counts towards the test run's)."""
    if _CTX is not None:
        from multiprocessing import forkserver

        stop_server = getattr(forkserver._forkserver, "_stop", None)  # CPython 3.9+
        if stop_server is not None:
            stop_server()


def _forkable(env: dict[str, str] | None) -> bool:
    """Whether a command with `env` may run in a forked child (no variable read at import time differs)."""
    _context()
    return env is None or all(env.get(k) == _BASE_ENV.get(k) for k in IMPORT_TIME_ENV)


def start(argv: list[str], cwd: str | os.PathLike[str], env: dict[str, str] | None = None) -> Any:
    """Start `nianbao ARGV` in `cwd` (a `Child`, or a `subprocess.Popen` where `env` rules out the fork server)."""
    if _forkable(env):
        return Child(argv, cwd, env)
    return subprocess.Popen([sys.executable, "-m", "nianbao.cli", *argv], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip


def run(argv: list[str], cwd: str | os.PathLike[str], env: dict[str, str] | None = None, timeout: float = 600,
        text: bool = False) -> subprocess.CompletedProcess:  # fmt: skip
    """Run `nianbao ARGV` to its end; return its exit status and output as `subprocess.run(capture_output=True)`
    does (with `text`, decoded as it decodes them: the locale's encoding, universal newlines)."""
    proc = start(argv, cwd, env)
    out, err = proc.communicate(timeout=timeout)
    if text:
        out, err = (io.TextIOWrapper(io.BytesIO(b), encoding=locale.getpreferredencoding(False)).read() for b in (out, err))
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
