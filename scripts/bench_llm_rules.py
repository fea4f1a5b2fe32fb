#!/usr/bin/env python3
"""Benchmark the LLM rules (ML701-ML703) against plain `ast.parse` on a folder of Python.

    python scripts/bench_llm_rules.py PATH [PATH ...]

Prints: files read, total parse time, time spent in the ML7 text gates, time of the whole
ML7 check (gates, parse of the files that pass them, walk and data flow), how many files
passed each gate, and the ratios to plain parsing. mlvet's target for all native rules
together is under 0.25x of parsing.
"""

from __future__ import annotations

import ast
import contextlib
import sys
import time
import warnings
from pathlib import Path

from mlvet.config import Config
from mlvet.engine import check_source, selected_rules
from mlvet.rules.llm import CHECKERS
from mlvet.sources import Source


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    texts: list[tuple[str, str]] = []
    for root in argv:
        for path in sorted(Path(root).rglob("*.py")):
            try:
                texts.append((str(path), path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError):
                continue
    warnings.simplefilter("ignore")
    parse = 0.0
    for _, text in texts:
        start = time.perf_counter()
        with contextlib.suppress(SyntaxError, ValueError, RecursionError):
            ast.parse(text)
        parse += time.perf_counter() - start

    gate_time = 0.0
    passed = dict.fromkeys((c.codes[0] for c in CHECKERS), 0)
    for _, text in texts:
        start = time.perf_counter()
        for checker in CHECKERS:
            if checker.pattern is not None and checker.pattern.search(text):
                passed[checker.codes[0]] += 1
        gate_time += time.perf_counter() - start

    config = Config().with_cli(select=["ML7"])
    rules = selected_rules(config)
    check = 0.0
    findings = 0
    for path, text in texts:
        source = Source(path=path, kind="python", text=text, lines=text.splitlines())
        start = time.perf_counter()
        found, _ = check_source(source, config, rules)
        check += time.perf_counter() - start
        findings += len(found)

    size = sum(len(t) for _, t in texts) / 1e6
    print(f"files: {len(texts)} ({size:.1f} MB)")
    print(f"ast.parse:            {parse:8.3f} s")
    print(f"ML7 text gates:       {gate_time:8.3f} s  ({gate_time / parse:.3f}x parse)")
    print(f"ML7 check (all):      {check:8.3f} s  ({check / parse:.3f}x parse)")
    print("files past each gate: " + ", ".join(f"{c}={n}" for c, n in passed.items()))
    print(f"findings: {findings}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
