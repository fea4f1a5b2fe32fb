"""What the ruff and bandit wrappers share: finding the tool, filtering its findings.

Both wrappers turn a tool's JSON into mlvet Findings; this module then applies
`[tool.mlvet]` (select, ignore, per-file-ignores, severity overrides) and inline
`# mlvet: ignore[...]` comments, so wrapped findings behave like native ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mlvet.config import Config, is_suppressed
from mlvet.findings import Finding, Severity
from mlvet.sources import Source, SourceError, read_source

INSTALL_HINT = "pip install 'mlvet[lint]'"

# Total characters of file arguments per tool invocation (Windows allows 32767 in all).
ARG_BUDGET = 24_000 if os.name == "nt" else 200_000

TOOL_TIMEOUT = 1800


class ToolMissing(Exception):
    """The wrapped tool is not installed: one line, exit code 2."""


class ToolFailed(Exception):
    """The wrapped tool stopped abnormally (bad configuration, crash): exit code 2."""


def missing(tool: str) -> ToolMissing:
    return ToolMissing(f"{tool} is not installed; install it with `{INSTALL_HINT}`")


def python_module_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def which(name: str) -> str | None:
    return shutil.which(name)


def run_tool(argv: Sequence[str], cwd: str | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    env.pop("FORCE_COLOR", None)
    env.pop("CLICOLOR_FORCE", None)
    try:
        return subprocess.run(
            list(argv), capture_output=True, check=False, env=env, cwd=cwd, timeout=TOOL_TIMEOUT
        )
    except FileNotFoundError:
        raise missing(Path(argv[0]).name) from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolFailed(f"cannot run {Path(argv[0]).name}: {exc}") from None


def chunks(files: Sequence[str], budget: int = ARG_BUDGET) -> Iterator[list[str]]:
    """Split file arguments so no command line grows past what the OS accepts."""
    batch: list[str] = []
    size = 0
    for f in files:
        if batch and size + len(f) + 1 > budget:
            yield batch
            batch, size = [], 0
        batch.append(f)
        size += len(f) + 1
    if batch:
        yield batch


def first_lines(data: bytes, limit: int = 3) -> str:
    text = data.decode("utf-8", "replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return " ".join(lines[:limit]) or "no message"


def path_keys(path: str) -> list[str]:
    """Ways a tool may spell `path` back to us: absolute, resolved, normalised."""
    keys = [os.path.normcase(os.path.abspath(path))]
    with contextlib.suppress(OSError):
        keys.append(os.path.normcase(os.path.realpath(path)))
    return keys


@dataclass
class PathMap:
    """Tool-reported file names -> the paths the user gave (forward slashes)."""

    by_key: dict[str, str] = field(default_factory=dict)

    def add(self, tool_path: str, display: str) -> None:
        for key in path_keys(tool_path):
            self.by_key.setdefault(key, display)

    def display(self, reported: str) -> str:
        for key in path_keys(reported):
            if key in self.by_key:
                return self.by_key[key]
        try:
            rel = os.path.relpath(reported)
        except ValueError:
            rel = reported
        return Path(rel).as_posix()


def digest(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


# -- severities ------------------------------------------------------------------------


def by_prefix(code: str, table: Mapping[str, Severity]) -> Severity | None:
    """The entry of the longest key that `code` starts with."""
    best: str | None = None
    for key in table:
        if code.startswith(key) and (best is None or len(key) > len(best)):
            best = key
    return table[best] if best is not None else None


def user_severity(config: Config, code: str, default: Severity) -> Severity:
    """`[tool.mlvet] severity` by exact code or by prefix (`S = "error"`, `UP = "info"`)."""
    found = by_prefix(code.upper(), dict(config.severity))
    return found if found is not None else default


# -- filtering -------------------------------------------------------------------------


def effective_select(config: Config) -> tuple[str, ...] | None:
    """`select` as it applies to a wrapped tool.

    A `select` that names only native ML codes is meant for `mlvet check`; it would
    otherwise silence every ruff or bandit finding, so it is not applied here.
    """
    if config.select is None:
        return None
    if any(sel == "ALL" or not sel.startswith("ML") for sel in config.select):
        return config.select
    return None


@dataclass
class SourceCache:
    """Reads a file at most once, only when one of its findings needs its text."""

    _cache: dict[str, Source | None] = field(default_factory=dict)

    def get(self, path: str) -> Source | None:
        if path not in self._cache:
            try:
                self._cache[path] = read_source(path)
            except SourceError:
                self._cache[path] = None
        return self._cache[path]

    def put(self, source: Source) -> None:
        self._cache[source.path] = source


def user_line(source: Source | None, finding: Finding) -> str:
    """The line a finding points at, as the user wrote it."""
    if source is None:
        return ""
    if finding.cell is None:
        return source.line_text(finding.line)
    for cell in source.cells:
        if cell.index == finding.cell:
            if 0 < finding.line <= cell.length:
                return source.line_text(cell.start + finding.line - 1)
            return ""
    return ""


def apply_config(
    findings: Iterable[Finding],
    config: Config,
    sources: SourceCache,
    extra_per_file: Sequence[tuple[str, tuple[str, ...]]] = (),
) -> list[Finding]:
    """select / ignore / per-file-ignores / severity / inline suppressions, plus snippets."""
    selector = replace(config, select=effective_select(config))
    out: list[Finding] = []
    for f in findings:
        if not selector.is_selected(f.rule, ("ALL",)):
            continue
        if config.ignored_for_path(f.rule, f.path):
            continue
        if _ignored_by(extra_per_file, config, f):
            continue
        line = user_line(sources.get(f.path), f)
        if line and is_suppressed(f, line):
            continue
        severity = user_severity(config, f.rule, f.severity)
        out.append(replace(f, severity=severity, snippet=line.strip() if line else f.snippet))
    return out


def _ignored_by(
    patterns: Sequence[tuple[str, tuple[str, ...]]], config: Config, finding: Finding
) -> bool:
    if not patterns:
        return False
    from mlvet.config import glob_match

    rel = config.relative(finding.path)
    return any(
        glob_match(pattern, rel) and any(finding.rule.startswith(c) for c in codes)
        for pattern, codes in patterns
    )


def python_executable() -> str:
    return sys.executable or "python3"
