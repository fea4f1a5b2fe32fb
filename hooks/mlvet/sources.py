"""Reading .py files and notebooks into Python text plus a map back to the file.

A notebook's code cells are joined into one module (the whole notebook is one file for
the rules) with IPython syntax neutralised line for line, so line numbers stay right.
"""

from __future__ import annotations

import ast
import bisect
import io
import json
import os
import re
import stat
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

MAX_SOURCE_BYTES = 20 * 1024 * 1024
# Notebooks carry their outputs (images, tables): allow far more before refusing.
MAX_NOTEBOOK_BYTES = 256 * 1024 * 1024

SourceKind = Literal["python", "notebook"]


class SourceError(Exception):
    """The file cannot be read as Python or as a notebook (one-line reason)."""


@dataclass(frozen=True)
class CellSpan:
    index: int  # 1-based among all cells, markdown included
    position: int  # 0-based index in the notebook's cell list
    start: int  # 1-based line in the joined text where this cell begins
    length: int  # number of lines


@dataclass
class Location:
    line: int
    column: int
    cell: int | None = None
    physical_line: int | None = None


@dataclass
class Source:
    path: str
    kind: SourceKind
    text: str  # Python text to parse (notebooks: code cells joined, magics neutralised)
    # The original lines, as the user wrote them (suppression comments, snippets); for a
    # .py file split from `text` on first use, since most files never need them.
    lines: list[str] | None
    cells: list[CellSpan] = field(default_factory=list)
    notebook: dict[str, Any] | None = None
    raw: str | None = None  # the .ipynb text, for physical line numbers
    # Per joined line: how many characters a neutralised magic prefix removed.
    col_shift: dict[int, int] = field(default_factory=dict)
    is_python: bool = True  # False for notebooks of another kernel language
    _physical: dict[int, list[int]] | None = None

    def line_text(self, line: int) -> str:
        lines = self.lines
        if lines is None:
            lines = self.lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def locate(self, line: int, column: int) -> Location:
        """Joined-text position (1-based line, 0-based column) -> user-facing location."""
        column = column + self.col_shift.get(line, 0) + 1
        if self.kind == "python":
            return Location(line, column)
        starts = [c.start for c in self.cells]
        i = bisect.bisect_right(starts, line) - 1
        if i < 0:
            return Location(line, column)
        cell = self.cells[i]
        in_cell = line - cell.start + 1
        return Location(in_cell, column, cell.index, self.physical_line(cell.position, in_cell))

    def physical_line(self, position: int, line_in_cell: int) -> int | None:
        if self.raw is None:
            return None
        if self._physical is None:
            self._physical = notebook_source_lines(self.raw)
        rows = self._physical.get(position)
        if not rows:
            return None
        return rows[min(line_in_cell, len(rows)) - 1]


def read_bytes(path: str | Path) -> bytes:
    try:
        try:
            info = os.stat(path)  # one system call on the common path: every file pays it
        except FileNotFoundError:
            if os.path.islink(path):
                raise SourceError("broken symbolic link") from None
            raise
        if stat.S_ISDIR(info.st_mode):
            raise SourceError("is a directory")
        if not stat.S_ISREG(info.st_mode):  # a named pipe or device would block or never end
            raise SourceError("not a regular file")
        size = info.st_size
        limit = MAX_NOTEBOOK_BYTES if _is_notebook(os.fspath(path)) else MAX_SOURCE_BYTES
        if size > limit:
            raise SourceError(f"too large to check ({size} bytes; limit {limit})")
        with open(path, "rb", buffering=0) as f:  # one read of the whole file, no buffer copy
            return f.read()
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except PermissionError:
        raise SourceError("permission denied") from None
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None


def _is_notebook(path: str) -> bool:
    return os.path.splitext(path)[1].lower() == ".ipynb"


def decode_python(data: bytes) -> str:
    if b"\0" in data:
        raise SourceError("binary file, not Python source (contains NUL bytes)")
    # Without a coding cookie in the first two lines the encoding is UTF-8: skip the
    # tokenizer's line-by-line reading (every file pays it). Anything odd takes the full
    # path below, so its errors read the same.
    if b"coding" not in data[: data.find(b"\n", data.find(b"\n") + 1) + 1 or len(data)]:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        # detect_encoding also raises this for undeclared non-UTF-8 bytes in line 1-2.
        if "missing encoding declaration" in str(exc):
            raise SourceError("not valid utf-8 text (no encoding declaration)") from None
        raise SourceError(f"bad encoding declaration: {exc}") from None
    try:
        return data.decode(encoding if encoding != "utf-8" else "utf-8-sig")
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"not valid {encoding} text ({_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
    return str(exc)


