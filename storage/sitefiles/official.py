"""The official registry download (全国政府网站基本信息数据库, zfwzxx.www.gov.cn → 数据下载).

Layout read (see README "Site registry" for the public code it is drawn from):

- the download is a `.zip` per selection (部委门户, 省级门户, 地方所属网站, or one province's or city's
  `…_市级单位` / `…_区县级单位`) holding CSV files; a zip of such zips, or a bare CSV taken out of one, is read
  the same way. Member names may be GBK without the zip's UTF-8 flag.
- each CSV is GBK/GB18030 or UTF-8 (with or without BOM), a header line, then one site a row.
- columns are found by their meaning, in any order: 网站标识码; 网站名称; 主办单位 (else 主管单位 /
  组织单位 / 单位名称); 首页网址 (else 网站域名 / 域名 / 网址, one cell may hold several addresses split by
  `;`, a bare domain is read as `http://domain/`); optional 网站类别 / 网站类型 / 级别, and 省份 / 地市 / 区县.
  Where no header names the address, the column whose cells look like URLs or domains is used.
- a row's level is its level column, else the CSV's (or the zip's) file name (e.g. 江苏省_淮安市_区县级单位).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import PurePosixPath

from ..registry import Refused, SiteImport
from . import places
from .text import SiteFileError, csv_rows, decode

MAX_MEMBER_BYTES = 256 * 1024 * 1024
"""A zip member larger than this (uncompressed) is refused: no real registry CSV is near it."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("网站标识码", "标识码", "网站识别码", "网站代码", "sitecode", "site_code"),
    "name": ("网站名称", "wzmc", "site_name", "sitename", "名称"),
    "organiser": (
        "主办单位",
        "网站主办单位",
        "主办单位名称",
        "主管单位",
        "网站主管单位",
        "wzzgdw",
        "组织单位",
        "网站组织单位",
        "单位名称",
    ),
    "url": ("首页网址", "网站首页网址", "首页地址", "网站地址", "网址", "网站域名", "域名", "url", "domain"),
    "level": ("网站类别", "网站类型", "网站级别", "网站层级", "网站分类", "级别", "类别", "层级"),
    "province": ("省份", "所属省份", "所属省", "省"),
    "city": ("地市", "所属地市", "所属市", "市", "城市"),
    "county": ("区县", "所属区县", "区/县", "县区", "县"),
}
"""Header names by meaning, the preferred first; a header equal to a name wins over one containing it."""


def _norm(header: str) -> str:
    return "".join(header.split()).replace("*", "").replace("（", "(").replace("）", ")").lower()


def map_header(header: list[str]) -> dict[str, str]:
    """Return meaning → header cell for the columns of `COLUMNS` a header has (each header cell used once)."""
    normed = {h: _norm(h) for h in header if h}
    found: dict[str, str] = {}
    for exact in (True, False):
        for meaning, names in COLUMNS.items():
            if meaning in found:
                continue
            for name in names:
                hit = next((h for h, n in normed.items() if h not in found.values()
                            and (n == name if exact else len(name) > 1 and name in n)), None)  # fmt: skip
                if hit is not None:
                    found[meaning] = hit
                    break
    return found


def _member_name(info: zipfile.ZipInfo) -> str:
    """Return a zip member's name, re-read as GBK where the zip did not flag it UTF-8."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except UnicodeError:
        return info.filename


def _csv_files(raw: bytes, where: str, depth: int = 0) -> Iterator[tuple[str, bytes]]:
    """Yield (where, bytes) of every CSV in a zip's bytes (and in the zips it holds, one level down)."""
    try:
        archive = zipfile.ZipFile(BytesIO(raw))
    except zipfile.BadZipFile:
        raise SiteFileError(f"{where}: not a readable zip file") from None
    with archive:
        for info in archive.infolist():
            name = _member_name(info)
            lower = name.lower()
            if info.is_dir() or "__macosx" in lower or not lower.endswith((".csv", ".zip")):
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                raise SiteFileError(f"{where}!{name}: {info.file_size} bytes unpacked, more than a registry CSV")
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                raise SiteFileError(f"{where}!{name}: cannot unpack: {exc}") from None
            if lower.endswith(".zip"):
                if depth == 0:
                    yield from _csv_files(data, f"{where}!{name}", depth + 1)
                continue
            yield f"{where}!{name}", data


def _address_column(header: list[str], rows: list[tuple[int, dict[str, str]]]) -> str | None:
    """Return the header of the column whose cells mostly look like URLs or domains, or None."""
    best, score = None, 0
    for h in header:
        cells = [row[h] for _n, row in rows[:200] if row.get(h)]
        hits = sum(places.looks_like_url(c) for c in cells)
        if cells and hits * 2 > len(cells) and hits > score:
            best, score = h, hits
    return best


def read_csv_text(text: str, where: str, level: str | None) -> tuple[list[SiteImport], list[Refused]]:
    """Return the sites and the refused rows of one official CSV's text (`level` is the file's own name)."""
    header, rows = csv_rows(text, where)
    cols = map_header(header)
    if "url" not in cols and (guess := _address_column(header, rows)) is not None:
        cols["url"] = guess
    if "code" not in cols and "url" not in cols:
        shown = ",".join(header[:12])
        raise SiteFileError(f"{where}: no 网站标识码 or 首页网址/域名 column in the header ({shown})")
    sites: list[SiteImport] = []
    refused: list[Refused] = []
    for n, row in rows:
        cell = {meaning: row.get(h, "") for meaning, h in cols.items()}
        code = places.site_code(cell.get("code"))
        urls, hosts = places.urls_of(cell.get("url", ""))
        if code is None and not hosts:
            address = cell.get("url", "")
            why = f"no usable host in {address!r}" if address else "no 首页网址"
            label = cell.get("name") or cell.get("organiser") or "a row"
            refused.append(Refused(f"{where}:{n}", f"{label}: no 网站标识码 and {why}"))
            continue
        organiser = cell.get("organiser") or None
        name = cell.get("name") or organiser or (hosts[0] if hosts else code) or ""
        area = "".join(cell.get(k, "") for k in ("province", "city", "county")) or None
        region_code, region_name = places.place(code, organiser, area, name)
        sites.append(SiteImport(
            site_key=code or hosts[0], name=name, site_code=code, organiser=organiser, region_code=region_code,
            region_name=region_name, level=cell.get("level") or level, start_urls=urls, allowed_hosts=hosts,
            origin="registry"))  # fmt: skip
    return sites, refused


def read_official(raw: bytes, where: str) -> tuple[list[SiteImport], list[Refused]]:
    """Return the sites and refused rows of a registry download: a zip of CSVs (`raw` starts `PK`) or one CSV."""
    if raw.startswith(b"PK"):
        sites: list[SiteImport] = []
        refused: list[Refused] = []
        found = False
        for member, data in _csv_files(raw, where):
            found = True
            stem = PurePosixPath(member.rsplit("!", 1)[-1]).stem
            more, no = read_csv_text(decode(data, member), member, stem)
            sites += more
            refused += no
        if not found:
            raise SiteFileError(f"{where}: the zip holds no CSV file")
        return sites, refused
    return read_csv_text(decode(raw, where), where, PurePosixPath(where).stem)
