"""Imported once by the fork server of `tests.clirun`: every module a `nianbao` command loads, no reactor.

Each import is one a command would make itself; an import that fails here is left to the command (which then
fails as it would anyway). Twisted's global reactor must not be installed here: each command installs the one
its settings name (Scrapy's asyncio reactor), as in a fresh process.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import threading

SKIP = ("migrations", "__main__")
EXTRA = (
    "sqlite3", "sqlalchemy.dialects.sqlite", "sqlalchemy.dialects.postgresql", "psycopg", "pdfplumber", "pdfminer",
    "docx", "openpyxl", "lxml.html", "tldextract", "scrapy.crawler", "scrapy.core.engine", "scrapy.core.scraper",
    "scrapy.core.downloader", "scrapy.core.downloader.handlers.http11", "scrapy.extensions.feedexport",
    "scrapy.exporters", "scrapy.utils.reactor", "twisted.internet.asyncioreactor", "alembic.command",
    "alembic.runtime.migration", "alembic.operations",
)  # fmt: skip


def _packages() -> None:
    for top in ("nianbao", "crawler", "extractors", "storage"):
        package = importlib.import_module(top)
        for info in pkgutil.walk_packages(package.__path__, f"{top}."):
            if not any(part in SKIP for part in info.name.split(".")):
                with contextlib.suppress(Exception):
                    importlib.import_module(info.name)


def _scrapy_components() -> None:
    """Import every component class the project's Scrapy settings name (middlewares, extensions, handlers …)."""
    from scrapy.settings import Settings
    from scrapy.utils.misc import load_object

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in settings.items():
        values = list(value.attributes) if hasattr(value, "attributes") else [value]  # BaseSettings of components
        for v in values:
            if isinstance(v, str) and "." in v and v.split(".")[0] in ("scrapy", "crawler", "twisted"):
                with contextlib.suppress(Exception):
                    load_object(v)
        del name


_packages()
for _module in EXTRA:
    with contextlib.suppress(Exception):
        importlib.import_module(_module)
_scrapy_components()

import sys  # noqa: E402

if "twisted.internet.reactor" in sys.modules or threading.active_count() != 1:  # pragma: no cover
    raise RuntimeError("preloading installed a Twisted reactor or started a thread: the fork server cannot use it")
