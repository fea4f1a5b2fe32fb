"""Files as text segments for the secret scan: a whole file, or a notebook's cells and
their outputs (text outputs only; image data is skipped), each with a way back to a
cell, a line in it and the physical line of the .ipynb file."""

from __future__ import annotations

import bisect
import errno
import json
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any, Literal

from mlvet.sources import MAX_NOTEBOOK_BYTES, SourceError, json_string_lines, load_notebook

MAX_TEXT_BYTES = 20 * 1024 * 1024
_SNIFF = 8192

# Never text: skipped without being opened.
_BINARY = (
    ".png .jpg .jpeg .gif .bmp .ico .webp .tif .tiff .pdf .zip .gz .tgz .bz2 .xz .7z .tar "
    ".whl .egg .so .dylib .dll .exe .bin .pt .pth .ckpt .safetensors .onnx .h5 .hdf5 .pkl "
    ".pickle .joblib .npy .npz .parquet .feather .arrow .pb .tflite .mp3 .mp4 .wav .avi "
    ".mov .woff .woff2 .ttf .otf .eot .pyc .pyo .class .jar .db .sqlite .sqlite3 .msgpack "
    ".gguf .ggml .mlmodel .keras .tfrecord .lmdb .jpg2 .heic"
)
BINARY_SUFFIXES = frozenset(_BINARY.split())
# Output mime types that carry text a person or program printed.
_TEXT_MIMES = (
    "text/plain",
    "text/html",
    "text/markdown",
    "text/latex",
    "application/json",
    "application/javascript",
    "text/x-python",
)

SegmentKind = Literal["file", "source", "output"]


class Skip(Exception):
    """Not text (binary): left out without an error, as detect-secrets does."""


@dataclass
class Segment:
    text: str
    kind: SegmentKind = "file"
    cell: int | None = None  # 1-based among all cells
    # Path of the JSON string (list) holding this text, for physical .ipynb lines.
    json_path: tuple[Any, ...] = ()
    output: int | None = None  # 1-based output number inside the cell
    _starts: list[int] = field(default_factory=list)

    def line_col(self, offset: int) -> tuple[int, int]:
        """0-based offset -> (1-based line, 1-based column)."""
        if not self._starts:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        i = bisect.bisect_right(self._starts, offset) - 1
        return i + 1, offset - self._starts[i] + 1

    def line_text(self, line: int) -> str:
        if not self._starts:
            self.line_col(0)
        if not 0 < line <= len(self._starts):
            return ""
        start = self._starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end != -1 else len(self.text)]


@dataclass
class TextFile:
    path: str
    segments: list[Segment]
    raw: str | None = None  # notebook JSON text, for physical lines
    error: str | None = None  # a notebook that is not valid JSON (scanned as text)
    _physical: dict[tuple[Any, ...], list[int]] | None = None

    def physical_line(self, seg: Segment, line: int) -> int | None:
        if self.raw is None or not seg.json_path:
            return None
        if self._physical is None:
            self._physical = json_string_lines(self.raw)
        rows = self._physical.get(seg.json_path)
        if not rows:
            return None
        return rows[min(line, len(rows)) - 1]


def decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # secrets are ASCII; nothing is lost for them


def read_text_file(path: str) -> TextFile:
    """Raises Skip for binary files and SourceError for unreadable ones."""
    lower = path.lower()
    suffix = os.path.splitext(lower)[1]
    if suffix in BINARY_SUFFIXES:
        raise Skip(path)
    try:
        if os.path.islink(path) and not os.path.exists(path):
            raise SourceError("broken symbolic link")
        if os.path.isdir(path):
            raise SourceError("is a directory")
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise SourceError("not a regular file")  # a FIFO would block the read for ever
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF)
            if b"\0" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
                # Binary data where source or a notebook should be is junk worth naming;
                # any other binary file is simply not text.
                if suffix in (".py", ".pyi", ".pyw"):
                    raise SourceError("binary file, not Python source (contains NUL bytes)")
                if suffix == ".ipynb":
                    raise SourceError("binary file, not a notebook (contains NUL bytes)")
                raise Skip(path)
            size = os.fstat(fh.fileno()).st_size
            # Notebooks carry outputs: the same limit as every other command reads them up to.
            limit = MAX_NOTEBOOK_BYTES if suffix == ".ipynb" else MAX_TEXT_BYTES
            if size > limit:
                raise SourceError(f"too large to scan ({size} bytes; limit {limit})")
            data = head + fh.read()
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except PermissionError:
        raise SourceError("permission denied") from None
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SourceError("symbolic link loop") from None
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None
    if lower.endswith(".ipynb"):
        try:
            return notebook_segments(path, data)
        except SourceError as exc:
            # Still scan it as text: a broken notebook may hold a token all the same.
            return TextFile(path, [Segment(decode_text(data))], error=str(exc))
    return TextFile(path, [Segment(decode_text(data))])


def _joined(value: Any) -> str:
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


# Terminal colour codes and hyperlinks: IPython paints every token of a traceback, and
# `\x1b[43mhf_...` would hide the token's start. Removing them keeps every line break.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def _plain(text: str) -> str:
    return _ANSI.sub("", text) if "\x1b" in text else text


def notebook_segments(path: str, data: bytes) -> TextFile:
    nb, raw = load_notebook(data)
    segments: list[Segment] = []
    for pos, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict):
            continue
        index = pos + 1
        segments.append(
            Segment(_joined(cell.get("source")), "source", index, ("cells", pos, "source"))
        )
        outputs = cell.get("outputs")
        if not isinstance(outputs, list):
            continue
        for k, out in enumerate(outputs):
            if not isinstance(out, dict):
                continue
            base: tuple[Any, ...] = ("cells", pos, "outputs", k)
            if "text" in out:
                segments.append(
                    Segment(_plain(_joined(out["text"])), "output", index, (*base, "text"), k + 1)
                )
            if isinstance(out.get("traceback"), list):
                segments.append(
                    Segment(
                        _plain("\n".join(_joined(t) for t in out["traceback"])),
                        "output",
                        index,
                        (*base, "traceback"),
                        k + 1,
                    )
                )
            data_map = out.get("data")
            if isinstance(data_map, dict):
                for mime, value in data_map.items():
                    if mime in _TEXT_MIMES or mime.endswith("+json"):
                        text = value if isinstance(value, (str, list)) else json.dumps(value)
                        segments.append(
                            Segment(
                                _plain(_joined(text)), "output", index, (*base, "data", mime), k + 1
                            )
                        )
    return TextFile(path, segments, raw=raw)
