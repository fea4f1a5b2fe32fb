"""Turning command-line paths into the files to check (git-aware, excludes honoured)."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from mlvet.config import Config
from mlvet.findings import FileError

FileKind = Literal["python", "notebook", "other"]

# Never descended into, git or not.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".env",
        "env",
        "virtualenv",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".eggs",
        "build",
        "dist",
        "site-packages",
        ".ipynb_checkpoints",
        ".hypothesis",
        "__pypackages__",
        ".cache",
        ".direnv",
    }
)


def kind_of(path: str) -> FileKind:
    lower = path.lower()
    if lower.endswith((".py", ".pyi", ".pyw")):
        return "python"
    if lower.endswith(".ipynb"):
        return "notebook"
    return "other"


def _display(base: str, rel: str) -> str:
    if base in (".", "./", ""):
        return rel
    return f"{base.rstrip('/')}/{rel}"


def _has_python_shebang(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            first = fh.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


@dataclass
class Discovery:
    files: list[tuple[str, FileKind]] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    # Files named on the command line (as opposed to found in a folder).
    explicit: set[str] = field(default_factory=set)

    def of_kind(self, *kinds: FileKind) -> list[str]:
        return [f for f, k in self.files if k in kinds]


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def _skipped_dir(name: str) -> bool:
    return name in SKIP_DIRS or name.endswith(".egg-info")


def _git_files(directory: str) -> list[str] | None:
    """Files git knows or would add under `directory` (relative), or None outside git."""
    try:
        proc = subprocess.run(
            [
                "git",
                "-C",
                directory,
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                "--",
                ".",
            ],
            capture_output=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({n for n in names if n})


def _walk(directory: str) -> Iterable[str]:
    """Regular files under `directory`, relative, in sorted order. Iterative (os.walk
    recurses before Python 3.12, so a very deep tree would end in RecursionError)."""
    stack = [""]  # relative folders still to list, the next one last
    while stack:
        rel_root = stack.pop()
        root = os.path.join(directory, rel_root) if rel_root else directory
        try:
            with os.scandir(root) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable folder: os.walk skips it too
        subdirs: list[str] = []
        for entry in entries:
            rel = f"{rel_root}/{entry.name}" if rel_root else entry.name
            try:
                if entry.is_symlink():
                    continue  # links are not followed (they may leave the tree)
                if entry.is_dir():
                    if not _skipped_dir(entry.name) and not _is_virtualenv(entry.path):
                        subdirs.append(rel)
                elif entry.is_file():  # not pipes or devices: reading them blocks
                    yield rel
            except OSError:
                continue
        stack.extend(reversed(subdirs))


def _broken_link_reason(path: str) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
    return "broken symbolic link"


# Told of each file as it is added (its path, kind, and whether it was named explicitly).
OnFile = Callable[[str, FileKind, bool], None]


def discover(
    paths: Sequence[str],
    config: Config,
    want: Iterable[FileKind],
    on_file: OnFile | None = None,
) -> Discovery:
    """Expand `paths` into files of the wanted kinds; explicit files are kept as given."""
    wanted = set(want)
    found = Discovery()
    # Files by normalised path: `./src/a.py`, `src/a.py` and `src/../src/a.py` are one.
    seen: set[str] = set()

    def add(display: str) -> None:
        key = os.path.normpath(display)
        if key in seen or config.is_excluded(display):
            return
        kind = kind_of(display)
        if kind in wanted:
            seen.add(key)
            found.files.append((display, kind))
            if on_file is not None:
                on_file(display, kind, False)

    for raw in paths:
        display = raw.replace(os.sep, "/")
        if os.path.islink(raw) and not os.path.exists(raw):
            found.errors.append(FileError(display, _broken_link_reason(raw)))
            continue
        if not os.path.exists(raw):
            found.errors.append(FileError(display, "no such file or directory"))
            continue
        if os.path.isdir(raw):
            if config.is_excluded(display) and display not in (".", "./"):
                continue
            listed = _git_files(raw)
            rels = listed if listed is not None else list(_walk(raw))
            for rel in rels:
                parts = rel.split("/")
                if any(_skipped_dir(p) for p in parts[:-1]):
                    continue
                full = os.path.join(raw, rel)
                if listed is not None and (os.path.islink(full) or not os.path.isfile(full)):
                    continue
                add(_display(display, rel))
        else:
            # Named files are checked whatever their name (pre-commit passes them by type),
            # but `exclude` still holds, as with ruff's --force-exclude.
            if config.is_excluded(display):
                continue
            key = os.path.normpath(display)
            if key in seen:
                found.explicit.update(f for f, _ in found.files if os.path.normpath(f) == key)
                continue
            if not os.path.isfile(raw):  # a named pipe or device: reading it may block
                found.errors.append(FileError(display, "not a regular file"))
                continue
            seen.add(key)
            kind = kind_of(display)
            if kind == "other" and "python" in wanted and _has_python_shebang(raw):
                kind = "python"
            if kind in wanted:
                found.files.append((display, kind))
                found.explicit.add(display)
                if on_file is not None:
                    on_file(display, kind, True)
    return found
