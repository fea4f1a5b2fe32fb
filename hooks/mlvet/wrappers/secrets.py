"""`mlvet secrets`: mlvet's ML token detectors plus detect-secrets' plugins, over every
text file, notebooks cell by cell (sources and outputs), with redacted findings.

A secret never leaves this module whole: messages show at most its first four
characters and `Finding.snippet` holds only its SHA-1 (the hash detect-secrets stores
in baselines), so fingerprints and baselines identify it without containing it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mlvet.config import Config, is_suppressed
from mlvet.discover import discover
from mlvet.findings import FileError, Finding, Report, Severity
from mlvet.pools import default_jobs, process_pool
from mlvet.sources import SourceError
from mlvet.wrappers import secrets_ds
from mlvet.wrappers.secrets_filters import looks_random, mixed_case_or_digits
from mlvet.wrappers.secrets_rules import CODE, RULES
from mlvet.wrappers.secrets_scan import Hit, Spans, scan_text
from mlvet.wrappers.secrets_sources import Segment, Skip, TextFile, read_text_file

PARALLEL_THRESHOLD = 200
_ALLOWLIST = re.compile(r"pragma:\s*allowlist[ -]secret", re.IGNORECASE)
_ALLOWLIST_NEXT = re.compile(r"pragma:\s*allowlist[ -]nextline[ -]secret", re.IGNORECASE)


@dataclass(frozen=True)
class Options:
    """What a scan runs; picklable for worker processes."""

    use_detect_secrets: bool = True
    entropy: bool = False
    severity: Severity = "error"
    allow: tuple[str, ...] = ()  # regexes: values that are never secrets
    plugin_files: tuple[str, ...] = ()  # detect-secrets custom plugin files (absolute)


def hash_secret(secret: str) -> str:
    """detect-secrets' baseline hash (SHA-1 of the value)."""
    return hashlib.sha1(secret.encode("utf-8", "surrogatepass")).hexdigest()