def read_source(path_str: str) -> Source:
    data = read_bytes(path_str)
    if _is_notebook(path_str):
        return notebook_source(path_str, data)
    text = decode_python(data)
    return Source(path=path_str, kind="python", text=text, lines=None)


# -- notebooks -------------------------------------------------------------------------


def load_notebook(data: bytes) -> tuple[dict[str, Any], str]:
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"notebook is not UTF-8 ({_reason(exc)})") from None
    if not raw.strip():
        raise SourceError("empty file, not a notebook")
    try:
        nb = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:
        raise SourceError("not valid JSON: nested too deeply") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise SourceError("not a Jupyter notebook (no `cells` list)")
    if nb.get("nbformat") != 4:
        raise SourceError(f"unsupported notebook format {nb.get('nbformat')!r} (need nbformat 4)")
    return nb, raw


def cell_source(cell: Any) -> str:
    if not isinstance(cell, dict):
        return ""
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def notebook_language(nb: dict[str, Any]) -> str:
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    for key in ("kernelspec", "language_info"):
        sub = meta.get(key)
        if isinstance(sub, dict):
            lang = sub.get("language") if key == "kernelspec" else sub.get("name")
            if isinstance(lang, str) and lang:
                return lang.lower()
    return "python"


def notebook_source(path_str: str, data: bytes) -> Source:
    nb, raw = load_notebook(data)
    is_python = notebook_language(nb) in ("python", "python3", "ipython", "ipython3")
    out_lines: list[str] = []
    orig_lines: list[str] = []
    cells: list[CellSpan] = []
    col_shift: dict[int, int] = {}
    for position, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = cell_source(cell)
        lines = text.splitlines() or [""]
        start = len(out_lines) + 1
        cells.append(CellSpan(position + 1, position, start, len(lines)))
        code_lines, shifts = neutralise_magics(lines) if is_python else ([""] * len(lines), {})
        for offset, shift in shifts.items():
            col_shift[start + offset] = shift
        out_lines.extend(code_lines)
        orig_lines.extend(lines)
    return Source(
        path=path_str,
        kind="notebook",
        text="\n".join(out_lines) + "\n",
        lines=orig_lines,
        cells=cells,
        notebook=nb,
        raw=raw,
        col_shift=col_shift,
        is_python=is_python,
    )


# Magics whose argument is a Python statement we still want to check.
_TIMING_LINE = re.compile(r"^(\s*)%(?:time|timeit|prun)\b(?:\s+-\S+(?:\s+\d+)?)*\s+(?=\S)")
_TIMING_CELL = re.compile(r"^\s*%%(?:time|timeit|prun|capture|debug)\b")
_ASSIGN_MAGIC = re.compile(r"^(\s*[\w.,\s\[\]()*]+?=\s*)[!%]")
_MAGIC_START = re.compile(r"^(\s*)(?:[!%]|\?)")
_HELP_END = re.compile(r"^(\s*)[\w.\[\]()]+\?\??\s*$")


def neutralise_magics(lines: list[str]) -> tuple[list[str], dict[int, int]]:
    """IPython syntax -> equivalent-length Python; keeps line count (and indent)."""
    if lines and lines[0].lstrip().startswith("%%"):
        if _TIMING_CELL.match(lines[0]):
            body, shifts = _neutralise_lines(lines[1:], 1)
            return ["", *body], shifts
        return [""] * len(lines), {}  # %%bash, %%writefile...: not Python
    return _neutralise_lines(lines, 0)


def _neutralise_lines(lines: list[str], base: int) -> tuple[list[str], dict[int, int]]:
    out: list[str] = []
    shifts: dict[int, int] = {}
    for i, line in enumerate(lines):
        m = _TIMING_LINE.match(line)
        if m:
            out.append(m.group(1) + line[m.end() :])
            shifts[base + i] = m.end() - len(m.group(1))
            continue
        m = _ASSIGN_MAGIC.match(line)
        if m and not line.lstrip().startswith("#"):
            out.append(m.group(1) + "None")
            continue
        m = _MAGIC_START.match(line) or _HELP_END.match(line)
        if m:
            out.append(m.group(1) + "pass")
            continue
        out.append(line)
    return out, shifts


