"""Keys without a prefix, found through where they sit: the variable, key, call or file.

`WANDB_API_KEY=0123...` (.env, export, YAML, INI, Dockerfile ENV, JSON), `wandb.login(
key="...")` (also across lines), `wandb:\\n  api_key: ...` (a parent key or [section]),
`kaggle.json`'s "key", a `.netrc` password for api.wandb.ai. A hex string anywhere else
is a hash and stays quiet.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass

from mlvet.wrappers.secrets_detectors import (
    CONTEXT_VENDORS,
    CONTEXT_WORDS_RX,
    FILE_VENDORS,
    SECRETS_FILE_VENDOR,
    VENDOR_BY_SLUG,
    Vendor,
    secrets_file_label,
)
from mlvet.wrappers.secrets_filters import hash_context, is_placeholder

# name <sep> value, with the quoting of Python, shell, YAML, JSON, INI and TOML.
_ASSIGN = re.compile(
    # Bounded name: on one very long word an unbounded one backtracks quadratically.
    r"(?P<name>[A-Za-z_][\w.\-]{0,100})(?P<close>[\"'`]?\]?)[ \t]*"
    # A Python annotation between name and value: `wandb_api_key: str = "..."`.
    r"(?::[ \t]*[A-Za-z_][\w.\[\], |]{0,40}?[ \t]*(?==))?"
    r"(?P<sep>=>|:=|==?|:|,|\(|[ \t](?=[ \t]*[\"']?[A-Za-z0-9]))[ \t]*"
    r"(?:[rbuf]?(?P<q>[\"'`]))?"
    r"(?P<value>[^\s\"'`,;()\[\]{}<>]{8,400})"
)
_DOCKER_ENV = re.compile(r"^\s*ENV\s+(?P<name>[A-Za-z_]\w*)\s+(?P<value>\S+)\s*$")
# Names whose value is a secret, unless they say they hold something else.
_SECRETISH = re.compile(r"key|token|secret|pass|pwd|auth|credential")
# Names that hold something other than the secret (a path, an id, a URL)...
_NOT_SECRET_STRONG = re.compile(r"file|path|dir|url|uri|endpoint|host|experiment|run_|_run|_id$")
# ...and words that only count when the name does not end in _key / _token.
_NOT_SECRET = re.compile(
    r"name|version|deployment|project|workspace|entity|_env|env_|var|mode|type|id$|_ids?_|"
    r"len|size|count|expir|header|field|format"
)
_GENERIC_NAMES = frozenset({"value", "default"})
_CREDENTIAL_NAME = re.compile(
    r"(?:api_?key|apikey|key|token|api_?token|access_?token|auth_?token|secret|secret_?key|"
    r"password|passwd|credentials?)$"
)
_AZURE = VENDOR_BY_SLUG["azure-openai-key"]
_WANDB = VENDOR_BY_SLUG["wandb-api-key"]
_KAGGLE = VENDOR_BY_SLUG["kaggle-api-key"]
# `wandb login KEY`, also as an argument list: `["wandb", "login", "--relogin", KEY]`.
_ARG_SEP = r"(?:[\"']?\s*,\s*[\"']?|[\"']?\s+[\"']?)"
_WANDB_CLI = re.compile(
    r"wandb"
    + _ARG_SEP
    + r"login"
    + _ARG_SEP
    + r"(?:--?[\w-]+(?:[ =](?!\b[0-9a-f]{40}\b)[^\s,\"']+)?"
    + _ARG_SEP
    + r")*"
    r"(?P<value>[0-9a-f]{40})\b"
)
_WANDB_PIPE = re.compile(
    r"\becho\s+(?:-n\s+)?[\"']?(?P<value>[0-9a-f]{40})[\"']?\s*\|\s*wandb\s+login"
)
_KAGGLE_JSON = re.compile(r"[\"']key[\"']\s*:\s*[\"'](?P<value>[0-9a-f]{32})[\"']")
_NETRC_ENTRY = re.compile(
    r"\bmachine\s+(?P<host>\S+)\s+(?:login\s+\S+\s+)?"
    r"password\s+(?P<value>[^\s\"'\\]+)"
)
_CALL_OWNER = re.compile(r"([A-Za-z_][\w.]*)\s*$")
_SECTION = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+\s*$")
_YAML_KEY = re.compile(r"^(\s*)(?:-\s+)?[\"']?([\w.\-]+)[\"']?\s*:\s*(?:#.*)?$")
_API_KEY_NAME = re.compile(r"(?:x_)?api_?key")
_K8S_NAME = re.compile(
    r"^\s*-?\s*[\"']?name[\"']?\s*:\s*[\"']?([A-Za-z_][\w.\-]{0,80})[\"']?\s*,?\s*$"
)
# Lines after a vendor word that may still belong to its call or block.
_WINDOW = 8


@dataclass(frozen=True)
class ContextHit:
    offset: int  # where the secret starts in the text
    vendor: Vendor
    secret: str
    where: str  # "assigned to WANDB_API_KEY", "passed to wandb.login(key=...)"


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def _vendor_in(text: str) -> Vendor | None:
    low = text.lower()
    for vendor in CONTEXT_VENDORS:
        if vendor.words.search(low):
            return vendor
    return None


def _enclosing_owner(text: str, pos: int, limit: int = 800) -> tuple[str, str] | None:
    """(callee or key, bracket) before the innermost unclosed ( or { around `pos`."""
    depth = 0
    start = max(0, pos - limit)
    i = pos - 1
    while i >= start:
        c = text[i]
        if c in ")}]":
            depth += 1
        elif c in "({[":
            if depth == 0:
                if c == "[":
                    i -= 1
                    continue
                before = text[max(0, i - 120) : i]
                if c == "{":
                    # JSON/dict: "wandb": {  or  wandb = {
                    m = re.search(r"[\"']?([\w.\-]+)[\"']?\s*[:=]\s*$", before)
                    return (m.group(1), c) if m else None
                m = _CALL_OWNER.search(before)
                return (m.group(1), c) if m else None
            depth -= 1
        i -= 1
    return None


def _block_owner(lines: list[str], index: int) -> str | None:
    """The YAML parent key (less indented `key:`) or INI/TOML [section] above a line."""
    line = lines[index]
    indent = len(line) - len(line.lstrip())
    for j in range(index - 1, max(-1, index - 40), -1):
        prev = lines[j]
        if not prev.strip():
            continue
        m = _SECTION.match(prev)
        if m:
            return m.group(1)
        m = _YAML_KEY.match(prev)
        if m and len(m.group(1)) < indent:
            return m.group(2)
    return None


_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+\(?([^)\n#]+)", re.M)
_IMPORT_AS = re.compile(r"^[ \t]*import[ \t]+([\w.]+)[ \t]+as[ \t]+(\w+)", re.M)


class Imports:
    """Names bound by imports (`from comet_ml import Experiment`), read on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._map: dict[str, str] | None = None

    def module_of(self, dotted: str) -> str:
        if self._map is None:
            self._map = {}
            for m in _FROM_IMPORT.finditer(self._text):
                for part in m.group(2).split(","):
                    bits = part.split()
                    if bits:
                        self._map[bits[-1]] = m.group(1)
            for m in _IMPORT_AS.finditer(self._text):
                self._map[m.group(2)] = m.group(1)
        return self._map.get(dotted.split(".", 1)[0], "")

    def vendor_aliases(self) -> list[str]:
        """Imported names that stand for a vendor's module without naming it."""
        self.module_of("")
        assert self._map is not None
        return [n for n, mod in self._map.items() if _vendor_in(mod) and not _vendor_in(n)]


# Methods that only a vendor's client has: `api.set_config_value("key", ...)` is Kaggle's.
_VENDOR_METHODS = {"set_config_value": _KAGGLE}


def _callee_vendor(callee: str, imports: Imports) -> Vendor | None:
    return (
        _vendor_in(callee)
        or _vendor_in(imports.module_of(callee))
        or _VENDOR_METHODS.get(callee.rsplit(".", 1)[-1])
    )


def _resolve(
    name: str,
    text: str,
    offset: int,
    lines: list[str],
    line_index: int,
    file_vendor: Vendor | None,
    sep: str,
    imports: Imports,
) -> tuple[Vendor, str] | None:
    low = name.lower()
    if sep == "(":
        vendor = _callee_vendor(name, imports)
        return (vendor, f"passed to {name}()") if vendor else None
    if _NOT_SECRET_STRONG.search(low) or (
        _NOT_SECRET.search(low) and not low.endswith(("_key", "_token", "apikey"))
    ):
        return None
    named = _vendor_in(low)
    if named is not None and _SECRETISH.search(low):
        return named, f"assigned to {name}"
    if not _SECRETISH.search(low) and low not in _GENERIC_NAMES:
        return None
    owner = _enclosing_owner(text, offset)
    if owner:
        vendor = _callee_vendor(owner[0], imports) if owner[1] == "(" else _vendor_in(owner[0])
        if vendor:
            if owner[1] == "(":
                return vendor, f"passed to {owner[0]}({name}=…)"
            return vendor, f"assigned to {owner[0]}.{name}"
    block = _block_owner(lines, line_index)
    if block:
        vendor = _vendor_in(block)
        if vendor:
            return vendor, f"assigned to {block}.{name}"
    if low == "default" and owner and owner[1] == "(":
        got = _option_vendor(text, offset)  # add_argument("--wandb-key", default="...")
        if got:
            return got
    if line_index > 0 and low in _GENERIC_NAMES | {"password", "secret"}:
        # k8s env: `- name: WANDB_API_KEY` / `value: ...`. Only a `name: X` line counts
        # (and names the variable; any other line above may itself hold a secret).
        m = _K8S_NAME.match(lines[line_index - 1])
        vendor = _vendor_in(m.group(1)) if m else None
        if m and vendor:
            return vendor, f"assigned to {m.group(1)}"
    if file_vendor is not None:
        return file_vendor, f"assigned to {name}"
    # Last resort, for plain credential names only: the vendor named on the same line
    # or in a comment just above (`# wandb` / `API_KEY = ...`).
    last = low.rsplit(".", 1)[-1].replace("-", "_")
    if _CREDENTIAL_NAME.match(last):
        # An `api-key` header (Azure's REST API) may sit a few lines below its endpoint.
        near = 4 if _API_KEY_NAME.fullmatch(last) else 2
        for j in range(line_index, max(-1, line_index - near), -1):
            if j < line_index and near == 2 and not lines[j].lstrip().startswith(("#", "//")):
                continue
            vendor = _vendor_in(lines[j])
            if vendor:
                return vendor, f"assigned to {name}"
    return None


_OPTION = re.compile(
    r"(?:add_argument|option)\(\s*(?:[\"']-[\w\-]*[\"']\s*,\s*)?"
    r"[\"']--?(?P<name>[\w\-]+)[\"']"
)


def _option_vendor(text: str, offset: int) -> tuple[Vendor, str] | None:
    """The vendor key a command-line option names, for the default value at `offset`."""
    window = text[max(0, offset - 400) : offset]
    found = list(_OPTION.finditer(window))
    if not found or window.count("(", found[-1].end()) > window.count(")", found[-1].end()):
        return None  # no option call, or the value sits in a nested call
    name = found[-1].group("name").replace("-", "_").lower()
    if (
        not _SECRETISH.search(name)
        or _NOT_SECRET_STRONG.search(name)
        or (_NOT_SECRET.search(name) and not name.endswith(("_key", "_token", "apikey")))
    ):
        return None
    vendor = _vendor_in(name)
    return (vendor, f"default of --{found[-1].group('name')}") if vendor else None


def scan_context(text: str, filename: str) -> Iterator[ContextHit]:
    """Prefix-less vendor keys. Cheap unless the text names a vendor."""
    base = filename.rsplit("/", 1)[-1].lower()
    file_vendor = VENDOR_BY_SLUG.get(FILE_VENDORS.get(base, ""))
    label = secrets_file_label(base)
    if file_vendor is None and label is not None:
        file_vendor = dataclasses.replace(SECRETS_FILE_VENDOR, label=label)
    if base in (".netrc", "_netrc"):
        yield from _scan_netrc(text)
        return
    if "machine" in text and "password" in text:
        yield from _scan_netrc_inline(text)
    yield from _scan_cli_and_json(text)
    if file_vendor is None and not CONTEXT_WORDS_RX.search(text.lower()):
        return
    imports = Imports(text)
    lines = text.split("\n")
    starts = _line_starts(text)
    if file_vendor is not None:
        candidates: set[int] = set(range(len(lines)))
    else:
        candidates = set()
        words = [CONTEXT_WORDS_RX]
        aliases = imports.vendor_aliases()
        if aliases:  # `import wandb as wb` ... `wb.login(key=...)` far below
            words.append(re.compile(r"\b(?:" + "|".join(map(re.escape, aliases)) + r")\b"))
        for rx in words:
            for m in rx.finditer(text.lower() if rx is CONTEXT_WORDS_RX else text):
                first = bisect.bisect_right(starts, m.start()) - 1
                candidates.update(range(first, min(len(lines), first + _WINDOW)))
    seen: set[tuple[int, str]] = set()
    for index in sorted(candidates):
        line = lines[index]
        if len(line) < 10:
            continue
        for name, value, col, sep in _pairs(line):
            offset = starts[index] + col
            if (offset, value) in seen:
                continue
            got = _resolve(name, text, offset, lines, index, file_vendor, sep, imports)
            if (
                got is None
                and "openai" in name.lower()
                and _AZURE.value_ok(value)
                and _SECRETISH.search(name.lower())
            ):
                got = _AZURE, f"assigned to {name}"  # OpenAI's own keys are never hex
            if got is None:
                continue
            vendor, where = got
            if not vendor.value_ok(value) or is_placeholder(value):
                continue
            seen.add((offset, value))
            yield ContextHit(offset, vendor, value, where)


# Context pairs are looked for in the first part of a line only: a minified or generated
# line of megabytes holds no `NAME = value` a person wrote.
MAX_CONTEXT_LINE = 20_000


def _pairs(line: str) -> Iterator[tuple[str, str, int, str]]:
    line = line[:MAX_CONTEXT_LINE]
    m = _DOCKER_ENV.match(line)
    if m:
        yield m.group("name"), m.group("value").strip("\"'"), m.start("value"), "="
        return
    pos = 0
    while True:
        m = _ASSIGN.search(line, pos)
        if m is None:
            return
        # The value may itself start the next pair (`co = cohere.Client("...")`).
        pos = m.start("value")
        sep = m.group("sep")
        if sep == "," and not m.group("close"):
            continue  # `f(a, b)`: only ("NAME", "value") pairs count
        if sep.strip() == "" and not line.lstrip().lower().startswith(("env ", "export ")):
            continue
        value = m.group("value")
        if not m.group("q"):
            value = value.rstrip(".")
        yield m.group("name"), value, m.start("value"), sep


_NETRC_TOKEN = re.compile(r"\S+")


def _scan_netrc(text: str) -> Iterator[ContextHit]:
    """`machine api.wandb.ai login user password KEY`, tokens across lines."""
    tokens = [(m.group(0), m.start()) for m in _NETRC_TOKEN.finditer(text)]
    host = ""
    netrc_vendor = Vendor(
        "netrc-password",
        ".netrc password",
        re.compile("$^"),
        lambda v: True,
        "the service the machine entry points at",
    )
    for i, (tok, _) in enumerate(tokens):
        if tok == "machine" and i + 1 < len(tokens):
            host = tokens[i + 1][0]
        elif tok == "password" and i + 1 < len(tokens):
            value, offset = tokens[i + 1]
            if is_placeholder(value) or len(value) < 6:
                continue
            vendor = _vendor_in(host) or netrc_vendor
            if vendor.slug != "netrc-password" and not vendor.value_ok(value):
                vendor = netrc_vendor
            yield ContextHit(offset, vendor, value, f"for machine {host or '(default)'}")


def _scan_netrc_inline(text: str) -> Iterator[ContextHit]:
    """A .netrc printed or written elsewhere (`!cat ~/.netrc` in a notebook output)."""
    for m in _NETRC_ENTRY.finditer(text):
        vendor = _vendor_in(m.group("host"))
        value = m.group("value")
        if vendor and vendor.value_ok(value) and not is_placeholder(value):
            yield ContextHit(m.start("value"), vendor, value, f"for machine {m.group('host')}")


def _scan_cli_and_json(text: str) -> Iterator[ContextHit]:
    """`wandb login KEY` in shell lines and kaggle.json's {"username": ..., "key": ...}."""
    if "login" in text:
        for m in (*_WANDB_CLI.finditer(text), *_WANDB_PIPE.finditer(text)):
            if _WANDB.value_ok(m.group("value")):
                yield ContextHit(
                    m.start("value"), _WANDB, m.group("value"), "passed to wandb login"
                )
    if "username" in text:
        for m in _KAGGLE_JSON.finditer(text):
            around = text[max(0, m.start() - 300) : m.end() + 300]
            if "username" in around and _KAGGLE.value_ok(m.group("value")):
                yield ContextHit(
                    m.start("value"), _KAGGLE, m.group("value"), "in kaggle.json credentials"
                )


_IDENT = re.compile(r"[A-Za-z_]\w*")
# One value alone on an output line, maybe quoted, maybe after a `label:` or `label =`.
_OUTPUT_VALUE = re.compile(
    r"^[ \t]*(?:[\w .\-]{0,40}[:=][ \t]*)?[\"']?(?P<value>[A-Za-z0-9_\-+/]{16,400})[\"']?"
    r"[ \t]*$",
    re.M,
)


def cell_key_names(source: str) -> list[tuple[Vendor, str]]:
    """The vendor keys a cell's source names (`WANDB_API_KEY`, `kaggle_key`), so that a
    bare value its output prints can be judged as that vendor's key."""
    if not CONTEXT_WORDS_RX.search(source.lower()) or hash_context(source):
        return []  # a cell that also computes or prints a digest: its hex is that digest
    out: dict[str, tuple[Vendor, str]] = {}
    for m in _IDENT.finditer(source):
        low = m.group(0).lower()
        if (
            not _SECRETISH.search(low)
            or _NOT_SECRET_STRONG.search(low)
            or (_NOT_SECRET.search(low) and not low.endswith(("_key", "_token", "apikey")))
        ):
            continue
        vendor = _vendor_in(low)
        if vendor is not None and vendor.slug not in out:
            out[vendor.slug] = (vendor, m.group(0))
    return list(out.values())


def scan_printed_keys(output: str, names: list[tuple[Vendor, str]]) -> Iterator[ContextHit]:
    """Values a cell printed on a line of their own, when its source names a vendor key."""
    if not names:
        return
    for m in _OUTPUT_VALUE.finditer(output):
        value = m.group("value")
        if is_placeholder(value):
            continue
        for vendor, name in names:
            if vendor.value_ok(value):
                yield ContextHit(m.start("value"), vendor, value, f"printed from {name}")
                break
