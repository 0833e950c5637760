"""Year, agency, title and the six parts, from the report itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extractors import extract
from extractors.metadata import find_year
from extractors.sections import find_sections

from .conftest import CORPUS, need_shared


def test_year_is_never_taken_from_a_publication_date():
    text = "政府信息公开工作年度报告\n某某区人民政府办公室\n2021年1月25日\n一、总体情况\n2020年，我办认真落实2020年工作要点。"
    assert find_year(None, text) == 2020


def test_year_from_the_reporting_period_sentence():
    text = "发布日期：2022-01-20\n本报告所列数据的统计期限自2021年1月1日起至2021年12月31日止。2022年我们将继续努力。"
    assert find_year(None, text) == 2021
    assert find_year("某某县2023年度政府信息公开工作年度报告", text) == 2023


def test_prior_year_annotations_in_table_headers_do_not_become_the_year():
    """Hubei's template annotates each header "上一年项目数量(指2019年事项数)": five 2019s, one 2020."""
    header = "信息内容\t上一年项目数量(指2019年事项数)\t本年增/减\t处理决定数量\n"
    text = "一、总体情况\n2020年，我镇认真落实条例。\n二、主动公开政府信息情况\n" + header * 5
    assert find_year(None, text) == 2020
    assert find_year(None, "一、总体情况\n我镇落实条例。\n" + header * 5 + "2020年工作要点") == 2020


def test_agency_from_the_title_an_issuer_line_or_the_text():
    need_shared()
    assert extract(CORPUS / "seeds" / "002_26d135d6a0a68c3c.txt")["agency"] == "鹤岗市南山区大陆街道办事处"
    assert extract(CORPUS / "seeds" / "004_ffb7cb016be5db93.txt")["agency"] == "鄞州区人民政府办公室"
    assert extract(CORPUS / "seeds" / "001_ff3c35068f44430d.txt")["agency"] == "区政务服务办"


def test_table_row_four_is_not_part_four():
    text = (
        "一、总体情况\n概述。\n二、主动公开政府信息情况\n表二\n三、收到和处理政府信息公开申请情况\n"
        "四、结转下年度继续办理\t0\t0\n四、政府信息公开行政复议、行政诉讼情况\n表四\n"
        "五、存在的主要问题及改进情况\n问题。\n六、其他需要报告的事项\n无。"
    )
    parts = find_sections(text)
    assert parts["requests"].endswith("四、结转下年度继续办理\t0\t0")
    assert parts["review_litigation"].startswith("四、政府信息公开行政复议")
    assert parts["other"] == "六、其他需要报告的事项\n无。"


def test_heading_variants_and_glued_headings():
    text = "一、工作基本情况 甲。二、主动公开政府信息情况乙三、收到和处理政府信息公开申请情况丙四、政府信息公开行政法复议、行政诉讼情况丁五、政府信息公开工作存在的主要问题及改进情况戊六、其他需要报告的事项己"
    parts = find_sections(text)
    assert all(parts.values()), parts
    assert parts["review_litigation"].endswith("丁")


def test_titles_and_sections_of_real_documents():
    need_shared()
    pdf = extract(CORPUS / "real" / "huaian_city_gov_2024_pdf_2021fmt.pdf")
    assert pdf["title"] == "淮安市人民政府2024年政府信息公开工作年度报告"
    assert all(pdf["sections"].values())
    html = extract(CORPUS / "real" / "pingtan_zone_2024_html_2021fmt_article.html")
    assert html["title"] == "平潭综合实验区2024年度政府信息公开工作年度报告"
    assert html["published_at"].startswith("2025-03-10")
    assert html["sections"]["other"].startswith("六、其他需要报告的事项")
    md = extract(CORPUS / "real" / "shanghai_municipal_gov_office_2025_pdfextract_md_2021fmt.md")
    assert md["agency"] == "上海市人民政府办公厅" and md["year"] == 2025


def test_a_short_line_before_a_whole_title_is_not_glued_to_it():
    from extractors.metadata import find_agency, find_title

    lines = ["政府信息公开年报", "张家港市教育局", "2023-01-13", "有效", "张家港市教育局2022年政府信息公开工作年度报告"]
    title = find_title(lines)
    assert title == "张家港市教育局2022年政府信息公开工作年度报告"
    assert find_agency(title, lines, "") == "张家港市教育局"
    broken = ["2025 年上海市人民政府办公厅政府信息公开", "工作年度报告", "正文"]
    assert find_title(broken) == "2025年上海市人民政府办公厅政府信息公开工作年度报告"


def test_year_from_the_end_of_the_period():
    text = "一、总体情况\n截至2023年12月31日，我局发布信息34条。2024年1月15日发布。\n二、主动公开政府信息情况"
    assert find_year(None, text) == 2023


TITLE_PATTERNS = [  # spec/site-patterns.md 2.3: the title forms seen on real sites, {A} the body, {Y} the year
    "{A}{Y}年政府信息公开工作年度报告", "{Y}年{A}政府信息公开工作年度报告", "{A}{Y}年度政府信息公开工作年度报告",
    "{A}关于{Y}年度政府信息公开工作年度报告", "{A}{Y}年度政府信息公开工作报告", "{A}{Y}年政府信息公开年度报告",
    "{A}{Y}年度信息公开年度报告", "{A}{Y}年信息公开工作年度报告", "{A}{Y}年政府信息公开工作年度报告（图片版）",
    "{A}{Y}年政府信息公开工作年度报告（超链版）", "{A}２０２２年政府信息公开工作年度报告",
    "{A} {Y}年 政府信息公开工作 年度报告",
]


@pytest.mark.parametrize("pattern", TITLE_PATTERNS)
def test_every_title_form_seen_on_real_sites_gives_the_body_and_the_year(pattern):
    # The bundled page's own text names another body and year (its report's); the title the page carries decides.
    page = (Path(__file__).resolve().parents[1] / "fixtures" / "documents" / "seed004_html" / "input.html").read_text(
        encoding="utf-8")  # fmt: skip
    title = pattern.format(A="霞山区教育局", Y=2022)
    page = re.sub(r"<title>.*?</title>", f"<title>{title}</title>", page, count=1)
    record = extract(page.replace("<body>", f"<body><h1>{title}</h1>", 1).encode("utf-8"), name="report.html")
    assert (record["agency"], record["year"]) == ("霞山区教育局", 2022), record["title"]