def parse_source(source: Source) -> tuple[ast.Module, list[str]]:
    """Parse once. Notebooks: a broken cell is dropped (and named), the rest is checked.

    Raises SourceError for a script that does not parse.
    """
    try:
        return ast.parse(source.text, filename=source.path), []
    except SyntaxError as exc:
        if source.kind == "python":
            where = f" (line {exc.lineno})" if exc.lineno else ""
            raise SourceError(f"syntax error: {exc.msg}{where}") from None
    except (RecursionError, MemoryError) as exc:
        raise SourceError(f"too deeply nested to parse ({type(exc).__name__})") from None
    except ValueError as exc:  # NUL bytes: Python 3.10 raises this, later ones SyntaxError
        if source.kind == "python":
            raise SourceError(f"cannot parse: {exc}") from None
    # A notebook with a broken cell: parse cell by cell.
    body: list[ast.stmt] = []
    problems: list[str] = []
    text_lines = source.text.split("\n")
    for cell in source.cells:
        chunk = "\n".join(text_lines[cell.start - 1 : cell.start - 1 + cell.length])
        try:
            mod = ast.parse(chunk)
        except SyntaxError as exc:
            where = f" (line {exc.lineno})" if exc.lineno else ""
            problems.append(f"cell {cell.index}: syntax error: {exc.msg}{where}")
            continue
        except ValueError as exc:
            problems.append(f"cell {cell.index}: cannot parse: {exc}")
            continue
        except (RecursionError, MemoryError) as exc:
            problems.append(f"cell {cell.index}: cannot parse ({type(exc).__name__})")
            continue
        ast.increment_lineno(mod, cell.start - 1)
        body.extend(mod.body)
    return ast.Module(body=body, type_ignores=[]), problems


# -- physical lines of notebook sources ------------------------------------------------

# Unrolled (runs of plain characters, then one escape): the same strings as
# '"(?:[^"\\]|\\.)*"' but about 8x faster on notebooks with large outputs.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_WS = re.compile(r"[ \t\r\n]*")
_SCALAR = re.compile(r"-?[0-9][0-9eE.+-]*|true|false|null")


def notebook_source_lines(raw: str) -> dict[int, list[int]]:
    """cell position -> physical (1-based) line of each source line in the .ipynb text.

    Returns {} for anything it does not understand (callers then fall back to
    cell-relative lines).
    """
    return {
        path[1]: rows
        for path, rows in json_string_lines(raw).items()
        if len(path) == 3
        and path[0] == "cells"
        and path[2] == "source"
        and isinstance(path[1], int)
    }


def json_string_lines(raw: str) -> dict[tuple[Any, ...], list[int]]:
    """JSON path of each string (or list of strings) -> physical line of each element.

    A single string holding several lines maps every line to where the string starts.
    Follows the structure with a small scanner because json.loads keeps no positions.
    Returns {} for text it does not understand.
    """
    starts = [0] + [m.end() for m in re.finditer("\n", raw)]
    result: dict[tuple[Any, ...], list[int]] = {}

    def line_of(p: int) -> int:
        return bisect.bisect_right(starts, p)

    def ws(p: int) -> int:
        m = _WS.match(raw, p)
        return m.end() if m else p

    def value(p: int, path: tuple[Any, ...]) -> int:
        p = ws(p)
        c = raw[p : p + 1]
        if c == "{":
            p = ws(p + 1)
            if raw.startswith("}", p):
                return p + 1
            while True:
                m = _STRING.match(raw, ws(p))
                if not m:
                    raise ValueError
                key = json.loads(m.group(0))
                p = ws(m.end())
                if not raw.startswith(":", p):
                    raise ValueError
                p = ws(value(p + 1, (*path, key)))
                if raw.startswith(",", p):
                    p += 1
                elif raw.startswith("}", p):
                    return p + 1
                else:
                    raise ValueError
        if c == "[":
            p = ws(p + 1)
            if raw.startswith("]", p):
                return p + 1
            i = 0
            while True:
                p = ws(value(p, (*path, i)))
                i += 1
                if raw.startswith(",", p):
                    p += 1
                elif raw.startswith("]", p):
                    return p + 1
                else:
                    raise ValueError
        if c == '"':
            m = _STRING.match(raw, p)
            if not m:
                raise ValueError
            line = line_of(p)
            if path and isinstance(path[-1], int):
                result.setdefault(path[:-1], []).append(line)
            else:
                result[path] = [line] * (m.group(0).count("\\n") + 1)
            return m.end()
        m = _SCALAR.match(raw, p)
        if not m:
            raise ValueError
        return m.end()

    try:
        value(0, ())
    except (ValueError, RecursionError, IndexError):
        return {}
    return result
