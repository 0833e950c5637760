"""Broken and hostile documents: each one gives a single clear ExtractionError, never a crash.

Every case is checked twice: through `extract` (the reason names what is wrong) and through the
CLI (`nianbao extract PATH`: exit status 2, one stderr line `nianbao: PATH: reason`, no traceback).
Zip bombs and span bombs are also run in a child process whose peak memory is measured.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from extractors import ExtractionError, extract
from extractors.api import DEFAULT_MAX_BYTES
from extractors.readers.html import read_html
from extractors.sniff import OLE_MAGIC

from . import clirun

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
DOCUMENTS = ROOT / "fixtures" / "documents"
MB = 1024 * 1024
MEMORY_LIMIT = 200 * MB

REPORT_TITLE = "2023年某某区人民政府政府信息公开工作年度报告"

NEWS_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>区政府召开第十二次常务会议_政务要闻</title></head>
<body>
<div class="nav"><a href="/">首页</a> &gt; <a href="/xwzx/">新闻中心</a> &gt; 政务要闻</div>
<div class="article">
<h1>区政府召开第十二次常务会议</h1>
<div class="info">发布时间：2023-05-06 来源：区政府办公室</div>
<p>5月5日上午，区长主持召开区政府第十二次常务会议，传达学习上级会议精神，研究部署近期重点工作。</p>
<p>会议指出，要扎实做好防汛备汛、安全生产和民生保障等工作，确保全区经济社会平稳运行。</p>
<p>会议还研究了其他事项。副区长、各街道主要负责同志参加会议。</p>
</div>
<div class="footer">主办单位：某某区人民政府办公室</div>
</body></html>
"""

SPAN_BOMB_PAGE = f"""<html><head><meta charset="utf-8"><title>{REPORT_TITLE}</title></head>
<body><h1>{REPORT_TITLE}</h1>
<p>一、总体情况</p><p>2023年，本区认真贯彻落实《中华人民共和国政府信息公开条例》。</p>
<p>三、收到和处理政府信息公开申请情况</p>
<table border="1">
<tr><td colspan="1000000" rowspan="1000000">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>
<td>自然人</td><td>总计</td></tr>
<tr><td>一、本年新收政府信息公开申请数量</td><td>12</td><td>12</td></tr>
<tr><td>（一）予以公开</td><td>7</td><td>7</td></tr>
</table></body></html>
"""


# --- builders of good material -------------------------------------------------------------------------------------


def _real_pdf() -> bytes:
    found = sorted((CORPUS / "real").glob("*.pdf")) or sorted(DOCUMENTS.glob("*/input.pdf"))
    if not found:
        pytest.skip("no real PDF: neither the shared corpus nor fixtures/documents is present")
    return found[0].read_bytes()


def _seed_txt() -> Path:
    found = sorted((CORPUS / "seeds").glob("*.txt")) or sorted((CORPUS / "real").glob("pingtan_*_txt_*.txt"))
    if not found:
        pytest.skip("no seed report text: the shared corpus is absent")
    return found[0]


def _report_docx() -> bytes:
    """A small report DOCX made with python-docx: title, a part heading and one 2x3 table."""
    import docx

    document = docx.Document()
    document.add_paragraph(REPORT_TITLE)
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    table = document.add_table(rows=2, cols=3)
    for c, text in enumerate(("", "自然人", "总计")):
        table.cell(0, c).text = text
    for c, text in enumerate(("一、本年新收政府信息公开申请数量", "12", "12")):
        table.cell(1, c).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _random_bytes(n: int) -> bytes:
    """os.urandom bytes that cannot pass for markup (no '<') or for a known magic number (leading NUL)."""
    data = bytearray(os.urandom(n).replace(b"<", b"\x00"))
    data[0] = 0
    return bytes(data)


