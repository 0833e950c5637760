"""The fixture web's data model: a rendered ``Response``, a compiled ``Route``, a ``Site`` loaded from its
``site.json``; and the canned nginx/Tomcat error pages and media types every part serves with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

_NOT_FOUND = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n"
    b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_SERVER_ERROR = (
    b"<html><head><title>500 Internal Server Error</title></head><body><h1>HTTP Status 500 - Internal Server Error"
    b"</h1><hr><p><b>type</b> Exception report</p><p><b>description</b> The server encountered an internal error that "
    b"prevented it from fulfilling this request.</p></body></html>"
)
_METHOD_NOT_ALLOWED = (
    b"<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n<center><h1>405 Not Allowed</h1></center>\r\n"
    b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".css": "text/css", ".js": "application/javascript", ".json": "application/json; charset=utf-8",
    ".xml": "text/xml; charset=utf-8", ".pdf": "application/pdf", ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".wps": "application/vnd.ms-works", ".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg",
}
_TEXT_SUFFIXES = {".html", ".htm", ".txt", ".xml", ".js", ".css", ".json"}


@dataclass
class Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    last_modified: datetime | None = None
    validators: bool = False
    delay: float = 0.0


@dataclass
class Route:
    site: Site
    conf: dict[str, Any]
    path: str
    query: dict[str, str] | None
    prefix: bool

    @property
    def phase(self) -> int:
        return int(self.conf.get("phase", 1))

    @property
    def kind(self) -> str:
        return self.conf.get("kind", "page")


class Site:
    def __init__(self, conf_path: Path):
        self.dir = conf_path.parent
        self.conf: dict[str, Any] = json.loads(conf_path.read_text(encoding="utf-8"))
        self.id: str = self.conf["id"]
        self.ip: str = self.conf["ip"]
        self.vars: dict[str, str] = dict(self.conf.get("vars", {}))
        self.lists: dict[str, dict[str, Any]] = self.conf.get("lists", {})
        self.routes: list[Route] = []
        self.by_path: dict[str, list[Route]] = {}
        self.prefix_routes: list[Route] = []
        self.significant: dict[str, set[str]] = {}

    def template(self, name: str) -> str:
        return (self.dir / name).read_text(encoding="utf-8")
