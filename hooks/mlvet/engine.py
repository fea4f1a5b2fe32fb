"""The native check: discover files, parse each once, walk once, collect findings."""

from __future__ import annotations

import ast
import gc
import importlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from functools import lru_cache

from mlvet import fragments
from mlvet.config import Config, is_suppressed
from mlvet.discover import FileKind, discover
from mlvet.findings import FileError, Finding, Report
from mlvet.pools import default_jobs, process_pool
from mlvet.registry import FAMILY_MODULES, Rule, all_rules
from mlvet.rules.base import Checker, Context, NotebookCheck, Walker
from mlvet.sources import Source, SourceError, parse_source, read_source

# What `mlvet check` runs when nothing is selected: every native family.
NATIVE_PREFIXES: tuple[str, ...] = ("ML1", "ML2", "ML3", "ML4", "ML7")

# Runs of up to this many files parse every file, so syntax errors are always reported;
# larger runs parse only files a rule could match (and files named explicitly).
FULL_PARSE_LIMIT = 1000

# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 64


@lru_cache(maxsize=1)
def _families() -> tuple[tuple[type[Checker], ...], tuple[NotebookCheck, ...]]:
    checkers: list[type[Checker]] = []
    nb_checks: list[NotebookCheck] = []
    for name in FAMILY_MODULES:
        module = importlib.import_module(name)
        checkers.extend(getattr(module, "CHECKERS", ()))
        nb_checks.extend(getattr(module, "NOTEBOOK_CHECKS", ()))
    return tuple(checkers), tuple(nb_checks)


def selected_rules(config: Config, default: Sequence[str] = NATIVE_PREFIXES) -> dict[str, Rule]:
    return {
        code: rule
        for code, rule in all_rules().items()
        if rule.code.startswith(tuple(default)) and config.is_selected(code, default)
    }


def check_source(
    source: Source, config: Config, rules: dict[str, Rule], always_parse: bool = False
) -> tuple[list[Finding], list[FileError]]:
    """All native rules on one already-read file. Pure apart from the parse.

    A file that no selected rule could match (by its checkers' text patterns) is not
    parsed unless `always_parse` is set, so its syntax errors go unreported then.
    """
    checker_types, nb_checks = _families()
    findings: list[Finding] = []
    errors: list[FileError] = []
    if source.kind == "notebook":
        for check in nb_checks:
            findings.extend(f for f in check(source, config) if f.rule in rules)
    text = source.text
    active = [
        t
        for t in _selected_checkers(checker_types, frozenset(rules))
        if t.pattern is None or t.pattern.search(text)
    ]
    if (active or always_parse) and source.is_python:
        tree = None if always_parse else _parse_fragments(source, config, active)
        problems: list[str] = []
        if tree is None:
            try:
                tree, problems = parse_source(source)
            except SourceError as exc:
                return findings, [FileError(source.path, str(exc))]
        if problems:  # one line per file, however many cells are broken
            errors.append(FileError(source.path, "; ".join(problems)))
        ctx = Context(source=source, tree=tree, config=config, rules=rules)
        try:
            if active:
                Walker(ctx, [t(ctx) for t in active]).run()
        except RecursionError:
            return findings, [FileError(source.path, "too deeply nested to check")]
        findings.extend(_dedupe(ctx.findings))
    kept = [
        f
        for f in findings
        if not is_suppressed(f, _line_for(source, f))
        and not config.ignored_for_path(f.rule, f.path)
    ]
    return kept, errors


@lru_cache(maxsize=8)
def _selected_checkers(
    checker_types: tuple[type[Checker], ...], codes: frozenset[str]
) -> tuple[type[Checker], ...]:
    """The checkers reporting a selected code (asked once per run, not per file)."""
    return tuple(t for t in checker_types if any(c in codes for c in t.codes))


def _parse_fragments(
    source: Source, config: Config, active: list[type[Checker]]
) -> ast.Module | None:
    """The definitions the active checkers could care about, or None (parse it all)."""
    if source.kind != "python" or not active or len(source.text) < fragments.MIN_SIZE:
        return None
    words: set[fragments.Word] = set()
    for t in active:
        mine = t.words_for(config)
        if mine is None:
            return None
        words.update(mine)
    runs = fragments.select(source.text, tuple(words))
    if runs is None:
        return None
    return fragments.parse_selected(source.text, runs, source.path)


