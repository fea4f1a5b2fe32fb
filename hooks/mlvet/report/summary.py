"""A Markdown job summary (for $GITHUB_STEP_SUMMARY): counts, then the top findings."""

from __future__ import annotations

import os
from collections import Counter
from urllib.parse import quote

from mlvet.findings import Finding, Report, severity_rank

TOP = 25
ICON = {"error": "🔴", "warning": "🟡", "info": "🔵"}


def _link(f: Finding) -> str:
    server = os.environ.get("GITHUB_SERVER_URL", "")
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    sha = os.environ.get("GITHUB_SHA", "")
    where = f"{f.path}:{f.file_line}"
    if server and repo and sha:
        from mlvet.report.github import _file

        path = quote(_file(f.path).removeprefix("./"), safe="/")  # spaces would end the link
        return f"[`{where}`]({server}/{repo}/blob/{sha}/{path}#L{f.file_line})"
    return f"`{where}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_summary(report: Report, title: str = "mlvet") -> str:
    counts = report.counts()
    lines = [f"## {title}", ""]
    if not report.findings and not report.errors:
        lines.append(f"No findings in {report.files_checked} files. ✅")
        return "\n".join(lines) + "\n"
    lines.append(
        f"**{len(report.findings)} findings**: {counts['error']} errors, "
        f"{counts['warning']} warnings, {counts['info']} info"
        + (f"; {len(report.errors)} files could not be checked" if report.errors else "")
    )
    lines += ["", "| rule | name | severity | count |", "|---|---|---|---|"]
    by_rule = Counter((f.rule, f.name, f.severity) for f in report.findings)
    for (rule, name, sev), n in sorted(
        by_rule.items(), key=lambda kv: (-severity_rank(kv[0][2]), -kv[1], kv[0][0])
    ):
        lines.append(f"| {rule} | {name} | {ICON.get(sev, '')} {sev} | {n} |")
    top = sorted(report.findings, key=lambda f: (-severity_rank(f.severity), f.sort_key()))[:TOP]
    lines += [
        "",
        "### Top findings",
        "",
        "| severity | rule | where | message |",
        "|---|---|---|---|",
    ]
    for f in top:
        where = _link(f) + (f" (cell {f.cell}, line {f.line})" if f.cell is not None else "")
        lines.append(
            f"| {ICON.get(f.severity, '')} {f.severity} | {f.rule} | {where} | {_cell(f.message)} |"
        )
    if len(report.findings) > TOP:
        lines.append(f"\n…and {len(report.findings) - TOP} more (see the SARIF report).")
    if report.errors:
        lines += ["", "### Files that could not be checked", ""]
        lines += [f"- `{e.path}`: {_cell(e.message)}" for e in report.errors]
    return "\n".join(lines) + "\n"
