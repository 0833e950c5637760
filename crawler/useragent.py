"""The crawler's User-Agent: ASCII only (RFC 9110 header values), the project, its version, the operator's contact."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version

_CONTACT = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,198}[\x21-\x7e])?")


def project_version() -> str:
    """Return the installed nianbao version, or `0+unknown` when run from a source tree that is not installed."""
    try:
        return version("nianbao")
    except PackageNotFoundError:
        return "0+unknown"


def user_agent(contact: str | None = None) -> str:
    """Return `nianbao/<version>`, with `(+<contact>)` where the operator gave one (an e-mail or URL).

    Raises ValueError for a contact that is not printable ASCII or has brackets that would break the header.
    """
    agent = f"nianbao/{project_version()}"
    if not contact:
        return agent
    contact = contact.strip()
    if not _CONTACT.fullmatch(contact) or any(c in contact for c in "()"):
        raise ValueError(f"contact {contact!r} must be printable ASCII without brackets (an e-mail or a URL)")
    return f"{agent} (+{contact})"
