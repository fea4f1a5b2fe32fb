"""pyproject.toml and conda environment.yml: the dependencies they declare, with lines.

tomllib gives no positions, so each requirement string is found again in the text,
in order, from its table's header on; yaml's composer gives node positions directly.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mlvet.findings import FileError
from mlvet.wrappers.audit_deps import (
    Dependency,
    Origin,
    canonical,
    conda_skipped,
    conda_to_pypi,
    parse_conda_spec,
)
from mlvet.wrappers.audit_requirements import (
    Reader,
    Tree,
    include_path,
    load_tree,
    parse_requirements_text,
    read_dep_file,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass
class Manifest:
    deps: list[Dependency] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    # Requirements files a conda pip section includes with `-r`.
    trees: list[Tree] = field(default_factory=list)


# -- pyproject.toml --------------------------------------------------------------------


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _table_rx(table: str) -> re.Pattern[str]:
    parts = r"\s*\.\s*".join(re.escape(p) for p in table.split("."))
    return re.compile(r"^\s*\[\s*" + parts + r"\s*\]", re.M)


def _key_rx(key: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w.-])[\"']?" + re.escape(key) + r"[\"']?\s*=")


def _offset(text: str, table: str, keys: tuple[str, ...]) -> int:
    """Where the value of `keys` inside `[table]` starts (0 when it cannot be found)."""
    m = _table_rx(table).search(text)
    if m is None:
        return 0
    pos = m.end()
    for key in keys:
        km = _key_rx(key).search(text, pos)
        if km is None:
            return pos
        pos = km.start()
    return pos


def _header_offset(text: str, table: str, key: str) -> int:
    if table == "project.optional-dependencies" and _table_rx(table).search(text) is None:
        return _offset(text, "project", ("optional-dependencies", key))
    return _offset(text, table, (key,))


class _Locator:
    """Finds each requirement string literal in the text, in declaration order."""

    def __init__(self, text: str) -> None:
        self.text = text

    def find(self, value: str, start: int) -> int | None:
        best: int | None = None
        for quote in ('"', "'"):
            pos = self.text.find(f"{quote}{value}{quote}", start)
            if pos >= 0 and (best is None or pos < best):
                best = pos
        if best is None:
            # Escapes (`\"3.10\"`) change the text: look for the part before the first one.
            head = re.split(r"[\\\"']", value, maxsplit=1)[0]
            if head:
                m = re.compile("[\"']" + re.escape(head)).search(self.text, start)
                best = m.start() if m else None
        return best


def parse_pyproject(text: str, path: str) -> Manifest:
    out = Manifest()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        out.errors.append(FileError(path, f"not valid TOML: {exc}"))
        return out
    project = data.get("project", {})
    groups: list[tuple[str, str, Any, str]] = []
    own = ""
    if isinstance(project, dict):
        own = canonical(str(project.get("name", "")))
        if "dependencies" in project:
            groups.append(
                ("project", "dependencies", project["dependencies"], "project.dependencies")
            )
        optional = project.get("optional-dependencies", {})
        if isinstance(optional, dict):
            for extra, reqs in optional.items():
                groups.append(
                    (
                        "project.optional-dependencies",
                        str(extra),
                        reqs,
                        f"project.optional-dependencies.{extra}",
                    )
                )
        elif optional:
            out.errors.append(FileError(path, "`project.optional-dependencies` must be a table"))
    dep_groups = data.get("dependency-groups", {})
    if isinstance(dep_groups, dict):
        for group, reqs in dep_groups.items():
            groups.append(("dependency-groups", str(group), reqs, f"dependency-groups.{group}"))
    elif dep_groups:
        out.errors.append(FileError(path, "`dependency-groups` must be a table"))
    locator = _Locator(text)
    for table, key, reqs, where in groups:
        if not isinstance(reqs, list):
            out.errors.append(FileError(path, f"`{where}` must be a list of requirement strings"))
            continue
        cursor = _header_offset(text, table, key)
        for req in reqs:
            if isinstance(req, dict) and "include-group" in req:
                continue  # the included group's entries are reported where they are declared
            if not isinstance(req, str):
                out.errors.append(FileError(path, f"`{where}`: not a requirement string: {req!r}"))
                continue
            pos = locator.find(req, cursor)
            if pos is None:
                line, column = _line_col(text, cursor)
            else:
                line, column = _line_col(text, pos)
                cursor = pos + 1
            _add_requirement_string(req, path, line, column, own, out)
    return out


def _add_requirement_string(
    req: str, path: str, line: int, column: int, own: str, out: Manifest
) -> None:
    parsed = parse_requirements_text(req, path, "pyproject")
    for n, problem in parsed.problems:
        del n
        out.errors.append(FileError(path, f"line {line}: {problem}"))
    for dep in parsed.deps:
        if own and canonical(dep.name) == own:
            continue  # `mypkg[extra]` inside mypkg's own extras
        out.deps.append(_at(dep, line, column, req))


def _at(dep: Dependency, line: int, column: int, text: str | None = None) -> Dependency:
    from dataclasses import replace

    return replace(dep, line=line, column=column, text=text if text is not None else dep.text)


# -- conda environment.yml ---------------------------------------------------------------


def parse_environment(text: str, path: str, reader: Reader = read_dep_file) -> Manifest:
    import yaml

    out = Manifest()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        out.errors.append(FileError(path, f"not valid YAML: {problem}{where}"))
        return out
    if root is None:
        return out
    if not isinstance(root, yaml.MappingNode):
        out.errors.append(FileError(path, "not a conda environment file (expected a mapping)"))
        return out
    deps_node = _mapping_get(root, "dependencies")
    if deps_node is None:
        return out
    if not isinstance(deps_node, yaml.SequenceNode):
        out.errors.append(FileError(path, "`dependencies` must be a list"))
        return out
    for item in deps_node.value:
        if isinstance(item, yaml.ScalarNode):
            _conda_item(
                str(item.value), item.start_mark.line + 1, item.start_mark.column + 1, path, out
            )
        elif isinstance(item, yaml.MappingNode):
            pip = _mapping_get(item, "pip")
            if isinstance(pip, yaml.SequenceNode):
                _pip_items(pip.value, path, out, reader)
            elif pip is not None:
                out.errors.append(
                    FileError(path, f"line {pip.start_mark.line + 1}: `pip` must be a list")
                )
    return out


def _mapping_get(node: Any, key: str) -> Any:
    for k, v in node.value:
        if getattr(k, "value", None) == key:
            return v
    return None


def _conda_item(spec: str, line: int, column: int, path: str, out: Manifest) -> None:
    parsed = parse_conda_spec(spec)
    if parsed is None:
        out.errors.append(FileError(path, f"line {line}: not a conda package spec: {spec!r}"))
        return
    name, version, reason = parsed
    if conda_skipped(name):
        return
    out.deps.append(
        Dependency(
            name=conda_to_pypi(name),
            path=path,
            line=line,
            column=column,
            text=spec.strip(),
            origin="conda",
            version=version,
            reason=reason,
        )
    )


def _pip_items(items: Iterable[Any], path: str, out: Manifest, reader: Reader) -> None:
    import yaml

    for item in items:
        if not isinstance(item, yaml.ScalarNode):
            out.errors.append(
                FileError(path, f"line {item.start_mark.line + 1}: pip entries must be strings")
            )
            continue
        line, column = item.start_mark.line + 1, item.start_mark.column + 1
        parsed = parse_requirements_text(str(item.value), path, "conda-pip")
        for _, problem in parsed.problems:
            out.errors.append(FileError(path, f"line {line}: {problem}"))
        for dep in parsed.deps:
            out.deps.append(_at(dep, line, column))
        for inc in parsed.includes:
            # pip runs from the environment file's folder, so includes are relative to it.
            origin: Origin = "constraint" if inc.kind == "c" else "requirements"
            sub = load_tree(include_path(path, inc.target), reader, origin=origin, via=(path, line))
            out.trees.append(sub)
