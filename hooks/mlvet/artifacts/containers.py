"""Readers for the containers pickles hide in: zip (PyTorch, npz, Keras), tar (old torch
checkpoints), `.npy` headers, compressed joblib dumps, and the legacy torch sequence.

Every reader streams with bounds: tensor data is never read, sizes are checked before
anything is decompressed, and decompression stops at a cap.
"""

from __future__ import annotations

import ast
import bz2
import contextlib
import gzip
import importlib
import importlib.util
import io
import itertools
import lzma
import os
import re
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from typing import IO, Any, cast

from mlvet.artifacts.collect import Collector, walk_pickles
from mlvet.artifacts.pickles import Global, PickleError, PickleReader
from mlvet.artifacts.sniff import HEAD_SIZE, sniff

# Zip and tar bounds.
MAX_MEMBERS = 100_000
MAX_CENTRAL_DIRECTORY = 64 << 20
MAX_DECLARED_MEMBER = 1 << 40  # 1 TiB: no model member is that large
BOMB_RATIO = 200  # compressed members expanding more than this ...
BOMB_MIN_SIZE = 1 << 30  # ... to more than this are bombs (a zero-filled mask may be small)
TOTAL_RATIO = 1000
MAX_NPY_HEADER = 1 << 20
MAX_JSON = 64 << 20
# Decompressed stream cap: generous for zero-filled arrays, bounded for bombs.
DECOMPRESS_RATIO = 1024
DECOMPRESS_FLOOR = 1 << 30
DECOMPRESS_CEILING = 16 << 30

# A member scanner: (collector, member file object, member name, size) -> None.
MemberScan = Callable[[Collector, IO[bytes], str, int], None]


class BombError(Exception):
    """A compressed stream expanded past its cap."""


class BoundedStream(io.RawIOBase):
    """A read-only stream that decompresses with a cap on the total output."""

    def __init__(self, source: IO[bytes], cap: int) -> None:
        self.source = source
        self.cap = cap
        self.total = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = 1 << 20
        data = self.source.read(min(n, 1 << 24))
        self.total += len(data)
        if self.total > self.cap:
            raise BombError(f"decompresses to more than {self.cap // (1 << 20)} MB")
        return data

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


class ZlibStream(io.RawIOBase):
    """A raw zlib stream read incrementally, never expanding more than asked for."""

    def __init__(self, source: IO[bytes], skip: int = 0) -> None:
        self.source = source
        self.d = zlib.decompressobj()
        self.done = False
        self.first = b""
        if skip:
            source.read(skip)
            nxt = source.read(1)
            self.first = b"" if nxt == b" " else nxt

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = 1 << 20
        out = []
        want = n
        while want > 0 and not self.done:
            if self.d.unconsumed_tail:
                chunk = self.d.decompress(self.d.unconsumed_tail, want)
            else:
                raw = self.first + self.source.read(1 << 16)
                self.first = b""
                if not raw:
                    self.done = True
                    chunk = self.d.flush()
                else:
                    chunk = self.d.decompress(raw, want)
            if self.d.eof:
                self.done = True
            out.append(chunk)
            want -= len(chunk)
        return b"".join(out)

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


# -- names and paths -------------------------------------------------------------------


def unsafe_name(name: str) -> str | None:
    """Why an archive member name is unsafe to extract, or None."""
    if "\x00" in name:
        return "has a NUL byte in its name"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm) or norm.startswith("//"):
        return "has an absolute path"
    if ".." in norm.split("/"):
        return "climbs out of the archive with '..'"
    return None


def _shown(name: str) -> str:
    text = name if name.isprintable() else name.encode("unicode_escape").decode("ascii")
    return repr(text[:200])


# -- zip -------------------------------------------------------------------------------


def _zip_entry_count(fh: IO[bytes], size: int) -> tuple[int, int] | None:
    """(entries, central directory size) from the end record, zip64 aware; None if absent."""
    tail_len = min(size, 65536 + 22)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    _, _, _, _, entries, cd_size, _, _ = struct.unpack_from("<4s4H2LH", tail, at)
    loc = tail.rfind(b"PK\x06\x07", 0, at)
    if loc >= 0 and loc + 20 <= len(tail):
        (z64_offset,) = struct.unpack_from("<Q", tail, loc + 8)
        if 0 <= z64_offset < size - 56:
            fh.seek(z64_offset)
            rec = fh.read(56)
            if rec[:4] == b"PK\x06\x06":
                entries = struct.unpack_from("<Q", rec, 32)[0]
                cd_size = struct.unpack_from("<Q", rec, 40)[0]
    return entries, cd_size


