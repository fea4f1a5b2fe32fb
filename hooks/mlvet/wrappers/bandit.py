"""`bandit-ml`: bandit with the bundled ML profile, notebooks included.

Bandit reads only Python files, so each notebook's code cells (magics neutralised line
for line by mlvet.sources) go to a temporary .py file and every result is mapped back
to the notebook, its cell and the line inside the cell. The project's [tool.bandit]
is merged into the profile: its tests are added, its skips win, its exclude_dirs hold.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from mlvet.config import Config, ConfigError, glob_match
from mlvet.discover import discover
from mlvet.findings import FileError, Finding, Report, Severity
from mlvet.sources import Source, SourceError, read_source
from mlvet.wrappers.lint_common import (
    PathMap,
    SourceCache,
    ToolFailed,
    apply_config,
    chunks,
    first_lines,
    missing,
    python_executable,
    python_module_available,
    run_tool,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

PROFILE_FILE = "bandit-ml.yaml"

# Bandit's own severity, then ML-specific adjustments by test id.
LEVEL: dict[str, Severity] = {"HIGH": "error", "MEDIUM": "warning", "LOW": "info"}
SEVERITY: dict[str, Severity] = {
    "B102": "error",  # exec
    "B301": "error",  # pickle
    "B302": "error",  # marshal
    "B307": "error",  # eval
    "B506": "error",  # yaml.load
    "B614": "error",  # torch.load without weights_only
    "B105": "warning",  # hard-coded passwords
    "B106": "warning",
    "B107": "warning",
    "B615": "warning",  # Hugging Face download without a pinned revision
    "B403": "info",  # `import pickle` alone; B301 judges the call
}

# Asserts are fine in tests, and in notebooks (Jupyter never runs with -O).
PER_FILE_IGNORES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("*.ipynb", ("B101",)),
    ("tests", ("B101",)),
    ("test", ("B101",)),
    ("test_*.py", ("B101",)),
    ("*_test.py", ("B101",)),
    ("conftest.py", ("B101",)),
)

# Short hints for the tests ML code meets most; the rest point at bandit's page.
FIX_HINTS = {
    "B101": "raise an exception for checks that must hold in production (-O strips asserts)",
    "B102": "avoid exec on anything built from input; call the code directly",
    "B105": "read the secret from the environment or a secret store",
    "B106": "read the secret from the environment or a secret store",
    "B107": "read the secret from the environment or a secret store",
    "B113": "pass timeout= to every requests call",
    "B202": "extract with filter='data' (Python 3.12+) or check member paths first",
    "B301": "load only trusted files, or store data as safetensors/JSON/npz instead of pickle",
    "B302": "load only trusted files; marshal is not safe for untrusted data",
    "B307": "use ast.literal_eval for literals; never eval model or user output",
    "B403": "make sure every pickle load reads only trusted files",
    "B501": "keep certificate verification on (verify=True)",
    "B506": "use yaml.safe_load (or Loader=yaml.SafeLoader)",
    "B602": "pass a list of arguments without shell=True",
    "B605": "use subprocess with a list of arguments instead of a shell",
    "B608": "use query parameters instead of building SQL from strings",
    "B614": "pass weights_only=True to torch.load (or use safetensors)",
    "B615": "pin revision= to a commit hash",
}

# Bandit names every blacklist result "blacklist"; these are the names of the entries.
BLACKLIST_NAMES = {
    "B301": "pickle",
    "B302": "marshal",
    "B303": "md5",
    "B304": "ciphers",
    "B305": "cipher-modes",
    "B306": "mktemp-q",
    "B307": "eval",
    "B308": "mark-safe",
    "B310": "urllib-urlopen",
    "B311": "random",
    "B312": "telnetlib",
    "B313": "xml-bad-celementtree",
    "B314": "xml-bad-elementtree",
    "B315": "xml-bad-expatreader",
    "B316": "xml-bad-expatbuilder",
    "B317": "xml-bad-sax",
    "B318": "xml-bad-minidom",
    "B319": "xml-bad-pulldom",
    "B321": "ftplib",
    "B323": "unverified-context",
    "B401": "import-telnetlib",
    "B402": "import-ftplib",
    "B403": "import-pickle",
    "B404": "import-subprocess",
    "B405": "import-xml-etree",
    "B406": "import-xml-sax",
    "B407": "import-xml-expat",
    "B408": "import-xml-minidom",
    "B409": "import-xml-pulldom",
    "B411": "import-xmlrpclib",
    "B412": "import-httpoxy",
    "B413": "import-pycrypto",
    "B415": "import-pyghmi",
}


@dataclass(frozen=True)
class UserBandit:
    """The project's [tool.bandit] table (pyproject.toml)."""

    path: Path | None = None
    tests: tuple[str, ...] = ()
    skips: tuple[str, ...] = ()
    exclude_dirs: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


