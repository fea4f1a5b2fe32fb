"""Benchmark: stock detect-secrets against `mlvet secrets` on the same files, same run.

    python scripts/bench_secrets.py [TREE] [--jobs N] [--limit N] [--skip-stock]

TREE defaults to this interpreter's site-packages directory (thousands of real files).
Both tools get the same file list (mlvet's discovery of TREE: every file, git-aware)
and the same number of processes; the figures printed are files per second of wall
time for the scan alone (imports and discovery are not counted for either).
"""

from __future__ import annotations

import argparse
import os
import sys
import sysconfig
import time
from collections.abc import Sequence


def stock_detect_secrets(files: Sequence[str], jobs: int) -> tuple[float, int]:
    """detect-secrets as `detect-secrets scan` runs it: every plugin, default filters."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    collection = SecretsCollection()
    with default_settings():
        start = time.perf_counter()
        if jobs <= 1:
            for f in files:
                collection.scan_file(f)
        else:
            collection.scan_files(*files, num_processors=jobs)
        elapsed = time.perf_counter() - start
    return elapsed, sum(len(s) for _, s in collection.data.items())


def mlvet_secrets(files: Sequence[str], jobs: int, use_detect_secrets: bool) -> tuple[float, int]:
    from mlvet.config import Config
    from mlvet.wrappers.secrets import Options, scan_files

    options = Options(use_detect_secrets=use_detect_secrets)
    start = time.perf_counter()
    report = scan_files(files, options, Config(), jobs=jobs)
    return time.perf_counter() - start, len(report.findings)


def walk(tree: str) -> list[str]:
    out = []
    for root, dirs, names in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", ".git"))
        out.extend(
            os.path.join(root, n)
            for n in sorted(names)
            if not os.path.islink(os.path.join(root, n))
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", nargs="?", default=sysconfig.get_paths()["purelib"])
    parser.add_argument("--jobs", "-j", type=int, default=1, help="processes for both (default 1)")
    parser.add_argument("--limit", type=int, default=0, help="scan at most N files")
    parser.add_argument("--skip-stock", action="store_true", help="time mlvet only")
    args = parser.parse_args(argv)

    from mlvet.config import Config
    from mlvet.discover import discover

    files = [f for f, _ in discover([args.tree], Config(), ("python", "notebook", "other")).files]
    if not files:  # a tree git ignores (a virtualenv inside a checkout): walk it
        files = walk(args.tree)
    if args.limit:
        files = files[: args.limit]
    n = len(files)
    print(f"tree: {args.tree}\nfiles: {n}   processes: {args.jobs}")
    rows: list[tuple[str, float, int]] = []
    if not args.skip_stock:
        rows.append(("detect-secrets (stock)", *stock_detect_secrets(files, args.jobs)))
    rows.append(("mlvet secrets", *mlvet_secrets(files, args.jobs, True)))
    rows.append(("mlvet secrets --no-detect-secrets", *mlvet_secrets(files, args.jobs, False)))
    for name, seconds, found in rows:
        rate = n / seconds if seconds else float("inf")
        print(f"{name:<36} {seconds:8.2f} s {rate:10.1f} files/s   findings: {found}")
    if not args.skip_stock and n:
        base = rows[0][1]
        for name, seconds, _ in rows[1:]:
            print(f"speed-up of {name}: {base / seconds:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
