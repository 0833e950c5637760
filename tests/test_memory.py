"""Peak memory of `nianbao extract` on hostile documents and on a big legitimate one.

Each case runs the CLI in a child process of its own and reads that child's peak RSS from wait4(), so
the figure is the whole process (interpreter, libraries, the document) and nothing of the test runner.
Every case must stay under extractors.limits.RSS_CEILING_MB and end the way it was built to end: a
hostile file with the one-line reason naming its attack, the legitimate page with its record.

Peak RSS before the budgets (same files): PDF bomb 2094 MB, DOCX bomb 4396 MB (then a libxml2 XPath
error), XLSX bomb 3589 MB, PDF form repeat 2320 MB, 49 MB ASCII text 3099 MB, 30 MB HTML 683 MB.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import subprocess
import sys
import threading
import zipfile
import zlib
from pathlib import Path

import pytest

from extractors.errors import Bomb
from extractors.limits import RSS_CEILING_MB
from extractors.readers import pdf as pdf_reader

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ROOT / "fixtures" / "documents"
MB = 1024 * 1024
GB = 1024 * MB
OLD_MAX_UNZIPPED = 200 * MB  # the whole-archive checks these files are built to pass
OLD_MAX_RATIO = 200
REPORT_TITLE = "2023年某某区人民政府政府信息公开工作年度报告"


# --- measuring -----------------------------------------------------------------------------------------------------


def _limit_child() -> None:
    """Cap the child's address space far above the ceiling: a regression fails the test, not the machine."""
    cap = 8 * GB
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def run_extract(path: Path, timeout: float = 900) -> tuple[int, str, str, int]:
    """Return (exit status, stdout, stderr, peak RSS in bytes) of `python -m nianbao.cli extract PATH`."""
    env = {k: v for k, v in os.environ.items() if k != "NIANBAO_MAX_BYTES"}
    out, err = path.parent / f"{path.name}.out", path.parent / f"{path.name}.err"
    with out.open("wb") as fout, err.open("wb") as ferr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nianbao.cli", "extract", "--compact", str(path)],
            cwd=ROOT, env=env, stdout=fout, stderr=ferr, preexec_fn=_limit_child,
        )  # fmt: skip
        # A safety net for a hung child, not a timing assertion.
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    return proc.returncode, out.read_text("utf-8"), err.read_text("utf-8"), usage.ru_maxrss * 1024


def _report(name: str, peak: int) -> None:
    """Print the peak for the record (`pytest -s` shows it)."""
    print(f"\n{name}: peak RSS {peak / MB:.0f} MB (ceiling {RSS_CEILING_MB} MB)")


def assert_refused(path: Path, *words: str) -> int:
    """Run extract on `path`; assert exit 2 with one stderr line holding `words` and peak RSS under the ceiling."""
    rc, stdout, stderr, peak = run_extract(path)
    _report(path.name, peak)
    assert "Traceback" not in stderr, stderr[-3000:]
    assert rc == 2, f"exit {rc}: {stderr[-2000:]}"
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"nianbao: {path}: "), stderr[-2000:]
    for word in words:
        assert word in lines[0], f"{lines[0]!r} lacks {word!r}"
    assert stdout == ""
    assert peak < RSS_CEILING_MB * MB, f"{path.name}: peak RSS {peak / MB:.0f} MB over {RSS_CEILING_MB} MB"
    return peak


# --- builders ------------------------------------------------------------------------------------------------------


