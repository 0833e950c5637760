"""Scanned PDFs and OFDs (双层PDF, 双层OFD) carrying another program's OCR as text that is not seen (PDF render mode 3,
opacity 0, or under the page's picture; OFD Fill="false", Alpha="0", or under the picture): what the page shows is
its picture.

fixtures/hidden_layer/ (build_pdfs.py, build_ofd.py): bundled reports' PDFs and OFDs as page pictures with their text
kept unseen those ways, misread (every 8 as 3, every 1 as a small L). Read from the hidden text, up to 21 of a case's
cells were null and up to 8 wrong with nothing saying so; read as the scans they show, by our OCR, each number is a
reading the tables' arithmetic confirms or flags.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors import extract
from extractors.errors import NotAReport, NoText
from extractors.readers import image as image_reader
from extractors.readers.pdf import _prepare, _read_pages, layer_text

from .ocr_score import no_engine, read_as_gold

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "fixtures" / "hidden_layer").glob("seed*_*"))
PDFS = [case for case in CASES if (case / "input.pdf").exists()]


def test_invisible_text_is_no_part_of_the_layer() -> None:
    assert len(PDFS) == 4
    for case in PDFS:
        data = (case / "input.pdf").read_bytes()
        assert layer_text(_read_pages(data, _prepare(data)[0])[0]).strip() == "", case.name
    shown = (ROOT / "fixtures" / "documents" / "seed000_pdf" / "input.pdf").read_bytes()
    assert "总体情况" in layer_text(_read_pages(shown, _prepare(shown)[0])[0])


def test_without_ocr_a_scan_with_hidden_text_is_one_clear_error_not_its_hidden_readings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(image_reader, "choose", no_engine)
    assert len(CASES) == 7
    for case in CASES:
        with pytest.raises(NoText) as got:
            extract(next(case.glob("input.*")))
        assert not isinstance(got.value, NotAReport) and "no engine is installed" in str(got.value), case.name


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_a_scan_with_hidden_text_is_read_from_its_pictures(case: Path) -> None:
    assert read_as_gold(case, next(case.glob("input.*")).name)["year"] == 2020


@pytest.mark.parametrize(
    ("attributes", "children", "painted"),
    [
        ("", "", True),
        ('Fill="false"', "", False),
        ('Fill="false" Stroke="true"', "", True),
        ('Alpha="0"', "", True),  # the unit's own Alpha: the page walk leaves the whole object out
        ("", '<ofd:FillColor Value="0 0 0" Alpha="0"/>', False),
        ('Stroke="true"', '<ofd:FillColor Alpha="0"/><ofd:StrokeColor Alpha="0"/>', False),
        ('Stroke="true"', '<ofd:FillColor Alpha="0"/><!-- a note --><ofd:StrokeColor Alpha="128"/>', True),
        ("", '<ofd:FillColor Alpha="opaque"/>', True),  # unreadable: taken as the default, opaque
    ],
)
def test_which_ofd_text_objects_paint_their_glyphs(attributes: str, children: str, painted: bool) -> None:
    from lxml import etree

    from extractors.readers.ofd_package import _painted_text

    obj = etree.fromstring(f'<ofd:TextObject xmlns:ofd="http://www.ofdspec.org/2016" {attributes}>{children}'
                           "<ofd:TextCode>8</ofd:TextCode></ofd:TextObject>")  # fmt: skip
    assert _painted_text(obj) is painted


def _with_picture_over(share: float, alpha: float = 1.0) -> bytes:
    """Return the bundled seed000 PDF with a picture drawn last over the top of its first page, `share` of its area, at
    opacity `alpha`."""
    import io

    from PIL import Image
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, FloatObject, NameObject

    from fixtures.hidden_layer.build_pdfs import _picture

    writer = PdfWriter(clone_from=PdfReader(ROOT / "fixtures" / "documents" / "seed000_pdf" / "input.pdf"))
    page = writer.pages[0]
    jpeg = io.BytesIO()
    Image.new("L", (40, 40), 200).save(jpeg, "JPEG")
    resources = page["/Resources"].get_object()
    if "/XObject" not in resources:
        resources[NameObject("/XObject")] = DictionaryObject()
    resources["/XObject"].get_object()[NameObject("/Over")] = _picture(writer, jpeg.getvalue(), 40, 40)
    if "/ExtGState" not in resources:
        resources[NameObject("/ExtGState")] = DictionaryObject()
    resources["/ExtGState"].get_object()[NameObject("/Faint")] = DictionaryObject({NameObject("/ca"): FloatObject(alpha)})
    w, h = float(page.mediabox.width), float(page.mediabox.height)
    stream = DecodedStreamObject()
    stream.set_data(page.get_contents().get_data() + f"\nq /Faint gs {w:.2f} 0 0 {h * share:.2f} 0 "
                    f"{h * (1 - share):.2f} cm /Over Do Q".encode())  # fmt: skip
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_only_a_picture_over_most_of_the_page_hides_the_text_under_it() -> None:
    # A seal or a logo stamped over a title or a signature hides no text, nor does a see-through watermark over the
    # whole page; a scan of the whole page laid over it does.
    def first_page(data: bytes) -> str:
        return layer_text([b for b in _read_pages(data, _prepare(data)[0])[0]][:3])

    assert "总体情况" in first_page(_with_picture_over(0.3))
    assert "总体情况" in first_page(_with_picture_over(1.0, alpha=0.3))
    assert "总体情况" not in first_page(_with_picture_over(1.0))


def _ofd_with_picture_over(share: float, picture: bytes, fmt: str) -> bytes:
    """Return the bundled seed000 OFD with `picture` drawn last over the top of its first page, `share` of its area."""
    import io
    import zipfile

    source = ROOT / "fixtures" / "ofd" / "seed000_ofd" / "input.ofd"
    with zipfile.ZipFile(source) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    parts["Doc_0/Document.xml"] = parts["Doc_0/Document.xml"].replace(
        b"</ofd:PublicRes>", b"</ofd:PublicRes><ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes>")
    parts["Doc_0/DocumentRes.xml"] = (f'<ofd:Res {ns} BaseLoc="Res"><ofd:MultiMedias><ofd:MultiMedia ID="9001" '
                                      f'Type="Image" Format="{fmt}"><ofd:MediaFile>over.{fmt.lower()}</ofd:MediaFile>'
                                      "</ofd:MultiMedia></ofd:MultiMedias></ofd:Res>").encode()  # fmt: skip
    parts[f"Doc_0/Res/over.{fmt.lower()}"] = picture
    h = 297 * share
    image = (f'<ofd:ImageObject ID="9002" ResourceID="9001" Boundary="0 0 210.01 {h:.2f}" '
             f'CTM="210.01 0 0 {h:.2f} 0 0"/></ofd:Layer>').encode()  # fmt: skip
    parts["Doc_0/Pages/Page_0/Content.xml"] = parts["Doc_0/Pages/Page_0/Content.xml"].replace(b"</ofd:Layer>", image, 1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return out.getvalue()


def test_only_an_opaque_picture_over_most_of_an_ofd_page_hides_the_text_under_it() -> None:
    import io

    from PIL import Image

    from extractors.readers.ofd import read_ofd

    def picture(mode: str, fmt: str) -> bytes:
        out = io.BytesIO()
        Image.new(mode, (40, 40), 200 if mode == "L" else (200, 200, 200, 80)).save(out, fmt)
        return out.getvalue()

    def shown(share: float, data: bytes, fmt: str) -> bool:
        return "总体情况" in read_ofd(_ofd_with_picture_over(share, data, fmt)).text()

    assert shown(0.3, picture("L", "JPEG"), "JPEG")  # a seal or a logo
    assert shown(1.0, picture("RGBA", "PNG"), "PNG")  # a see-through watermark
    assert not shown(1.0, picture("L", "PNG"), "PNG")  # a scan of the page
    assert not shown(1.0, picture("L", "JPEG"), "JPEG")
