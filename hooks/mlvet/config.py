"""`[tool.mlvet]` configuration, rule selection and inline suppressions."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from mlvet.findings import SEVERITIES, Finding, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_MAX_ARTIFACT_SIZE = 10 * 1024 * 1024

# Keys every part of mlvet understands; a key outside this set gets a notice, not a failure.
KNOWN_KEYS = frozenset(
    {
        "select",
        "ignore",
        "per-file-ignores",
        "exclude",
        "extend-exclude",
        "fail-on",
        "severity",
        "max-artifact-size",
        "allowed-pickle-globals",
        "seed-functions",
        "strip",
        "secrets",
        "ruff",
        "bandit",
        "audit",
        "baseline",
    }
)


class ConfigError(Exception):
    """Bad configuration: reported in one line, exit code 2."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] | None = None  # None: every rule of the command
    # True when --select came from the command line: then it holds even for a command
    # whose families it does not name (that command checks nothing).
    select_is_explicit: bool = False
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    fail_on: Severity = "warning"
    severity: Mapping[str, Severity] = field(default_factory=dict)
    max_artifact_size: int = DEFAULT_MAX_ARTIFACT_SIZE
    allowed_pickle_globals: tuple[str, ...] = ()
    seed_functions: tuple[str, ...] = ()
    # Directory that relative globs are matched against (the config file's folder).
    root: Path = field(default_factory=Path.cwd)
    path: Path | None = None
    # The whole [tool.mlvet] table, for the parts (strip, secrets, audit...) with own keys.
    raw: Mapping[str, Any] = field(default_factory=dict)
    notices: tuple[str, ...] = ()

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.raw.get(name, {})
        return value if isinstance(value, Mapping) else {}

    # -- selection -----------------------------------------------------------------
    def is_selected(self, code: str, default: Sequence[str] = ("ML",)) -> bool:
        """`default` is what the command checks when nothing is selected.

        A `select` that names nothing in the command's families (`select = ["ML1"]` seen
        by `mlvet secrets`) leaves that command on its default: selecting native rules
        must not silently switch the secrets or audit hooks off.
        """
        chosen = self.select if self.select is not None else tuple(default)
        if (
            self.select is not None
            and not self.select_is_explicit
            and "ALL" not in default  # open-ended (wrapped tools) decide for themselves
            and not any(
                sel == "ALL" or any(sel.startswith(d) or d.startswith(sel) for d in default)
                for sel in self.select
            )
        ):
            chosen = tuple(default)
        if not _matches(code, chosen):
            return False
        return not _matches(code, self.ignore)

    def ignored_for_path(self, code: str, path: str) -> bool:
        if not self.per_file_ignores:
            return False
        rel = self.relative(path)
        return any(
            _matches(code, codes) and glob_match(pattern, rel)
            for pattern, codes in self.per_file_ignores
        )

    def is_excluded(self, path: str) -> bool:
        if not self.exclude:
            return False
        rel = self.relative(path)
        return any(glob_match(pattern, rel) for pattern in self.exclude)

    def relative(self, path: str) -> str:
        return _relative(path, str(self.root), os.getcwd())

    def severity_for(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)

    def with_cli(
        self,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        fail_on: str | None = None,
    ) -> Config:
        """Command-line options win over the file: --select replaces, --ignore adds."""
        out = self
        if select:
            out = replace(out, select=tuple(_codes(select)), select_is_explicit=True)
        if ignore:
            out = replace(out, ignore=out.ignore + tuple(_codes(ignore)))
        if fail_on:
            out = replace(out, fail_on=_severity(fail_on, "--fail-on"))
        return out


@lru_cache(maxsize=65536)
def _relative(path: str, root: str, cwd: str) -> str:
    full = path if os.path.isabs(path) else os.path.join(cwd, path)
    try:
        rel = os.path.relpath(full, root)
    except ValueError:  # another drive on Windows
        return Path(full).as_posix()
    return rel.replace(os.sep, "/")


def _matches(code: str, selectors: Iterable[str]) -> bool:
    code = code.upper()
    return any(sel == "ALL" or code.startswith(sel) for sel in selectors)