# Tensor storages of a torch zip (`<folder>/data/<key>`); other members (extra files
# someone added) are sniffed like any archive member.
_TORCH_TENSOR_MEMBER = re.compile(r"[^/]+/data/[^/]+")


def is_torch_zip(names: list[str]) -> bool:
    return any(re.fullmatch(r"[^/]+/(?:data|constants)\.pkl", n) for n in names) or any(
        re.fullmatch(r"[^/]+/\.data/version", n) for n in names
    )


def scan_zip(col: Collector, fh: IO[bytes], size: int, name: str, member_scan: MemberScan) -> None:
    """Check a zip's members (names, sizes, overlaps) and scan the pickles inside."""
    try:
        counts = _zip_entry_count(fh, size)
        fh.seek(0)
    except (OSError, ValueError) as exc:
        col.cannot_read(f"cannot read zip: {exc}")
        return
    if counts is None:
        col.cannot_read("corrupt zip: no end-of-archive record (truncated?)")
        return
    entries, cd_size = counts
    if entries > MAX_MEMBERS or cd_size > MAX_CENTRAL_DIRECTORY:
        col.unsafe_member(
            f"zip declares {entries} members ({cd_size} bytes of directory): "
            "too many to be a model archive (zip bomb?)"
        )
        return
    try:
        zf = zipfile.ZipFile(fh)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        ValueError,
        EOFError,
        NotImplementedError,
        struct.error,
    ) as exc:
        col.cannot_read(f"corrupt zip: {exc}")
        return
    with zf:
        infos = zf.infolist()
        if not _zip_members_safe(col, infos, size):
            return
        names = [i.filename for i in infos]
        torch_zip = is_torch_zip(names)
        keras = any(n == "config.json" for n in names) and (
            name.lower().endswith(".keras")
            or "metadata.json" in names
            or any(n.endswith(".weights.h5") for n in names)
        )
        if keras:
            col.kind = "keras"
        elif torch_zip:
            col.kind = "torch-zip"
        elif names and all(n.endswith(".npy") for n in names if not n.endswith("/")):
            col.kind = "npz"
        for info in infos:
            if info.is_dir() or unsafe_name(info.filename):
                continue
            lower = info.filename.lower()
            if torch_zip and _TORCH_TENSOR_MEMBER.fullmatch(info.filename):
                continue  # tensor data: never read
            if keras and lower.endswith(".h5"):
                continue  # weights only; the config is config.json
            with col.inside(info.filename):
                _scan_zip_member(col, zf, info, keras, member_scan)


def _zip_members_safe(col: Collector, infos: list[zipfile.ZipInfo], size: int) -> bool:
    """ML405 checks on names, declared sizes and overlapping entries."""
    ok = True
    total = 0
    for info in infos:
        why = unsafe_name(info.filename)
        if why:
            col.unsafe_member(f"member {_shown(info.filename)} {why}")
        total += info.file_size
        declared, packed = info.file_size, info.compress_size
        if declared > MAX_DECLARED_MEMBER:
            col.unsafe_member(
                f"member {_shown(info.filename)} declares {declared} bytes (zip bomb)"
            )
            ok = False
        elif packed > 0 and declared > BOMB_MIN_SIZE and declared / packed > BOMB_RATIO:
            col.unsafe_member(
                f"member {_shown(info.filename)} expands {declared // packed}x to "
                f"{declared >> 20} MB (zip bomb)"
            )
            ok = False
        elif packed == 0 and declared > BOMB_MIN_SIZE:
            col.unsafe_member(
                f"member {_shown(info.filename)} declares {declared} bytes from nothing"
            )
            ok = False
        elif info.compress_type == zipfile.ZIP_STORED and declared != packed:
            col.unsafe_member(
                f"stored member {_shown(info.filename)} declares {declared} bytes but holds {packed}"
            )
            ok = False
        if info.header_offset + packed > size:
            col.cannot_read(
                f"member {_shown(info.filename)} runs past the end of the archive (truncated)"
            )
            ok = False
    if ok and total > max(size, 1) * TOTAL_RATIO and total > DECOMPRESS_FLOOR:
        col.unsafe_member(f"members declare {total >> 20} MB in a {size >> 10} KB zip (zip bomb)")
        ok = False
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for a, b in itertools.pairwise(ordered):
        encoding = "utf-8" if a.flag_bits & 0x800 else "cp437"
        name_len = len(a.orig_filename.encode(encoding, "replace"))
        # The local header is at least 30 bytes plus the name: a lower bound on its end.
        if a.header_offset + 30 + name_len + a.compress_size > b.header_offset:
            col.unsafe_member(
                f"members {_shown(a.filename)} and {_shown(b.filename)} overlap (zip bomb)"
            )
            return False
    return ok


