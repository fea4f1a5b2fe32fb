"""Model-file scanner (ML401-ML405): reads artifacts without loading them.

`scan_paths` is what the engine calls with every non-code file discovery found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mlvet.artifacts.policy import Allowlist, classify, display
from mlvet.config import Config
from mlvet.findings import FileError, Finding, Report
from mlvet.registry import Rule

if TYPE_CHECKING:  # the readers (zipfile, tarfile, lzma...) load only when scanning
    from mlvet.artifacts.scan import FileScan

__all__ = ["scan_paths"]

# How many items one message lists before "and N more".
MAX_LISTED = 25


def scan_paths(paths: Sequence[str], config: Config, rules: dict[str, Rule]) -> Report:
    """Scan every path; report only the selected ML4xx `rules`."""
    report = Report()
    if not rules:
        return report
    from mlvet.artifacts.scan import scan_file

    allow = Allowlist.from_entries(config.allowed_pickle_globals)
    large: list[FileScan] = []
    for path in paths:
        result = scan_file(path)
        if result.error is not None:
            report.errors.append(FileError(path, result.error))
            continue
        if result.is_artifact:
            report.files_checked += 1
        report.findings.extend(_findings(result, config, rules, allow))
        if "ML403" in rules and result.size > config.max_artifact_size and result.kind != "lfs-pointer":
            large.append(result)
    if large:
        from mlvet.artifacts.lfs import lfs_tracked

        tracked = lfs_tracked([r.path for r in large])
        for r in large:
            if r.path not in tracked:
                report.findings.extend(_make(
                    "ML403", r.path, config, rules,
                    f"{_size(r.size)} file is not tracked by Git LFS "
                    f"(limit {_size(config.max_artifact_size)})",
                    snippet=f"size>{config.max_artifact_size}",
                ))
    return report


def _size(n: int) -> str:
    if n >= 1 << 30:
        return f"{n / (1 << 30):.1f} GiB"
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.1f} KiB"
    return f"{n} bytes"


def _at(label: str, where: str) -> str:
    return f"{label} [{where}]" if where else label


def _listing(items: list[str]) -> str:
    unique = list(dict.fromkeys(items))
    shown = ", ".join(unique[:MAX_LISTED])
    if len(unique) > MAX_LISTED:
        shown += f" and {len(unique) - MAX_LISTED} more"
    return shown


def _make(code: str, path: str, config: Config, rules: dict[str, Rule], message: str,
          snippet: str) -> list[Finding]:
    rule = rules.get(code)
    if rule is None or config.ignored_for_path(code, path):
        return []
    return [Finding(
        rule=code, name=rule.name, severity=config.severity_for(code, rule.severity),
        path=path, line=1, column=1, message=message, fix=rule.fix, snippet=snippet,
    )]


def _findings(result: FileScan, config: Config, rules: dict[str, Rule], allow: Allowlist) -> list[Finding]:
    col = result.col
    path = result.path
    dangerous: list[str] = []
    unknown: list[str] = []
    for where, module, name in col.imports:
        verdict = classify(module, name, allow)
        if verdict == "dangerous":
            dangerous.append(_at(display(module, name), where))
        elif verdict == "unknown":
            unknown.append(_at(display(module, name), where))
    dangerous += [_at(f"hidden import ({what})", where) for where, what in col.unresolved]
    code_danger = [_at(what, where) for where, what, bad in col.code if bad]
    code_unknown = [_at(what, where) for where, what, bad in col.code if not bad]
    unknown += [_at(f"extension code {code} (copyreg registry)", where) for where, code in col.ext_codes]
    out: list[Finding] = []
    if dangerous or code_danger:
        parts = []
        if dangerous:
            parts.append(f"pickle imports callables that can run code: {_listing(dangerous)}")
        if code_danger:
            parts.append(f"Keras config carries code: {_listing(code_danger)}")
        out += _make("ML401", path, config, rules, "; ".join(parts),
                     snippet=", ".join(sorted(set(dangerous + code_danger))))
    if unknown or code_unknown:
        parts = []
        if unknown:
            parts.append(f"pickle imports outside the allowlist: {_listing(unknown)}")
        if code_unknown:
            parts.append(f"Keras config imports custom code: {_listing(code_unknown)}")
        out += _make("ML402", path, config, rules, "; ".join(parts),
                     snippet=", ".join(sorted(set(unknown + code_unknown))))
    if col.unreadable:
        msgs = [_at(msg, where) for where, msg in col.unreadable]
        out += _make("ML404", path, config, rules, f"cannot fully read {result.kind} file: {_listing(msgs)}",
                     snippet=", ".join(sorted(set(msgs))))
    if col.unsafe:
        msgs = [_at(msg, where) for where, msg in col.unsafe]
        out += _make("ML405", path, config, rules, f"unsafe archive: {_listing(msgs)}",
                     snippet=", ".join(sorted(set(msgs))))
    return out
