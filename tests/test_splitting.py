"""Glued cells are recovered from the table's arithmetic, or left null and listed as ambiguous."""

from __future__ import annotations

from extractors.model import Document, Paragraph
from extractors.record import build_record
from extractors.splitting import TooMany, cuts
from extractors.values import Kind

C = Kind.COUNT


def test_cuts_enumerate_every_well_formed_split():
    got = cuts(["713000074"], [C] * 7)
    assert ("71", "3", "0", "0", "0", "0", "74") in got
    assert all(len(c) == 7 and "".join(c) == "713000074" for c in got)
    assert not any(p.startswith("0") and p != "0" for c in got for p in c)


def test_spaces_are_cell_boundaries():
    got = cuts(["20", "0", "00", "0", "121"], [C] * 7)
    assert ("20", "0", "0", "0", "0", "1", "21") in got
    assert not any(p in ("200", "2000", "0121", "00") for c in got for p in c)


def test_too_many_cuts_raise():
    import pytest

    with pytest.raises(TooMany):
        cuts(["1" * 61], [C] * 7)


def _doc(table_text: str) -> Document:
    return Document([Paragraph("某某县人民政府2021年政府信息公开工作年度报告"), Paragraph(table_text)], carrier="text")


REQUESTS_2021 = (
    "三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    "申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
    "一、本年新收政府信息公开申请数量{new}二、上年结转政府信息公开申请数量0000000"
    "三、本年度办理结果（一）予以公开{granted}（二）部分公开（区分处理的，只计这一情形，不计其他情形）0000000"
    "（三）不予公开1.属于国家秘密00000002.其他法律行政法规禁止公开00000003.危及“三安全一稳定”0000000"
    "4.保护第三方合法权益00000005.属于三类内部事务信息00000006.属于四类过程性信息0000000"
    "7.属于行政执法案卷00000008.属于行政查询事项0000000（四）无法提供1.本机关不掌握相关政府信息{held}"
    "2.没有现成信息需要另行制作00000003.补正后申请内容仍不明确0000000（五）不予处理1.信访举报投诉类申请0000000"
    "2.重复申请00000003.要求提供公开出版物00000004.无正当理由大量反复申请0000000"
    "5.要求行政机关确认或重新出具已获取信息0000000（六）其他处理1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请0000000"
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请00000003.其他0000000"
    "（七）总计{total}四、结转下年度继续办理0000000"
)


def test_row_total_and_column_identities_settle_a_split():
    # 220000325 cuts two ways that both satisfy the row total: 22|0|0|0|0|3|25 and 2|20|0|0|0|3|25;
    # only the first keeps the commercial-enterprise column balanced (0 new, 0 processed).
    text = REQUESTS_2021.format(new="250000328", granted="3000003", held="220000325", total="250000328")
    record = build_record(_doc(text)).to_dict()
    req = record["requests"]
    assert req["unavailable_not_held"] == [22, 0, 0, 0, 0, 3, 25]
    assert req["new_received"] == [25, 0, 0, 0, 0, 3, 28]
    assert req["total_processed"] == [25, 0, 0, 0, 0, 3, 28]
    assert not [a for a in record["ambiguous"] if a["cell"].startswith("requests.unavailable_not_held")]


def test_unsettled_cells_stay_null_and_are_listed():
    text = (
        "二、主动公开政府信息情况 第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数"
        "规章000行政规范性文件7777166第二十条第（五）项信息内容本年处理决定数量行政许可12"
    )
    record = build_record(_doc(text)).to_dict()
    docs = record["proactive"]["normative_documents"]
    assert docs == {"issued": None, "repealed": None, "in_force": None}
    assert "proactive.normative_documents.issued" in [a["cell"] for a in record["ambiguous"]]
    assert record["proactive"]["regulations"] == {"issued": 0, "repealed": 0, "in_force": 0}
    assert record["proactive"]["licensing"] == {"decisions": 12}


def test_prose_numbers_settle_table_two():
    text = (
        "一、总体情况 集中公开现行有效行政规范性文件698件，动态更新本年度制发的规范性文件88件。"
        "二、主动公开政府信息情况 第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数"
        "规章000行政规范性文件8855698第二十条第（五）项信息内容本年处理决定数量行政许可12"
    )
    doc = Document([Paragraph("某某区2022年度政府信息公开工作年度报告"), *map(Paragraph, text.split(" "))], carrier="text")
    record = build_record(doc).to_dict()
    assert record["proactive"]["normative_documents"] == {"issued": 88, "repealed": 55, "in_force": 698}


def test_signed_glued_cells_keep_what_every_cut_agrees_on():
    text = (
        "二、主动公开政府信息情况 第二十条第（一）项信息内容本年新制作数量本年新公开数量对外公开总数量规章007"
        "第二十条第（六）项信息内容上一年项目数量本年增/减处理决定数量行政处罚2648-18538"
        "第二十条第（八）项信息内容上一年项目数量本年增/减行政事业性收费35-15"
    )
    doc = Document([Paragraph("某某区2020年政府信息公开工作年度报告"), Paragraph(text)], carrier="text")
    pro = build_record(doc).to_dict()["proactive"]
    assert pro["punishment"]["prior_year_items"] == 2648
    assert pro["punishment"]["items_change"] is None
    assert pro["fees"] == {"prior_year_items": 35, "items_change": -15}
    assert pro["regulations"] == {"newly_made": 0, "newly_published": 0, "total_published": 7}


def test_review_table_digits_split_by_group_totals():
    text = (
        "四、政府信息公开行政复议、行政诉讼情况 行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计"
        "未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计"
        "10203120001200000五、存在的主要问题及改进情况"
    )
    doc = Document([Paragraph("某某区2021年度政府信息公开工作年度报告"), Paragraph(text)], carrier="text")
    rl = build_record(doc).to_dict()["review_litigation"]
    assert rl["review"] == {"upheld": 1, "corrected": 0, "other": 2, "pending": 0, "total": 3}
    assert rl["litigation_direct"]["total"] == 12
    assert rl["litigation_after_review"]["total"] == 0


def test_a_whole_row_in_one_cell_is_read():
    """Some converters put a whole table row in one cell: "一、本年新收…申请数量 3001 53 0 0 61 4 3119"."""
    import json

    from extractors.model import Table

    from .conftest import CORPUS, need_shared
    from .goldcmp import compare
    from .render_text import rows_2019

    need_shared()
    gold = json.loads((CORPUS / "gold" / "001_ff3c35068f44430d.json").read_text(encoding="utf-8"))
    blocks: list = [Paragraph(f"{gold['agency']}{gold['year']}年政府信息公开工作年度报告")]
    for heading, rows in rows_2019(gold):
        blocks.append(Paragraph(heading))
        blocks.append(Table([[" ".join(c or "-" for c in row)] for row in rows]))
    score = compare(build_record(Document(blocks, carrier="pdf")).to_dict(), gold)
    assert not score.diffs, score.diffs[:10]
