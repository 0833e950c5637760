"""Title, report year and reporting agency, read from the report itself."""

from __future__ import annotations

import re
from collections import Counter

from .normalize import nfkc

_TAGS = re.compile(r"^\s*(?:\[[^\]]{0,80}\]\s*)+")
_KEY_PREFIX = re.compile(r"^\s*(?:标题|题目|title)\s*[:：]\s*", re.I)
_TITLE_WORDS = re.compile(r"信息公开.{0,8}(?:年度报告|工作报告|年报)|政务公开.{0,6}年度报告")  # 政府 often left out
_INLINE_END = "政府信息公开工作年度报告"
_INLINE_TITLE = re.compile(rf"([\u4e00-\u9fff（）()]{{2,40}}?\s*\d{{4}}\s*年度?\s*{_INLINE_END})")
_YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})\s*年")
_PERIOD = re.compile(r"(?:统计期限|统计时限|统计时间|数据统计|核定时间)[^。]{0,20}?((?:19|20)\d{2})\s*年")
_PERIOD_END = re.compile(r"(?:截至|截止|截止到|至)\s*((?:19|20)\d{2})\s*年\s*12\s*月\s*31\s*日")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年(?!\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")
_LEADING_YEAR = re.compile(r"(?:^|(?<=[。；;\n]))\s*((?:19|20)\d{2})\s*年(?:度)?\s*[,，]", re.M)
_BRACKETED = re.compile(r"\([^()\n]{0,40}\)")
_ORG_SUFFIX = (
    r"人民政府办公室|人民政府办公厅|人民政府|管理委员会|管委会|政务服务办|政务服务管理办公室|办公室|办公厅|"
    r"街道办事处|办事处|委员会|管理局|服务中心|实验区|开发区|工业园区|园区|新区|[^\s，。、；：]局|[^\s，。、；：]厅"
)
_ISSUER = re.compile(rf"^[\u4e00-\u9fff（）()]{{2,30}}(?:{_ORG_SUFFIX})$")
_ORG_IN_TEXT = re.compile(rf"(?:^|(?<=[。；;：:\n]|年))([\u4e00-\u9fff]{{1,18}}?(?:{_ORG_SUFFIX}))")
_GENERIC = re.compile(r"^(?:本|我|各|该|全|市|县|区|省)?(?:机关|单位|部门|政府|办公室|委员会|管理局|局)$")


def clean_line(line: str) -> str:
    """Return a line without converter tags ("[bookmark: …]") and "标题:" prefixes, stripped."""
    return _KEY_PREFIX.sub("", _TAGS.sub("", line)).strip()


def find_title(lines: list[str], hint: str | None = None) -> str | None:
    """Return the report title: the best title-like line near the top, else the hint (HTML <title>)."""
    best: tuple[int, str] | None = None
    previous = ""
    cleaned = [clean_line(raw) for raw in lines[:41]] + [""]
    for rank, line in enumerate(cleaned[:40]):
        if not line:
            continue
        issuer, previous = previous, line
        if re.match(r"^(?:19|20)\d{2}\s*年", line) and _ISSUER.match(re.sub(r"\s+", "", nfkc(issuer))):
            # A title set on two lines: the body's name above "YYYY年…年度报告".
            line = issuer + line
        elif (
            len(line) < 40
            and not _TITLE_WORDS.search(line)
            and not _TITLE_WORDS.search(cleaned[rank + 1])
            and _TITLE_WORDS.search(line + cleaned[rank + 1])
        ):
            # A title broken before "工作年度报告".
            line = line + cleaned[rank + 1]
        if len(line) > 80:
            # A line without the words the pattern ends in is not searched (its lazy runs backtrack).
            m = _INLINE_TITLE.search(line[:400]) if _INLINE_END in line[:400] else None
            if not m:
                continue
            line = m.group(1)
        if not _TITLE_WORDS.search(line):
            continue
        score = 10 - min(rank, 9)
        score += 6 if "工作年度报告" in line else 3 if "年度报告" in line else 0
        score += 4 if _YEAR_IN_TITLE.search(line) else 0
        score += 3 if re.match(r"^[\u4e00-\u9fff]{2,}", line) and not line.startswith("政府信息公开") else 0
        if best is None or score > best[0]:
            best = (score, line)
    if best is not None:
        return re.sub(r"(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff\d])", "", best[1])
    if hint:
        hint = clean_line(hint)
        if _TITLE_WORDS.search(hint):
            return re.split(r"\s*[-_|–—]\s*", hint)[0].strip() or None
    return None


def find_year(title: str | None, text: str) -> int | None:
    """Return the report year: from the title, else the period (统计期限…, 截至YYYY年12月31日), else the commonest year.

    A full date (YYYY年M月D日) is never counted, so a publication date cannot become the year. Years that
    open a line or sentence ("2020年，我区…") outvote the rest; years in brackets are not counted, as
    table headers annotate the prior year there ("上一年项目数量(指2019年事项数)").
    """
    if title:
        m = _YEAR_IN_TITLE.search(nfkc(title))
        if m:
            return int(m.group(1))
    head = nfkc(text[:20000])
    m = _PERIOD.search(head) or _PERIOD_END.search(head)
    if m:
        return int(m.group(1))
    leading = Counter(int(y) for y in _LEADING_YEAR.findall(head))
    counts = leading or Counter(int(y) for y in _YEAR.findall(_BRACKETED.sub("", head)))
    if not counts:
        return None
    return max(counts.items(), key=lambda kv: (kv[1], -kv[0]))[0]


def _agency_from_title(title: str) -> str | None:
    t = nfkc(title)
    m = re.match(r"^(.*?)(?:关于)?\s*(?:(?:19|20)\d{2}\s*年度?)", t)
    prefix = m.group(1) if m else re.split(r"政府信息公开|政务公开", t)[0]
    if m and not prefix.strip():
        # "2025年上海市人民政府办公厅政府信息公开工作年度报告": the body follows the year.
        prefix = re.split(r"政府信息公开|政务公开|信息公开", t[m.end() :])[0]
    prefix = re.sub(r"[\s《》“”\"]", "", prefix).rstrip("的关于")
    if len(prefix) < 2 or _GENERIC.match(prefix):
        return None
    return prefix


def find_agency(title: str | None, lines: list[str], text: str) -> str | None:
    """Return the reporting body: from the title, else an issuer line near the top, else the text."""
    if title:
        got = _agency_from_title(title)
        if got:
            return got
    for raw in lines[:12]:
        line = re.sub(r"\s+", "", nfkc(clean_line(raw)))
        if _ISSUER.match(line) and not _GENERIC.match(line):
            return line
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for m in _ORG_IN_TEXT.finditer(nfkc(text[:8000])):
        name = m.group(1)
        if _GENERIC.match(name) or name.startswith(("我", "本", "各", "全", "对", "在", "和", "与")):
            continue
        counts[name] += 1
        first.setdefault(name, m.start())
    if not counts:
        return None
    return max(counts, key=lambda n: (counts[n], -first[n]))


_GOVERNMENT = re.compile(r"人民政府(?:办公室|办公厅)?$")
_REGION_ONLY = re.compile(r"(?:省|市|区|县|旗|盟|州|自治州|实验区|新区|开发区)$")
_DEPARTMENT = re.compile(r"局|委|办|厅|中心|院|所|站|队|街道|镇|乡|公司|集团")


def is_government_level(agency: str | None) -> bool:
    """True for a 本级政府 report (due by 3月31日).

    That is a 人民政府 or its office, or a region named bare (平潭综合实验区).
    """
    if not agency:
        return False
    name = re.sub(r"\s+", "", nfkc(agency))
    return bool(_GOVERNMENT.search(name) or (_REGION_ONLY.search(name) and not _DEPARTMENT.search(name)))
