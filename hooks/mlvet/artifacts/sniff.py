"""Telling a file's format from its first bytes (and, where bytes are ambiguous, its name)."""

from __future__ import annotations

import re
import struct
from typing import Literal

Kind = Literal[
    "lfs-pointer",
    "zip",
    "npy",
    "hdf5",
    "gguf",
    "gzip",
    "bz2",
    "xz",
    "lzma",
    "zlib",
    "joblib-zfile",
    "lz4",
    "keras-metadata",
    "torch-legacy",
    "pickle",
    "tar",
    "safetensors",
    "onnx",
    "tflite",
    "unknown-model",
    "other",
]

# How many bytes the sniffer needs (a tar header's magic sits at 257).
HEAD_SIZE = 512

LFS_PREFIXES = (
    b"version https://git-lfs.github.com/spec/v1",
    b"version https://hawser.github.com/spec/v1",
)
LEGACY_TORCH_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"

# Names that say "this holds a pickle" (or may: .bin is also raw weights or safetensors).
PICKLE_EXTS = (
    ".pkl",
    ".pickle",
    ".pk",
    ".pck",
    ".pcl",
    ".p",
    ".joblib",
    ".jl",
    ".pt",
    ".pth",
    ".ckpt",
    ".bin",
    ".dill",
    ".sav",
    ".cpkl",
    ".dat",
    ".model",
    ".pkl.z",
    ".z",
)
# A file with one of these names is a model artifact whatever it holds: unknown content
# there is unreadable (ML404), while an unknown `.bin` is just someone's binary file.
MODEL_EXTS = (
    ".pkl",
    ".pickle",
    ".joblib",
    ".pt",
    ".pth",
    ".ckpt",
    ".npy",
    ".npz",
    ".keras",
    ".h5",
    ".hdf5",
    ".safetensors",
    ".gguf",
    ".onnx",
    ".dill",
    ".pck",
)
COMPRESSED_EXTS = (".gz", ".bz2", ".xz", ".lzma", ".z", ".zlib", ".joblib", ".tgz", ".tbz2")

# A GLOBAL/INST line pair, tolerating the stray spaces and CRLF line ends a text-mode
# checkout or a hand edit leaves (the reader strips them before judging the name).
_GLOBAL_LINES = rb"[ci][ \t]*[A-Za-z_][\w.]*[ \t\r]*\n[ \t]*[\w.<>]+[ \t\r]*\n"
# A MARK then text-opcode arguments (strings, ints, floats, None, PUT/GET) before an INST.
# Each alternative starts with its own opcode byte, so matching stays linear.
_MARKED_ARGS = rb"\((?:[SVIFLpg][^\n]*\n|[N0])*"
_PROTO0_START = re.compile(
    rb"\A(?:\(?"
    + _GLOBAL_LINES
    + rb"|"
    + _MARKED_ARGS
    + _GLOBAL_LINES
    + rb"|\((?:dp|lp)\d*\r?\n|\((?:t|l|d)\.?|[NI]\d*\r?\n?|S'|V)"
)
_STRONG_TEXT_START = re.compile(
    rb"\A(?:\(?" + _GLOBAL_LINES + rb"|" + _MARKED_ARGS + _GLOBAL_LINES + rb"|\((?:dp|lp)\d*\r?\n)"
)
# Extensions shared with raw binaries: only a strong pickle start counts there.
AMBIGUOUS_EXTS = (".bin", ".dat", ".model", ".p", ".z", ".sav")
# Every opcode byte of protocols 0-5.
OPCODES = frozenset(b"(.012FIJKLMNPQRSTUVXabcdefghijlopqrstu}])GBC") | frozenset(range(0x80, 0x99))


def _ext(name: str) -> str:
    return name.lower()


def looks_like_pickle(head: bytes, name: str = "") -> bool:
    if len(head) >= 3 and head[0] == 0x80 and head[1] <= 5 and head[2] in OPCODES:
        return True
    if len(head) >= 2 and head[0] == 0x80 and head[1] <= 5 and len(head) == 2:
        return True
    if _PROTO0_START.match(head):
        lowered = _ext(name)
        if head[:1] in (b"c", b"(") and b"\n" in head[:300] and _STRONG_TEXT_START.match(head):
            return True
        # Weaker text starts are only trusted under a name that promises a pickle.
        return lowered.endswith(PICKLE_EXTS) and not lowered.endswith(AMBIGUOUS_EXTS)
    return False


def sniff(head: bytes, name: str, size: int) -> Kind:
    """The format of a file from its first HEAD_SIZE bytes, its name and its size."""
    lowered = _ext(name)
    if size < 1024 and head.startswith(LFS_PREFIXES) and _is_lfs_pointer(head, size):
        return "lfs-pointer"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06") or (
        head[:4] == b"PK\x07\x08" and head[4:8] == b"PK\x03\x04"
    ):
        return "zip"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "hdf5"
    if head.startswith(b"GGUF"):
        return "gguf"
    if head.startswith(LEGACY_TORCH_MAGIC):
        return "torch-legacy"
    if looks_like_pickle(head, name):
        return "pickle"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"ZF") and lowered.endswith(COMPRESSED_EXTS + PICKLE_EXTS):
        return "joblib-zfile"
    if (
        head[:1] == b"\x78"
        and len(head) >= 2
        and (head[0] * 256 + head[1]) % 31 == 0
        and lowered.endswith(COMPRESSED_EXTS + PICKLE_EXTS)
    ):
        return "zlib"
    if head[:3] == b"\x5d\x00\x00" and lowered.endswith(COMPRESSED_EXTS + PICKLE_EXTS):
        return "lzma"
    if head.startswith(b"\x04\x22\x4d\x18") and lowered.endswith(
        COMPRESSED_EXTS + PICKLE_EXTS + (".lz4",)
    ):
        return "lz4"
    if lowered.endswith("keras_metadata.pb"):
        return "keras-metadata"
    if _is_safetensors(head, size):
        return "safetensors"
    if head[4:8] == b"TFL3":
        return "tflite"
    if lowered.endswith(".onnx"):
        return "onnx"
    if lowered.endswith(".pth") and _is_text(head):
        return "other"  # a Python path-configuration file, not a checkpoint
    if lowered.endswith(MODEL_EXTS):
        return "unknown-model"
    return "other"


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def _is_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 10:
        return False
    (n,) = struct.unpack_from("<Q", head, 0)
    return n >= 2 and head[8:9] == b"{" and (size <= 0 or n <= size)


_LFS_LINE = re.compile(rb"[a-z0-9.-]+ [^\x00-\x1f\x7f]*")


def _is_lfs_pointer(head: bytes, size: int) -> bool:
    """A pointer is a few `key value` text lines and nothing else: a pointer header with a
    pickle glued on is not one."""
    if size > len(head):
        return False
    lines = head.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return bool(lines) and all(_LFS_LINE.fullmatch(line) for line in lines)