def _scan_zip_member(
    col: Collector, zf: zipfile.ZipFile, info: zipfile.ZipInfo, keras: bool, member_scan: MemberScan
) -> None:
    lower = info.filename.lower()
    if info.flag_bits & 0x1:
        if lower.endswith((".pkl", ".npy", ".json")):
            col.cannot_read("encrypted member cannot be scanned")
        return
    try:
        with zf.open(info) as member:
            if keras and lower == "config.json":
                from mlvet.artifacts.keras import scan_keras_json

                if info.file_size > MAX_JSON:
                    col.cannot_read("config.json is too large to read")
                    return
                scan_keras_json(col, member.read(MAX_JSON + 1))
                return
            if lower.endswith(".npy"):
                scan_npy(col, member, info.file_size)
                return
            member_scan(col, cast(IO[bytes], member), info.filename, info.file_size)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        NotImplementedError,
        RuntimeError,
        ValueError,
        lzma.LZMAError,
    ) as exc:
        col.cannot_read(f"cannot read member: {exc}")


# -- npy -------------------------------------------------------------------------------

_DESCR_SIZE = re.compile(r"^[<>|=]?([a-zA-Z?])(\d*)(?:\[\w+\])?$")
_KIND_SIZE = {
    "?": 1,
    "b": 1,
    "B": 1,
    "h": 2,
    "H": 2,
    "i": 4,
    "I": 4,
    "l": 8,
    "L": 8,
    "q": 8,
    "Q": 8,
    "e": 2,
    "f": 4,
    "d": 8,
    "g": 16,
    "F": 8,
    "D": 16,
    "G": 32,
}


def _descr_has_object(descr: Any) -> bool:
    if isinstance(descr, str):
        return "O" in descr.lstrip("<>|=")[:1]
    if isinstance(descr, (list, tuple)):
        return any(_descr_has_object(part) for part in descr)
    return False


def _descr_itemsize(descr: Any) -> int | None:
    if not isinstance(descr, str):
        return None
    m = _DESCR_SIZE.match(descr)
    if not m:
        return None
    kind, digits = m.group(1), m.group(2)
    if digits:
        return int(digits) * (4 if kind == "U" else 1)
    return _KIND_SIZE.get(kind)


def scan_npy(col: Collector, fh: IO[bytes], size: int) -> None:
    """An `.npy`: parse the header as a literal; object arrays are followed by a pickle."""
    col.kind = col.kind or "npy"
    pre = fh.read(8)
    if len(pre) < 8 or not pre.startswith(b"\x93NUMPY"):
        col.cannot_read("not a valid .npy file (bad magic)")
        return
    major = pre[6]
    if major == 1:
        raw = fh.read(2)
        hlen = struct.unpack("<H", raw)[0] if len(raw) == 2 else -1
        start = 10
    elif major in (2, 3):
        raw = fh.read(4)
        hlen = struct.unpack("<I", raw)[0] if len(raw) == 4 else -1
        start = 12
    else:
        col.cannot_read(f"unsupported .npy version {major}")
        return
    if hlen < 0 or hlen > MAX_NPY_HEADER:
        col.cannot_read("bad .npy header length")
        return
    header = fh.read(hlen)
    if len(header) < hlen:
        col.cannot_read("truncated .npy header")
        return
    try:
        meta = ast.literal_eval(header.decode("utf-8" if major == 3 else "latin-1").strip())
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError):
        col.cannot_read("unreadable .npy header")
        return
    if not isinstance(meta, dict) or not {"descr", "shape", "fortran_order"} <= set(meta):
        col.cannot_read("unreadable .npy header: descr, shape or fortran_order missing")
        return
    descr, shape = meta["descr"], meta["shape"]
    if _descr_has_object(descr):
        walk_pickles(col, fh)
        return
    itemsize = _descr_itemsize(descr)
    if (
        itemsize is not None
        and isinstance(shape, tuple)
        and all(isinstance(x, int) for x in shape)
        and size > 0
    ):
        count = 1
        for x in shape:
            count *= x
        if start + hlen + count * itemsize > size:
            col.cannot_read(
                f"truncated .npy: header promises {count * itemsize} data bytes, "
                f"file holds {max(size - start - hlen, 0)}"
            )


