"""GitHub workflow-command annotations (`::error file=...::message`)."""

from __future__ import annotations

import os

from mlvet.findings import Finding, Report, severity_rank

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
# GitHub shows at most this many annotations of each level per step.
PER_LEVEL_LIMIT = 10


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _file(path: str) -> str:
    """GitHub places annotations by checkout-relative path (the working folder)."""
    if os.path.isabs(path):
        cwd = os.getcwd()
        try:
            if os.path.commonpath([cwd, path]) == cwd:
                return os.path.relpath(path, cwd).replace(os.sep, "/")
        except ValueError:  # another drive on Windows
            pass
    return path


def annotation(f: Finding) -> str:
    props = [f"file={_prop(_file(f.path))}", f"line={f.file_line}"]
    if f.cell is None:
        props.append(f"col={f.column}")
    props.append(f"title={_prop(f'{f.rule} {f.name}')}")
    where = f" (cell {f.cell}, line {f.line})" if f.cell is not None else ""
    msg = f.message + where + (f" Fix: {f.fix}" if f.fix else "")
    return f"::{LEVEL.get(f.severity, 'warning')} {','.join(props)}::{_data(msg)}"


def render_github(report: Report, limit: int = PER_LEVEL_LIMIT) -> str:
    ordered = sorted(report.findings, key=lambda f: (-severity_rank(f.severity), f.sort_key()))
    shown: dict[str, int] = {}
    lines: list[str] = []
    left_out = 0
    for f in ordered:
        level = LEVEL.get(f.severity, "warning")
        if shown.get(level, 0) >= limit:
            left_out += 1
            continue
        shown[level] = shown.get(level, 0) + 1
        lines.append(annotation(f))
    for e in report.errors:
        lines.append(
            f"::error file={_prop(_file(e.path))},title=mlvet%3A cannot check::{_data(e.message)}"
        )
    if left_out:
        lines.append(
            f"::notice title=mlvet::{left_out} more finding(s) not annotated "
            f"(GitHub shows {limit} per level); see the SARIF report or job summary"
        )
    return "\n".join(lines) + ("\n" if lines else "")
