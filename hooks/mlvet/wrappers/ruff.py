"""`ruff-ml`: ruff with the bundled ML rule set, on top of the project's own configuration.

The project's ruff configuration (ruff.toml, .ruff.toml, [tool.ruff]) stays in charge:
the bundle only adds rules (`--extend-select`), never `--select` or `--config FILE`.
Because a later selection layer would re-enable codes the project ignores, bundle
selectors that a project ignore covers are dropped and the project's ignores are
repeated in the same layer, so they still win. Notebooks are read by ruff itself; its
cell numbers are mapped to Finding.cell and the .ipynb line.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from mlvet.config import Config
from mlvet.discover import discover
from mlvet.findings import FileError, Finding, Report, Severity
from mlvet.wrappers.lint_common import (
    PathMap,
    SourceCache,
    ToolFailed,
    apply_config,
    by_prefix,
    chunks,
    digest,
    first_lines,
    missing,
    run_tool,
    which,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

BUNDLE_FILE = "ruff-ml.toml"

# mlvet severity by code prefix (longest prefix wins); anything else is a warning.
SEVERITY: dict[str, Severity] = {
    "S": "error",
    "S101": "info",  # asserts vanish under -O: worth knowing, rarely a hole
    "S105": "warning",
    "S106": "warning",
    "S107": "warning",
    "S108": "warning",
    "S110": "warning",
    "S112": "warning",
    "S113": "warning",
    "S4": "info",  # an import alone; the call rules say whether it is used unsafely
    "S603": "info",
    "S607": "info",
    "F": "error",
    "F401": "warning",
    "F403": "warning",
    "F405": "warning",
    "F541": "warning",
    "F811": "warning",
    "F841": "warning",
    "E9": "error",
    "PLE": "error",
    "PLW0177": "error",
    "T10": "error",
    "T20": "info",
    "NPY002": "info",
    "PD": "info",
    "PERF": "info",
    "UP": "info",
    "ICN": "info",
}

# Diagnostics that mean ruff could not read or parse the file.
_UNREADABLE = {"E902", "io-error"}
_SYNTAX = {"invalid-syntax", "E999", "syntax-error"}


@dataclass(frozen=True)
class Bundle:
    """The ML rule set: selectors to add, noisy codes to leave out, per-file ignores."""

    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class UserRuff:
    """What the project's own ruff configuration selects and ignores."""

    path: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


@dataclass
class RuffResult:
    report: Report
    changed: list[str] = field(default_factory=list)


# -- the bundle ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _bundle_table() -> dict[str, Any]:
    text = resources.files("mlvet.data").joinpath(BUNDLE_FILE).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _str_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list):
        return tuple(str(v).strip().upper() for v in value if str(v).strip())
    return ()


def load_bundle(options: Mapping[str, Any] | None = None) -> Bundle:
    """The bundled rule set, adjusted by `[tool.mlvet.ruff]`.

    Keys: `select` (replaces the bundled selectors), `extend-select` (adds),
    `notebook-ignore` (replaces the codes ignored in *.ipynb).
    """
    options = options or {}
    lint = _bundle_table().get("lint", {})
    select = _str_tuple(lint.get("extend-select", []))
    if "select" in options:
        select = _str_tuple(options["select"])
    select += tuple(s for s in _str_tuple(options.get("extend-select", [])) if s not in select)
    pfi = {str(k): _str_tuple(v) for k, v in lint.get("extend-per-file-ignores", {}).items()}
    if "notebook-ignore" in options:
        pfi["*.ipynb"] = _str_tuple(options["notebook-ignore"])
    return Bundle(
        extend_select=select,
        ignore=_str_tuple(lint.get("ignore", [])),
        per_file_ignores=tuple((k, v) for k, v in pfi.items() if v),
    )


# -- the project's own ruff configuration ---------------------------------------------


def _read_toml(path: Path) -> dict[str, Any] | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _ruff_table(path: Path) -> dict[str, Any] | None:
    data = _read_toml(path)
    if data is None:
        return None
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        table = tool.get("ruff") if isinstance(tool, dict) else None
        return table if isinstance(table, dict) else None
    return data


