"""Report writers: every command ends here, in one of four formats."""

from __future__ import annotations

from typing import Literal, TextIO

from mlvet.findings import Report

Format = Literal["text", "json", "sarif", "github"]
FORMATS: tuple[Format, ...] = ("text", "json", "sarif", "github")


def render(report: Report, fmt: Format, *, color: bool = False) -> str:
    if fmt == "json":
        from mlvet.report.json_out import render_json

        return render_json(report)
    if fmt == "sarif":
        from mlvet.report.sarif import render_sarif

        return render_sarif(report)
    if fmt == "github":
        from mlvet.report.github import render_github

        return render_github(report)
    from mlvet.report.text import render_text

    return render_text(report, color=color)


def write(report: Report, fmt: Format, stream: TextIO, *, color: bool = False) -> None:
    stream.write(render(report, fmt, color=color))
