"""Terminal output: tables drawn by rich (CJK counted as two columns) and compact JSON."""

from __future__ import annotations

import io
import json
import sys
from typing import IO, Any

from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.table import Table

UNBOUNDED = 100_000
"""The width of a console that is not a terminal: a table is never wrapped or cut for a pipe or a file."""


def dump(obj: Any) -> str:
    """Return `obj` as one line of JSON, UTF-8 text kept as is."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def console(file: IO[str] | None = None) -> Console:
    """Return a rich console on `file` (stdout): colours and its width on a terminal, else plain and unbounded."""
    out = file or sys.stdout
    terminal = out.isatty()
    return Console(file=out, width=None if terminal else UNBOUNDED, color_system="auto" if terminal else None,
                   highlight=False, soft_wrap=not terminal)  # fmt: skip


def plain_table(rows: list[tuple[str, ...]]) -> Table:
    """Return `rows` (the first is the header) as a borderless rich table: columns two spaces apart and a rule
    of dashes under each header as wide as its column (what greps, cut and a log file read well)."""
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style=None)
    for name in rows[0]:
        table.add_column(name, no_wrap=True)
    table.add_row(*("-" * max(cell_len(r[i]) for r in rows) for i in range(len(rows[0]))))
    for row in rows[1:]:
        table.add_row(*row)
    return table


def render(renderable: RenderableType) -> str:
    """Return what `renderable` prints on an unbounded plain console, trailing spaces removed."""
    buf = io.StringIO()
    Console(file=buf, width=UNBOUNDED, color_system=None, highlight=False).print(renderable)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines())


def table(rows: list[tuple[str, ...]]) -> str:
    """Return `rows` (the first is the header) as aligned columns with a rule under the header."""
    return render(plain_table(rows))


def print_table(rows: list[tuple[str, ...]]) -> None:
    """Print `rows` as `table` does."""
    print(table(rows))