def _codes(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip().upper()
            if part:
                if not re.fullmatch(r"[A-Z]+[0-9]*", part):
                    raise ConfigError(f"not a rule code or prefix: {part!r}")
                out.append(part)
    return out


def _severity(value: object, where: str) -> Severity:
    if isinstance(value, str) and value.lower() in SEVERITIES:
        return value.lower()  # type: ignore[return-value]
    raise ConfigError(f"{where} must be one of {', '.join(SEVERITIES)}, not {value!r}")


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    i, out = 0, []
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i)
            if j == -1:
                out.append(re.escape(c))
            else:
                out.append("[" + pattern[i + 1 : j].replace("!", "^", 1) + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    # A pattern names a file or a folder: "build" also covers "build/x.py".
    return re.compile("".join(out) + "(?:/.*)?")


def glob_match(pattern: str, rel_path: str) -> bool:
    """gitignore-like matching: a pattern without a slash matches at any depth."""
    pattern = pattern.strip().rstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if not pattern:
        return False
    rel_path = rel_path.lstrip("./") if rel_path.startswith("./") else rel_path
    if "/" not in pattern:
        parts = rel_path.split("/")
        rx = _glob_regex(pattern)
        return any(rx.fullmatch("/".join(parts[i:])) for i in range(len(parts)))
    return bool(_glob_regex(pattern.lstrip("/")).fullmatch(rel_path))


# -- loading -------------------------------------------------------------------------


def find_config_file(start: Path) -> Path | None:
    """Nearest `.mlvet.toml`, or pyproject.toml with a [tool.mlvet] table, upwards."""
    start = start.resolve()
    for folder in (start, *start.parents):
        dotfile = folder / ".mlvet.toml"
        if dotfile.is_file():
            return dotfile
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                text = pyproject.read_bytes().decode("utf-8", "replace")
            except OSError:
                continue
            # Not UTF-8 but naming [tool.mlvet]: return it, so loading reports the file
            # rather than the defaults replacing the user's settings in silence.
            if "tool.mlvet" in text or re.search(r"^\s*\[\s*tool\s*\.\s*mlvet", text, re.M):
                return pyproject
    return None


def load_config(explicit: str | None = None, start: Path | None = None) -> Config:
    """Load `explicit`, or the nearest config file from `start` (default: cwd)."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{explicit}: configuration file not found")
    else:
        found = find_config_file(start or Path.cwd())
        if found is None:
            return Config()
        path = found
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("mlvet", {})
    else:
        table = data.get("tool", {}).get("mlvet", data)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.mlvet] must be a table")
    return config_from_table(table, root=path.parent.resolve(), path=path)


def _str_list(table: Mapping[str, Any], key: str, where: Path) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of strings")
    return tuple(value)


def config_from_table(table: Mapping[str, Any], root: Path, path: Path) -> Config:
    notices = tuple(
        f"{path}: unknown key `{key}` in [tool.mlvet] (ignored)"
        for key in table
        if key not in KNOWN_KEYS
    )
    select = tuple(_codes(_str_list(table, "select", path))) if "select" in table else None
    pfi_raw = table.get("per-file-ignores", {})
    if not isinstance(pfi_raw, dict):
        raise ConfigError(f"{path}: `per-file-ignores` must be a table of glob = [codes]")
    pfi_items: list[tuple[str, tuple[str, ...]]] = []
    for pattern, codes in pfi_raw.items():
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{path}: per-file-ignores.{pattern!r} must be a list of codes")
        pfi_items.append((pattern, tuple(_codes(codes))))
    pfi = tuple(pfi_items)
    sev_raw = table.get("severity", {})
    if not isinstance(sev_raw, dict):
        raise ConfigError(f"{path}: `severity` must be a table of CODE = level")
    severity = {
        code.upper(): _severity(level, f"{path}: severity.{code}")
        for code, level in sev_raw.items()
    }
    size = table.get("max-artifact-size", DEFAULT_MAX_ARTIFACT_SIZE)
    try:
        max_size = parse_size(size)
    except ValueError as exc:
        raise ConfigError(f"{path}: `max-artifact-size`: {exc}") from None
    return Config(
        select=select,
        ignore=tuple(_codes(_str_list(table, "ignore", path))),
        per_file_ignores=pfi,
        exclude=_str_list(table, "exclude", path) + _str_list(table, "extend-exclude", path),
        fail_on=_severity(table.get("fail-on", "warning"), f"{path}: fail-on"),
        severity=severity,
        max_artifact_size=max_size,
        allowed_pickle_globals=_str_list(table, "allowed-pickle-globals", path),
        seed_functions=_str_list(table, "seed-functions", path),
        root=root,
        path=path,
        raw=dict(table),
        notices=notices,
    )


_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "k": 1024,
    "m": 1024**2,
    "g": 1024**3,
}


def parse_size(value: object) -> int:
    """10485760, "10MB", "10 MiB" -> bytes."""
    if isinstance(value, bool):
        raise ValueError(f"not a size: {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must not be negative")
        return value
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", value)
        if m and m.group(2).lower() in _UNITS:
            return int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    raise ValueError(f'not a size: {value!r} (use bytes or e.g. "10MB")')


# -- inline suppressions -------------------------------------------------------------

_SUPPRESS = re.compile(r"#\s*mlvet\s*:\s*ignore\b(?:\s*\[([^\]]*)\])?", re.IGNORECASE)


def suppressed_codes(line_text: str) -> frozenset[str] | None:
    """None: no suppression; empty set: everything; else the listed codes/prefixes."""
    m = _SUPPRESS.search(line_text)
    if not m:
        return None
    if m.group(1) is None:
        return frozenset()
    return frozenset(c.strip().upper() for c in m.group(1).split(",") if c.strip())


def is_suppressed(finding: Finding, line_text: str) -> bool:
    codes = suppressed_codes(line_text)
    if codes is None:
        return False
    return not codes or _matches(finding.rule, codes)