def _line_for(source: Source, finding: Finding) -> str:
    if finding.cell is None:
        return source.line_text(finding.line)
    for cell in source.cells:
        if cell.index == finding.cell:
            return source.line_text(cell.start + finding.line - 1)
    return ""


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, int | None, int, int]] = set()
    out: list[Finding] = []
    for f in findings:
        key = (f.rule, f.cell, f.line, f.column)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def check_file(
    path: str, config: Config, rules: dict[str, Rule], always_parse: bool = False
) -> tuple[list[Finding], list[FileError]]:
    try:
        source = read_source(path)
    except SourceError as exc:
        return [], [FileError(path, str(exc))]
    try:
        return check_source(source, config, rules, always_parse)
    except Exception as exc:  # a bug in one rule must not end the whole run
        return [], [FileError(path, f"internal error while checking: {type(exc).__name__}: {exc}")]


# Parsing allocates trees of many small objects and frees them by reference counting
# (the walk keeps no parent links, so they hold no cycles); with the default thresholds
# the cycle collector runs every few hundred allocations and rescans everything alive.
_GC_THRESHOLDS = (100_000, 50, 100)


def _quiet_gc() -> None:
    """Collect cycles rarely, and never look at what the imports made (checking speed)."""
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)


@contextmanager
def _quiet_gc_while() -> Iterator[None]:
    old = gc.get_threshold()
    _quiet_gc()
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


_WORKER: tuple[Config, dict[str, Rule]] | None = None


def _init_worker(config: Config, rules: dict[str, Rule]) -> None:
    global _WORKER
    _WORKER = (config, rules)
    _families()
    _quiet_gc()


Result = tuple[list[Finding], list[FileError]]


def _work(item: tuple[str, bool]) -> Result:
    assert _WORKER is not None
    return check_file(item[0], *_WORKER, always_parse=item[1])


def _work_all(items: list[tuple[str, bool]]) -> list[Result]:
    return [_work(item) for item in items]


def _pool(config: Config, rules: dict[str, Rule], jobs: int) -> ProcessPoolExecutor:
    return process_pool(jobs, _init_worker, (config, rules))


class EarlyStart:
    """Workers that begin on the first files of a large run while discovery is still
    listing the rest (listing a big tree takes a tenth of a second, in which every core
    would wait). Called by `discover` with each file it adds. Only enough chunks to keep
    the workers busy go out this way, in the order found; the rest are sent largest
    first once all are known, so the run still ends on small files."""

    CHUNK = 32

    def __init__(self, config: Config, rules: dict[str, Rule], jobs: int) -> None:
        self.config = config
        self.rules = rules
        self.jobs = jobs
        self.pool: ProcessPoolExecutor | None = None
        self.found: list[tuple[str, bool]] = []  # code files (and whether named), in order
        self.sent = 0  # how many of them went out early
        self.futures: list[Future[list[Result]]] = []

    def __call__(self, path: str, kind: FileKind, explicit: bool) -> None:
        if kind == "other":
            return
        self.found.append((path, explicit))
        # Only runs too large to parse every file (those parse only what a rule could
        # match, so a file's work does not depend on how many files there are); looked
        # at once per chunk's worth of files found.
        if len(self.found) <= FULL_PARSE_LIMIT or len(self.found) % self.CHUNK:
            return
        if self.pool is None:
            self.pool = _pool(self.config, self.rules, self.jobs)
        if sum(not f.done() for f in self.futures) >= 2 * self.jobs:
            return  # the workers have enough to do
        chunk = self.found[self.sent : self.sent + self.CHUNK]
        self.sent += len(chunk)
        self.futures.append(self.pool.submit(_work_all, chunk))

    def taken(self) -> set[str]:
        return {path for path, _ in self.found[: self.sent]}

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _size(item: tuple[str, bool]) -> int:
    try:
        return os.stat(item[0]).st_size
    except OSError:
        return 0  # reading it reports the problem


Progress = Callable[[int, int], None]


