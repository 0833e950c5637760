"""Storage: SQLAlchemy models, the content-addressed blob store, dedup, exports and cross-year checks.

from storage import Store, export, validate
store = Store("sqlite:///data/nianbao.sqlite")   # or "postgresql+psycopg://user@host/db"
store.migrate()
store.add(raw_bytes, record, {"url": url, "etag": ..., "site": ...})
store.add_many([Addition(raw, record, source), ...])   # many in one transaction
store.memory.recall(url)                          # the crawl memory: what earlier crawls left of a URL
export(store, "jsonl", "out/reports.jsonl")
findings = validate(store)
"""

from .blobs import BlobStore
from .export import FORMATS, ExportError, MissingDependency, export
from .store import Addition, AddResult, FsckResult, NotMigrated, Store
from .validate import Finding, summary, validate

__all__ = [
    "FORMATS",
    "AddResult",
    "Addition",
    "BlobStore",
    "ExportError",
    "Finding",
    "FsckResult",
    "MissingDependency",
    "NotMigrated",
    "Store",
    "export",
    "summary",
    "validate",
]
