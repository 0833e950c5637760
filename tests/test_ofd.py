"""OFD (GB/T 33190): the seed reports written as OFD read to their gold; hostile packages refused in one line.

The fixtures (fixtures/ofd/, made by fixtures/build_ofd.py from the seed PDFs) carry their ruled
tables as stroked PathObjects; the _glyphs twins as filled rectangles on template pages, every glyph
its own scaled TextObject in a PageBlock, as some producers write; the _unruled twins not at all.
The packages built here exercise what real producers write: templates, composite objects, CTMs,
absolute and backslashed locations, other namespaces, and the attacks a zip of XML invites.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from extractors import extract
from extractors.errors import Bomb, Corrupt, ExtractionError, NoText, TooLarge
from extractors.model import Table
from extractors.readers.ofd import read_ofd
from extractors.readers.ofd_package import MAX_DEPTH, MAX_PAGES, read_package
from extractors.readers.ofd_xml import deltas
from extractors.sniff import sniff

from .conftest import DOCUMENTS, ROOT
from .goldcmp import compare
from .quality_gate import load_gate

OFD_FIXTURES = ROOT / "fixtures" / "ofd"
CASES = sorted(p for p in OFD_FIXTURES.glob("seed*_ofd*") if (p / "expected.json").exists())
NS = "http://www.ofdspec.org/2016"


def _checks(record: dict) -> list[tuple[str, str]]:
    return sorted((c["rule"], str(c["where"])) for c in record["checks"])


def _pdf_of(case: Path) -> Path:
    """Return the PDF an OFD fixture was written from."""
    seed = case.name.split("_")[0]
    return DOCUMENTS / (f"{seed}_pdf_unruled" if case.name.endswith("_unruled") else f"{seed}_pdf") / "input.pdf"


def test_every_seed_has_its_three_ofds():
    seeds = {p.name.split("_")[0] for p in DOCUMENTS.glob("seed*_pdf")}
    want = {f"{s}_ofd{t}" for s in seeds for t in ("", "_unruled", "_glyphs")}
    assert seeds and {c.name for c in CASES} == want


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_seed_ofd_matches_its_gold_field_by_field(case):
    record = extract(case / "input.ofd")
    assert record["carrier"] == "ofd"
    gold = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    score = compare(record, gold)
    print(f"\n{case.name}: {score.matched}/{score.total}")
    assert score.total > 150, "the gold scores too few fields to mean anything"
    assert not score.diffs, "\n".join(f"{p}: got {g!r}, want {w!r}" for p, g, w in score.diffs[:30])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_seed_ofd_fails_exactly_the_checks_of_its_pdf(case):
    """Structure and arithmetic too, not only the scored fields: the same checks as the PDF it was written from."""
    pdf = _pdf_of(case)
    assert _checks(extract(case / "input.ofd")) == _checks(extract(pdf))


@pytest.mark.parametrize("case", [c for c in CASES if not c.name.endswith("_unruled")][:2], ids=lambda p: p.name)
def test_ruled_tables_come_from_the_path_objects(case):
    """The ruled OFD's tables are grids found on its lines (many columns); the unruled twin has no edges at all."""
    data = (case / "input.ofd").read_bytes()
    assert any(p.edges for p in read_package(data).pages)
    grids = [b for b in read_ofd(data).blocks if isinstance(b, Table) and len(b.rows) > 5]
    assert grids and max(len(r) for g in grids for r in g.rows) >= 8  # table 三: three labels and seven columns
    twin = OFD_FIXTURES / f"{case.name.split('_')[0]}_ofd_unruled" / "input.ofd"
    assert not any(p.edges for p in read_package(twin.read_bytes()).pages)


def test_quality_gate_pins_every_ofd_fixture_and_each_holds_its_floor():
    pinned = load_gate().get("fixtures", {})
    names = {f"ofd/{c.name}" for c in CASES}
    assert names <= set(pinned), f"not pinned: {sorted(names - set(pinned))}; run python -m tests.quality_gate --pin"
    for case in CASES:
        gold = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        score = compare(extract(case / "input.ofd"), gold).value
        assert score >= pinned[f"ofd/{case.name}"]["floor"], case.name


def test_an_ofd_is_told_by_its_bytes_not_its_name(tmp_path):
    data = (CASES[0] / "input.ofd").read_bytes()
    assert sniff(data, "report.zip") == "ofd"
    disguised = tmp_path / "report.pdf"
    disguised.write_bytes(data)
    assert extract(disguised)["carrier"] == "ofd"


# --- packages written here -----------------------------------------------------------------------------------------


