"""Scanning one file: sniff its format, then hand it to the reader for that format."""

from __future__ import annotations

import io
import json
import os
import stat
import struct
from dataclasses import dataclass, field
from typing import IO, Any, cast

from mlvet.artifacts.collect import MAX_NEST, Collector, walk_pickles
from mlvet.artifacts.containers import (
    scan_compressed,
    scan_npy,
    scan_tar,
    scan_torch_legacy,
    scan_zip,
)
from mlvet.artifacts.sniff import HEAD_SIZE, MODEL_EXTS, PICKLE_EXTS, Kind, sniff

NOT_ARTIFACTS: frozenset[str] = frozenset({"other"})
MAX_SAFETENSORS_HEADER = 100 << 20
# A zip inside a stream that cannot seek (a tar member, a decompressed file) is read into
# memory up to this size.
MAX_NESTED_ZIP = 64 << 20
COMPRESSED: frozenset[str] = frozenset({"gzip", "bz2", "xz", "lzma", "zlib", "joblib-zfile", "lz4"})


@dataclass
class FileScan:
    path: str
    size: int = 0
    kind: str = "other"
    col: Collector = field(default_factory=Collector)
    error: str | None = None  # unreadable as a file at all (a FileError)

    @property
    def is_artifact(self) -> bool:
        return self.error is None and self.kind not in NOT_ARTIFACTS


