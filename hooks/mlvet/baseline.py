"""Baselines: record today's findings, report only new ones later.

Findings match by fingerprint (tool, rule, path and the flagged line's text), counted,
so edits elsewhere in a file that move lines do not make old findings new.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

from mlvet.findings import Report


class BaselineError(Exception):
    pass


def write_baseline(report: Report, path: str) -> int:
    entries = [
        {
            "fingerprint": f.fingerprint(),
            "rule": f.rule,
            "path": f.path,
            "line": f.line,
            "message": f.message,
        }
        for f in report.findings
    ]
    data = {"version": 1, "tool": "mlvet", "findings": entries}
    atomic_write_text(Path(path), json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return len(entries)


def load_baseline(path: str) -> Counter[str]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: not a readable baseline ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not an mlvet baseline (no `findings` list)")
    return Counter(
        e["fingerprint"] for e in data["findings"] if isinstance(e, dict) and "fingerprint" in e
    )


def filter_baseline(report: Report, known: Counter[str]) -> int:
    """Drop findings the baseline knows; return how many were dropped."""
    remaining = Counter(known)
    kept = []
    for f in report.findings:
        fp = f.fingerprint()
        if remaining[fp] > 0:
            remaining[fp] -= 1
        else:
            kept.append(f)
    dropped = len(report.findings) - len(kept)
    report.findings = kept
    return dropped


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and rename: never a half-written file."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
