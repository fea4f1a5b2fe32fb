"""Benchmark the ML101-ML108 checks against ast.parse on a corpus of Python files.

    python scripts/bench_ml1.py PATH [PATH ...]

Prints, for the files under PATH: the time ast.parse takes over all of them, the time the
ML1xx prefilters take (run per file, as the engine runs them), how many files each
prefilter lets through, and the time of the whole ML1xx check (read, prefilter, parse
when needed, walk), each as a fraction of the parse time. Figures only; no assertions.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import sys
import time
from collections import Counter
from pathlib import Path

from mlvet.config import Config
from mlvet.engine import NATIVE_PREFIXES, check_source, selected_rules
from mlvet.registry import Rule
from mlvet.rules import deserialization, remote_code
from mlvet.rules.textgate import Gate
from mlvet.sources import Source

CHECKERS = [*deserialization.CHECKERS, *remote_code.CHECKERS]


def load_corpus(paths: list[str]) -> list[Source]:
    sources: list[Source] = []
    for root in paths:
        files = [Path(root)] if Path(root).is_file() else sorted(Path(root).rglob("*.py"))
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            sources.append(Source(str(path), "python", text, text.splitlines()))
    return sources


def best_of(runs: int, fn: object) -> float:
    assert callable(fn)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--runs", type=int, default=3, help="best of N (default 3)")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="also check every file with the prefilters off and count the "
        "findings they held back (should be 0)",
    )
    args = parser.parse_args(argv)
    sources = load_corpus(args.paths)
    size = sum(len(s.text) for s in sources)
    print(f"corpus: {len(sources)} files, {size / 1e6:.1f} M characters")

    def parse_all() -> None:
        for s in sources:
            with contextlib.suppress(SyntaxError, ValueError, RecursionError):
                ast.parse(s.text)

    def gates() -> None:
        for s in sources:
            for c in CHECKERS:
                assert c.pattern is not None
                c.pattern.search(s.text)

    config = Config().with_cli(
        select=["ML101", "ML102", "ML103", "ML104", "ML105", "ML106", "ML107", "ML108"]
    )
    rules = selected_rules(config, NATIVE_PREFIXES)
    counts: Counter[str] = Counter()

    def check() -> None:
        counts.clear()
        for s in sources:
            findings, _ = check_source(s, config, rules)
            counts.update(f.rule for f in findings)

    t_parse = best_of(args.runs, parse_all)
    t_gates = best_of(args.runs, gates)
    t_check = best_of(args.runs, check)
    print(f"ast.parse, all files:      {t_parse:8.3f} s")
    print(f"ML1xx prefilters:          {t_gates:8.3f} s  ({t_gates / t_parse:.3f}x parse)")
    print(f"ML1xx check (end to end):  {t_check:8.3f} s  ({t_check / t_parse:.3f}x parse)")
    passed_any = set()
    for c in CHECKERS:
        assert c.pattern is not None
        passed = [s.path for s in sources if c.pattern.search(s.text)]
        passed_any.update(passed)
        print(f"  {c.__name__:22s} {', '.join(c.codes)}: lets through {len(passed):5d} files")
    share = len(passed_any) / max(1, len(sources))
    print(f"files parsed for ML1xx: {len(passed_any)} of {len(sources)} ({share:.1%})")
    print("findings:", dict(sorted(counts.items())))
    if args.verify:
        verify(sources, config, rules)
    adversarial()
    return 0


def verify(sources: list[Source], config: Config, rules: dict[str, Rule]) -> None:
    """Findings with every prefilter forced open, against the normal run."""

    def run() -> set[tuple[str, str, int, int]]:
        found: set[tuple[str, str, int, int]] = set()
        for s in sources:
            findings, _ = check_source(s, config, rules)
            found.update((f.rule, f.path, f.line, f.column) for f in findings)
        return found

    gated = run()
    original = Gate.search
    Gate.search = lambda self, string, /: True  # type: ignore[method-assign]
    try:
        ungated = run()
    finally:
        Gate.search = original  # type: ignore[method-assign]
    missed = sorted(ungated - gated)
    print(f"prefilters held back {len(missed)} of {len(ungated)} findings")
    for item in missed[:20]:
        print("  missed:", *item)


def adversarial() -> None:
    """Prefilter time on texts built to make careless regexes quadratic."""
    units = {
        "unclosed from-import": "from torch import (" + "a, " * 100 + "\n",
        "unclosed call": "x = AutoModel.from_pretrained((" + "a " * 50 + "\n",
        "long import line": "import " + "a " * 5000,
        "many nested calls": "x = pipeline(" + "(a)" * 3000,
    }
    for name, unit in units.items():
        text = "import torch, pickle, yaml\n" + unit * 2000
        start = time.perf_counter()
        for c in CHECKERS:
            assert c.pattern is not None
            c.pattern.search(text)
        took = time.perf_counter() - start
        print(f"adversarial {name:22s} {len(text) / 1e6:6.2f} M chars  {took:.3f} s")


if __name__ == "__main__":
    sys.exit(main())
