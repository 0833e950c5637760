"""Names of issuing bodies in matching form: the one place where names are folded.

A name is compared in its compact form (NFKC, no spaces or quotes: `name_key`). A region's governing
body is the region under any of its names (`洪泽区人民政府`, `洪泽区政府`, `平潭综合实验区管委会`,
`XX街道办事处` → the region's name: `fold_governing_body`). A government's 办公室/办公厅 is its own body
(its own reports, its own versions), folded into the government only where whole entities are compared
across years (`fold_office`, used by the cross-year rules to flag a mix of 汇总 and office reports).
"""

from __future__ import annotations

import re

from .normalize import compact

_GOV_OFFICE = re.compile(r"(人民政府|政府)(办公室|办公厅)$")
_GOVERNING_BODY = re.compile(
    r"(?<=[省市区县旗盟州镇乡道])(?:人民政府|党工委管委会|工委管委会|管委会|管理委员会|办事处|政府)$"
)
_UNIT = re.compile(
    r"(?:人民政府|政府|管委会|管理委员会|办事处|办公室|办公厅|委员会|局|委|办|厅|署|院|中心|街道|镇|乡)$"
)
_YEAR = re.compile(r"[（(]?(?:19|20)\d{2}[)）]?(?:年度|年)?")
_TITLE_TAIL = re.compile(r"(?:关于)?(?:政府信息公开|政务公开|信息公开).*$")


def name_key(name: str | None) -> str | None:
    """Return a name in matching form (NFKC, no spaces or quotes), or None where there is none."""
    if not name:
        return None
    return compact(name) or None


def unit_name(text: str | None) -> str | None:
    """Return a text in matching form where it names a unit (ends like 局, 人民政府, 街道 …), else None."""
    key = name_key(text)
    return key if key and _UNIT.search(key) else None


def fold_governing_body(name: str) -> str:
    """Return a region's governing body as the region's name (`洪泽区人民政府` → `洪泽区`); other names as given."""
    return _GOVERNING_BODY.sub("", name) or name


def fold_office(name: str) -> str:
    """Return a government's 办公室/办公厅 as the government (`XX区人民政府办公室` → `XX区人民政府`)."""
    return _GOV_OFFICE.sub(r"\1", name)


def title_issuer(title: str | None) -> str | None:
    """Return who a report title names as issuer: the title without years and the 政府信息公开… tail, or None."""
    issuer = _TITLE_TAIL.sub("", _YEAR.sub("", compact(title or "")))
    return issuer or None


def make_body_key(region_code: str | None, body: str | None) -> str | None:
    """Return `REGION|NAME` for a body (its governing-body forms folded), or None without a body name."""
    key = name_key(body)
    if key is None:
        return None
    return f"{region_code or ''}|{fold_governing_body(key)}"


def entity_of(body_key: str | None) -> str | None:
    """Return the entity the cross-year rules follow: the body key with a government's office folded in."""
    if not body_key:
        return None
    region, _, name = body_key.partition("|")
    return f"{region}|{fold_governing_body(fold_office(name))}"
