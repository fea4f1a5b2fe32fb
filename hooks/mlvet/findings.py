"""The records every check produces: findings and per-file errors."""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")
_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}


def severity_rank(severity: str) -> int:
    return _RANK.get(severity, 0)


@dataclass(frozen=True)
class Finding:
    """One problem at one place. Lines and columns are 1-based.

    For notebooks `cell` is the 1-based index among all cells and `line` the line inside
    that cell; `physical_line` is where that source line sits in the .ipynb file.
    """

    rule: str
    name: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    source: str = "mlvet"
    cell: int | None = None
    fix: str | None = None
    physical_line: int | None = None
    # The text of the flagged line (stripped); feeds fingerprints that survive moves.
    snippet: str = ""
    end_line: int | None = None

    @property
    def file_line(self) -> int:
        """The line in the file on disk (the .ipynb line for notebooks)."""
        return self.physical_line if self.physical_line is not None else self.line

    def fingerprint(self) -> str:
        """Stable across unrelated edits that move lines: path, rule and line text."""
        # `./src/a.py` and `src/a.py` are one file: baselines match however it was named.
        path = posixpath.normpath(self.path) if self.path else self.path
        basis = "\0".join((self.source, self.rule, path, " ".join(self.snippet.split())))
        if not self.snippet:
            basis += "\0" + self.message
        return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.path, self.cell or 0, self.line, self.column, self.rule)


@dataclass(frozen=True)
class FileError:
    """A file that could not be read or parsed. Always makes the run fail."""

    path: str
    message: str

    def one_line(self) -> str:
        return f"{self.path}: {' '.join(self.message.split())}"


@dataclass
class Report:
    """What a run found. Every command builds one; the writers print it."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    # Tools whose results are inside (for SARIF runs): e.g. ["mlvet", "ruff"].
    tools: list[str] = field(default_factory=lambda: ["mlvet"])
    files_checked: int = 0
    # One-line notices for stderr (a missing database, a skipped tool).
    notices: list[str] = field(default_factory=list)

    def extend(self, other: Report) -> None:
        self.findings.extend(other.findings)
        self.errors.extend(other.errors)
        for tool in other.tools:
            if tool not in self.tools:
                self.tools.append(tool)
        self.files_checked += other.files_checked
        self.notices.extend(other.notices)

    def sorted(self) -> Report:
        self.findings.sort(key=Finding.sort_key)
        self.errors.sort(key=lambda e: (e.path, e.message))
        return self

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {s: 0 for s in SEVERITIES}
        for f in self.findings:
            out[f.severity] += 1
        return out


def exit_code(report: Report, fail_on: str) -> int:
    """0: nothing at or above fail_on; 1: findings or unreadable files."""
    if report.errors:
        return 1
    threshold = severity_rank(fail_on)
    return 1 if any(severity_rank(f.severity) >= threshold for f in report.findings) else 0
