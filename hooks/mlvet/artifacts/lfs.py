"""Which files Git LFS tracks, asked of git itself (`git check-attr filter`), batched."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable


def _toplevel(directory: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", directory, "rev-parse", "--show-toplevel"],
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    top = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return top or None


def _check_attr(top: str, rels: list[str]) -> dict[str, str]:
    payload = b"".join(r.encode("utf-8", "surrogateescape") + b"\0" for r in rels)
    try:
        proc = subprocess.run(
            ["git", "-C", top, "check-attr", "filter", "-z", "--stdin"],
            input=payload,
            capture_output=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if proc.returncode != 0:
        return {}
    parts = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    out: dict[str, str] = {}
    for i in range(0, len(parts) - 2, 3):
        out[parts[i]] = parts[i + 2]
    return out


def lfs_tracked(paths: Iterable[str]) -> set[str]:
    """The subset of `paths` (as given) whose `filter` attribute is `lfs`.

    One `git rev-parse` per folder and one `git check-attr` per repository; files outside
    any git repository are never LFS-tracked.
    """
    tops: dict[str, str | None] = {}
    by_repo: dict[str, list[tuple[str, str]]] = {}
    for path in paths:
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in tops:
            tops[folder] = _toplevel(folder)
        top = tops[folder]
        if top is None:
            continue
        # Resolve the folder, not the file: a linked file is judged where it sits.
        real_top = os.path.realpath(top)
        rel = os.path.relpath(
            os.path.join(os.path.realpath(folder), os.path.basename(path)), real_top
        )
        if rel.startswith(".."):
            continue
        by_repo.setdefault(top, []).append((path, rel.replace(os.sep, "/")))
    tracked: set[str] = set()
    for top, pairs in by_repo.items():
        attrs = _check_attr(top, [rel for _, rel in pairs])
        tracked.update(path for path, rel in pairs if attrs.get(rel) == "lfs")
    return tracked
