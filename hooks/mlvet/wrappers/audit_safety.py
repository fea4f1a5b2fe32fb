"""The vulnerability lookup, through the safety library against a local database folder.

safety is imported here only, lazily, with its warnings and logging silenced. It is
always handed a folder (never a URL), so it reads files and never opens a connection.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from mlvet.wrappers.audit_deps import Dependency, canonical


class SafetyUnavailable(Exception):
    """safety is not installed, or could not read the database (one line)."""


@dataclass(frozen=True)
class Advisory:
    dep: Dependency
    vuln_id: str
    cve: str | None
    affected: str  # the vulnerable range the pinned version falls in
    fixed: str | None  # the first fixed version above the pinned one
    summary: str
    url: str | None = None


class _NoAuth:
    """What safety asks of its session/platform object: no key, no credentials."""

    api_key = None

    @property
    def platform(self) -> _NoAuth:
        return self

    def get_authentication_type(self) -> None:
        return None

    def is_using_auth_credentials(self) -> bool:
        return False


@contextmanager
def _quiet() -> Iterator[None]:
    """No warnings shown, even from libraries that force their own filters on import."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.showwarning = lambda *args, **kwargs: None
        yield


def _import_safety() -> tuple[ModuleType, Any, Any]:
    for name in ("safety", "api_client", "filelock", "httpx", "authlib"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    try:
        with _quiet():
            from safety import safety as core
            from safety.models import Package, SafetyRequirement
    except Exception as exc:  # ImportError, or an incompatible safety release
        raise SafetyUnavailable(
            f"safety is not installed or not usable ({type(exc).__name__}); "
            "install it with: pip install 'mlvet[audit]'"
        ) from None
    return core, Package, SafetyRequirement


def _first_fixed(fixed: Sequence[str], current: str) -> str | None:
    from packaging.version import InvalidVersion, Version

    try:
        now = Version(current)
    except InvalidVersion:
        return fixed[0] if fixed else None
    later: list[tuple[Version, str]] = []
    for item in fixed:
        try:
            v = Version(item)
        except InvalidVersion:
            continue
        if v > now:
            later.append((v, item))
    return min(later)[1] if later else None


def _summary(text: object) -> str:
    words = " ".join(str(text or "").split())
    return words if len(words) <= 200 else words[:197].rstrip() + "..."


def _listed_names(db_folder: str) -> set[str] | None:
    """Packages with any advisory (the small index file): only these need safety at all."""
    try:
        with open(os.path.join(db_folder, "insecure.json"), encoding="utf-8") as fh:
            listed = json.load(fh).get("vulnerable_packages", {})
    except (OSError, ValueError, AttributeError):
        return None  # let safety read it and say what is wrong
    return {canonical(str(n)) for n in listed} if isinstance(listed, dict) else None


def lookup(deps: Sequence[Dependency], db_folder: str) -> list[Advisory]:
    """Known vulnerabilities of the pinned dependencies, read from `db_folder`."""
    pinned = [d for d in deps if d.version]
    if not pinned:
        return []
    listed = _listed_names(db_folder)
    by_name: dict[str, dict[str, list[Dependency]]] = {}
    for dep in pinned:
        assert dep.version is not None
        name = canonical(dep.name)
        if listed is None or name in listed:
            by_name.setdefault(name, {}).setdefault(dep.version, []).append(dep)
    if not by_name:
        return []
    core, package_cls, requirement_cls = _import_safety()
    packages = []
    for name, versions in by_name.items():
        reqs = []
        for version in versions:
            try:
                reqs.append(requirement_cls(f"{name}=={version}"))
            except Exception:  # a version safety cannot read is not looked up
                continue
        if reqs:
            packages.append(
                package_cls(name=name, version=next(iter(versions)), requirements=reqs, found=None)
            )
    if not packages:
        return []
    auth_kw = "auth" if "auth" in inspect.signature(core.fetch_database).parameters else "session"
    try:
        with _quiet():
            vulns, _ = core.check(
                **{auth_kw: _NoAuth()},
                packages=packages,
                db_mirror=db_folder,
                cached=0,
                ignore_vulns={},
                ignore_severity_rules={},
                include_ignored=True,
                is_env_scan=False,
                telemetry=False,
            )
    except Exception as exc:  # a malformed database, or safety changed its API
        detail = " ".join(str(exc).split())[:200]
        raise SafetyUnavailable(
            f"safety could not read the database in {db_folder}: {type(exc).__name__}: {detail}"
        ) from None
    out: list[Advisory] = []
    for v in vulns:
        version = str(v.analyzed_version or "")
        cve = getattr(v.CVE, "name", None) if v.CVE is not None else None
        affected = " or ".join(sorted(str(s) for s in (v.vulnerable_spec or ()))) or "unknown"
        fixed = _first_fixed([str(f) for f in (v.fixed_versions or [])], version)
        closest = v.closest_versions_without_known_vulnerabilities
        if fixed is None and isinstance(closest, dict) and closest.get("upper"):
            fixed = str(closest["upper"])  # the nearest version above with no known advisory
        for dep in by_name.get(canonical(v.package_name), {}).get(version, []):
            out.append(
                Advisory(
                    dep=dep,
                    vuln_id=str(v.vulnerability_id),
                    cve=cve,
                    affected=affected,
                    fixed=fixed,
                    summary=_summary(v.advisory),
                    url=v.more_info_url or None,
                )
            )
    return out