def _text(x: float, y: float, text: str, size: float = 4.0, extra: str = "", code: str = "") -> str:
    return (
        f'<ofd:TextObject ID="9" Boundary="{x} {y} 150 {size * 1.5}" Font="1" Size="{size}"{extra}>'
        f'<ofd:TextCode X="0" Y="{size}"{code}>{text}</ofd:TextCode></ofd:TextObject>'
    )


def _page(objects: str, head: str = "", ns: str = NS) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{ns}">{head}'
        f'<ofd:Content><ofd:Layer ID="2">{objects}</ofd:Layer></ofd:Content></ofd:Page>'
    )


def _package(pages: list[str], common: str = "", extra: dict[str, str] | None = None, base: str = "") -> bytes:
    """Return an OFD zip with `pages` as Doc_0/Pages/Page_N/Content.xml and `extra` parts beside them."""
    listing = "".join(
        f'<ofd:Page ID="{n + 10}" BaseLoc="{base}Pages/Page_{n}/Content.xml"/>' for n in range(len(pages))
    )
    parts = {
        "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">'
        "<ofd:DocBody><ofd:DocInfo><ofd:Title>测试</ofd:Title></ofd:DocInfo>"
        "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}">'
        f"<ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>{common}"
        f"</ofd:CommonData><ofd:Pages>{listing}</ofd:Pages></ofd:Document>",
    }
    parts.update({f"Doc_0/Pages/Page_{n}/Content.xml": page for n, page in enumerate(pages)})
    parts.update(extra or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


def _lines(data: bytes) -> list[str]:
    return read_ofd(data).text().splitlines()


def test_text_is_placed_by_boundary_ctm_and_deltas():
    """Lines come out top to bottom by where they are drawn, not by the order of the XML."""
    page = _page(
        _text(20, 100, "第三行")
        + _text(20, 20, "第一行")
        # drawn at half size by its CTM: Size 8 shows as 4 mm, still its own line between the others
        + _text(20, 60, "第二行", size=8, extra=' CTM="0.5 0 0 0.5 0 0"')
        # one TextCode spread over two cells by its DeltaX: two words, not one
        + _text(20, 140, "甲乙", code=' DeltaX="60"')
    )
    lines = _lines(_package([page]))
    assert lines[:3] == ["第一行", "第二行", "第三行"]
    assert lines[3].split() == ["甲", "乙"]


def test_templates_composites_page_blocks_and_loose_locations_are_read():
    template = _page(_text(20, 10, "模板页眉"))
    unit = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}"><ofd:CompositeGraphicUnits>'
        f'<ofd:CompositeGraphicUnit ID="7" Width="100" Height="20"><ofd:Content>{_text(0, 0, "复合对象")}'
        "</ofd:Content></ofd:CompositeGraphicUnit></ofd:CompositeGraphicUnits></ofd:Res>"
    )
    page = _page(
        '<ofd:PageBlock ID="3"><ofd:PageBlock ID="4">' + _text(20, 50, "块中文字") + "</ofd:PageBlock></ofd:PageBlock>"
        '<ofd:CompositeObject ID="5" ResourceID="7" Boundary="20 80 100 20"/>'
        + _text(20, 120, "看不见", extra=' Visible="false"'),
        head='<ofd:Template TemplateID="1" ZOrder="Background"/>',
        ns="http://www.example.org/not-the-standard",  # producers write other namespaces
    )
    common = (
        '<ofd:TemplatePage ID="1" BaseLoc="/Doc_0/Tpls\\Tpl_0\\Content.xml"/>'  # absolute, with backslashes
        "<ofd:PublicRes>PUBLICRES.XML</ofd:PublicRes>"  # another case than the member's
    )
    data = _package([page], common, {"Doc_0/Tpls/Tpl_0/Content.xml": template, "Doc_0/PublicRes.xml": unit})
    assert _lines(data) == ["模板页眉", "块中文字", "复合对象"]
    assert read_ofd(data).title == "测试"


def test_bold_drawn_twice_is_read_once():
    page = _page(_text(20, 20, "加粗标题") + _text(20.1, 20.05, "加粗标题"))
    assert _lines(_package([page])) == ["加粗标题"]


def test_repeat_shorthand_is_expanded_and_bounded():
    assert deltas("1 g 3 2.5 4", 10) == [1.0, 2.5, 2.5, 2.5, 4.0]
    assert deltas("g 1000000000 3", 2) == [3.0, 3.0]  # a huge count costs what the text needs, no more
    page = _page(_text(20, 20, "一二三", code=' DeltaX="g 1000000000 4"'))
    assert _lines(_package([page])) == ["一二三"]


