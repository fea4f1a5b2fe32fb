"""Do the text prefilters hold back any finding? (a check on a corpus, not a test)

Runs every native checker on every file of a folder twice: once with its prefilter
bypassed (the truth) and once as large runs do (prefilters, then only the definitions the
checkers' words occur in). Prints, per checker, the files and MB its prefilter lets
through, and the findings lost or added against the truth: both must be 0.

    python scripts/check_gates.py [FOLDER] [--jobs N] [--truth FILE]

With --truth, the truth is read from FILE when it exists and written to it otherwise:
handy while tuning prefilters, and wrong as soon as a checker itself changes.

FOLDER defaults to the corpus scripts/bench.py caches. Takes a few minutes (the truth
parses every file).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
from multiprocessing import Pool
from pathlib import Path

from mlvet.config import Config
from mlvet.engine import _families, check_source, selected_rules
from mlvet.rules.base import Context, Walker
from mlvet.sources import SourceError, parse_source, read_source

DEFAULT = Path.home() / ".cache" / "mlvet-bench" / "src"
Key = tuple[str, int, int, str]
Truth = tuple[str, int, dict[str, set[Key]]]


def truth(path: str) -> Truth:
    """Each checker alone on the whole tree, its prefilter bypassed."""
    config = Config()
    rules = selected_rules(config)
    checkers, _ = _families()
    try:
        source = read_source(path)
        tree, _problems = parse_source(source)
    except (SourceError, RecursionError):
        return path, 0, {}
    out: dict[str, set[Key]] = {}
    for checker in checkers:
        ctx = Context(source=source, tree=tree, config=config, rules=rules)
        try:
            Walker(ctx, [checker(ctx)]).run()
        except RecursionError:
            continue
        found = {(f.rule, f.line, f.column, f.message) for f in ctx.findings}
        if found:
            out[checker.__name__] = found
    return path, len(source.text), out


def gated(path: str) -> tuple[str, list[str], set[Key]]:
    """Which prefilters pass, and what a large run reports (`always_parse` off)."""
    config = Config()
    rules = selected_rules(config)
    checkers, _ = _families()
    try:
        source = read_source(path)
    except SourceError:
        return path, [], set()
    passed = [c.__name__ for c in checkers if c.pattern is None or c.pattern.search(source.text)]
    findings, _errors = check_source(source, config, rules, always_parse=False)
    return path, passed, {(f.rule, f.line, f.column, f.message) for f in findings}


def _save_truth(path: Path, truths: list[Truth]) -> None:
    rows = [[p, n, {name: sorted(keys) for name, keys in found.items()}] for p, n, found in truths]
    path.write_text(json.dumps(rows), encoding="utf-8")


def _load_truth(path: Path) -> list[Truth]:
    return [
        (p, n, {name: {(k[0], k[1], k[2], k[3]) for k in keys} for name, keys in found.items()})
        for p, n, found in json.loads(path.read_text(encoding="utf-8"))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--truth", type=Path, help="cache of the ungated run (see above)")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"{args.folder}: no such folder (run scripts/bench.py once to fetch the corpus)")
        return 2
    sys.setrecursionlimit(10_000)
    files = sorted(str(p) for p in args.folder.rglob("*") if p.suffix in (".py", ".ipynb"))
    with Pool(args.jobs) as pool:
        if args.truth and args.truth.exists():
            truths = _load_truth(args.truth)
        else:
            truths = pool.map(truth, files, chunksize=16)
            if args.truth:
                _save_truth(args.truth, truths)
        runs = pool.map(gated, files, chunksize=16)
    size = {path: n for path, n, _ in truths}
    through = collections.Counter[str]()
    through_mb = collections.Counter[str]()
    lost = collections.Counter[str]()
    added = collections.Counter[str]()
    rule_of = {c.__name__: c.codes for c in _families()[0]}
    for (path, _n, expected), (_, passed, found) in zip(truths, runs, strict=True):
        for name in passed:
            through[name] += 1
            through_mb[name] += size.get(path, 0)
        for name, codes in rule_of.items():
            want = expected.get(name, set())
            got = {k for k in found if k[0] in codes}
            lost[name] += len(want - got)
            added[name] += len(got - want)
    print(f"{len(files)} files, {sum(size.values()) / 1e6:.1f} MB")
    for name in sorted(rule_of, key=lambda n: -through_mb[n]):
        print(
            f"  {name:34s} through {through[name]:5d} files {through_mb[name] / 1e6:6.1f} MB"
            f"   lost {lost[name]}  added {added[name]}"
        )
    return 1 if sum(lost.values()) or sum(added.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
