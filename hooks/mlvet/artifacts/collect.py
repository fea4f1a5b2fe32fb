"""What scanning one file observed: imports, code-carrying configs, archive and read problems.

Format readers feed a `Collector`; turning observations into findings happens elsewhere.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from mlvet.artifacts.pickles import PickleError, PickleReader
from mlvet.artifacts.sniff import looks_like_pickle

# How deep containers may nest (a pickle in a zip in a pickle ...).
MAX_NEST = 6


@dataclass
class Collector:
    """Observations for one file. `where` names the member or nesting being read."""

    imports: dict[tuple[str, str, str], None] = field(default_factory=dict)  # (where, mod, name)
    ext_codes: dict[tuple[str, int], None] = field(default_factory=dict)
    unresolved: dict[tuple[str, str], None] = field(default_factory=dict)
    code: list[tuple[str, str, bool]] = field(default_factory=list)  # (where, what, dangerous)
    unsafe: list[tuple[str, str]] = field(default_factory=list)  # ML405
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # ML404
    kind: str = ""
    where: str = ""
    depth: int = 0
    # Set by the scanner: scans a nested payload (a pickle, zip, ... given as bytes).
    nested_scanner: Callable[[Collector, bytes], None] | None = None

    # -- Sink protocol for the pickle reader ---------------------------------------
    def on_global(self, module: str, name: str) -> None:
        self.imports[(self.where, module, name)] = None

    def on_ext(self, code: int) -> None:
        self.ext_codes[(self.where, code)] = None

    def on_unresolved(self, what: str) -> None:
        self.unresolved[(self.where, what)] = None

    def on_nested(self, data: bytes, explicit: bool) -> None:
        if self.depth >= MAX_NEST or self.nested_scanner is None:
            return
        with self.inside("nested pickle" if data[:2] != b"PK" else "nested archive"):
            self.depth += 1
            errors_before = len(self.unreadable)
            try:
                self.nested_scanner(self, data)
            finally:
                self.depth -= 1
            # A payload that only looked like a pickle may be plain data: its read
            # errors are not the file's. Its imports (if any) still count.
            del self.unreadable[errors_before:]

    # -- helpers -------------------------------------------------------------------
    @contextmanager
    def inside(self, label: str) -> Iterator[None]:
        saved = self.where
        self.where = f"{saved} > {label}" if saved else label
        try:
            yield
        finally:
            self.where = saved

    def unsafe_member(self, message: str) -> None:
        self.unsafe.append((self.where, message))

    def cannot_read(self, message: str) -> None:
        self.unreadable.append((self.where, message))


# How much of what follows the last pickle is searched for hidden ones, and how many
# starts are tried.
MAX_TAIL = 16 << 20
MAX_TAIL_STARTS = 32
_PICKLE_STARTS = re.compile(
    rb"\x80[\x02-\x05](?=[\x80-\x98(}\]).cX\x8c])|[ci][A-Za-z_][\w.]{0,120}\r?\n[\w.]{1,120}\r?\n"
)


def _scan_tail(col: Collector, tail: bytes) -> None:
    """Try each plausible pickle start in trailing bytes; keep the imports found, never
    the read errors (most of a tail is not a pickle)."""
    done = 0
    tried = 0
    with col.inside("bytes after the pickle"):
        for match in _PICKLE_STARTS.finditer(tail):
            if match.start() < done:
                continue
            tried += 1
            if tried > MAX_TAIL_STARTS:
                break
            sub = io.BytesIO(tail)
            sub.seek(match.start())
            reader = PickleReader(sub, col, depth=col.depth + 1)
            with suppress(PickleError, RecursionError):
                reader.walk()
            # Never walk the same bytes twice: the work stays linear in the tail.
            done = match.start() + max(reader.offset, 1)


def walk_pickles(
    col: Collector, fh: io.RawIOBase | io.BufferedIOBase | object, *, exactly: int | None = None
) -> PickleReader | None:
    """Read the pickle(s) at the start of `fh`: `exactly` N of them, or one and then any
    further pickles that follow back to back. Reports read errors; returns the reader
    (positioned after the last pickle) or None after an error."""
    reader = PickleReader(fh, col, depth=col.depth)  # type: ignore[arg-type]
    count = 0
    try:
        while True:
            reader.walk()
            count += 1
            if exactly is not None:
                if count >= exactly:
                    return reader
                if reader.at_end():
                    col.cannot_read(f"truncated: {count} of {exactly} pickles present")
                    return None
                continue
            if reader.at_end():
                return reader
            head = reader.peek(3)
            if not (head[:1] == b"\x80" and looks_like_pickle(head)):
                # One pickle.load stops here, but a loader that keeps reading or seeks on
                # does not: a payload may hide behind a benign pickle and some junk.
                _scan_tail(col, reader.rest(MAX_TAIL))
                return reader
    except PickleError as exc:
        col.cannot_read(f"pickle stream: {exc}")
        return None
    except RecursionError:
        col.cannot_read("pickle stream: nested too deeply")
        return None