def _pdf(objects: list[bytes]) -> bytes:
    """Return a PDF file of `objects` (numbered from 1, the first the catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _deflate_repeated(head: bytes, unit: bytes, size: int, tail: bytes = b"") -> bytes:
    """Return the zlib stream of head + unit repeated to `size` bytes + tail, compressed 1 MB at a time."""
    block = unit * (MB // len(unit))
    co = zlib.compressobj(9)  # a bomb is built as small as it gets
    parts = [co.compress(head)]
    for _ in range(size // len(block)):
        parts.append(co.compress(block))
    parts.append(co.compress(tail))
    parts.append(co.flush())
    return b"".join(parts)


def make_pdf_bomb(tmp: Path, size: int = GB) -> Path:
    """A one-page PDF whose FlateDecode content stream inflates to `size` bytes (about 1 MB on disk).

    The filler is PDF whitespace: spaces, not NULs, which pdfminer would crawl through byte by byte, so
    a regression shows as memory within seconds rather than as an hour-long run.
    """
    text = f"BT /F1 12 Tf 72 720 Td ({REPORT_TITLE.encode('utf-16-be').hex()}) Tj ET\n".encode()
    stream = _deflate_repeated(text, b" ", size)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    path = tmp / "bomb.pdf"
    path.write_bytes(_pdf(objects))
    return path


def make_pdf_form_repeat(tmp: Path, uses: int = 1000) -> Path:
    """A 9 KB PDF whose one page draws a 1000-character form XObject `uses` times: a million characters.

    Nothing here inflates: the bytes are few and the layout is what explodes (2.3 GB and a minute before).
    """
    form = b"BT /F1 1 Tf 0 0 Td (" + b"a" * 1000 + b") Tj ET"
    page = b"q " + b"/X0 Do " * uses + b"Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> /XObject << /X0 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(page), page),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Length %d >>\nstream\n%s\nendstream" % (len(form), form),
    ]
    path = tmp / "form-repeat.pdf"
    path.write_bytes(_pdf(objects))
    return path


def make_ascii_text(tmp: Path, size: int = 49 * MB) -> Path:
    """A report title followed by `size` bytes of one English sentence: 50 million characters of text, no bomb."""
    line = "The quick brown fox jumps over the lazy dog while the annual report lists 123 requests.\n"
    path = tmp / "long.txt"
    with path.open("w", encoding="utf-8") as f:
        f.write(REPORT_TITLE + "\n")
        for _ in range(size // (len(line) * 1000)):
            f.write(line * 1000)
    return path


def _report_docx() -> bytes:
    """A small report DOCX made with python-docx: its title and one part heading."""
    import docx

    document = docx.Document()
    document.add_paragraph(REPORT_TITLE)
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _report_xlsx() -> bytes:
    """A small workbook made with openpyxl: a report title and one row of the requests table."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = REPORT_TITLE
    ws["A2"], ws["B2"] = "一、本年新收政府信息公开申请数量", 12
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _diluted_bomb(good: bytes, target: str, head: bytes, unit: bytes, tail: bytes, path: Path) -> Path:
    """Write `good` with member `target` swapped for a ~195 MB XML bomb, diluted by a stored random member.

    The bomb member alone inflates 400-700x; the 2 MB incompressible member stored beside it pulls the
    whole archive's ratio under 200 and its total under 200 MB, which a whole-archive check lets through.
    """
    size = 195 * MB
    best = {"compression": zipfile.ZIP_DEFLATED, "compresslevel": 9}
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(path, "w", **best) as dst:
        for info in src.infolist():
            if info.filename != target:
                dst.writestr(info.filename, src.read(info.filename))
        with dst.open(target, "w", force_zip64=True) as member:
            member.write(head)
            block = unit * (MB // len(unit))
            for _ in range(size // len(block)):
                member.write(block)
            member.write(tail)
        dst.writestr(zipfile.ZipInfo("word/media/image1.png"), os.urandom(2000 * 1024), zipfile.ZIP_STORED)
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    bomb = next(i for i in infos if i.filename == target)
    # The file is the diluted kind: the old whole-archive checks pass it, its bomb member alone does not.
    assert total <= OLD_MAX_UNZIPPED and total / packed <= OLD_MAX_RATIO, (total, packed)
    assert bomb.file_size / bomb.compress_size > 2 * OLD_MAX_RATIO
    return path


def make_docx_bomb(tmp: Path) -> Path:
    """A ~2.35 MB DOCX whose word/document.xml is ~195 MB of empty paragraphs (a well-formed XML bomb)."""
    good = _report_docx()
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        xml = zf.read("word/document.xml")
    cut = xml.index(b"<w:sectPr")
    return _diluted_bomb(good, "word/document.xml", xml[:cut], b"<w:p/>", xml[cut:], tmp / "bomb.docx")


def make_xlsx_bomb(tmp: Path) -> Path:
    """A ~2.4 MB XLSX whose first sheet is ~195 MB of one-cell rows (millions of cells), diluted the same way."""
    good = _report_xlsx()
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml")
    cut = xml.index(b"</sheetData>")
    return _diluted_bomb(good, "xl/worksheets/sheet1.xml", xml[:cut], b"<row><c><v>1</v></c></row>", xml[cut:],
                         tmp / "bomb.xlsx")  # fmt: skip


def make_big_html(tmp: Path, size: int = 30 * MB) -> Path:
    """A real report page (fixture seed000) padded to `size` bytes with copies of its own prose paragraphs.

    Its tables stay as they are; only paragraphs are repeated, inside the body, after the report.
    """
    page = (DOCUMENTS / "seed000_html" / "input.html").read_text("utf-8")
    prose = "".join(p for p in re.findall(r"<p>[^<]{40,}</p>\n", page))
    assert prose, "the fixture page has no long paragraphs to repeat"
    end = page.rindex("</body>")
    pad = (size - len(page.encode())) // len(prose.encode())
    body = page[:end] + '<div class="appendix">\n' + prose * pad + "</div>\n" + page[end:]
    path = tmp / "big.html"
    path.write_text(body, "utf-8")
    return path


# --- tests ---------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_pdf_decompression_bomb_is_refused_within_the_ceiling(tmp_path: Path) -> None:
    path = make_pdf_bomb(tmp_path)
    assert path.stat().st_size < 2 * MB
    assert_refused(path, "PDF stream inflates past", "decompression bomb")


@pytest.mark.slow
def test_docx_bomb_diluted_by_a_stored_member_is_refused_within_the_ceiling(tmp_path: Path) -> None:
    path = make_docx_bomb(tmp_path)
    assert 2 * MB < path.stat().st_size < 3 * MB
    assert_refused(path, "word/document.xml", "zip bomb")


@pytest.mark.slow
def test_xlsx_bomb_diluted_by_a_stored_member_is_refused_within_the_ceiling(tmp_path: Path) -> None:
    path = make_xlsx_bomb(tmp_path)
    assert_refused(path, "xl/worksheets/sheet1.xml", "zip bomb")


@pytest.mark.slow
def test_30mb_html_report_is_read_within_the_ceiling(tmp_path: Path) -> None:
    path = make_big_html(tmp_path)
    assert path.stat().st_size >= 29 * MB
    expected = json.loads((DOCUMENTS / "seed000_html" / "expected.json").read_text("utf-8"))
    rc, stdout, stderr, peak = run_extract(path)
    _report(path.name, peak)
    assert rc == 0, stderr[-2000:]
    record = json.loads(stdout)
    assert record["year"] == expected["year"]
    assert record["requests"] == expected["requests"]  # the report's own table survives the padding
    assert peak < RSS_CEILING_MB * MB, f"peak RSS {peak / MB:.0f} MB over {RSS_CEILING_MB} MB"


@pytest.mark.slow
def test_pdf_form_drawn_a_thousand_times_is_refused_within_the_ceiling(tmp_path: Path) -> None:
    path = make_pdf_form_repeat(tmp_path)
    assert path.stat().st_size < 16 * 1024
    assert_refused(path, "PDF page 1 draws over", "objects")


@pytest.mark.slow
def test_49mb_ascii_text_is_refused_within_the_ceiling(tmp_path: Path) -> None:
    path = make_ascii_text(tmp_path)
    assert 48 * MB < path.stat().st_size < 50 * MB  # under the 50 MB size limit: it is read, then refused
    assert_refused(path, "document text too long")


# --- in-process checks of the PDF stream budget (fast: no child process) -----------------------------------------


def _one_stream_pdf(stream: bytes, filters: bytes) -> bytes:
    """Return a one-page PDF whose content stream is `stream` under /Filter `filters`."""
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter %s >>\nstream\n%s\nendstream" % (len(stream), filters, stream),
    ])  # fmt: skip


