"""Builders for the model-file scanner tests: real pickle bytes, zips, npy headers.

Malicious pickles are built by dumping objects whose __reduce__ names a dangerous callable,
or by writing opcodes directly. Nothing here ever loads a pickle.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any

from mlvet.artifacts import scan_paths
from mlvet.artifacts.rules import RULES
from mlvet.config import Config
from mlvet.findings import Report

ALL_RULES = {r.code: r for r in RULES}


class RunsCommand:
    """Pickles as a call to os.system (the classic payload)."""

    def __reduce__(self) -> Any:
        return (os.system, ("true",))


class Evals:
    def __reduce__(self) -> Any:
        return (eval, ("1+1",))


class Plain:
    def __init__(self) -> None:
        self.x = 1


def scan(path: Path | str, config: Config | None = None, rules: list[str] | None = None) -> Report:
    chosen = {c: r for c, r in ALL_RULES.items() if rules is None or c in rules}
    return scan_paths([str(path)], config or Config(), chosen)


def codes(path: Path | str, config: Config | None = None) -> list[str]:
    return sorted(f.rule for f in scan(path, config).findings)


def message(path: Path | str, code: str, config: Config | None = None) -> str:
    found = [f.message for f in scan(path, config).findings if f.rule == code]
    assert found, f"no {code} for {path}"
    return found[0]


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def npy_bytes(descr: str, shape: tuple[int, ...], body: bytes, version: int = 1) -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}"
    if version == 1:
        pad = 64 - (10 + len(header) + 1) % 64
        text = (header + " " * pad + "\n").encode("latin-1")
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + body
    pad = 64 - (12 + len(header) + 1) % 64
    text = (header + " " * pad + "\n").encode("latin-1")
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", len(text)) + text + body


def object_npy(items: list[Any]) -> bytes:
    """What np.save writes for an object array: a header, then a protocol-3 pickle of it.
    The pickle here is of a plain list (numpy itself is not needed)."""
    return npy_bytes("|O", (len(items),), pickle.dumps(items, protocol=3))


def torch_zip(entries: dict[str, bytes], folder: str = "archive") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in entries.items():
            zf.writestr(f"{folder}/{name}", data)
    return buf.getvalue()


# A data.pkl as torch.save writes it: an OrderedDict of one tensor via a persistent id.
STATE_DICT_PKL = (
    b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x06\x00\x00\x00weightq\x02"
    b"ctorch._utils\n_rebuild_tensor_v2\nq\x03((X\x07\x00\x00\x00storageq\x04"
    b"ctorch\nFloatStorage\nq\x05X\x01\x00\x00\x000q\x06X\x03\x00\x00\x00cpuq\x07K\x04tq\x08"
    b"QK\x00K\x02K\x02\x86q\tK\x02K\x01\x86q\n\x89h\x00)Rq\x0btq\x0cRq\rs."
)

LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."
