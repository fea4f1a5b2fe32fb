"""A last safety net before anything is printed: credentials inside URLs are masked.

Wrapped tools and parsers sometimes echo a line they read (a requirement such as
`pkg @ git+https://TOKEN@github.com/...`); whatever the source, a report never shows
more than the first 4 characters of a URL's user name or password.
"""

from __future__ import annotations

import re
from dataclasses import replace

from mlvet.findings import FileError, Finding, Report

# scheme://userinfo@ — userinfo without spaces, slashes, quotes or another @.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][\w+.-]*://)(?P<info>[^\s/@'\"`<>]+)@")


def _mask_part(part: str) -> str:
    return part if len(part) <= 4 else part[:4] + "…"


def _mask(m: re.Match[str]) -> str:
    info = ":".join(_mask_part(p) for p in m.group("info").split(":"))
    return f"{m.group('scheme')}{info}@"


def mask_url_credentials(text: str) -> str:
    if "@" not in text or "://" not in text:
        return text
    return _URL_USERINFO.sub(_mask, text)


def _finding(f: Finding) -> Finding:
    message = mask_url_credentials(f.message)
    fix = mask_url_credentials(f.fix) if f.fix else f.fix
    if message == f.message and fix == f.fix:
        return f
    return replace(f, message=message, fix=fix)


def redact_report(report: Report) -> Report:
    """Mask URL credentials in every message, fix, error and notice (in place)."""
    report.findings = [_finding(f) for f in report.findings]
    report.errors = [FileError(e.path, mask_url_credentials(e.message)) for e in report.errors]
    report.notices = [mask_url_credentials(n) for n in report.notices]
    return report