def test_ruled_grid_in_a_written_package_is_a_table():
    """Lines drawn as stroked PathObjects (M/L, and a closed rectangle) make a grid of cells."""
    rows = [("规章", "5"), ("规范性文件", "12")]
    objects = '<ofd:PathObject ID="20" Boundary="20 20 120 30"><ofd:AbbreviatedData>M 0 0 L 120 0 L 120 30 L 0 30 C'
    objects += "</ofd:AbbreviatedData></ofd:PathObject>"
    objects += '<ofd:PathObject ID="21" Boundary="20 20 120 30"><ofd:AbbreviatedData>M 0 15 L 120 15 M 80 0 L 80 30'
    objects += "</ofd:AbbreviatedData></ofd:PathObject>"
    for n, (label, value) in enumerate(rows):
        objects += _text(22, 24 + 15 * n, label) + _text(102, 24 + 15 * n, value)
    blocks = read_ofd(_package([_page(objects)])).blocks
    assert [b.rows for b in blocks if isinstance(b, Table)] == [[["规章", "5"], ["规范性文件", "12"]]]


# --- hostile and broken packages -----------------------------------------------------------------------------------


def _without(data: bytes, name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info.filename, src.read(info.filename))
    return out.getvalue()


MANY_CHARS = "".join(chr(0x4E00 + n % 20_000) for n in range(100_001))  # varied: no zip ratio refuses it first
GOOD = _package([_page(_text(20, 20, "正文"))])
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    f'<ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer>&lol2;</ofd:Layer></ofd:Content></ofd:Page>'
)


@pytest.mark.parametrize(
    ("data", "kind", "words"),
    [
        (b"PK\x03\x04" + b"\x00" * 200, Corrupt, "zip"),
        (_without(GOOD, "Doc_0/Document.xml"), Corrupt, "Doc_0/Document.xml"),
        (_without(GOOD, "Doc_0/Pages/Page_0/Content.xml"), Corrupt, "page 1"),
        (_package([_page(_text(20, 20, "正文")).replace("</ofd:Layer>", "")]), Corrupt, "broken XML"),
        (_package([LAUGHS]), Corrupt, "DTD"),
        (_package([_page('<ofd:ImageObject ID="3" Boundary="0 0 210 297" ResourceID="1"/>')]), NoText, "no text"),
        (_package([_page(_text(20, 20, MANY_CHARS))]), TooLarge, "objects"),
        (
            _package([_page("<ofd:PageBlock>" * (MAX_DEPTH + 2) + "</ofd:PageBlock>" * (MAX_DEPTH + 2))]),
            TooLarge,
            "deep",
        ),
        (_package([_page(_text(20, 20, "正文"))] * (MAX_PAGES + 1)), TooLarge, "pages"),
    ],
    ids=["not-a-zip", "no-document", "no-page", "broken-xml", "entities", "images-only", "objects", "nesting", "pages"],
)
def test_bad_package_is_one_typed_error(data, kind, words):
    with pytest.raises(ExtractionError) as caught:
        extract(data, name="bad.ofd")
    assert isinstance(caught.value, kind), f"{type(caught.value).__name__}: {caught.value}"
    assert words in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.slow  # a memory ceiling, measured in a fresh interpreter
def test_ofd_zip_bomb_is_refused_within_the_memory_ceiling(tmp_path: Path):
    """A page part of ~195 MB of empty blocks, diluted by a stored member: one line, peak RSS under the ceiling."""
    from .test_memory import _diluted_bomb, assert_refused

    good = (CASES[0] / "input.ofd").read_bytes()
    target = "Doc_0/Pages/Page_0/Content.xml"
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        xml = zf.read(target)
    cut = xml.index(b"</ofd:Layer>")
    path = _diluted_bomb(good, target, xml[:cut], b"<ofd:PageBlock/>", xml[cut:], tmp_path / "bomb.ofd")
    with pytest.raises(Bomb):
        extract(path)
    assert_refused(path, "zip bomb")


def test_crawler_takes_ofd_links_and_viewer_links_as_documents():
    """A direct .ofd link and an OFD web viewer's ?file=… link both lead to the document itself."""
    from parsel import Selector

    from crawler.discovery import list_links

    page = Selector(
        text='<ul><li><a href="/files/2023nb.ofd">2023年政府信息公开工作年度报告</a></li>'
        '<li><a href="/ofdviewer/index.html?file=/files/2022nb.ofd">2022年政府信息公开工作年度报告</a></li>'
        '<li><a href="/news/2023/1.html">新闻</a></li></ul>'
    )
    links = {link.url: link.kind for link in list_links(page, "http://127.0.0.1:8000/col/")}
    assert links["http://127.0.0.1:8000/files/2023nb.ofd"] == "document"
    assert links["http://127.0.0.1:8000/files/2022nb.ofd"] == "document"
    assert links["http://127.0.0.1:8000/news/2023/1.html"] == "page"


