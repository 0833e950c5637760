"""The blank report form (年报模板: the six parts and three empty tables, no agency, no year) is not an annual
report: `extract` refuses it with BlankTemplate, a NotAReport, and the CLI says so in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors import BlankTemplate, NotAReport, extract

from .clirun import run

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "fixtures" / "derived" / "blank_template_2021fmt.docx"
HEAD = "政府信息公开工作年度报告（模板）"


def _form(title: str = HEAD, fill: dict[str, str] | None = None) -> bytes:
    """Return a Markdown form of the 2021 format: parts and table rows, every cell empty unless `fill` names it."""
    fill = fill or {}
    rows = ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开", "（二）部分公开",
            "1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
            "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项",
            "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确", "（七）总计",
            "四、结转下年度继续办理"]  # fmt: skip
    lines = [title, "一、总体情况", "（填写）", "二、主动公开政府信息情况", "第二十条第（一）项",
             "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |", "|---|---|---|---|",
             f"| 规章 | {fill.get('规章', '')} |  |  |", "| 行政规范性文件 |  |  |  |",
             "| 行政许可 |  |", "| 行政处罚 |  |", "| 行政强制 |  |", "",
             "三、收到和处理政府信息公开申请情况", "申请人情况", "| 项目 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    lines += [f"| {r} |  |  |  |  |  |  |  |" for r in rows]
    lines += ["", "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "（填写）",
              "六、其他需要报告的事项", "（填写）"]  # fmt: skip
    return "\n".join(lines).encode("utf-8")


def test_the_published_blank_template_is_refused():
    with pytest.raises(BlankTemplate, match="not an annual report: a blank template"):
        extract(TEMPLATE)
    assert issubclass(BlankTemplate, NotAReport)


def test_a_built_blank_form_is_refused():
    with pytest.raises(BlankTemplate):
        extract(_form(), name="form.md")


@pytest.mark.parametrize(
    ("title", "fill"),
    [
        ("某某县人民政府2024年政府信息公开工作年度报告", {}),  # agency and year: a report whose tables are empty
        (HEAD, {"规章": "3"}),  # one cell filled: somebody reported something
    ],
)
def test_a_form_with_an_agency_a_year_or_a_figure_is_read(title, fill):
    record = extract(_form(title, fill), name="form.md")
    assert record["requests"] is not None
    if fill:
        assert record["proactive"]["regulations"]["issued"] == 3
    else:
        assert (record["agency"], record["year"]) == ("某某县人民政府", 2024)


def test_the_cli_says_so_in_one_line(tmp_path):
    done = run(["extract", str(TEMPLATE)], tmp_path, text=True)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "not an annual report: a blank template" in lines[0]


def test_a_text_with_no_table_is_no_blank_template():
    # A form is blank when the tables it shows are empty: a text showing none is simply no report.
    with pytest.raises(NotAReport) as got:
        extract("一些文字".encode(), name="t.txt")
    assert not isinstance(got.value, BlankTemplate), got.value