@pytest.mark.parametrize(
    ("stream", "filters"),
    [
        (bytes([129, 32]) * (MB // 2), b"/RunLengthDecode"),  # 1 MB expanding 64x to 64 MB
        (b"z" * (2 * MB) + b"~>", b"/ASCII85Decode"),  # 2 MB of "z", four NULs each
        (zlib.compress(b" " * (80 * MB), 9), b"/FlateDecode"),
        (zlib.compress(b"z" * (8 * MB)), b"[/FlateDecode /ASCII85Decode]"),  # 8 MB inflated, then 32 MB
    ],
    ids=["runlength", "ascii85", "flate", "flate-then-ascii85"],
)
def test_expanding_filters_are_held_to_the_budget(stream: bytes, filters: bytes) -> None:
    with pytest.raises(Bomb, match=r"^PDF stream inflates past \d+ bytes: refused as a decompression bomb$"):
        pdf_reader.read_pdf(_one_stream_pdf(stream, filters))


def test_bounded_inflate_keeps_what_pdfminer_keeps() -> None:
    """The budgeted inflate gives pdfminer's own result (zlib.decompress, else its byte-by-byte salvage)."""
    from pdfminer.pdftypes import decompress_corrupted

    def pdfminer(data: bytes) -> bytes:
        try:
            return zlib.decompress(data)
        except zlib.error:
            try:
                return decompress_corrupted(data)
            except zlib.error:
                return b""

    raw = os.urandom(150_000) + b"abc" * 200_000
    good = zlib.compress(raw)
    damaged = []
    for at in (len(good) // 3, len(good) - 5, len(good) - 3, len(good) - 1):
        bad = bytearray(good)
        bad[at] ^= 0xFF
        damaged.append(bytes(bad))
    cases = [good, good + b"trailing", good[:-2], good[: len(good) // 2], b"", b"not zlib", *damaged]
    for data in cases:
        assert pdf_reader._inflate(data, GB) == pdfminer(data)
    assert pdf_reader._inflate(good, len(raw) - 1) is None  # one byte over the cap is refused
