"""pip requirements files: logical lines, options, includes (`-r`, `-c`) with cycles cut.

Follows pip's own reading order: join `\\` continuations, drop comments, then read
options and requirements. Nothing here imports third-party code.
"""

from __future__ import annotations

import codecs
import os
import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from mlvet.findings import FileError
from mlvet.wrappers.audit_deps import (
    NAME,
    VCS_PREFIXES,
    Dependency,
    Origin,
    canonical,
    egg_name,
    is_valid_specifier,
    name_from_url,
    pin_of_specifier,
    url_pin_reason,
)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_INCLUDE_DEPTH = 32

_COMMENT = re.compile(r"(^|\s+)#.*$")
_REQ = re.compile(r"(?P<name>" + NAME + r")\s*(?:\[(?P<extras>[^\]]*)\])?\s*(?P<rest>.*)", re.S)
# Options that take a value, with the include kinds we follow.
_INCLUDE_OPTS = {"-r": "r", "--requirement": "r", "-c": "c", "--constraint": "c"}
_EDITABLE_OPTS = ("-e", "--editable")
# Per-requirement options: everything from the first of these on is not the requirement.
# (--hash, --config-settings, ...; a stray `-f URL` is cut off the same way, as pip would refuse it)
_PER_REQ_OPT = re.compile(r"\s(?:--[A-Za-z]|-[A-Za-z]\b)")
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")  # pip expands only this form
_URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://|file:")


class DepFileError(Exception):
    """A dependency file that cannot be read; the message is one line."""


def read_dep_file(path: str) -> str:
    """UTF-8 text of a dependency file, or DepFileError with a one-line reason."""
    if os.path.islink(path) and not os.path.exists(path):
        raise DepFileError("broken symbolic link")
    try:
        if os.path.isdir(path):
            raise DepFileError("is a directory, not a file")
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise DepFileError(f"too large to be a dependency file ({size} bytes)")
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise DepFileError("no such file") from None
    except OSError as exc:
        raise DepFileError(f"cannot read: {exc.strerror or exc}") from None
    # `pip freeze > requirements.txt` in PowerShell writes UTF-16 with a BOM; pip reads it.
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise DepFileError(f"not valid {codec.upper()} text") from None
    if b"\0" in data:
        raise DepFileError("binary data, not a text dependency file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DepFileError(f"not UTF-8 text (byte {exc.start})") from None


@dataclass(frozen=True)
class Include:
    kind: Literal["r", "c"]
    target: str
    line: int


@dataclass
class ParsedRequirements:
    deps: list[Dependency] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def logical_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(first physical line, column, text) of each non-empty logical line, comments gone."""
    pending: list[str] = []
    first = 0
    for number, raw in enumerate(text.splitlines(), 1):
        is_comment = bool(re.match(r"\s*#", raw))
        if raw.endswith("\\") and not is_comment:
            if not pending:
                first = number
            pending.append(raw[:-1])
            continue
        if pending:
            pending.append(raw if not is_comment else " " + raw)
            joined, start = "".join(pending), first
            pending = []
        else:
            joined, start = raw, number
        yield from _emit(start, joined)
    if pending:
        yield from _emit(first, "".join(pending))


def _emit(number: int, line: str) -> Iterator[tuple[int, int, str]]:
    clean = _COMMENT.sub("", line).strip()
    if clean:
        column = len(line) - len(line.lstrip()) + 1
        yield number, column, clean


def _option_value(tokens: list[str], opt: str) -> str | None:
    """Value of `-r x`, `-rx`, `--requirement x` or `--requirement=x` in tokens."""
    head = tokens[0]
    if head == opt:
        return tokens[1] if len(tokens) > 1 else ""
    if opt.startswith("--") and head.startswith(opt + "="):
        return head[len(opt) + 1 :]
    if not opt.startswith("--") and head.startswith(opt) and len(head) > len(opt):
        return head[len(opt) :]
    return None


def is_local_path(target: str) -> bool:
    """A path to local code (`.`, `./pkg`, `../x.whl`, `C:\\x`): not a pinnable dependency."""
    if _URL_START.match(target) and not re.match(r"[A-Za-z]:[\\/]", target):
        return False
    if target.startswith((".", "/", "~", "\\")) or re.match(r"[A-Za-z]:[\\/]", target):
        return True
    head = re.split(r"\s*[;@\[]", target, maxsplit=1)[0]
    return "/" in head or "\\" in head or head.endswith((".whl", ".tar.gz", ".zip"))


def parse_requirement(
    text: str, path: str, line: int, column: int, origin: Origin, has_hash: bool = False
) -> Dependency | str | None:
    """A Dependency; None for local code; a string (the problem) when unreadable."""
    if text.lower().startswith(VCS_PREFIXES) or _URL_START.match(text):
        url = text.split(" ;", 1)[0].split("; ", 1)[0].strip()
        name = egg_name(url) or name_from_url(url)
        return Dependency(
            name=name,
            path=path,
            line=line,
            column=column,
            text=text,
            origin=origin,
            reason=url_pin_reason(url, has_hash),
            url=url,
        )
    if is_local_path(text):
        return None
    m = _REQ.fullmatch(text)
    if not m:
        return "not a valid requirement"
    name, rest = m.group("name"), m.group("rest").strip()
    if rest.startswith("@"):
        url = re.split(r"\s+;", rest[1:].strip(), maxsplit=1)[0].strip()
        if not url:
            return "not a valid requirement"
        if is_local_path(url) or url.startswith("file:"):
            return None
        return Dependency(
            name=name,
            path=path,
            line=line,
            column=column,
            text=text,
            origin=origin,
            reason=url_pin_reason(url, has_hash),
            url=url,
        )
    spec = rest.split(";", 1)[0].strip()
    if "${" in spec:
        # pip fills `${VAR}` in at install time: the pin cannot be judged from here.
        return Dependency(name=name, path=path, line=line, column=column, text=text, origin=origin)
    if not is_valid_specifier(spec):
        return "not a valid requirement"
    version, reason = pin_of_specifier(spec)
    return Dependency(
        name=name,
        path=path,
        line=line,
        column=column,
        text=text,
        origin=origin,
        version=version,
        reason=reason,
    )


def parse_requirements_text(
    text: str, path: str, origin: Origin = "requirements"
) -> ParsedRequirements:
    """Pure: the requirements, includes and unreadable lines of one requirements file."""
    out = ParsedRequirements()
    for number, column, line in logical_lines(text):
        if line.startswith("-"):
            _option_line(line, path, number, column, origin, out)
            continue
        cut = _PER_REQ_OPT.search(line)
        req_text = line[: cut.start()].strip() if cut else line
        has_hash = cut is not None and "--hash" in line[cut.start() :]
        dep = parse_requirement(req_text, path, number, column, origin, has_hash)
        if isinstance(dep, str):
            out.problems.append((number, dep))
        elif dep is not None:
            out.deps.append(dep)
    return out


def _option_line(
    line: str, path: str, number: int, column: int, origin: Origin, out: ParsedRequirements
) -> None:
    tokens = line.split()
    for opt, kind in _INCLUDE_OPTS.items():
        value = _option_value(tokens, opt)
        if value is not None:
            value = _ENV_VAR.sub(lambda m: os.environ.get(m.group(1), m.group(0)), value)
            if value.startswith("file:") and not value.startswith("file://"):
                value = value[5:]  # conda's `-r file:requirements.txt`
            if not value:
                out.problems.append((number, f"`{opt}` without a file name"))
            else:
                out.includes.append(Include(kind, value, number))  # type: ignore[arg-type]
            return
    for opt in _EDITABLE_OPTS:
        value = _option_value(tokens, opt)
        if value is None:
            continue
        target = line[len(opt) :].strip() if tokens[0] == opt else value
        if not target:
            out.problems.append((number, f"`{opt}` without a target"))
            return
        if is_local_path(target) and not target.lower().startswith(VCS_PREFIXES):
            return  # the project's own code, installed in place
        dep = parse_requirement(target, path, number, column, origin)
        if isinstance(dep, str):
            out.problems.append((number, dep))
        elif dep is not None:
            out.deps.append(dep)
        return
    # Index, find-links, binary and other global options: nothing to audit.


# -- include trees ---------------------------------------------------------------------


@dataclass
class Tree:
    """Everything reachable from one root file through `-r` and `-c`."""

    deps: list[Dependency] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def constraint_pins(self) -> set[str]:
        return {canonical(d.name) for d in self.deps if d.origin == "constraint" and d.pinned}


def include_path(parent: str, target: str) -> str:
    """Display path of an include: relative to the including file's folder."""
    target = target.replace("\\", "/")
    if posixpath.isabs(target) or re.match(r"[A-Za-z]:/", target):
        return target
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(parent), target))
    return joined