# -- legacy torch and the old tar format -----------------------------------------------


def scan_torch_legacy(col: Collector, fh: IO[bytes]) -> None:
    """magic, protocol, sys_info, the object, storage keys: five pickles, then raw data."""
    col.kind = "torch-legacy"
    walk_pickles(col, fh, exactly=5)


_ELEMENT_SIZE = {
    "DoubleStorage": 8,
    "FloatStorage": 4,
    "HalfStorage": 2,
    "BFloat16Storage": 2,
    "LongStorage": 8,
    "IntStorage": 4,
    "ShortStorage": 2,
    "CharStorage": 1,
    "ByteStorage": 1,
    "BoolStorage": 1,
    "ComplexFloatStorage": 8,
    "ComplexDoubleStorage": 16,
    "QInt8Storage": 1,
    "QUInt8Storage": 1,
    "QInt32Storage": 4,
}


def _scan_tar_storages(col: Collector, fh: IO[bytes], tensors: bool) -> None:
    """The old tar checkpoint's `storages`/`tensors` members: pickles between raw records."""
    reader = PickleReader(fh, col, depth=col.depth)
    try:
        count = reader.walk()
        if not isinstance(count, int) or count < 0:
            col.cannot_read("unreadable record count")
            return
        for _ in range(count):
            args = reader.walk()
            if tensors:
                ndim = struct.unpack("<i", reader.read(4))[0]
                if ndim < 0 or ndim > 64:
                    col.cannot_read("unreadable tensor record")
                    return
                reader.skip(4 + 16 * ndim + 8)
                continue
            storage = args[2] if isinstance(args, tuple) and len(args) == 3 else None
            elem = _ELEMENT_SIZE.get(storage.name) if isinstance(storage, Global) else None
            if elem is None:
                col.cannot_read("unreadable storage record")
                return
            numel = struct.unpack("<q", reader.read(8))[0]
            if numel < 0:
                col.cannot_read("unreadable storage record")
                return
            reader.skip(numel * elem)
        if not tensors:
            reader.walk()  # the storage views
    except PickleError as exc:
        col.cannot_read(f"pickle stream: {exc}")