def _rewrite_zip(data: bytes, replace: Callable[[str, bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, replace(name, src.read(name)))
    return out.getvalue()


# --- builders of bad files -----------------------------------------------------------------------------------------


def make_empty(tmp: Path) -> Path:
    path = tmp / "empty.txt"
    path.write_bytes(b"")
    return path


def make_truncated_pdf(tmp: Path) -> Path:
    data = _real_pdf()
    path = tmp / "truncated.pdf"
    path.write_bytes(data[: int(len(data) * 0.3)])
    return path


def make_encrypted_pdf(tmp: Path) -> Path:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(_real_pdf()))
    writer.encrypt(user_password="secret", owner_password="owner-secret")
    path = tmp / "encrypted.pdf"
    with path.open("wb") as f:
        writer.write(f)
    return path


def _write_zip_bomb(path: Path, size: int = 300 * MB) -> None:
    """A DOCX whose word/document.xml is `size` bytes of zeros, deflated in 1 MB chunks (about 300 KB on disk)."""
    chunk = bytes(MB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zipfile.ZipFile(io.BytesIO(_report_docx())) as good:
            for name in good.namelist():
                if name != "word/document.xml":
                    zf.writestr(name, good.read(name))
        with zf.open("word/document.xml", "w") as member:
            for _ in range(size // MB):
                member.write(chunk)


def make_zip_bomb(tmp: Path) -> Path:
    path = tmp / "bomb.docx"
    _write_zip_bomb(path)
    return path


def make_lying_zip_bomb(tmp: Path) -> Path:
    """The same bomb with its headers claiming 4 KB for word/document.xml, so the ratio check sees nothing."""
    path = tmp / "lying-bomb.docx"
    _write_zip_bomb(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("word/document.xml")
    name = info.filename.encode()
    assert data[info.header_offset : info.header_offset + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, info.header_offset + 22, 4096)  # local header: uncompressed size
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x05\x06"))
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.rfind(b"PK\x01\x02", 0, central)
        assert central > 0
    struct.pack_into("<I", data, central + 24, 4096)  # central directory: uncompressed size
    path.write_bytes(bytes(data))
    return path


def make_random_pdf(tmp: Path) -> Path:
    path = tmp / "random.pdf"
    path.write_bytes(_random_bytes(64 * 1024))
    return path


def make_random_doc(tmp: Path) -> Path:
    path = tmp / "random.doc"
    path.write_bytes(_random_bytes(64 * 1024))
    return path


def make_news_html(tmp: Path) -> Path:
    path = tmp / "news.html"
    path.write_text(NEWS_PAGE, encoding="utf-8")
    return path


def make_ole_garbage_doc(tmp: Path) -> Path:
    """OLE magic followed by garbage: LibreOffice would import this as plain text, so it is refused by its header."""
    path = tmp / "garbage.doc"
    path.write_bytes(OLE_MAGIC + _random_bytes(16 * 1024))
    return path


def make_ole_unconvertible_doc(tmp: Path) -> Path:
    """A well-formed compound-file header over garbage sectors: it reaches LibreOffice, which cannot convert it."""
    header = bytearray(512)
    header[:8] = OLE_MAGIC
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # minor, major, byte order, sector shifts
    path = tmp / "unconvertible.doc"
    path.write_bytes(bytes(header[:76]) + _random_bytes(512 - 76 + 8 * 512))
    return path


def make_gridspan_docx(tmp: Path) -> Path:
    """A report DOCX whose table cells claim w:gridSpan of ten million (python-docx repeats a cell per column)."""

    def replace(name: str, body: bytes) -> bytes:
        if name != "word/document.xml":
            return body
        assert b"<w:tcPr>" in body
        return body.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="10000000"/>')

    data = _rewrite_zip(_report_docx(), replace)
    path = tmp / "gridspan.docx"
    path.write_bytes(data)
    return path


def make_span_tables_html(tmp: Path) -> Path:
    """A report page of 5000 small tables, each blown up by colspan=64 rowspan=64 to 4096 grid cells."""
    one = '<table><tr><td colspan="64" rowspan="64">本年新收</td></tr>' + "<tr></tr>" * 63 + "</table>"
    path = tmp / "span-tables.html"
    path.write_text(f"<html><head><title>{REPORT_TITLE}</title></head><body>{one * 5000}</body></html>", "utf-8")
    return path


def make_merge_bomb_xlsx(tmp: Path) -> Path:
    """An XLSX whose one merged range covers the whole sheet (17 billion cells)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "本年新收政府信息公开申请数量", 12
    ws.merge_cells("A2:B3")
    out = io.BytesIO()
    wb.save(out)

    def replace(name: str, body: bytes) -> bytes:
        return body.replace(b'ref="A2:B3"', b'ref="A1:XFD1048576"') if name.startswith("xl/worksheets/") else body

    path = tmp / "merge-bomb.xlsx"
    path.write_bytes(_rewrite_zip(out.getvalue(), replace))
    return path


LIBREOFFICE = pytest.mark.libreoffice

# name -> (builder, words the reason must hold)
CASES: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    "empty": (make_empty, ("empty",)),
    "truncated_pdf": (make_truncated_pdf, ("unreadable PDF",)),
    "encrypted_pdf": (make_encrypted_pdf, ("encrypted", "password")),
    "zip_bomb_docx": (make_zip_bomb, ("zip bomb",)),
    "lying_zip_bomb_docx": (make_lying_zip_bomb, ("corrupt DOCX",)),
    "random_pdf": (make_random_pdf, ("unrecognised binary format",)),
    "random_doc": (make_random_doc, ("unrecognised binary format",)),
    "news_html": (make_news_html, ("not an annual report",)),
    "ole_garbage_doc": (make_ole_garbage_doc, ("corrupt OLE",)),
    "ole_unconvertible_doc": (make_ole_unconvertible_doc, ("LibreOffice",)),
    "gridspan_docx": (make_gridspan_docx, ("columns", "limit")),
    "span_tables_html": (make_span_tables_html, ("tables too large",)),
    "merge_bomb_xlsx": (make_merge_bomb_xlsx, ("merges",)),
}
HEAVY = ("zip_bomb_docx", "lying_zip_bomb_docx", "ole_unconvertible_doc")
"""Cases that take seconds each (inflating to the budget, a LibreOffice start): in the slow layer."""


def _marks(case: str) -> list[pytest.MarkDecorator]:
    """Return the marks of a case: LibreOffice where it needs soffice, slow where it is heavy."""
    return [*([LIBREOFFICE] if "ole_unconvertible" in case else []), *([pytest.mark.slow] if case in HEAVY else [])]


PARAMS = [pytest.param(k, marks=_marks(k), id=k) for k in CASES]


# --- helpers -------------------------------------------------------------------------------------------------------


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NIANBAO_MAX_BYTES"}
    return clirun.run(["extract", *args], cwd=ROOT, env=env, timeout=timeout, text=True)


def _reason(path: Path) -> str:
    with pytest.raises(ExtractionError) as info:
        extract(path)
    reason = info.value.reason
    assert isinstance(reason, str) and reason.strip()
    assert "\n" not in reason, "reason must be one line"
    return reason


_MEASURE = """
import json, resource, sys
import docx, openpyxl, pdfplumber  # the readers' lazy imports, loaded before the baseline
from extractors import ExtractionError, extract
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    outcome = {"year": extract(sys.argv[1]).get("year")}
except ExtractionError as exc:
    outcome = {"error": exc.reason}
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"grew": (after - before) * 1024, **outcome}))
"""


def _peak_growth(path: Path) -> dict[str, object]:
    """Run `extract(path)` in a fresh interpreter; return the growth of its peak RSS (bytes) and the outcome."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- tests ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", PARAMS)