# -- profile and project configuration -------------------------------------------------


@lru_cache(maxsize=1)
def load_profile() -> dict[str, Any]:
    import yaml

    text = resources.files("mlvet.data").joinpath(PROFILE_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return data if isinstance(data, dict) else {}


def _ids(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return ()
    return tuple(str(v).strip().upper() for v in value if str(v).strip())


def find_user_bandit(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.bandit] table, from `start` upwards."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _bandit_table(candidate) is not None:
            return candidate
    return None


def _bandit_table(path: Path) -> dict[str, Any] | None:
    """[tool.bandit] of a pyproject.toml, or the whole of a bandit YAML/TOML file."""
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return None
        return loaded if isinstance(loaded, dict) else None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if path.name != "pyproject.toml":
        return (
            data.get("tool", {}).get("bandit", data) if isinstance(data.get("tool"), dict) else data
        )
    tool = data.get("tool")
    table = tool.get("bandit") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def read_user_bandit(path: Path | None) -> UserBandit:
    if path is None:
        return UserBandit()
    table = _bandit_table(path) or {}
    excludes = table.get("exclude_dirs", table.get("exclude", []))
    options = {
        k: v
        for k, v in table.items()
        if k not in ("tests", "skips", "exclude_dirs", "exclude", "targets", "recursive")
    }
    return UserBandit(
        path=path,
        tests=_ids(table.get("tests", [])),
        skips=_ids(table.get("skips", [])),
        exclude_dirs=tuple(str(e) for e in excludes) if isinstance(excludes, list) else (),
        options=options,
    )


def merged_profile(user: UserBandit) -> dict[str, Any]:
    """Profile tests plus the project's, minus the project's skips; its options win."""
    profile = load_profile()
    tests = list(dict.fromkeys([*_ids(profile.get("tests", [])), *user.tests]))
    skips = set(user.skips)
    merged: dict[str, Any] = {k: v for k, v in profile.items() if k not in ("tests", "skips")}
    for key, value in user.options.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    merged["tests"] = [t for t in tests if t not in skips]
    return merged


def is_excluded_dir(path: str, excludes: Sequence[str], root: Path) -> bool:
    """bandit's exclude_dirs: a folder (relative to the pyproject's folder, or a name
    anywhere in the path) or a glob."""
    if not excludes:
        return False
    absolute = Path(os.path.abspath(path))
    try:
        rel = absolute.relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = Path(path).as_posix()
    for raw in excludes:
        entry = raw.strip().replace("\\", "/").rstrip("/")
        if entry.startswith("./"):
            entry = entry[2:]
        if not entry:
            continue
        if os.path.isabs(entry):
            if str(absolute).startswith(entry.rstrip("/") + "/"):
                return True
            continue
        if any(c in entry for c in "*?["):
            if glob_match(entry, rel):
                return True
            continue
        if rel == entry or rel.startswith(entry + "/") or f"/{entry}/" in f"/{rel}":
            return True
    return False


# -- notebooks -> temporary Python files ----------------------------------------------


def notebook_code(source: Source) -> tuple[str, list[str]]:
    """The notebook's joined code; cells that do not parse are blanked (and named)."""
    try:
        ast.parse(source.text)
        return source.text, []
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    lines = source.text.split("\n")
    problems: list[str] = []
    for cell in source.cells:
        lo, hi = cell.start - 1, cell.start - 1 + cell.length
        try:
            ast.parse("\n".join(lines[lo:hi]))
        except SyntaxError as exc:
            where = f" (line {exc.lineno})" if exc.lineno else ""
            problems.append(f"cell {cell.index}: syntax error: {exc.msg}{where}")
            lines[lo:hi] = [""] * (hi - lo)
        except (ValueError, RecursionError, MemoryError) as exc:
            problems.append(f"cell {cell.index}: cannot parse ({type(exc).__name__})")
            lines[lo:hi] = [""] * (hi - lo)
    return "\n".join(lines), problems


# -- running bandit --------------------------------------------------------------------


def bandit_command(config_file: str, out_file: str, files: Sequence[str]) -> list[str]:
    return [
        python_executable(),
        "-m",
        "bandit",
        "-q",
        "-f",
        "json",
        "-o",
        out_file,
        "-c",
        config_file,
        "--",
        *files,
    ]


def _severity(test_id: str, level: str) -> Severity:
    return SEVERITY.get(test_id, LEVEL.get(level.upper(), "warning"))


def _name(test_id: str, test_name: str) -> str:
    if test_id in BLACKLIST_NAMES:
        return BLACKLIST_NAMES[test_id]
    return (test_name or test_id).replace("_", "-").lower()


def char_column(text: str, line: int, byte_col: int) -> int:
    """ast (and so bandit) counts columns in UTF-8 bytes; users count characters."""
    if byte_col <= 0:
        return max(byte_col, 0)
    lines = _split(text)
    if not 0 < line <= len(lines) or lines[line - 1].isascii():
        return byte_col
    return len(lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", "ignore"))


@lru_cache(maxsize=16)
def _split(text: str) -> list[str]:
    # A str caches its hash, so looking the same text up again is cheap.
    return text.split("\n")


def to_finding(item: Mapping[str, Any], path: str, source: Source | None) -> Finding:
    """One bandit result -> a Finding; notebook lines go back to cell and cell line."""
    test_id = str(item.get("test_id", "B000"))
    line = int(item.get("line_number") or 1)
    col = int(item.get("col_offset") or 0)
    line_range = item.get("line_range") or [line]
    end = max((v for v in line_range if isinstance(v, int)), default=line)
    if source is not None:
        col = char_column(source.text, line, col)
    cell: int | None = None
    physical: int | None = None
    column = col + 1
    end_line: int | None = end
    if source is not None and source.kind == "notebook":
        loc = source.locate(line, col)
        end_loc = source.locate(end, 0)
        line, column, cell, physical = loc.line, loc.column, loc.cell, loc.physical_line
        end_line = end_loc.line if end_loc.cell == cell else line
    cwe = item.get("issue_cwe") if isinstance(item.get("issue_cwe"), dict) else {}
    text = " ".join(str(item.get("issue_text", "")).split())
    if test_id in _PASSWORD_TESTS:
        text = redact_quoted(text)
    confidence = str(item.get("issue_confidence", "")).lower()
    extra = []
    if confidence:
        extra.append(f"confidence: {confidence}")
    if cwe and cwe.get("id"):
        extra.append(f"CWE-{cwe['id']}")
    message = text + (f" ({', '.join(extra)})" if extra else "")
    more = item.get("more_info")
    return Finding(
        rule=test_id,
        name=_name(test_id, str(item.get("test_name", ""))),
        severity=_severity(test_id, str(item.get("issue_severity", ""))),
        path=path,
        line=line,
        column=column,
        message=message,
        source="bandit",
        cell=cell,
        fix=FIX_HINTS.get(test_id) or (f"see {more}" if isinstance(more, str) and more else None),
        physical_line=physical,
        end_line=end_line,
    )


_PASSWORD_TESTS = frozenset({"B105", "B106", "B107"})
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def redact_quoted(text: str) -> str:
    """Bandit quotes the suspected password; show at most its first 4 characters."""
    return _QUOTED.sub(
        lambda m: "'" + m.group(1)[:4] + "…'" if len(m.group(1)) > 4 else "'…'", text
    )


def _parse_error(path: str, reason: str) -> str:
    """Say why a file did not parse in our own words where we can."""
    try:
        source = read_source(path)
        ast.parse(source.text)
    except SourceError as exc:
        return str(exc)
    except SyntaxError as exc:
        return f"syntax error: {exc.msg} (line {exc.lineno})"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"cannot parse ({type(exc).__name__})"
    return f"bandit could not check it: {' '.join(reason.split())}"


def run_bandit(paths: Sequence[str], config: Config) -> Report:
    """Discover files, run bandit with the merged profile, map results back."""
    found = discover(paths, config, ["python", "notebook"])
    files = [(f, k) for f, k in found.files if not f.lower().endswith(".pyi")]
    report = Report(errors=list(found.errors), tools=["bandit"], notices=list(config.notices))
    start = _common_folder([f for f, _ in files]) if files else Path.cwd()
    user = read_user_bandit(_user_config_path(config, start))
    if user.exclude_dirs and user.path is not None:
        files = [
            (f, k) for f, k in files if not is_excluded_dir(f, user.exclude_dirs, user.path.parent)
        ]
    report.files_checked = len(files)
    if not files:
        return report
    if not python_module_available("bandit"):
        raise missing("bandit")
    import yaml

    sources = SourceCache()
    pmap = PathMap()
    by_tool_path: dict[str, Source] = {}
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="mlvet-bandit-") as tmp:
        config_file = os.path.join(tmp, "bandit.yaml")
        with open(config_file, "w", encoding="utf-8") as fh:
            yaml.safe_dump(merged_profile(user), fh, sort_keys=False)
        targets: list[str] = []
        for i, (path, kind) in enumerate(files):
            if kind != "notebook":
                too_big = _too_large(path)
                if too_big:  # bandit would take minutes on it (and mlvet check refuses it)
                    report.errors.append(FileError(path, too_big))
                    continue
                targets.append(path)
                pmap.add(path, path)
                continue
            try:
                source = read_source(path)
            except SourceError as exc:
                report.errors.append(FileError(path, str(exc)))
                continue
            sources.put(source)
            if not source.is_python or not source.cells:
                continue
            code, problems = notebook_code(source)
            if problems:  # one line per file, however many cells are broken
                report.errors.append(FileError(path, "; ".join(problems)))
            temp = os.path.join(tmp, f"nb{i}_{Path(path).stem[:40]}.py")
            with open(temp, "w", encoding="utf-8") as fh:
                fh.write(code)
            targets.append(temp)
            pmap.add(temp, path)
            for key in _keys(temp):
                by_tool_path[key] = source
        for n, batch in enumerate(chunks(targets)):
            out_file = os.path.join(tmp, f"out{n}.json")
            proc = run_tool(bandit_command(config_file, out_file, batch))
            data = _read_output(out_file, proc.stderr or proc.stdout)
            for err in data.get("errors", []):
                if isinstance(err, dict):
                    path = pmap.display(str(err.get("filename", "")))
                    report.errors.append(
                        FileError(path, _parse_error(path, str(err.get("reason", ""))))
                    )
            for item in data.get("results", []):
                if not isinstance(item, dict):
                    continue
                reported = str(item.get("filename", ""))
                path = pmap.display(reported)
                nb = next((by_tool_path[k] for k in _keys(reported) if k in by_tool_path), None)
                findings.append(to_finding(item, path, nb or sources.get(path)))
    report.findings = apply_config(findings, config, sources, PER_FILE_IGNORES)
    return report.sorted()


def _too_large(path: str) -> str | None:
    from mlvet import sources

    try:
        size = os.path.getsize(path)
    except OSError:
        return None  # bandit reports what it cannot read
    limit = sources.MAX_SOURCE_BYTES
    return f"too large to check ({size} bytes; limit {limit})" if size > limit else None


def _user_config_path(config: Config, start: Path) -> Path | None:
    """`[tool.mlvet.bandit] config = "bandit.yaml"` names the file; else [tool.bandit]."""
    named = config.section("bandit").get("config")
    if isinstance(named, str) and named:
        path = Path(named)
        if not path.is_absolute():
            path = config.root / path
        if not path.is_file() or _bandit_table(path) is None:
            raise ConfigError(f"{named}: bandit configuration not found or not readable")
        return path
    return find_user_bandit(start)


def _keys(path: str) -> list[str]:
    from mlvet.wrappers.lint_common import path_keys

    return path_keys(path)


def _common_folder(files: Sequence[str]) -> Path:
    try:
        common = Path(os.path.commonpath([os.path.abspath(f) for f in files]))
    except ValueError:
        return Path.cwd()
    return common if common.is_dir() else common.parent


def _read_output(out_file: str, stderr: bytes) -> dict[str, Any]:
    try:
        with open(out_file, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ToolFailed(f"bandit failed: {first_lines(stderr)}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ToolFailed(f"bandit wrote unreadable JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ToolFailed("bandit wrote unexpected JSON (not an object)")
    return data
