"""Human-readable output: findings grouped by file, one clickable line each, a summary."""

from __future__ import annotations

from collections import Counter

from mlvet.findings import Finding, Report

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def location(f: Finding) -> str:
    if f.cell is not None:
        return f"{f.path}:cell_{f.cell}:{f.line}:{f.column}"
    return f"{f.path}:{f.line}:{f.column}"


def _hint(f: Finding) -> str:
    doc = f"`mlvet rule {f.rule}`" if f.source == "mlvet" else f"{f.source} {f.rule}"
    return f"fix: {f.fix} (docs: {doc})" if f.fix else f"docs: {doc}"


def render_text(report: Report, color: bool = False) -> str:
    out: list[str] = []
    previous: str | None = None
    for f in report.findings:
        if previous is not None and f.path != previous:
            out.append("")  # a blank line between files
        previous = f.path
        loc, code = location(f), f.rule
        if color:
            loc = f"{_BOLD}{loc}{_RESET}"
            code = f"{_COLORS.get(f.severity, '')}{code}{_RESET}"
        out.append(f"{loc}: {code} {f.message}")
        hint = _hint(f)
        out.append(f"    {_DIM}{hint}{_RESET}" if color else f"    {hint}")
    if report.findings:
        out.append("")
    out.append(summary(report, color))
    return "\n".join(out) + "\n"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(report: Report, color: bool = False) -> str:
    counts = report.counts()
    n = len(report.findings)
    parts = [_plural(counts[s], s) for s in ("error", "warning", "info") if counts[s]]
    head = f"Found {_plural(n, 'finding')}" if n else "No findings"
    if parts:
        head += f" ({', '.join(parts)})"
    files = len({f.path for f in report.findings})
    if n:
        head += f" in {_plural(files, 'file')}"
    head += f"; {_plural(report.files_checked, 'file')} checked"
    if report.errors:
        unreadable = len({e.path for e in report.errors})  # a notebook may have several
        head += f"; {_plural(unreadable, 'file')} could not be checked"
    head += "."
    if n:
        top = Counter(f.rule for f in report.findings).most_common(5)
        head += " Most frequent: " + ", ".join(f"{rule} ×{k}" for rule, k in top) + "."
    return f"{_BOLD}{head}{_RESET}" if color else head