def config_for_dir(directory: str, cache: dict[str, Path | None] | None = None) -> Path | None:
    """The configuration ruff uses for files in `directory`: the nearest one upwards."""
    cache = {} if cache is None else cache
    if directory in cache:
        return cache[directory]
    folder = Path(directory)
    found: Path | None = None
    for candidate in (folder / ".ruff.toml", folder / "ruff.toml"):
        if candidate.is_file():
            found = candidate
            break
    else:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _ruff_table(pyproject) is not None:
            found = pyproject
        elif folder.parent != folder:
            found = config_for_dir(str(folder.parent), cache)
    cache[directory] = found
    return found


def read_user_ruff(path: Path | None, depth: int = 0) -> UserRuff:
    """select/extend-select and ignore/extend-ignore, following `extend` chains."""
    if path is None:
        return UserRuff()
    table = _ruff_table(path) or {}
    lint = table.get("lint") if isinstance(table.get("lint"), dict) else {}
    assert isinstance(lint, dict)
    select: list[str] = []
    ignore: list[str] = []
    for section in (table, lint):
        select += _str_tuple(section.get("select", [])) + _str_tuple(
            section.get("extend-select", [])
        )
        ignore += _str_tuple(section.get("ignore", [])) + _str_tuple(
            section.get("extend-ignore", [])
        )
    base = table.get("extend")
    if isinstance(base, str) and depth < 8:
        base_path = Path(os.path.expanduser(base))
        if not base_path.is_absolute():
            base_path = path.parent / base_path
        if base_path.is_file():
            parent = read_user_ruff(base_path, depth + 1)
            select = list(parent.select) + select
            ignore = list(parent.ignore) + ignore
    return UserRuff(path, tuple(dict.fromkeys(select)), tuple(dict.fromkeys(ignore)))


def _covers(selector: str, code: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def selection_args(bundle: Bundle, user: UserRuff) -> list[str]:
    """The rule-selection flags for one configuration (see the module docstring)."""
    kept = [b for b in bundle.extend_select if not any(_covers(u, b) for u in user.ignore)]
    args: list[str] = []
    if kept:
        # The project's own selectors are repeated so its ignores below keep their
        # meaning (an ignore narrower than a selection wins; a select narrower still wins).
        extend = list(dict.fromkeys([*kept, *(user.select if user.ignore else ())]))
        # With no project config there is nothing to respect: the bundle is the whole
        # selection, rather than extra rules on top of ruff's changing defaults.
        flag = "--select=" if user.path is None else "--extend-select="
        args.append(flag + ",".join(extend))
    noisy = [i for i in bundle.ignore if not any(_covers(s, i) for s in user.select)]
    ignores = list(dict.fromkeys([*user.ignore, *noisy]))
    if ignores and kept:
        args.append("--ignore=" + ",".join(ignores))
    if bundle.per_file_ignores:
        table = ", ".join(
            f"{json.dumps(pattern)} = {json.dumps(list(codes))}"
            for pattern, codes in bundle.per_file_ignores
        )
        args += ["--config", f"lint.extend-per-file-ignores = {{{table}}}"]
    return args


# -- running ruff ----------------------------------------------------------------------


def ruff_binary() -> str:
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-not-found,import-untyped,unused-ignore]

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = which("ruff")
    if found is None:
        raise missing("ruff")
    return found


def ruff_command(
    binary: str, args: Sequence[str], files: Sequence[str], fix: bool, unsafe_fixes: bool
) -> list[str]:
    cmd = [binary, "check", "--output-format", "json", "--force-exclude"]
    if fix:
        cmd.append("--fix")
        if unsafe_fixes:
            cmd.append("--unsafe-fixes")
    else:
        cmd.append("--no-fix")
    return [*cmd, *args, "--", *files]