def redact(secret: str) -> str:
    """At most the first four characters; fewer for short values."""
    keep = 4 if len(secret) >= 16 else max(0, min(4, len(secret) // 4))
    return secret[:keep] + "…"


def secret_hash_of(finding: Finding) -> str | None:
    """The SHA-1 a secrets finding carries in its snippet (for detect-secrets baselines)."""
    if finding.rule == CODE and finding.snippet.startswith("secret:"):
        return finding.snippet.split(":", 2)[2] if finding.snippet.count(":") >= 2 else None
    return None


def options_from_config(config: Config) -> Options:
    section = config.section("secrets")
    allow = section.get("allow", [])
    if isinstance(allow, str):
        allow = [allow]
    for pattern in allow:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            from mlvet.config import ConfigError

            raise ConfigError(
                f"[tool.mlvet.secrets] allow: bad pattern {pattern!r}: {exc}"
            ) from None
    plugins = section.get("plugins", [])
    if isinstance(plugins, str):
        plugins = [plugins]
    files = []
    for entry in plugins:
        path = entry if os.path.isabs(entry) else os.path.join(config.root, entry)
        if not os.path.isfile(path):
            from mlvet.config import ConfigError

            raise ConfigError(f"[tool.mlvet.secrets] plugins: {entry}: no such file")
        files.append(os.path.abspath(path))
    rule = RULES[0]
    return Options(
        plugin_files=tuple(files),
        use_detect_secrets=bool(section.get("detect-secrets", True)),
        entropy=bool(section.get("entropy", False)),
        severity=config.severity_for(CODE, rule.severity),
        allow=tuple(allow),
    )


def _suppressed(seg: Segment, line: int, finding: Finding) -> bool:
    text = seg.line_text(line)
    if is_suppressed(finding, text) or _ALLOWLIST.search(text):
        return True
    return line > 1 and _ALLOWLIST_NEXT.search(seg.line_text(line - 1)) is not None


_TOKENISH = re.compile(r"[A-Za-z0-9_\-+/=]{16,}")


def _scrub(text: str) -> str:
    """Redact anything token-shaped in a description: a name in `where` is read from
    the scanned text, and a neighbouring secret must not ride along in the message."""
    return _TOKENISH.sub(
        lambda m: (
            redact(m.group(0))
            if looks_random(m.group(0)) and mixed_case_or_digits(m.group(0))
            else m.group(0)
        ),
        text,
    )


def _finding(tf: TextFile, seg: Segment, hit: Hit, options: Options) -> Finding:
    line, column = seg.line_col(hit.offset)
    where = f" {_scrub(hit.where)}" if hit.where else ""
    if seg.kind == "output":
        where += f" in the output of cell {seg.cell}"
    message = f"{hit.label} {redact(hit.display or hit.secret)}{where}"
    fix = (
        f"revoke it ({hit.revoke}), then read it from the environment or a secrets "
        "manager; removing the line does not remove it from git history"
    )
    physical = tf.physical_line(seg, line)
    return Finding(
        rule=CODE,
        name=hit.slug,
        severity=options.severity,
        path=tf.path,
        line=line,
        column=column,
        message=message,
        source=hit.source,
        cell=seg.cell,
        fix=fix,
        physical_line=physical,
        snippet=f"secret:{hit.slug}:{hash_secret(hit.secret)}",
    )


def scan_segment(
    text: str, path: str, options: Options, cell_source: str | None = None
) -> list[Hit]:
    """Every detector on one text. mlvet's hits win over detect-secrets' on overlaps."""
    hits = scan_text(text, path, cell_source)
    if options.use_detect_secrets and secrets_ds.available():
        specs = secrets_ds.configure(
            secrets_ds.default_plugin_names(options.entropy), options.plugin_files
        )
        taken = Spans()
        for h in hits:
            taken.claim(h.offset, h.offset + max(1, len(h.secret)))
        for h in secrets_ds.scan_text(text, path, specs, [h.offset for h in hits]):
            if taken.claim(h.offset, h.offset + max(1, len(h.secret))):
                hits.append(h)
    if options.allow:
        hits = [h for h in hits if not any(re.search(p, h.secret) for p in options.allow)]
    return hits


def scan_file(
    path: str, options: Options, config: Config | None = None
) -> tuple[list[Finding], list[FileError]]:
    try:
        tf = read_text_file(path)
    except Skip:
        return [], []
    except SourceError as exc:
        return [], [FileError(path, str(exc))]
    errors = [FileError(path, tf.error)] if tf.error else []
    findings: list[Finding] = []
    seen: set[tuple[int | None, int, str]] = set()
    source = ""
    for seg in tf.segments:
        if seg.kind == "source":
            source = seg.text  # outputs follow their cell's source
        if not seg.text:
            continue
        cell_source = source if seg.kind == "output" else None
        for hit in scan_segment(seg.text, path, options, cell_source):
            f = _finding(tf, seg, hit, options)
            key = (f.cell, f.physical_line or f.line, f.snippet)
            if key in seen or _suppressed(seg, f.line, f):
                continue
            if config is not None and config.ignored_for_path(f.rule, f.path):
                continue
            seen.add(key)
            findings.append(f)
    findings.sort(key=Finding.sort_key)
    return findings, errors


_WORKER: tuple[Options, Config] | None = None


def _init_worker(options: Options, config: Config) -> None:
    global _WORKER
    _WORKER = (options, config)


def _work(path: str) -> tuple[list[Finding], list[FileError]]:
    assert _WORKER is not None
    return scan_file(path, *_WORKER)


def scan_files(
    files: Sequence[str], options: Options, config: Config, jobs: int | None = None
) -> Report:
    report = Report(tools=["mlvet"], files_checked=len(files))
    if options.use_detect_secrets and secrets_ds.available():
        report.tools.append("detect-secrets")
    jobs = jobs or default_jobs()
    if jobs <= 1 or len(files) < PARALLEL_THRESHOLD:
        results = [scan_file(p, options, config) for p in files]
    else:
        with process_pool(jobs, _init_worker, (options, config)) as pool:
            results = list(pool.map(_work, files, chunksize=max(1, len(files) // (jobs * 8))))
    for findings, errors in results:
        report.findings.extend(findings)
        report.errors.extend(errors)
    return report


def run_secrets(
    paths: Sequence[str], config: Config, options: Options | None = None, jobs: int | None = None
) -> Report:
    """Discover (git-aware), scan, and return the report (selection honoured)."""
    options = options or options_from_config(config)
    if not config.is_selected(CODE, ("ML5",)):
        return Report(tools=["mlvet"])
    found = discover(paths, config, ("python", "notebook", "other"))
    report = scan_files([f for f, _ in found.files], options, config, jobs)
    report.errors.extend(found.errors)
    if options.use_detect_secrets and not secrets_ds.available():
        report.notices.append(
            "detect-secrets is not installed or not a supported 1.x version "
            "(pip install 'mlvet[secrets]'): only mlvet's own detectors ran"
        )
    return report
