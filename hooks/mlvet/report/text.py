"""Human-readable output: one line per finding, ruff-style, then a summary."""

from __future__ import annotations

from mlvet.findings import Finding, Report

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def location(f: Finding) -> str:
    if f.cell is not None:
        return f"{f.path}:cell_{f.cell}:{f.line}:{f.column}"
    return f"{f.path}:{f.line}:{f.column}"


def render_text(report: Report, color: bool = False) -> str:
    out: list[str] = []
    for f in report.findings:
        loc, code = location(f), f.rule
        if color:
            loc = f"{_BOLD}{loc}{_RESET}"
            code = f"{_COLORS.get(f.severity, '')}{code}{_RESET}"
        line = f"{loc}: {code} {f.message}"
        if f.fix:
            hint = f"fix: {f.fix}"
            line += f"\n    {_DIM}{hint}{_RESET}" if color else f"\n    {hint}"
        out.append(line)
    out.append(summary(report))
    return "\n".join(out) + "\n"


def summary(report: Report) -> str:
    counts = report.counts()
    n = len(report.findings)
    parts = [
        f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}"
        for s in ("error", "warning", "info")
        if counts[s]
    ]
    files = report.files_checked
    head = f"Found {n} finding{'s' if n != 1 else ''}" if n else "No findings"
    if parts:
        head += f" ({', '.join(parts)})"
    head += f" in {files} file{'s' if files != 1 else ''} checked"
    if report.errors:
        e = len(report.errors)
        head += f"; {e} file{'s' if e != 1 else ''} could not be checked"
    return head + "."
