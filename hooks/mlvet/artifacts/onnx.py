"""A minimal ONNX protobuf reader: finds external-data `location` strings.

Only the path to tensors is followed (model -> graph -> initializers, node attributes,
sub-graphs, functions); every other field, raw tensor bytes included, is skipped by
seeking. No onnx or protobuf dependency.
"""

from __future__ import annotations

import posixpath
from typing import IO

from mlvet.artifacts.collect import Collector

MAX_NESTING = 64
MAX_STRING = 1 << 16


class ProtoError(Exception):
    pass


class _Proto:
    def __init__(self, fh: IO[bytes], size: int) -> None:
        self.fh = fh
        self.size = size

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.fh.read(1)
            if not b:
                raise ProtoError("truncated varint")
            result |= (b[0] & 0x7F) << shift
            if not b[0] & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise ProtoError("varint too long")

    def fields(self, end: int) -> list[tuple[int, int, int, int]]:
        """(field number, wire type, value or length, offset of payload) up to `end`;
        length-delimited payloads are skipped."""
        out = []
        while self.fh.tell() < end:
            key = self.varint()
            number, wire = key >> 3, key & 7
            if number == 0:
                raise ProtoError("field number 0")
            if wire == 0:
                out.append((number, wire, self.varint(), 0))
            elif wire == 1:
                self.fh.seek(8, 1)
            elif wire == 5:
                self.fh.seek(4, 1)
            elif wire == 2:
                length = self.varint()
                start = self.fh.tell()
                if start + length > end:
                    raise ProtoError("field runs past its message")
                out.append((number, wire, length, start))
                self.fh.seek(start + length)
            else:
                raise ProtoError(f"unsupported wire type {wire}")
        if self.fh.tell() != end:
            raise ProtoError("message overruns its length")
        return out

    def string(self, start: int, length: int) -> str:
        if length > MAX_STRING:
            raise ProtoError("string too long")
        self.fh.seek(start)
        return self.fh.read(length).decode("utf-8", "replace")


# Which fields hold messages worth entering, by message type.
_MODEL = {7: "graph", 20: "training", 25: "function"}
_TRAINING = {1: "graph", 2: "graph"}  # TrainingInfoProto: initialization, algorithm
_GRAPH = {1: "node", 5: "tensor", 15: "sparse"}
_NODE = {5: "attribute"}
_ATTRIBUTE = {5: "tensor", 6: "graph", 10: "tensor", 11: "graph", 22: "sparse", 23: "sparse"}
_FUNCTION = {7: "node"}
_SPARSE = {1: "tensor", 2: "tensor"}
_CHILDREN = {
    "model": _MODEL,
    "graph": _GRAPH,
    "node": _NODE,
    "attribute": _ATTRIBUTE,
    "function": _FUNCTION,
    "sparse": _SPARSE,
    "training": _TRAINING,
}


def escapes(location: str) -> str | None:
    """Why an external-data location is unsafe, or None."""
    loc = location.replace("\\", "/")
    if loc.startswith("/") or loc[1:3] == ":/" or loc.startswith("//"):
        return "is an absolute path"
    norm = posixpath.normpath(loc)
    if norm == ".." or norm.startswith("../"):
        return "leaves the model's folder"
    if "\x00" in loc:
        return "has a NUL byte"
    return None


def scan_onnx(col: Collector, fh: IO[bytes], size: int) -> None:
    col.kind = "onnx"
    proto = _Proto(fh, size)
    todo: list[tuple[str, int, int, int]] = [("model", 0, size, 0)]
    try:
        while todo:
            kind, start, end, depth = todo.pop()
            if depth > MAX_NESTING:
                raise ProtoError("sub-graphs nested too deeply")
            fh.seek(start)
            fields = proto.fields(end)
            if kind == "tensor":
                _tensor(col, proto, fields)
                continue
            children = _CHILDREN[kind]
            for number, wire, length, at in fields:
                child = children.get(number)
                if child and wire == 2:
                    todo.append((child, at, at + length, depth + 1))
    except (ProtoError, OSError, ValueError) as exc:
        col.cannot_read(f"not a readable ONNX model: {exc}")


def _tensor(col: Collector, proto: _Proto, fields: list[tuple[int, int, int, int]]) -> None:
    for number, wire, length, at in fields:
        if number != 13 or wire != 2:  # TensorProto.external_data
            continue
        proto.fh.seek(at)
        key = value = ""
        for n, w, ln, pos in proto.fields(at + length):
            if w == 2 and n == 1:
                key = proto.string(pos, ln)
            elif w == 2 and n == 2:
                value = proto.string(pos, ln)
        if key == "location":
            why = escapes(value)
            if why:
                col.unsafe_member(f"external data location {value[:200]!r} {why}")