def test_pages_are_laid_out_one_at_a_time():
    """A page is laid out only when reached: page 1 comes back before the missing page 2 is even looked for."""
    data = _without(
        _package([_page(_text(20, 20, "第一页")), _page(_text(20, 20, "第二页"))]), "Doc_0/Pages/Page_1/Content.xml"
    )
    pages = read_package(data).pages
    first = next(pages)
    assert "".join(c["text"] for c in first.chars) == "第一页"
    with pytest.raises(Corrupt, match="page 2"):
        next(pages)


def test_pages_that_all_draw_one_busy_part_are_refused_by_the_text_budget(monkeypatch):
    """Every page may name the same Content.xml: the document's characters are counted against the text budget."""
    from extractors.readers import ofd_package

    monkeypatch.setattr(ofd_package, "MAX_TEXT_CHARS", 12)
    listing = "".join(f'<ofd:Page ID="{n}" BaseLoc="Pages/Page_0/Content.xml"/>' for n in range(10, 20))
    document = f'<ofd:Document xmlns:ofd="{NS}"><ofd:CommonData/><ofd:Pages>{listing}</ofd:Pages></ofd:Document>'
    data = _package([_page(_text(20, 20, "一二三四五"))], extra={"Doc_0/Document.xml": document})
    with pytest.raises(TooLarge, match="over 12 characters"):
        read_ofd(data)
    assert len(_lines(_package([_page(_text(20, 20, "一二三四五"))] * 2))) == 2  # 10 characters: under it


@pytest.mark.parametrize("case", CASES[::3], ids=lambda p: p.name)
def test_seed_ofd_text_is_its_pdf_text_line_by_line(case):
    """Every line in the same place and order as pdfplumber reads the PDF (spaces aside: the OFD holds none)."""
    from extractors.readers.pdf import read_pdf

    pdf = _pdf_of(case)
    ours = ["".join(line.split()) for line in read_ofd((case / "input.ofd").read_bytes()).text().splitlines()]
    theirs = ["".join(line.split()) for line in read_pdf(pdf.read_bytes()).text().splitlines()]
    assert ours == theirs


@pytest.mark.parametrize(
    "attrs",
    [
        ' Boundary="a b c d" CTM="nan inf -inf 1e999 x y"',
        ' Boundary="1e308 1e308 1e308 1e308" CTM="0 0 0 0 0 0"',
        ' Size="-5" Boundary=""',
        ' CTM="1 2"',
    ],
    ids=["words", "huge", "negative-size", "short-ctm"],
)
@pytest.mark.parametrize(
    "code",
    [' DeltaX="g g g 1" DeltaY="g 2"', ' X="inf" Y="nan"', ' DeltaX="-1e308 1e308"', ' X="" Y=""'],
    ids=["bad-repeat", "infinite", "extreme", "empty"],
)
def test_garbage_numbers_never_raise_anything_but_a_typed_error(attrs, code):
    """Numbers a producer got wrong: the page is read or refused in one line, never a traceback."""
    page = _page(_text(20, 20, "正文一二三", extra=attrs, code=code) + _text(20, 60, "第二行"))
    try:
        lines = _lines(_package([page]))
    except ExtractionError as exc:
        assert "\n" not in str(exc)
    else:
        assert "第二行" in "".join(lines)


@pytest.mark.parametrize(
    "path",
    [
        '<ofd:PathObject ID="5" Boundary="0 0 1e308 1e308" CTM="1e308 0 0 1e308 0 0">'
        "<ofd:AbbreviatedData>M 0 0 L 1e308 0 L -1e308 5 C</ofd:AbbreviatedData></ofd:PathObject>",
        '<ofd:PathObject ID="5" Boundary="10 10 50 50"><ofd:AbbreviatedData>M 0 L x y B 1 2 Q A C Z 3 4 L'
        "</ofd:AbbreviatedData></ofd:PathObject>",
        '<ofd:PathObject ID="5" Boundary="10 10 50 50" Stroke="false" Fill="false">'
        "<ofd:AbbreviatedData>M 0 0 L 50 0</ofd:AbbreviatedData></ofd:PathObject>",
    ],
    ids=["overflow", "broken-commands", "invisible"],
)
def test_garbage_paths_draw_no_lines_and_raise_nothing(path):
    data = _package([_page(path + _text(20, 60, "正文"))])
    assert _lines(data) == ["正文"]
    assert not next(read_package(data).pages).edges