def _identity(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


Reader = Callable[[str], str]


def load_tree(
    root: str,
    reader: Reader = read_dep_file,
    *,
    text: str | None = None,
    origin: Origin = "requirements",
    via: tuple[str, int] | None = None,
) -> Tree:
    """Parse `root` and every file it includes, each once; include cycles are cut."""
    tree = Tree()
    seen: set[tuple[str, str]] = set()

    def visit(
        path: str, kind: Origin, depth: int, body: str | None, via: tuple[str, int] | None
    ) -> None:
        key = (_identity(path), kind)
        if key in seen:
            return  # already read (an include cycle, or the same file twice)
        seen.add(key)
        if body is None:
            try:
                body = reader(path)
            except DepFileError as exc:
                if via is None:
                    tree.errors.append(FileError(path, str(exc)))
                else:
                    tree.errors.append(
                        FileError(via[0], f"line {via[1]}: cannot include {path}: {exc}")
                    )
                return
        tree.files.append(path)
        parsed = parse_requirements_text(body, path, kind)
        tree.deps.extend(parsed.deps)
        if len(parsed.problems) == 1:
            n, msg = parsed.problems[0]
            tree.errors.append(FileError(path, f"line {n}: {msg}"))
        elif parsed.problems:  # one line per file, however many lines are unreadable
            lines = ", ".join(str(n) for n, _ in parsed.problems[:10])
            more = "…" if len(parsed.problems) > 10 else ""
            tree.errors.append(
                FileError(
                    path,
                    f"{len(parsed.problems)} lines are not valid requirements "
                    f"(lines {lines}{more}); is this a requirements file?",
                )
            )
        for inc in parsed.includes:
            if _URL_START.match(inc.target):
                continue  # a remote include is not ours to audit
            if depth >= MAX_INCLUDE_DEPTH:
                tree.errors.append(FileError(path, f"line {inc.line}: includes nested too deeply"))
                continue
            child_kind: Origin = "constraint" if inc.kind == "c" or kind == "constraint" else kind
            visit(include_path(path, inc.target), child_kind, depth + 1, None, (path, inc.line))

    visit(root, origin, 0, text, via)
    return tree
