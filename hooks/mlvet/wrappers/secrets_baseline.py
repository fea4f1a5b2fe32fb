"""detect-secrets' baseline file (`.secrets.baseline`): read, filter by, and write.

A finding is acknowledged when the baseline lists the same file and the same secret
hash (SHA-1), whatever the line and type: lines move, and a secret detect-secrets
called "Secret Keyword" is the same secret mlvet calls a Hugging Face token. Audit marks
(`is_secret`, `is_verified`) of entries that are still present survive an update.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlvet.baseline import BaselineError, atomic_write_text
from mlvet.findings import Report
from mlvet.wrappers.secrets import secret_hash_of

DEFAULT_FILTERS = [
    "detect_secrets.filters.allowlist.is_line_allowlisted",
    "detect_secrets.filters.heuristic.is_indirect_reference",
    "detect_secrets.filters.heuristic.is_likely_id_string",
    "detect_secrets.filters.heuristic.is_lock_file",
    "detect_secrets.filters.heuristic.is_not_alphanumeric_string",
    "detect_secrets.filters.heuristic.is_potential_uuid",
    "detect_secrets.filters.heuristic.is_prefixed_with_dollar_sign",
    "detect_secrets.filters.heuristic.is_sequential_string",
    "detect_secrets.filters.heuristic.is_swagger_file",
    "detect_secrets.filters.heuristic.is_templated_secret",
]


def norm_path(path: str) -> str:
    p = path.replace("\\", "/")
    if os.path.isabs(p):
        with contextlib.suppress(ValueError):  # another drive on Windows
            p = Path(os.path.relpath(p)).as_posix()
    while p.startswith("./"):
        p = p[2:]
    return p


def read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: not a readable baseline ({exc})") from None


def is_detect_secrets_baseline(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("results"), dict)
        and not isinstance(data.get("findings"), list)
    )


def known_secrets(data: Any, path: str) -> set[tuple[str, str]]:
    """(file, hashed_secret) pairs a detect-secrets baseline acknowledges."""
    if not is_detect_secrets_baseline(data):
        raise BaselineError(f"{path}: not a detect-secrets baseline (no `results` table)")
    known: set[tuple[str, str]] = set()
    for filename, entries in data["results"].items():
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("hashed_secret"), str):
                known.add((norm_path(str(entry.get("filename", filename))), entry["hashed_secret"]))
    return known


def filter_known(report: Report, known: set[tuple[str, str]]) -> int:
    """Drop findings the baseline acknowledges; return how many."""
    kept = [f for f in report.findings if (norm_path(f.path), secret_hash_of(f) or "") not in known]
    dropped = len(report.findings) - len(kept)
    report.findings = kept
    return dropped


def build_baseline(
    report: Report, plugins: list[dict[str, Any]], previous: Any = None
) -> dict[str, Any]:
    marks: dict[tuple[str, str], dict[str, Any]] = {}
    if is_detect_secrets_baseline(previous):
        for filename, entries in previous["results"].items():
            for old in entries if isinstance(entries, list) else []:
                if isinstance(old, dict) and isinstance(old.get("hashed_secret"), str):
                    key = (norm_path(str(old.get("filename", filename))), old["hashed_secret"])
                    marks[key] = {k: old[k] for k in ("is_secret", "is_verified") if k in old}
    results: dict[str, list[dict[str, Any]]] = {}
    for f in report.findings:
        digest = secret_hash_of(f)
        if digest is None:
            continue
        filename = norm_path(f.path)
        label = f.message.split(" ", 1)[0] if not f.name else f.name
        entry: dict[str, Any] = {
            "type": _type_of(f.message, label),
            "filename": filename,
            "hashed_secret": digest,
            "is_verified": False,
            "line_number": f.file_line,
        }
        entry.update(marks.get((filename, digest), {}))
        bucket = results.setdefault(filename, [])
        if not any(e["hashed_secret"] == digest and e["type"] == entry["type"] for e in bucket):
            bucket.append(entry)
    for bucket in results.values():
        bucket.sort(key=lambda e: (e["line_number"], e["hashed_secret"], e["type"]))
    try:
        from detect_secrets.__version__ import VERSION as ds_version
    except ImportError:  # pragma: no cover - exercised without the extra
        ds_version = "1.5.0"
    return {
        "version": ds_version,
        "plugins_used": plugins,
        "filters_used": [{"path": p} for p in DEFAULT_FILTERS],
        "results": dict(sorted(results.items())),
        "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _type_of(message: str, fallback: str) -> str:
    """The detector's label: the message up to the redacted value ("Hugging Face token")."""
    head = message.split("…", 1)[0]
    words = head.split(" ")
    return " ".join(words[:-1]) if len(words) > 1 else fallback


def write_baseline(
    report: Report, path: str, plugins: list[dict[str, Any]], previous: Any = None
) -> int:
    data = build_baseline(report, plugins, previous)
    atomic_write_text(Path(path), json.dumps(data, indent=2) + "\n")
    return sum(len(v) for v in data["results"].values())