def scan_tar(col: Collector, fh: IO[bytes], member_scan: MemberScan) -> None:
    """Tar members: unsafe names and links (ML405), then the pickles inside."""
    col.kind = col.kind or "tar"
    members = 0
    seekable = False
    with contextlib.suppress(AttributeError, OSError, ValueError):
        seekable = bool(fh.seekable()) and fh.tell() == 0
    try:
        # A plain tar on disk is walked by seeking from header to header; a decompressed
        # stream is read once, front to back.
        with tarfile.open(fileobj=fh, mode="r:" if seekable else "r|") as tf:
            for m in tf:
                members += 1
                if members > MAX_MEMBERS:
                    col.unsafe_member(f"more than {MAX_MEMBERS} members")
                    return
                why = unsafe_name(m.name)
                if why:
                    col.unsafe_member(f"member {_shown(m.name)} {why}")
                    continue
                if m.issym() or m.islnk():
                    target = m.linkname
                    if m.issym() and not target.startswith("/"):
                        target = os.path.normpath(os.path.join(os.path.dirname(m.name), target))
                    lwhy = unsafe_name(target)
                    if lwhy:
                        col.unsafe_member(f"link {_shown(m.name)} -> {_shown(m.linkname)} {lwhy}")
                    continue
                if m.isdev():
                    col.unsafe_member(f"member {_shown(m.name)} is a device file")
                    continue
                if m.size > MAX_DECLARED_MEMBER:
                    col.unsafe_member(f"member {_shown(m.name)} declares {m.size} bytes")
                    return
                if not m.isfile():
                    continue
                member = tf.extractfile(m)
                if member is None:
                    continue
                base = m.name.rsplit("/", 1)[-1]
                with col.inside(m.name):
                    if base in ("pickle", "sys_info"):
                        col.kind = "torch-tar"
                        walk_pickles(col, member)
                    elif base in ("storages", "tensors"):
                        col.kind = "torch-tar"
                        _scan_tar_storages(col, member, tensors=base == "tensors")
                    else:
                        member_scan(col, member, m.name, m.size)
    except BombError as exc:
        col.unsafe_member(f"compressed stream {exc} (decompression bomb)")
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as exc:
        col.cannot_read(f"cannot read tar: {exc}")


# -- compressed streams ------------------------------------------------------------------


def open_compressed(kind: str, fh: IO[bytes], size: int) -> io.BufferedReader:
    """A bounded decompressing reader for gzip/bz2/xz/lzma/zlib/joblib-zfile streams."""
    cap = min(max(size * DECOMPRESS_RATIO, DECOMPRESS_FLOOR), DECOMPRESS_CEILING)
    inner: Any
    if kind == "gzip":
        inner = gzip.GzipFile(fileobj=fh, mode="rb")
    elif kind == "bz2":
        inner = bz2.BZ2File(fh, mode="rb")
    elif kind in ("xz", "lzma"):
        inner = lzma.LZMAFile(fh, mode="rb")  # noqa: SIM115 - closed with the outer file
    elif kind == "zlib":
        inner = ZlibStream(fh)
    elif kind == "lz4":
        # Optional: joblib's lz4 compression needs the lz4 package anyway.
        lz4_frame = importlib.import_module("lz4.frame")
        inner = lz4_frame.LZ4FrameFile(fh, mode="rb")
    else:  # joblib < 0.10: b"ZF", the length in hex padded to 19 bytes, then zlib data
        inner = ZlibStream(fh, skip=21)
    return io.BufferedReader(BoundedStream(inner, cap), buffer_size=1 << 20)


def scan_compressed(
    col: Collector, kind: str, fh: IO[bytes], size: int, name: str, member_scan: MemberScan
) -> bool:
    """Look inside a compressed stream; False if it holds nothing artifact-like."""
    if kind == "lz4" and importlib.util.find_spec("lz4") is None:
        col.kind = "lz4"
        col.cannot_read("lz4-compressed: install the lz4 package to scan it")
        return True
    try:
        stream = open_compressed(kind, fh, size)
        head = stream.peek(HEAD_SIZE)[:HEAD_SIZE]
        inner = sniff(head, _strip_compression(name), -1)
        if inner in ("other", "unknown-model", "lfs-pointer", "safetensors", "onnx"):
            return False
        col.kind = f"{kind}+{inner}"
        out = cast(IO[bytes], stream)
        if inner in ("pickle", "torch-legacy"):
            walk_pickles(col, out, exactly=5 if inner == "torch-legacy" else None)
        elif inner == "tar":
            scan_tar(col, out, member_scan)
        elif inner == "npy":
            scan_npy(col, out, -1)
        else:
            member_scan(col, out, _strip_compression(name), -1)
        return True
    except BombError as exc:
        col.unsafe_member(f"compressed stream {exc} (decompression bomb)")
        return True
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
        if col.kind:
            col.cannot_read(f"cannot decompress: {exc}")
            return True
        return False


def _strip_compression(name: str) -> str:
    lower = name.lower()
    for ext in (".gz", ".bz2", ".xz", ".lzma", ".z", ".zlib"):
        if lower.endswith(ext):
            return name[: -len(ext)]
    if lower.endswith((".tgz", ".tbz2")):
        return name.rsplit(".", 1)[0] + ".tar"
    return name
