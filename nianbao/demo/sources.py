"""Where the fixture web's bytes come from, and the text helpers that turn them into page bodies.

Source references (``shared:``/``docs:``/``web:``) resolve to the bundled ``corpus/`` (or ``$NIANBAO_CORPUS``),
``documents/`` and ``sites/`` beside this file; text dumps, saved HTML pages and TRS editor divs are cut down to the
HTML a CMS page would show. Also the package paths, the site time zone and the date parsing/formatting helpers.
"""

from __future__ import annotations

import email.utils
import os
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SITES_DIR = HERE / "sites"
EXPECTED_FILE = HERE / "expected.json"
DOCUMENTS_DIR = HERE / "documents"
CST = timezone(timedelta(hours=8))
DEFAULT_DATE = "2025-01-01 09:00"


def corpus_root() -> Path:
    """The real published reports the web serves: the bundled ``corpus/`` beside this file, or ``$NIANBAO_CORPUS``."""
    env = os.environ.get("NIANBAO_CORPUS")
    return Path(env) if env else HERE / "corpus"


def source_path(ref: str) -> Path:
    """``shared:real/x.pdf`` (corpus), ``docs:seed001_pdf/input.pdf`` (documents/), ``web:hub/x`` (sites)."""
    scheme, _, rel = ref.partition(":")
    if scheme == "shared":
        return corpus_root() / rel
    if scheme == "docs":
        return DOCUMENTS_DIR / rel
    if scheme == "web":
        return SITES_DIR / rel
    raise ValueError(f"unknown source scheme in {ref!r}")


def _dump_fields(text: str) -> tuple[dict[str, str], str]:
    """Split a pingtan-archive text dump into its header fields and its body (after the 正文 rule)."""
    head, sep, body = text.partition("==================== 正文 ====================\n")
    if not sep:
        return {}, text
    fields = {}
    for line in head.splitlines():
        key, colon, value = line.partition(": ")
        if colon:
            fields[key.strip()] = value.strip()
    return fields, body


_PARA_BREAK = re.compile(r" (?=[一二三四五六七八九十]{1,3}、|（[一二三四五六七八九十]{1,3}）|第二十条|附件[:：])")


def dump_to_html(text: str) -> str:
    """A text dump's body as the paragraphs a CMS page would show (tables stay flattened as in the dump)."""
    _, body = _dump_fields(text)
    body = body.strip()
    if body.startswith("当前位置") and "-->" in body[:400]:
        body = body.split("-->", 1)[1].strip()  # breadcrumb/share-button noise of the saved page
    paragraphs = [p.strip() for p in _PARA_BREAK.split(body) if p.strip()]
    return "".join(f"<p>{_escape(p)}</p>" for p in paragraphs)


def html_body(text: str) -> str:
    m = re.search(r"<body[^>]*>(.*)</body>", text, re.S | re.I)
    return (m.group(1) if m else text).strip()


def trs_editor_inner(text: str) -> str:
    """The inner HTML of the first ``div.TRS_Editor`` (balanced ``div`` matching)."""
    m = re.search(r"<div class=[\"']?TRS_Editor[\"']?[^>]*>", text)
    if not m:
        raise ValueError("no TRS_Editor div")
    depth, pos = 1, m.end()
    tags = re.compile(r"<(/?)div\b[^>]*>", re.I)
    while depth:
        t = tags.search(text, pos)
        if t is None:
            raise ValueError("unbalanced TRS_Editor div")
        depth += -1 if t.group(1) else 1
        pos = t.end()
        if depth == 0:
            return text[m.end():t.start()]
    raise AssertionError("unreachable")


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _parse_date(s: str | None) -> datetime:
    s = (s or DEFAULT_DATE).strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(s, fmt).replace(tzinfo=CST)
        except ValueError:
            continue
    raise ValueError(f"bad date {s!r}")


def _http_date(d: datetime) -> str:
    return email.utils.format_datetime(d.astimezone(UTC), usegmt=True)
