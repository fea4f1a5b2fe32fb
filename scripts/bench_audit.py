"""Benchmark: `mlvet audit` on generated dependency files against a generated database.

    python scripts/bench_audit.py [--deps N] [--packages M] [--files F]

Writes F requirements files with N pinned and unpinned requirements in all, plus a
database in safety's format with M vulnerable packages, into a temporary folder, then
prints the time for parsing alone (ML602) and for the whole audit (ML601 through safety).
Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


def build(root: Path, deps: int, packages: int, files: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    names = [f"benchpkg{i}" for i in range(max(packages, 1) * 2)]
    vulnerable = names[:packages]
    db = root / "db"
    db.mkdir()
    meta = {"schema_version": "2.0.0", "timestamp": 0}
    (db / "insecure.json").write_text(
        json.dumps({"meta": meta, "vulnerable_packages": {n: ["<1.5"] for n in vulnerable}})
    )
    full = {
        n: [
            {
                "specs": ["<1.5"],
                "ids": [{"type": "pyup", "id": str(90000 + i)}],
                "advisory": "generated",
                "fixed_versions": ["1.5"],
            }
        ]
        for i, n in enumerate(vulnerable)
    }
    (db / "insecure_full.json").write_text(
        json.dumps({"meta": {**meta, "packages": {}}, "vulnerable_packages": full})
    )
    per_file = max(1, deps // max(files, 1))
    for f in range(files):
        lines = []
        for _ in range(per_file):
            name = rng.choice(names)
            lines.append(
                rng.choice(
                    [
                        f"{name}=={rng.randint(1, 2)}.{rng.randint(0, 9)}",
                        f"{name}>=1.0",
                        name,
                        f"{name}[extra]==1.{rng.randint(0, 9)} \\\n    --hash=sha256:00",
                    ]
                )
            )
        (root / f"requirements-{f}.txt").write_text("\n".join(lines) + "\n")
    return db


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--deps", type=int, default=2000)
    parser.add_argument("--packages", type=int, default=500)
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args(argv)

    from mlvet.config import Config
    from mlvet.wrappers.audit import AuditOptions, collect, run_audit, unpinned_findings

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = build(root, args.deps, args.packages, args.files)
        old = os.getcwd()
        os.chdir(root)
        try:
            config = Config(root=root)
            start = time.perf_counter()
            collected = collect(["."], config)
            unpinned = unpinned_findings(collected, config)
            parse_s = time.perf_counter() - start
            start = time.perf_counter()
            report = run_audit(["."], config, AuditOptions(db=str(db)))
            full_s = time.perf_counter() - start
        finally:
            os.chdir(old)
    n = len(collected.deps)
    ml601 = sum(f.rule == "ML601" for f in report.findings)
    print(
        f"files: {len(collected.files)}  dependencies: {n}  vulnerable packages in db: {args.packages}"
    )
    print(f"parse + ML602: {parse_s:.3f}s ({n / parse_s:,.0f} deps/s), {len(unpinned)} unpinned")
    print(f"full audit (incl. safety import and lookup): {full_s:.3f}s, {ml601} ML601 findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