def parse_output(
    stdout: bytes, paths: PathMap, sources: SourceCache
) -> tuple[list[Finding], list[FileError]]:
    """ruff's JSON diagnostics -> Findings (notebook cells mapped) and FileErrors."""
    try:
        items = json.loads(stdout.decode("utf-8", "replace") or "[]")
    except json.JSONDecodeError as exc:
        raise ToolFailed(f"ruff printed something that is not JSON ({exc.msg})") from None
    if not isinstance(items, list):
        raise ToolFailed("ruff printed unexpected JSON (not a list of diagnostics)")
    findings: list[Finding] = []
    errors: dict[str, FileError] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        path = paths.display(str(item.get("filename", "")))
        code = item.get("code")
        name = str(item.get("name") or "")
        loc = item.get("location") or {}
        row = int(loc.get("row") or 1)
        col = int(loc.get("column") or 1)
        cell = item.get("cell")
        message = " ".join(str(item.get("message", "")).split())
        if code is None or code in _SYNTAX or name in _SYNTAX or code in _UNREADABLE:
            if path not in errors:
                errors[path] = FileError(path, _error_text(code, name, message, row, cell))
            continue
        end = item.get("end_location") or {}
        fix = item.get("fix") if isinstance(item.get("fix"), dict) else None
        physical = None
        if isinstance(cell, int):
            source = sources.get(path)
            if source is not None and source.kind == "notebook":
                physical = source.physical_line(cell - 1, row)
        findings.append(
            Finding(
                rule=str(code),
                name=name or str(code),
                severity=by_prefix(str(code), SEVERITY) or "warning",
                path=path,
                line=row,
                column=col,
                message=message,
                source="ruff",
                cell=cell if isinstance(cell, int) else None,
                fix=str(fix.get("message")) if fix and fix.get("message") else None,
                physical_line=physical,
                end_line=int(end["row"]) if isinstance(end.get("row"), int) else None,
            )
        )
    return findings, list(errors.values())


def _error_text(code: object, name: str, message: str, row: int, cell: object) -> str:
    if code in _UNREADABLE or name in _UNREADABLE:
        return f"ruff cannot read it: {message}"
    where = f"cell {cell}, line {row}" if isinstance(cell, int) else f"line {row}"
    if message.startswith(("Expected a Jupyter Notebook", "This file does not match")):
        return f"not a readable notebook: {message}"
    message = message.removeprefix("SyntaxError: ")
    return f"syntax error: {message} ({where})"


def _stderr_notices(stderr: bytes) -> list[str]:
    out = []
    for line in stderr.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("warning:") and "No Python files found" not in line:
            out.append("ruff: " + line.removeprefix("warning:").strip())
    return out


def run_ruff(
    paths: Sequence[str], config: Config, fix: bool = False, unsafe_fixes: bool = False
) -> RuffResult:
    """Discover files, run ruff once per project configuration, collect the findings."""
    found = discover(paths, config, ["python", "notebook"])
    files = [f for f, _ in found.files]
    report = Report(
        errors=list(found.errors),
        tools=["ruff"],
        files_checked=len(files),
        notices=list(config.notices),
    )
    result = RuffResult(report)
    if not files:
        return result
    binary = ruff_binary()
    bundle = load_bundle(config.section("ruff"))
    groups: dict[Path | None, list[str]] = {}
    seen_dirs: dict[str, Path | None] = {}
    for f in files:
        directory = os.path.dirname(os.path.abspath(f))
        groups.setdefault(config_for_dir(directory, seen_dirs), []).append(f)
    sources = SourceCache()
    findings: list[Finding] = []
    for config_path, group in groups.items():
        args = selection_args(bundle, read_user_ruff(config_path))
        pending = list(chunks(group))
        # Taken once: a run that crashes may already have rewritten some of its files.
        before = {f: digest(f) for f in group} if fix else {}
        while pending:
            batch = pending.pop()
            proc = run_tool(ruff_command(binary, args, batch, fix, unsafe_fixes))
            if proc.returncode < 0:
                # ruff died on some file (a stack overflow on deep nesting aborts the
                # process): halve the batch until the file is found, check the rest.
                if len(batch) > 1:
                    pending += [batch[: len(batch) // 2], batch[len(batch) // 2 :]]
                else:
                    reason = first_lines(proc.stderr or proc.stdout, limit=2)
                    report.errors.append(FileError(batch[0], f"ruff crashed on it: {reason}"))
                continue
            if proc.returncode not in (0, 1):
                raise ToolFailed(f"ruff failed: {first_lines(proc.stderr or proc.stdout)}")
            report.notices.extend(_stderr_notices(proc.stderr))
            pmap = PathMap()
            for f in batch:
                pmap.add(f, f)
            if fix:
                result.changed += [f for f in batch if digest(f) != before[f]]
            batch_findings, batch_errors = parse_output(proc.stdout, pmap, sources)
            findings += batch_findings
            report.errors += batch_errors
    report.findings = apply_config(findings, config, sources)
    if result.changed:
        n = len(result.changed)
        report.notices.append(
            f"ruff fixed {n} file{'s' if n != 1 else ''}: " + ", ".join(result.changed)
        )
    report.sorted()
    return result
