"""When a report is due: 条例 Art. 49 (years from 2019) or the old Art. 31 (years up to 2018).

The one place the timeliness rules TIME-01…03 are decided; a record's checks (`extractors.checks`) and
`nianbao validate` (`storage.validate`) both ask it.
"""

from __future__ import annotations

import datetime as dt
import re

from .metadata import is_government_level

_TOWNSHIP = re.compile(r"(?:镇|乡|街道|苏木)(?:人民政府|政府|办事处|党委)?(?:办公室)?$")


def is_township(agency: str | None) -> bool:
    """True where the agency is a 乡镇/街道 body (its government, office or 办事处), which has no statutory day."""
    return bool(agency and _TOWNSHIP.search(re.sub(r"\s+", "", agency)))


def publication_deadline(year: int | None, agency: str | None) -> tuple[str, dt.date] | None:
    """Return (rule id, last day the report of `year` may be published) for its issuer, or None without a year.

    TIME-03 for years up to 2018 (31 March); TIME-02 for a 本级政府 report (31 March); TIME-01 for a
    department's report (31 January of the next year); None for a 乡镇/街道 body, which has no statutory day.
    """
    if not isinstance(year, int) or isinstance(year, bool):
        return None
    if is_township(agency):
        return None  # 条例 sets no day for a 乡镇/街道 (see level_deadline)
    if year <= 2018:
        return "TIME-03", dt.date(year + 1, 3, 31)
    if is_government_level(agency):
        return "TIME-02", dt.date(year + 1, 3, 31)
    return "TIME-01", dt.date(year + 1, 1, 31)


def level_deadline(year: int | None, level: str | None) -> tuple[str, dt.date] | None:
    """Return (rule id, last day) for an obliged body of a level (`government`, `department`, `township`,
    `other`), or None where no statutory deadline applies (a 乡镇/街道: 条例 sets none) or without a year.

    The same rules as `publication_deadline`: TIME-03 (31 March) up to 2018, TIME-02 (31 March) for a
    本级政府, TIME-01 (31 January) for a 部门 (and `other` bodies, held to the departments' day).
    """
    if not isinstance(year, int) or isinstance(year, bool) or level == "township":
        return None
    if year <= 2018:
        return "TIME-03", dt.date(year + 1, 3, 31)
    if level == "government":
        return "TIME-02", dt.date(year + 1, 3, 31)
    return "TIME-01", dt.date(year + 1, 1, 31)
