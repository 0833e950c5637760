"""Numbers a report quotes in its prose about requests and appeals (format-spec T3-06, T4-05)."""

from __future__ import annotations

import re
from functools import lru_cache

from .normalize import nfkc

_N = r"(\d{1,7})\s*(?:件|个|条|宗)"
# "同意公开答复 9 件", "不予处理答复…": an answer named by its outcome counts that outcome, not every request handled.
_OUTCOMES = ("同意公开", "予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理")
_NOT_ONE_OUTCOME = "".join(f"(?<!{w})" for w in _OUTCOMES)
_ANSWERED = r"(?:办结|答复|办理完成|已办结|已答复)"
_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "new_received": (
        re.compile(r"(?:新收|收到|受理|接收)[^。；;，,]{0,24}?(?:政府信息公开)?申请(?:共计|共|合计)?\s*" + _N),
        re.compile(r"(?:新收|收到|受理|接收)\s*" + _N + r"[^。；;]{0,6}申请"),
    ),
    "total_processed": (
        re.compile(  # the lookahead first: seven lookbehinds tried at every char cost more than the words
            rf"(?={_ANSWERED})"
            + _NOT_ONE_OUTCOME
            + _ANSWERED
            + r"(?:政府信息公开)?(?:申请)?(?:共计|共|合计)?\s*"
            + _N
        ),
    ),
    "carried_forward": (
        re.compile(_N + r"[^。；;，,]{0,8}?结转(?:下一?年度|至下一?年|到下一?年)"),
        re.compile(r"结转(?:下一?年度|至下一?年|到下一?年)[^。；;，,\d]{0,8}" + _N),
        re.compile(_N + r"[^。；;，,]{0,6}顺延(?:到|至)下一?年度"),
    ),
    "carried_over": (
        re.compile(r"(?:上年度?结转|上一年度结转)(?:申请)?\s*" + _N),
        re.compile(r"含上年度?结转(?:申请)?\s*" + _N),
    ),
}
# A figure of one scope, where the text gives two ("全区共收到…175件…区本级收到48件"): its own mention of the row.
_SCOPED = {"new_received": (re.compile(r"(?:本级|本机关)[^。；;，,\d]{0,4}?(?:新收|收到|受理|接收)(?:政府信息公开)?"
                                       r"(?:申请)?(?:共计|共|合计)?\s*" + _N),)}  # fmt: skip
_REVIEW = re.compile(r"行政复议(?:案件|申请)?(?:结案)?(?:共计|共)?\s*(\d{1,5})\s*(?:起|件|宗)")
_LITIGATION = re.compile(r"行政诉讼(?:案件)?(?:结案)?(?:共计|共)?\s*(\d{1,5})\s*(?:起|件|宗)")


def request_numbers(text: str | None) -> dict[str, int]:
    """Return the request totals the prose states, keyed as rows of table 三 (first mention wins)."""
    return dict(_request_numbers(text)) if text else {}


@lru_cache(maxsize=2)  # the record builder and the checks ask about the same prose in turn
def _request_numbers(text: str) -> tuple[tuple[str, int], ...]:
    t = nfkc(text)
    out: dict[str, int] = {}
    for key, patterns in _PATTERNS.items():
        for p in patterns:
            m = p.search(t)
            if m:
                out[key] = int(m.group(1))
                break
    return tuple(out.items())


def request_mentions(text: str | None) -> dict[str, tuple[int, ...]]:
    """Return every figure the prose states for each row of table 三 (`request_numbers`' keys), in text order: a
    text giving the whole region's figure and the office's own ("本级") states a row twice."""
    if not text:
        return {}
    t = nfkc(text)
    out: dict[str, tuple[int, ...]] = {}
    for key, patterns in _PATTERNS.items():
        found = sorted((m.start(), int(m.group(1))) for p in (*patterns, *_SCOPED.get(key, ())) for m in p.finditer(t))
        if found:
            out[key] = tuple(dict.fromkeys(n for _, n in found))
    return out


def appeal_mentions(text: str | None) -> dict[str, tuple[int, ...]]:
    """Return every review (`review`) and litigation (`litigation`) count the prose states, in text order."""
    if not text:
        return {}
    t = nfkc(text)
    out = {key: tuple(dict.fromkeys(int(m.group(1)) for m in p.finditer(t)))
           for key, p in (("review", _REVIEW), ("litigation", _LITIGATION))}  # fmt: skip
    return {key: found for key, found in out.items() if found}


_DOCS_WORD = "规范性文件"
_DOCS = rf"(?:行政)?{_DOCS_WORD}"
_PROACTIVE: dict[str, tuple[re.Pattern[str], ...]] = {
    "normative_documents.issued": (
        re.compile(r"(?:本年度?|全年|年内)?(?:制发|新制发|出台|印发|制定)(?:的|了)?" + _DOCS + r"\s*(\d{1,6})\s*件"),
        re.compile(_DOCS + r"[^。；;，,\d]{0,6}(?:制发|出台)\s*(\d{1,6})\s*件"),
    ),
    "normative_documents.repealed": (
        re.compile(r"废止(?:的|了)?" + _DOCS + r"\s*(\d{1,6})\s*件"),
        re.compile(_DOCS + r"[^。；;，,\d]{0,6}废止\s*(\d{1,6})\s*件"),
    ),
    "normative_documents.in_force": (
        re.compile(r"现行有效(?:的)?" + _DOCS + r"\s*(\d{1,6})\s*件"),
        re.compile(_DOCS + r"[^。；;，,\d]{0,6}现行有效\s*(\d{1,6})\s*件"),
    ),
}


def proactive_numbers(text: str | None) -> dict[str, int]:
    """Return table 二 counts the prose states, keyed `row.column` (2021 format columns)."""
    if not text:
        return {}
    t = nfkc(text)
    out: dict[str, int] = {}
    if _DOCS_WORD not in t:  # every pattern names them: no need to try each at every char
        return out
    for key, patterns in _PROACTIVE.items():
        for p in patterns:
            m = p.search(t)
            if m:
                out[key] = int(m.group(1))
                break
    return out