def test_extract_gives_clear_error(case: str, tmp_path: Path) -> None:
    build, words = CASES[case]
    path = build(tmp_path)
    reason = _reason(path)
    for word in words:
        assert word in reason, f"{case}: {reason!r} lacks {word!r}"
    # bytes in, same verdict
    with pytest.raises(ExtractionError) as info:
        extract(path.read_bytes(), name=path.name)
    assert info.value.reason == reason


@pytest.mark.parametrize("case", PARAMS)
def test_cli_prints_one_line_and_exits_2(case: str, tmp_path: Path) -> None:
    build, words = CASES[case]
    path = build(tmp_path)
    reason = _reason(path)
    proc = _cli(str(path))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [f"nianbao: {path}: {reason}"]
    assert proc.stdout == ""
    for word in words:
        assert word in proc.stderr


def test_oversized_file_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    size = 200 * MB
    if size <= DEFAULT_MAX_BYTES:
        pytest.skip(f"NIANBAO_MAX_BYTES={DEFAULT_MAX_BYTES} admits a 200 MB file")
    path = tmp_path / "huge.pdf"
    with path.open("wb") as f:
        f.truncate(size)  # sparse: no disk used, no bytes written

    def refuse(self: Path, *args: object, **kwargs: object) -> bytes:
        raise AssertionError(f"{self} was read although it is over the size limit")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ExtractionError) as info:
        extract(path)  # refused by its size: `read_bytes` above fails the test if the file is read
    reason = info.value.reason
    assert "limit" in reason and str(size) in reason and str(DEFAULT_MAX_BYTES) in reason
    # the same through max_bytes given by the caller
    with pytest.raises(ExtractionError, match="limit"):
        extract(path, max_bytes=1024)