def check_code_files(
    files: Sequence[str],
    config: Config,
    rules: dict[str, Rule],
    jobs: int | None = None,
    progress: Progress | None = None,
    explicit: frozenset[str] = frozenset(),
    meanwhile: Callable[[], None] | None = None,
    early: EarlyStart | None = None,
) -> Report:
    """Check files; syntax is checked for every file of small runs and for files named
    on the command line, and otherwise only where a rule could match (speed).

    `meanwhile` runs in this process while the workers check (the model-file scan).
    `early` holds the workers (and their first files) started during discovery.
    """
    report = Report(files_checked=len(files))
    parse_all = len(files) <= FULL_PARSE_LIMIT
    items = [(p, parse_all or p in explicit) for p in files]
    jobs = jobs or default_jobs()
    total = len(files)
    results: list[Result] = []
    if early is not None and early.pool is not None:
        taken = early.taken()
        items = [item for item in items if item[0] not in taken]
        _check_parallel(early.pool, items, jobs, early.futures, results, progress, total, meanwhile)
    elif jobs <= 1 or len(files) < PARALLEL_THRESHOLD:
        with _quiet_gc_while():
            for p, always in items:
                results.append(check_file(p, config, rules, always))
                if progress and len(results) % 100 == 0:
                    progress(len(results), total)
        if meanwhile:
            meanwhile()
    else:
        with _pool(config, rules, jobs) as pool:
            _check_parallel(pool, items, jobs, [], results, progress, total, meanwhile)
    if progress:
        progress(total, total)
    for findings, errors in results:
        report.findings.extend(findings)
        report.errors.extend(errors)
    return report


def _check_parallel(
    pool: ProcessPoolExecutor,
    items: list[tuple[str, bool]],
    jobs: int,
    started: list[Future[list[Result]]],
    results: list[Result],
    progress: Progress | None,
    total: int,
    meanwhile: Callable[[], None] | None,
) -> None:
    chunk = max(1, min(64, len(items) // (jobs * 16)))
    # Largest files first, so the run ends on small ones rather than with one worker
    # still on a large chunk while the others wait (the report is sorted).
    items.sort(key=_size, reverse=True)
    pending = pool.map(_work, items, chunksize=chunk)  # all submitted here
    if meanwhile:
        meanwhile()
    for future in started:
        for result in future.result():
            results.append(result)
            if progress and len(results) % 100 == 0:
                progress(len(results), total)
    for result in pending:
        results.append(result)
        if progress and len(results) % 100 == 0:
            progress(len(results), total)


def run_check(
    paths: Sequence[str],
    config: Config,
    jobs: int | None = None,
    default: Sequence[str] = NATIVE_PREFIXES,
    progress: Progress | None = None,
) -> Report:
    """`mlvet check`: native code and notebook rules, plus the model-file scanner (ML4)."""
    rules = selected_rules(config, default)
    code_rules = {c: r for c, r in rules.items() if not c.startswith("ML4")}
    artifact_rules = {c: r for c, r in rules.items() if c.startswith("ML4")}
    kinds: list[FileKind] = []
    if code_rules:
        kinds += ["python", "notebook"]
    if artifact_rules:
        kinds.append("other")
    jobs = jobs or default_jobs()
    # Only folders: a file also named on its own must be parsed whatever rules match,
    # which is known only once discovery has seen every path.
    folders = all(os.path.isdir(p) for p in paths)
    early = EarlyStart(config, code_rules, jobs) if code_rules and jobs > 1 and folders else None
    try:
        return _run_check(paths, config, kinds, code_rules, artifact_rules, jobs, progress, early)
    finally:
        if early is not None:
            early.close()


def _run_check(
    paths: Sequence[str],
    config: Config,
    kinds: list[FileKind],
    code_rules: dict[str, Rule],
    artifact_rules: dict[str, Rule],
    jobs: int,
    progress: Progress | None,
    early: EarlyStart | None,
) -> Report:
    found = discover(paths, config, kinds, on_file=early)
    report = Report(errors=list(found.errors), notices=list(config.notices))
    artifacts: list[Report] = []

    def scan_artifacts() -> None:
        if artifact_rules:
            from mlvet.artifacts import scan_paths

            artifacts.append(scan_paths(found.of_kind("other"), config, artifact_rules))

    if code_rules:
        report.extend(
            check_code_files(
                found.of_kind("python", "notebook"),
                config,
                code_rules,
                jobs,
                progress,
                frozenset(found.explicit),
                meanwhile=scan_artifacts,
                early=early,
            )
        )
    else:
        scan_artifacts()
    for part in artifacts:
        report.extend(part)
    return report.sorted()
