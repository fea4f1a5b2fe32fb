"""`mlvet audit`: find dependency declarations, flag unpinned (ML602) and vulnerable (ML601) ones.

paths -> dependency files (requirements*.txt, pyproject.toml, environment.yml) ->
Dependency records -> ML602 from the pin rules, ML601 from safety -> Report.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mlvet.config import Config, ConfigError, is_suppressed
from mlvet.findings import FileError, Finding, Report
from mlvet.wrappers.audit_deps import Dependency, canonical
from mlvet.wrappers.audit_requirements import DepFileError, Tree, load_tree, read_dep_file

FileType = Literal["requirements", "pyproject", "conda"]
AUDIT_PREFIX = ("ML6",)

_REQUIREMENTS_NAME = re.compile(r"requirements[^/]*\.txt", re.I)
# Named on the command line but in a format this audit does not read.
_NOT_READ = (".cfg", ".py", ".lock", ".json", ".ini", ".md", ".rst", "pipfile")
_CONDA_NAME = re.compile(r"(environment|env|conda)([-_.][^/]*)?\.ya?ml", re.I)


def dependency_file_type(path: str, explicit: bool = False) -> FileType | None:
    """What kind of dependency file `path` is (by name); None when it is not one."""
    name = posixpath.basename(path.replace("\\", "/"))
    parent = posixpath.basename(posixpath.dirname(path.replace("\\", "/")))
    lower = name.lower()
    if lower == "pyproject.toml":
        return "pyproject"
    if _CONDA_NAME.fullmatch(name):
        return "conda"
    if _REQUIREMENTS_NAME.fullmatch(name):
        return "requirements"
    if parent.lower() == "requirements" and lower.endswith(".txt"):
        return "requirements"  # requirements/base.txt, requirements/dev.txt
    if explicit:
        if lower.endswith(_NOT_READ):
            return None
        if lower.endswith(".toml"):
            return "pyproject"
        if lower.endswith((".yml", ".yaml")):
            return "conda"
        return "requirements"  # constraints.txt, requirements.in, ... named on purpose
    return None


@dataclass
class Collected:
    deps: list[Dependency] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    lines: dict[str, list[str]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    # (path, line, name) of requirements pinned by a constraints file of their tree
    constrained: set[tuple[str, int, str]] = field(default_factory=set)


def find_files(
    paths: Sequence[str], config: Config
) -> tuple[list[tuple[str, FileType]], list[FileError], list[str]]:
    """Dependency files under `paths`, errors for missing paths, notices for skipped names."""
    from mlvet.discover import discover

    found = discover(paths, config, ["python", "other"])
    explicit = {p.replace(os.sep, "/") for p in paths if not os.path.isdir(p)}
    out: list[tuple[str, FileType]] = []
    notices: list[str] = []
    for path, _ in found.files:
        kind = dependency_file_type(path, explicit=path in explicit)
        if kind is not None:
            out.append((path, kind))
        elif path in explicit:
            notices.append(
                f"{path}: not a dependency file this audit reads "
                "(requirements*.txt, pyproject.toml, environment.yml); skipped"
            )
    return out, list(found.errors), notices


def collect(paths: Sequence[str], config: Config) -> Collected:
    """Every dependency declared in the files under `paths`, each place once."""
    from mlvet.wrappers.audit_manifests import parse_environment, parse_pyproject

    files, errors, notices = find_files(paths, config)
    out = Collected(errors=errors, notices=notices)
    texts = out.texts

    def reader(path: str) -> str:
        if path not in texts:
            texts[path] = read_dep_file(path)
        return texts[path]

    trees: list[Tree] = []
    constraint_files: set[str] = set()
    for path, kind in files:
        if kind == "requirements":
            trees.append(load_tree(path, reader))
            continue
        try:
            text = reader(path)
        except DepFileError as exc:
            out.errors.append(FileError(path, str(exc)))
            continue
        if kind == "pyproject":
            manifest = parse_pyproject(text, path)
        else:
            manifest = parse_environment(text, path, reader)
        out.files.append(path)
        out.deps.extend(manifest.deps)
        out.errors.extend(manifest.errors)
        trees.extend(manifest.trees)
    for tree in trees:
        pins = tree.constraint_pins()
        for dep in tree.deps:
            if dep.origin == "constraint":
                constraint_files.add(dep.path)
            elif not dep.pinned and canonical(dep.name) in pins:
                out.constrained.add((dep.path, dep.line, canonical(dep.name)))
        out.deps.extend(tree.deps)
        out.errors.extend(tree.errors)
        out.files.extend(tree.files)
    # A file used as a constraints file anywhere is a constraints file everywhere.
    out.deps = [
        d if d.path not in constraint_files or d.origin == "constraint" else _as_constraint(d)
        for d in out.deps
    ]
    out.deps = _unique(d for d in out.deps if not config.is_excluded(d.path))
    out.errors = list(dict.fromkeys(out.errors))
    out.files = list(dict.fromkeys(out.files))
    return out


def _as_constraint(dep: Dependency) -> Dependency:
    from dataclasses import replace

    return replace(dep, origin="constraint")


def _unique(deps: Any) -> list[Dependency]:
    """Each place once, even when reached as `./r.txt` and as `r.txt`."""
    seen: set[tuple[str, int, int, str]] = set()
    real: dict[str, str] = {}
    out: list[Dependency] = []
    for d in deps:
        if d.path not in real:
            real[d.path] = os.path.normcase(os.path.realpath(d.path))
        key = (real[d.path], d.line, d.column, d.text)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


# -- findings ----------------------------------------------------------------------------


def _line(collected: Collected, path: str, line: int) -> str:
    lines = collected.lines.get(path)
    if lines is None:
        lines = collected.lines[path] = collected.texts.get(path, "").splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def unpinned_findings(collected: Collected, config: Config) -> list[Finding]:
    from mlvet.wrappers.audit_rules import ML602

    out: list[Finding] = []
    for dep in collected.deps:
        if dep.pinned or dep.origin == "constraint":
            continue
        if (dep.path, dep.line, canonical(dep.name)) in collected.constrained:
            continue
        what = "conda package" if dep.origin == "conda" else "dependency"
        example = f"{dep.name}=={'X.Y.Z'}" if dep.url is None else "@<commit>"
        out.append(
            Finding(
                rule=ML602.code,
                name=ML602.name,
                severity=config.severity_for(ML602.code, ML602.severity),
                path=dep.path,
                line=dep.line,
                column=dep.column,
                source="mlvet",
                message=f"{what} `{dep.text}` is not pinned to an exact version: {dep.reason}",
                fix=(
                    f"pin it (`{example}`)"
                    if dep.url is None
                    else "pin the URL to a commit (`@<sha>`) or add a hash (`#sha256=...`)"
                )
                + ", or pin it in a constraints/lock file",
                snippet=_line(collected, dep.path, dep.line).strip(),
            )
        )
    return out


def advisory_findings(
    advisories: Sequence[Any], collected: Collected, config: Config
) -> list[Finding]:
    from mlvet.wrappers.audit_rules import ML601

    ignored = {str(i).upper() for i in _list(config.section("audit"), "ignore-vulnerabilities")}
    out: list[Finding] = []
    for adv in advisories:
        ids = {adv.vuln_id.upper(), (adv.cve or "").upper()}
        if ignored & ids:
            continue
        dep: Dependency = adv.dep
        ids_shown = [i for i in (adv.vuln_id, adv.cve) if i]
        label = "safety " + (", ".join(ids_shown) or "advisory without an id")
        fixed = f"fixed in {adv.fixed}" if adv.fixed else "no fixed version known"
        message = (
            f"`{dep.name}=={dep.version}` has a known vulnerability ({label}): "
            f"affected {adv.affected}, {fixed}"
        )
        if adv.summary:
            message += f". {adv.summary}"
        fix = (
            f"upgrade to {dep.name}=={adv.fixed} or later"
            if adv.fixed
            else f"replace or remove {dep.name}, or accept the risk in `ignore-vulnerabilities`"
        )
        out.append(
            Finding(
                rule=ML601.code,
                name=ML601.name,
                severity=config.severity_for(ML601.code, ML601.severity),
                path=dep.path,
                line=dep.line,
                column=dep.column,
                source="safety",
                message=message,
                fix=fix,
                snippet=_line(collected, dep.path, dep.line).strip() + " " + adv.vuln_id,
            )
        )
    return out


def _list(section: Mapping[str, Any], key: str) -> list[str]:
    value = section.get(key, [])
    if isinstance(value, (str, int)):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"[tool.mlvet.audit] `{key}` must be a list")
    return [str(v) for v in value]


def keep(findings: Sequence[Finding], collected: Collected, config: Config) -> list[Finding]:
    """Selection, per-file ignores and `# mlvet: ignore[...]` on the dependency's line."""
    out: list[Finding] = []
    seen: set[tuple[str, str, int, int, str]] = set()
    for f in findings:
        if not config.is_selected(f.rule, AUDIT_PREFIX) or config.ignored_for_path(f.rule, f.path):
            continue
        if is_suppressed(f, _line(collected, f.path, f.line)):
            continue
        key = (f.rule, f.path, f.line, f.column, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# -- the run -----------------------------------------------------------------------------


class AuditAbort(Exception):
    """The audit cannot do what was asked (no database where one is required): exit 2."""


@dataclass(frozen=True)
class AuditOptions:
    db: str | None = None
    require_db: bool = False
    offline: bool = False
    timeout: float = 10.0
    db_url: str | None = None
    notices: tuple[str, ...] = ()


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    value = (environ if environ is not None else os.environ).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def options_from(
    config: Config,
    *,
    db: str | None = None,
    require_db: bool = False,
    offline: bool = False,
    timeout: float | None = None,
) -> AuditOptions:
    """Command line over `[tool.mlvet.audit]`; a relative `db` there is relative to the file."""
    section = config.section("audit")
    unknown = set(section) - {
        "db",
        "db-url",
        "offline",
        "require-db",
        "timeout",
        "ignore-vulnerabilities",
    }
    notices = tuple(f"unknown key `{k}` in [tool.mlvet.audit] (ignored)" for k in sorted(unknown))
    db_value = db
    if db_value is None and section.get("db") is not None:
        if not isinstance(section["db"], str):
            raise ConfigError("[tool.mlvet.audit] `db` must be a path")
        db_value = os.path.join(str(config.root), os.path.expanduser(section["db"]))
    raw_timeout = timeout if timeout is not None else section.get("timeout", 10.0)
    if (
        isinstance(raw_timeout, bool)
        or not isinstance(raw_timeout, (int, float))
        or raw_timeout <= 0
    ):
        raise ConfigError("[tool.mlvet.audit] `timeout` must be a positive number of seconds")
    url = section.get("db-url")
    if url is not None and not isinstance(url, str):
        raise ConfigError("[tool.mlvet.audit] `db-url` must be a string")
    return AuditOptions(
        db=db_value,
        require_db=require_db or bool(section.get("require-db", False)) or in_ci(),
        offline=offline or bool(section.get("offline", False)),
        timeout=float(raw_timeout),
        db_url=url,
        notices=notices,
    )


def run_audit(paths: Sequence[str], config: Config, options: AuditOptions) -> Report:
    """The whole audit. Raises AuditAbort (one line) when a required database is missing."""
    from mlvet.wrappers.audit_db import DatabaseError, Missing, find_database
    from mlvet.wrappers.audit_safety import SafetyUnavailable, lookup

    collected = collect(paths, config)
    report = Report(
        errors=collected.errors,
        notices=[*config.notices, *options.notices, *collected.notices],
        files_checked=len(collected.files),
    )
    findings = unpinned_findings(collected, config)
    wants_vulns = config.is_selected("ML601", AUDIT_PREFIX)
    if wants_vulns and collected.files:
        try:
            db = find_database(
                options.db, url=options.db_url, offline=options.offline, timeout=options.timeout
            )
        except DatabaseError as exc:
            raise AuditAbort(str(exc)) from None
        if isinstance(db, Missing):
            why = (
                f"no vulnerability database ({db.reason}); ML601 not checked: "
                "pass --db DIR or allow network access"
            )
            if options.require_db:
                raise AuditAbort(why)
            report.notices.append(why)
        else:
            if db.notice:
                report.notices.append(db.notice)
            try:
                advisories = lookup(collected.deps, db.folder)
            except SafetyUnavailable as exc:
                if options.require_db or options.db:
                    raise AuditAbort(str(exc)) from None
                report.notices.append(f"{exc}; ML601 not checked")
            else:
                findings.extend(advisory_findings(advisories, collected, config))
                report.tools = ["mlvet", "safety"]
    report.findings = keep(findings, collected, config)
    return report.sorted()
