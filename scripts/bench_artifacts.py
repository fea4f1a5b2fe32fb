"""Benchmark the model-file scanner (ML4xx). Prints figures; asserts nothing.

Builds, in a temporary folder:
- a torch-style zip checkpoint (archive/data.pkl + hundreds of MB of tensor members),
- a large raw pickle (many small objects plus large byte payloads),
then times `scan_file` on each, counts the bytes actually read from disk, and compares
MB/s on the raw pickle with picklescan when it is installed (`pip install picklescan`).

    python scripts/bench_artifacts.py [--zip-mb 400] [--pickle-mb 200]
"""

from __future__ import annotations

import argparse
import builtins
import os
import pickle
import pickletools
import tempfile
import time
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

from mlvet.artifacts.scan import scan_file

MB = 1 << 20


def build_torch_zip(path: Path, total_mb: int) -> int:
    """A zip laid out like torch.save's: data.pkl referencing data/N members (stored)."""
    n_tensors = 64
    per = total_mb * MB // n_tensors
    # data.pkl: an OrderedDict of names -> persistent ids, as torch writes it.
    ops = [b"\x80\x02", b"ccollections\nOrderedDict\nq\x00)Rq\x01("]
    for i in range(n_tensors):
        name = f"layer{i}.weight".encode()
        ops.append(b"X" + len(name).to_bytes(4, "little") + name)
        ops.append(b"ctorch._utils\n_rebuild_tensor_v2\n(")
        ops.append(b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\n")
        key = str(i).encode()
        ops.append(b"X" + len(key).to_bytes(4, "little") + key + b"X\x03\x00\x00\x00cpu")
        ops.append(
            b"J"
            + (per // 4).to_bytes(4, "little")
            + b"tQK\x00J"
            + (per // 4).to_bytes(4, "little")
            + b"\x85K\x01\x85\x89ccollections\nOrderedDict\n)Rtq"
            + bytes([2 + i % 200])
            + b"R"
        )
    ops.append(b"u.")
    data_pkl = b"".join(ops)
    with open(os.devnull, "w") as sink:
        pickletools.dis(data_pkl, out=sink)  # the stream must be valid
    chunk = bytes(range(256)) * (MB // 256)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        zf.writestr("archive/version", "3\n")
        for i in range(n_tensors):
            with zf.open(f"archive/data/{i}", "w", force_zip64=True) as member:
                left = per
                while left > 0:
                    piece = chunk[: min(left, len(chunk))]
                    member.write(piece)
                    left -= len(piece)
    return path.stat().st_size


def build_raw_pickle(path: Path, total_mb: int) -> int:
    """Like a pickled state dict: 90% large array payloads (distinct objects), 10% small
    objects (ints, floats, short strings, dicts) that cost one opcode each."""
    small_mb = max(1, total_mb // 10)
    big = [bytes([i % 251]) * (4 * MB) for i in range(max(1, (total_mb - small_mb) // 4))]
    rows = []
    target = small_mb * MB
    size = 0
    i = 0
    while size < target:
        row = {
            "id": i,
            "name": f"feature_{i}",
            "score": i * 0.5,
            "tags": ["a", "b", str(i % 97)],
            "nested": OrderedDict(w=i, b=-i),
        }
        rows.append(row)
        size += 110
        i += 1
    obj = {"payloads": big, "rows": rows, "meta": {"version": 3}}
    with open(path, "wb") as fh:
        pickle.dump(obj, fh, protocol=4)
    return path.stat().st_size


class ReadCounter:
    """Counts bytes read through builtins.open while a block runs."""

    def __init__(self) -> None:
        self.bytes = 0
        self._open = builtins.open

    def __enter__(self) -> ReadCounter:
        counter = self
        real_open = self._open

        def counting_open(*args: Any, **kwargs: Any) -> Any:
            fh = real_open(*args, **kwargs)
            if "b" not in (args[1] if len(args) > 1 else kwargs.get("mode", "r")):
                return fh
            read, readinto = fh.read, getattr(fh, "readinto", None)

            def c_read(n: int = -1) -> bytes:
                data = read(n)
                counter.bytes += len(data)
                return data

            fh.read = c_read
            if readinto is not None:

                def c_readinto(b: Any) -> int:
                    got = readinto(b)
                    counter.bytes += got or 0
                    return int(got or 0)

                fh.readinto = c_readinto
            return fh

        builtins.open = counting_open
        return self

    def __exit__(self, *exc: object) -> None:
        builtins.open = self._open


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--zip-mb", type=int, default=400)
    parser.add_argument("--pickle-mb", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        zpath = Path(tmp) / "checkpoint.pt"
        zsize = build_torch_zip(zpath, args.zip_mb)
        with ReadCounter() as counter:
            secs, result = timed(scan_file, str(zpath))
        print(
            f"torch zip checkpoint: {zsize / MB:.0f} MB, kind={result.kind}, "
            f"scanned in {secs * 1000:.1f} ms, bytes read from the file: {counter.bytes:,} "
            f"({counter.bytes / zsize:.4%} of it)"
        )
        assert not result.col.unreadable, result.col.unreadable

        ppath = Path(tmp) / "big.pkl"
        psize = build_raw_pickle(ppath, args.pickle_mb)
        secs, result = timed(scan_file, str(ppath))
        assert not result.col.unreadable, result.col.unreadable
        print(
            f"raw pickle: {psize / MB:.0f} MB, mlvet: {secs:.2f} s = {psize / MB / secs:.0f} MB/s"
        )
        try:
            from picklescan.scanner import scan_file_path  # type: ignore[import-untyped]
        except ImportError:
            print("picklescan: not installed (pip install picklescan to compare)")
            return 0
        secs_ps, _ = timed(scan_file_path, str(ppath))
        print(
            f"raw pickle: picklescan: {secs_ps:.2f} s = {psize / MB / secs_ps:.0f} MB/s "
            f"(mlvet is {secs_ps / secs:.1f}x picklescan's speed)"
        )
        secs_pz, _ = timed(scan_file_path, str(zpath))
        print(f"torch zip checkpoint: picklescan: {secs_pz * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
