"""Speed and selectivity figures for the ML2xx rules (a benchmark, not a test).

On a folder of real Python sources (default: the corpus that scripts/bench.py caches),
measures in one run on the same files:

- the floor: `ast.parse` of every file, nothing else;
- each ML2xx checker's text prefilter: time and how many files it lets through;
- `check_source` with only ML201-ML207 selected (prefilters, parse of the files that
  pass, one walk), as a ratio of the floor;
- findings per rule (for reading through false positives by hand);
- each prefilter on adversarial text (one very long line, thousands of small functions),
  which must stay roughly linear in the size of the text.

    python scripts/bench_ml2.py [FOLDER] [--limit N] [--list]
"""

from __future__ import annotations

import argparse
import ast
import collections
import contextlib
import sys
import time
import warnings
from pathlib import Path

from mlvet.config import Config
from mlvet.engine import check_source, selected_rules
from mlvet.rules import reproducibility, smells
from mlvet.sources import Source, SourceError, read_source

DEFAULT = Path.home() / ".cache" / "mlvet-bench" / "src"  # scripts/bench.py fetches it
CODES = ["ML201", "ML202", "ML203", "ML204", "ML205", "ML206", "ML207"]


def load(folder: Path, limit: int | None) -> list[Source]:
    sources: list[Source] = []
    for path in sorted(folder.rglob("*.py")):
        try:
            sources.append(read_source(str(path)))
        except SourceError:
            continue
        if limit and len(sources) >= limit:
            break
    return sources


def odd_files() -> list[tuple[str, str]]:
    calls = ["model(x)", "opt.step()", "loss.backward()", "df['a'][0] = 1", "s.fit(X)"]
    one_line = "import torch, pandas as pd\nwith torch.no_grad(): " + "; ".join(calls * 4000)
    many_scopes = "from sklearn.preprocessing import StandardScaler\n" + "".join(
        f"def f{i}(X):\n    s{i} = StandardScaler()\n    s{i}.fit(X)\n\n"
        f"def g{i}(X):\n    train_test_split(X)\n"
        for i in range(1500)
    )
    return [("one long line", one_line), ("3,000 small functions", many_scopes)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--limit", type=int, default=None, help="at most N files")
    parser.add_argument("--list", action="store_true", help="print every finding")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"{args.folder}: no such folder (run scripts/bench.py once to fetch the corpus)")
        return 2
    sources = load(args.folder, args.limit)
    size = sum(len(s.text) for s in sources)
    print(f"{len(sources)} files, {size / 1e6:.1f} MB of Python")

    warnings.simplefilter("ignore")  # SyntaxWarnings of the corpus
    start = time.perf_counter()
    for s in sources:
        with contextlib.suppress(SyntaxError, ValueError, RecursionError):
            ast.parse(s.text)
    floor = time.perf_counter() - start
    print(f"ast.parse floor: {floor:.2f} s")

    for checker in [*reproducibility.CHECKERS, *smells.CHECKERS]:
        pattern = checker.pattern
        assert pattern is not None
        start = time.perf_counter()
        passed = sum(1 for s in sources if pattern.search(s.text))
        spent = time.perf_counter() - start
        print(
            f"  prefilter {checker.codes[0]} {checker.__name__:26s} "
            f"{passed:6d} files pass ({100 * passed / max(1, len(sources)):4.1f}%)  {spent:.2f} s"
        )

    for label, text in odd_files():
        for checker in [*reproducibility.CHECKERS, *smells.CHECKERS]:
            pattern = checker.pattern
            assert pattern is not None
            start = time.perf_counter()
            pattern.search(text)
            print(
                f"  prefilter {checker.codes[0]} on {label} ({len(text) // 1000} KB): "
                f"{time.perf_counter() - start:.3f} s"
            )

    config = Config().with_cli(select=CODES)
    rules = selected_rules(config)
    counts: collections.Counter[str] = collections.Counter()
    lines: list[str] = []
    start = time.perf_counter()
    for s in sources:
        findings, _errors = check_source(s, config, rules)
        for f in findings:
            counts[f.rule] += 1
            lines.append(f"{f.path}:{f.line}: {f.rule} {f.snippet[:90]}")
    spent = time.perf_counter() - start
    print(f"ML201-ML207 check: {spent:.2f} s = {spent / floor:.3f} x the parse floor")
    print("findings: " + ", ".join(f"{c} {counts[c]}" for c in CODES))
    if args.list:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
