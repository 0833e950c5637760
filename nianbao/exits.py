"""The exit-status contract of every `nianbao` command, and the errors that map onto it.

- 0 success.
- 1 finished, but needs attention: a site with no report, a blocked or given-up host, documents not
  stored, a site that hit its page/depth budget or a list's page cap, a site whose reports dropped
  against its last run, a document that could not be read (`extract --strict`), an error-level finding
  (`validate`), a body missing or late (`coverage`, `harvest`), registry rows refused (`sites import`),
  an export that found nothing because records lack region codes, a demo that stored fewer reports
  than its web holds.
- 2 bad usage or input: an unknown option or region code, a database URL that is not one, a database
  file that does not exist (`export`, `validate`), an output path that cannot be written, a document
  that cannot be read (`extract FILE`).
- 3 could not start, or could not go on: the store is unreachable or refuses us, a database driver or an optional
  dependency is missing, a distributed worker's Redis is unreachable (at start, or longer than its grace time).
- 4 an unexpected internal error (a bug; the line says where, NIANBAO_DEBUG=1 shows the traceback).
- 130 interrupted (Ctrl-C): run the same command to resume.
"""

from __future__ import annotations

OK = 0
ATTENTION = 1
USAGE = 2
CANNOT_START = 3
INTERNAL = 4
INTERRUPTED = 130

EPILOG = """exit status: 0 success; 1 finished but needs attention (a site with no report, a blocked or given-up host,
documents not stored, a budget hit, reports dropped against the last run, unreadable documents under --strict,
error findings, bodies missing or late); 2 bad usage or input; 3 could not start or go on (store or Redis
unreachable, driver missing); 4 internal error; 130 interrupted (run the same command to resume)"""


class CliError(Exception):
    """A failure the user can act on: one line, printed as `nianbao: <message>`, and an exit status."""

    status = USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CliError):
    """Bad usage or input (exit 2)."""

    status = USAGE


class StartError(CliError):
    """The command could not start: store unreachable, driver missing (exit 3)."""

    status = CANNOT_START
