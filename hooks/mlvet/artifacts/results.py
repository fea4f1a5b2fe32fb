"""Turning what scanning a file observed into ML401-ML405 findings."""

from __future__ import annotations

from mlvet.artifacts.policy import Allowlist, classify, display
from mlvet.artifacts.scan import FileScan
from mlvet.config import Config
from mlvet.findings import Finding
from mlvet.registry import Rule

# How many items one message lists before "and N more".
MAX_LISTED = 25


def human_size(n: int) -> str:
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


def make_finding(
    code: str, path: str, config: Config, rules: dict[str, Rule], message: str, snippet: str
) -> list[Finding]:
    rule = rules.get(code)
    if rule is None or config.ignored_for_path(code, path):
        return []
    return [
        Finding(
            rule=code,
            name=rule.name,
            severity=config.severity_for(code, rule.severity),
            path=path,
            line=1,
            column=1,
            message=message,
            fix=rule.fix,
            snippet=snippet,
        )
    ]


def findings_for(
    result: FileScan, config: Config, rules: dict[str, Rule], allow: Allowlist
) -> list[Finding]:
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
    unknown += [
        _at(f"extension code {code} (copyreg registry)", where) for where, code in col.ext_codes
    ]
    out: list[Finding] = []
    if dangerous or code_danger:
        parts = []
        if dangerous:
            parts.append(f"pickle imports callables that can run code: {_listing(dangerous)}")
        if code_danger:
            parts.append(f"Keras config carries code: {_listing(code_danger)}")
        out += make_finding(
            "ML401",
            path,
            config,
            rules,
            "; ".join(parts),
            snippet=", ".join(sorted(set(dangerous + code_danger))),
        )
    if unknown or code_unknown:
        parts = []
        if unknown:
            parts.append(f"pickle imports outside the allowlist: {_listing(unknown)}")
        if code_unknown:
            parts.append(f"Keras config imports custom code: {_listing(code_unknown)}")
        out += make_finding(
            "ML402",
            path,
            config,
            rules,
            "; ".join(parts),
            snippet=", ".join(sorted(set(unknown + code_unknown))),
        )
    if col.unreadable:
        msgs = [_at(msg, where) for where, msg in col.unreadable]
        out += make_finding(
            "ML404",
            path,
            config,
            rules,
            f"unreadable {result.kind} file: {_listing(msgs)}",
            snippet=", ".join(sorted(set(msgs))),
        )
    if col.unsafe:
        msgs = [_at(msg, where) for where, msg in col.unsafe]
        out += make_finding(
            "ML405",
            path,
            config,
            rules,
            f"unsafe archive: {_listing(msgs)}",
            snippet=", ".join(sorted(set(msgs))),
        )
    return out
