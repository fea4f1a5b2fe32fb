"""Benchmark the notebook stripper and the ML3 notebook rules; prints figures.

    python scripts/bench_strip.py [--notebooks N] [--cells C] [--output-kb K]

Builds N synthetic notebooks (C code cells each, outputs of about K KiB per cell) in a
temporary folder, then times `--check` (read and compare only), the rewrite, a second
no-op run, and ML301/ML302 through the native check engine.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from mlvet.config import Config
from mlvet.engine import check_code_files, selected_rules
from mlvet.wrappers.strip import StripOptions, strip_path


def build_notebook(rng: random.Random, cells: int, output_kb: int) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for i in range(cells):
        text = "".join(rng.choice("abcdef0123456789") for _ in range(output_kb * 1024))
        out.append(
            {
                "cell_type": "code",
                "execution_count": i + 1,
                "id": f"c{i}",
                "metadata": {"scrolled": True},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": [text]}],
                "source": [f"x{i} = model(batch_{i})\n", f"print(x{i})"],
            }
        )
    return {
        "cells": out,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def timed(label: str, files: list[str], fn: Any) -> None:
    start = time.perf_counter()
    changed = sum(1 for f in files if fn(f))
    elapsed = time.perf_counter() - start
    per = 1000 * elapsed / max(1, len(files))
    print(f"{label:<28} {elapsed:8.3f} s  {per:8.2f} ms/notebook  changed={changed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notebooks", type=int, default=50)
    parser.add_argument("--cells", type=int, default=40)
    parser.add_argument("--output-kb", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(0)
    options = StripOptions()
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for n in range(args.notebooks):
            path = Path(tmp) / f"nb{n}.ipynb"
            nb = build_notebook(rng, args.cells, args.output_kb)
            path.write_text(json.dumps(nb, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            files.append(str(path))
        size = sum(Path(f).stat().st_size for f in files) / 1024 / 1024
        print(f"{args.notebooks} notebooks, {args.cells} cells each, {size:.1f} MiB in all")
        config = Config().with_cli(select=["ML3"])
        rules = selected_rules(config)
        start = time.perf_counter()
        report = check_code_files(files, config, rules, jobs=1)
        elapsed = time.perf_counter() - start
        print(
            f"{'check ML301/ML302':<28} {elapsed:8.3f} s  "
            f"{1000 * elapsed / len(files):8.2f} ms/notebook  findings={len(report.findings)}"
        )
        timed("strip --check", files, lambda f: strip_path(f, options, write=False).changed)
        timed("strip (rewrite)", files, lambda f: strip_path(f, options, write=True).changed)
        timed(
            "strip again (no change)", files, lambda f: strip_path(f, options, write=True).changed
        )


if __name__ == "__main__":
    main()