class _Prefixed(io.RawIOBase):
    """A stream with its first bytes already read (after sniffing a non-seekable one)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            data = self.head + self.rest.read()
            self.head = b""
            return data
        if self.head:
            data, self.head = self.head[:n], self.head[n:]
            if len(data) < n:
                data += self.rest.read(n - len(data))
            return data
        return self.rest.read(n)

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


def scan_member(col: Collector, fh: IO[bytes], name: str, size: int) -> None:
    """A member of a zip or tar, or a decompressed stream, of no known role: sniff it."""
    head = fh.read(HEAD_SIZE)
    kind = sniff(head, name, size)
    if col.depth >= MAX_NEST:
        # Wrapping a payload in one more archive must not make it vanish.
        if kind not in ("other", "lfs-pointer", "gguf", "tflite", "safetensors"):
            col.cannot_read(f"containers nested more than {MAX_NEST} deep; not scanned")
        return
    stream = cast(IO[bytes], _Prefixed(head, fh))
    col.depth += 1
    try:
        _dispatch_stream(col, kind, stream, fh, name, size)
    finally:
        col.depth -= 1


def _dispatch_stream(
    col: Collector, kind: Kind, stream: IO[bytes], raw: IO[bytes], name: str, size: int
) -> None:
    if kind == "pickle":
        walk_pickles(col, stream)
    elif kind == "torch-legacy":
        walk_pickles(col, stream, exactly=5)
    elif kind == "npy":
        scan_npy(col, stream, size)
    elif kind == "tar":
        scan_tar(col, stream, scan_member)
    elif kind in COMPRESSED:
        scan_compressed(col, kind, stream, size if size > 0 else 1 << 30, name, scan_member)
    elif kind == "zip":
        if _seekable(raw) and size > 0:
            raw.seek(0)
            scan_zip(col, raw, size, name, scan_member)
        elif size <= MAX_NESTED_ZIP:
            data = stream.read(MAX_NESTED_ZIP + 1)
            if len(data) > MAX_NESTED_ZIP:
                col.cannot_read("nested archive too large to scan")
            else:
                scan_zip(col, io.BytesIO(data), len(data), name, scan_member)
        else:
            col.cannot_read("nested archive too large to scan")
    elif kind == "unknown-model":
        col.cannot_read("unknown format for a model file")


def _seekable(fh: IO[bytes]) -> bool:
    try:
        return bool(fh.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def scan_bytes(col: Collector, data: bytes) -> None:
    """A payload embedded in a pickle (a `pickle.loads` argument, a torch storage blob)."""
    kind = sniff(data[:HEAD_SIZE], "", len(data))
    if kind in ("pickle", "torch-legacy", "zip", "npy"):
        fh = io.BytesIO(data)
        _dispatch_stream(col, kind, fh, fh, "", len(data))


def _scan_safetensors(col: Collector, fh: IO[bytes], size: int) -> None:
    fh.seek(0)
    (n,) = struct.unpack("<Q", fh.read(8))
    if 8 + n > size:
        col.cannot_read(f"truncated safetensors: header of {n} bytes in a {size}-byte file")
        return
    if n > MAX_SAFETENSORS_HEADER:
        return
    try:
        header = json.loads(fh.read(n))
    except (ValueError, RecursionError):
        col.cannot_read("safetensors header is not valid JSON")
        return
    if not isinstance(header, dict):
        col.cannot_read("safetensors header is not a JSON object")
        return
    end = 0
    for key, info in header.items():
        if key == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(x, int) for x in offsets)
        ):
            end = max(end, offsets[1])
    if 8 + n + end > size:
        col.cannot_read(
            f"truncated safetensors: tensors end at byte {8 + n + end}, file has {size}"
        )


def scan_file(path: str) -> FileScan:
    """Read one file (never loading it) and record what it holds."""
    result = FileScan(path)
    try:
        st = os.lstat(path)
    except OSError as exc:
        result.error = f"cannot read: {exc.strerror or exc}"
        return result
    if stat.S_ISLNK(st.st_mode):
        result.error = "is a symbolic link; not followed"
        return result
    if not stat.S_ISREG(st.st_mode):
        result.error = "not a regular file"
        return result
    result.size = st.st_size
    col = result.col
    col.nested_scanner = scan_bytes
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_SIZE)
            kind = sniff(head, path, st.st_size)
            result.kind = kind
            col.kind = kind
            if kind in ("other", "lfs-pointer", "gguf", "tflite"):
                return result
            fh.seek(0)
            _scan_open_file(col, kind, fh, path, st.st_size)
            if kind == "pickle" and _text_after_all(col, head, path):
                result.kind = "other"
                return result
            if (
                kind in COMPRESSED
                and not col.kind.startswith(kind + "+")
                and not col.unreadable
                and not col.unsafe
            ):
                result.kind = "other"  # e.g. data.csv.gz: not an artifact
            else:
                result.kind = col.kind or kind
    except OSError as exc:
        result.error = f"cannot read: {exc.strerror or exc}"
    except (MemoryError, RecursionError) as exc:
        col.cannot_read(f"file exceeds the scanner's limits ({type(exc).__name__})")
    except Exception as exc:  # a reader bug must not hide the file or crash the run
        col.cannot_read(f"scanner failed on this file ({type(exc).__name__}: {exc})")
    return result


def _scan_open_file(col: Collector, kind: Kind, fh: IO[bytes], path: str, size: int) -> None:
    if kind == "zip":
        scan_zip(col, fh, size, path, scan_member)
    elif kind == "torch-legacy":
        scan_torch_legacy(col, fh)
    elif kind == "pickle":
        walk_pickles(col, fh)
    elif kind == "npy":
        scan_npy(col, fh, size)
    elif kind == "tar":
        scan_tar(col, fh, scan_member)
    elif kind in COMPRESSED:
        scan_compressed(col, kind, fh, size, path, scan_member)
    elif kind in ("hdf5", "keras-metadata"):
        from mlvet.artifacts.keras import scan_h5

        scan_h5(col, fh)
        col.kind = kind
    elif kind == "onnx":
        from mlvet.artifacts.onnx import scan_onnx

        scan_onnx(col, fh, size)
    elif kind == "safetensors":
        _scan_safetensors(col, fh, size)
    elif kind == "unknown-model":
        col.cannot_read("unknown format: not a pickle, zip, npy, safetensors, HDF5 or ONNX file")


def _text_after_all(col: Collector, head: bytes, path: str) -> bool:
    """A text file that only started like a protocol-0 pickle (a word list: `cat`, `dog`
    reads as GLOBAL at.dog) and then failed to parse, under a name that promises no
    pickle, is text: forget what the failed parse saw, unless it named real danger."""
    if head[:1] == b"\x80" or not col.unreadable or path.lower().endswith(PICKLE_EXTS + MODEL_EXTS):
        return False
    from mlvet.artifacts.policy import is_dangerous

    if col.unresolved or col.code or col.unsafe or col.ext_codes:
        return False
    if any(is_dangerous(module, name) for _, module, name in col.imports):
        return False
    col.imports.clear()
    col.unreadable.clear()
    return True