def test_cli_refuses_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as f:
        f.truncate(200 * MB)
    proc = _cli(str(path), timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"nianbao: {path}: ") and "limit" in lines[0]
    # and with --max-bytes
    proc = _cli(str(path), "--max-bytes", "1000", timeout=60)
    assert proc.returncode == 2 and "1000-byte limit" in proc.stderr


def test_colspan_bomb_page_is_bounded(tmp_path: Path) -> None:
    """colspan/rowspan="1000000" is clamped: the page is read (or refused) without a giant grid."""
    data = SPAN_BOMB_PAGE.encode()
    doc = read_html(data)
    cells = sum(len(row) for block in doc.blocks if hasattr(block, "rows") for row in block.rows)
    assert cells < 20_000
    path = tmp_path / "colspan.html"
    path.write_bytes(data)
    try:
        record = extract(path)
    except ExtractionError as exc:
        assert "table" in exc.reason
        expect_rc = 2
    else:
        assert record["year"] == 2023
        expect_rc = 0
    proc = _cli(str(path))
    assert proc.returncode == expect_rc
    assert "Traceback" not in proc.stderr
    if expect_rc == 0:
        assert json.loads(proc.stdout)["year"] == 2023
    else:
        assert len(proc.stderr.splitlines()) == 1


MEMORY_CASES = [
    "zip_bomb_docx", "lying_zip_bomb_docx", "gridspan_docx", "span_tables_html", "merge_bomb_xlsx"
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("case", [*MEMORY_CASES, "colspan_page"])
def test_memory_stays_bounded(case: str, tmp_path: Path) -> None:
    if case == "colspan_page":
        path = tmp_path / "colspan.html"
        path.write_text(SPAN_BOMB_PAGE, "utf-8")
    else:
        path = CASES[case][0](tmp_path)
    got = _peak_growth(path)
    assert got["grew"] < MEMORY_LIMIT, f"{case}: peak RSS grew by {got['grew'] / MB:.0f} MB ({got})"
    if case != "colspan_page":
        assert "error" in got, got


@pytest.mark.slow
def test_dir_mode_reports_every_file(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    good = shutil.copy(_seed_txt(), folder / "good-report.txt")
    bad = {
        "empty.txt": make_empty,
        "truncated.pdf": make_truncated_pdf,
        "random.pdf": make_random_pdf,
        "random.doc": make_random_doc,
        "news.html": make_news_html,
        "bomb.docx": make_zip_bomb,
        "garbage.doc": make_ole_garbage_doc,
        "unconvertible.doc": make_ole_unconvertible_doc,
    }
    for name, build in bad.items():
        build(tmp_path).rename(folder / name)
    proc = _cli(str(folder), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    by_path = {rec["path"]: rec for rec in lines}
    assert len(lines) == len(by_path) == len(bad) + 1
    assert set(by_path) == {Path(good).name, *bad}
    record = by_path[Path(good).name]
    assert "error" not in record and isinstance(record["year"], int)
    for name in bad:
        rec = by_path[name]
        assert set(rec) == {"path", "error"}, rec
        assert isinstance(rec["error"], str) and rec["error"] and "\n" not in rec["error"]
    assert "empty" in by_path["empty.txt"]["error"]
    assert "zip bomb" in by_path["bomb.docx"]["error"]
    assert "not an annual report" in by_path["news.html"]["error"]
    assert "LibreOffice" in by_path["unconvertible.doc"]["error"]


def test_html_nested_past_the_parsers_default_limit_is_read_and_past_its_huge_limit_refused():
    from extractors import TooLarge

    page = (DOCUMENTS / "seed000_html" / "input.html").read_text(encoding="utf-8")
    start, end = page.index(">", page.index("<body")) + 1, page.rindex("</body>")

    def nested(n: int) -> bytes:
        return (page[:start] + "<div>" * n + page[start:end] + "</div>" * n + page[end:]).encode("utf-8")

    flat = extract(page.encode("utf-8"))
    assert extract(nested(300))["requests"] == flat["requests"]  # libxml2's default stops at 256 levels
    with pytest.raises(TooLarge, match="HTML not read whole"):
        extract(nested(3000))
