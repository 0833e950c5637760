"""Render a gold record's tables as text in the layouts real dumps use (for the text-form tests)."""

from __future__ import annotations

from typing import Any

PRO_2019 = [
    ("第二十条第（一）项", ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
     [("规章", "regulations"), ("规范性文件", "normative_documents")]),
    ("第二十条第（五）项", ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
     [("行政许可", "licensing"), ("其他对外管理服务事项", "other_services")]),
    ("第二十条第（六）项", ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
     [("行政处罚", "punishment"), ("行政强制", "coercion")]),
    ("第二十条第（八）项", ["信息内容", "上一年项目数量", "本年增/减"], [("行政事业性收费", "fees")]),
    ("第二十条第（九）项", ["信息内容", "采购项目数量", "采购总金额"], [("政府集中采购", "procurement")]),
]  # fmt: skip
REQ_LABELS = [
    ("一、本年新收政府信息公开申请数量", "new_received"), ("二、上年结转政府信息公开申请数量", "carried_over"),
    ("（一）予以公开", "granted"), ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partially_granted"),
    ("1.属于国家秘密", "withheld_state_secret"), ("2.其他法律行政法规禁止公开", "withheld_prohibited_by_law"),
    ("3.危及“三安全一稳定”", "withheld_security_stability"), ("4.保护第三方合法权益", "withheld_third_party_rights"),
    ("5.属于三类内部事务信息", "withheld_internal_affairs"), ("6.属于四类过程性信息", "withheld_process_info"),
    ("7.属于行政执法案卷", "withheld_enforcement_file"), ("8.属于行政查询事项", "withheld_administrative_query"),
    ("1.本机关不掌握相关政府信息", "unavailable_not_held"), ("2.没有现成信息需要另行制作", "unavailable_needs_creation"),
    ("3.补正后申请内容仍不明确", "unavailable_unclear"), ("1.信访举报投诉类申请", "rejected_petition"),
    ("2.重复申请", "rejected_duplicate"), ("3.要求提供公开出版物", "rejected_publication"),
    ("4.无正当理由大量反复申请", "rejected_excessive"), ("5.要求行政机关确认或重新出具已获取信息", "rejected_reconfirm"),
    ("（六）其他处理", "other_handling"), ("（七）总计", "total_processed"), ("四、结转下年度继续办理", "carried_forward"),
]  # fmt: skip
REVIEW_HEAD = ["行政复议", "行政诉讼"], ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"]


def _cell(v: Any, col: str = "") -> str:
    if v is None:
        return ""
    if col == "amount_wan_yuan":
        return f"{v}万元"
    return str(v)


def rows_2019(gold: dict[str, Any]) -> list[tuple[str, list[list[str]]]]:
    """Return the three tables of a 2019-format gold record as (heading, rows of cell strings)."""
    pro: list[list[str]] = []
    for head, header, rows in PRO_2019:
        pro.append([head])
        pro.append(header)
        for label, key in rows:
            pro.append([label, *(_cell(v, c) for c, v in gold["proactive"][key].items())])
    req = [["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"],
           ["自然人", "法人或其他组织", "总计"], ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]]  # fmt: skip
    for label, key in REQ_LABELS:
        req.append([label, *(_cell(v) for v in gold["requests"][key])])
    rl = gold["review_litigation"]
    review = [REVIEW_HEAD[0], REVIEW_HEAD[1], ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2,
              [_cell(rl[g][c]) for g in rl for c in ("upheld", "corrected", "other", "pending", "total")]]  # fmt: skip
    return [
        ("二、主动公开政府信息情况", pro),
        ("三、收到和处理政府信息公开申请情况", req),
        ("四、政府信息公开行政复议、行政诉讼情况", review),
    ]


def render(gold: dict[str, Any], layout: str) -> str:
    """Return a report text whose tables are laid out as `layout`: markdown, spaces, newlines or pipes."""
    out = [f"{gold['agency']}{gold['year']}年政府信息公开工作年度报告", "一、总体情况", "本机关认真做好政府信息公开工作。"]
    for heading, rows in rows_2019(gold):
        out.append(heading)
        for row in rows:
            if layout == "markdown":
                out.append("| " + " | ".join(row) + " |")
                if len(out) > 1 and row is rows[0]:
                    out.append("|" + "---|" * len(row))
            elif layout == "pipes":
                out.append(" | ".join(row) + " |")
            elif layout == "spaces":
                out.append(" ".join(c if c else "-" for c in row))
            elif layout == "newlines":
                out.extend(c if c else "-" for c in row)
    out += ["五、存在的主要问题及改进情况", "存在的问题是宣传不够，下一步加强培训和宣传工作。", "六、其他需要报告的事项", "无。"]
    return "\n".join(out) + "\n"
