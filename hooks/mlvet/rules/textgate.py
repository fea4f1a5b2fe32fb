"""A two-stage text prefilter for checkers: plain substring tests, then precise regexes.

`needle in text` is the fastest scan Python has (several times faster than a regex
alternation), so the common case, a file that mentions none of the needles, costs a few
substring tests; their answers are shared by every gate that asks about the same text.
The confirming regexes run only on files that get past the needles; each should start
with a literal (`torch\\s*\\.\\s*load`), which the regex engine finds with a fast substring
search, rather than with an alternation or a character class, which it must try at every
position. A match on a doctest line (`>>> model = AutoModel.from_pretrained(...)`) is
documentation, not code, and does not count.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator, Sequence

# What may stand between `import` and a name in a from-import, one line or a
# parenthesised list; bounded and lazy so an unclosed "(" cannot make a search quadratic.
IMPORTED = r"(?:\([^)]{0,2000}?|[^\n]{0,500}?)"
# Up to the end of a line, bounded for the same reason.
REST_OF_LINE = r"[^\n]{0,500}?"

# The text last asked about and which needles it holds: the engine runs every gate on
# one file before the next, so this is a per-file cache without keeping files alive.
_last_text: list[str] = [""]
_last_hits: dict[str, bool] = {}


def contains(text: str, needle: str) -> bool:
    if text is not _last_text[0]:
        _last_text[0] = text
        _last_hits.clear()
    hit = _last_hits.get(needle)
    if hit is None:
        hit = _last_hits[needle] = needle in text
    return hit


# A confirming regex marked so (`around_imports`) can only match text holding an
# `import` keyword near its start: it is searched in the text around each `import`
# (a module's import block and the odd late import) instead of the whole module.
_AROUND_IMPORTS = "(?#around-imports)"
# How far a marked regex's match may start before, and end after, its `import`.
_IMPORT_BEFORE = 1000
_IMPORT_AFTER = 3000
_last_view: list[object] = [None, None]
_last_imports: list[object] = [None, []]


def import_positions(text: str) -> list[int]:
    """Where the word `import` occurs (memoised for the current file). A substring search
    per occurrence: faster than the regex engine's scan for the same literal, and the
    gates that read imports share the one pass."""
    if _last_imports[0] is text:
        return _last_imports[1]  # type: ignore[return-value]
    out: list[int] = []
    i = text.find("import")
    while i >= 0:
        out.append(i)
        i = text.find("import", i + 6)  # "import" cannot overlap itself
    _last_imports[0], _last_imports[1] = text, out
    return out


def import_matches(
    text: str, regex: re.Pattern[str], where: Callable[[str, int], bool] | None = None
) -> Iterator[re.Match[str]]:
    """What `regex.finditer(text)` finds, for a regex each of whose matches starts with
    the word `import`: tried only where that word is (and, given `where`, only where
    `where(text, pos)` holds: a caller that would drop the other matches skips the regex)."""
    end = 0
    for pos in import_positions(text):
        if pos < end:
            continue  # inside the last match, where finditer does not look again
        if where is not None and not where(text, pos):
            continue
        m = regex.match(text, pos)
        if m is not None:
            yield m
            end = m.end()


def around_imports(regex: str) -> str:
    """Mark a confirming regex that always matches across an `import` keyword."""
    return _AROUND_IMPORTS + regex


def import_view(text: str) -> tuple[str, list[int], list[int]]:
    """The text around every `import`, joined by newlines, with where each piece starts
    in the view and in the text (memoised for the current file)."""
    if _last_view[0] is text:
        return _last_view[1]  # type: ignore[return-value]
    # Pieces never overlap, so positions mapped back to the text stay in order; a match
    # that spans where one ends and the next begins is inside the first (see the bounds).
    pieces: list[tuple[int, int]] = []
    for p in import_positions(text):
        if pieces and p - _IMPORT_BEFORE <= pieces[-1][1]:
            pieces[-1] = (pieces[-1][0], p + _IMPORT_AFTER)
        else:
            pieces.append((max(0, p - _IMPORT_BEFORE), p + _IMPORT_AFTER))
    view_starts: list[int] = []
    text_starts: list[int] = []
    parts: list[str] = []
    size = 0
    for a, b in pieces:
        view_starts.append(size)
        text_starts.append(a)
        part = text[a:b]
        parts.append(part)
        size += len(part) + 1
    result = ("\n".join(parts), view_starts, text_starts)
    _last_view[0], _last_view[1] = text, result
    return result


# Beyond this many occurrences of the word, one compiled regex (cached per word) passes
# over them faster than a Python step each; below it, compiling costs more than it saves.
_MANY = 40


def followed_by(text: str, word: str, after: str) -> list[tuple[int, int]]:
    """The spans `re.finditer(re.escape(word) + after, text)` finds (`after` may be a
    lookahead), without compiling a regex per word for the few occurrences most names
    have: each occurrence of `word` is tried with `after` alone. Past `_MANY` of them,
    the compiled regex takes over from the occurrence reached (no count of the whole
    text first: that would be one more pass over it for every name)."""
    rx = re.compile(after)  # a handful of constant patterns: the re module's cache has them
    out: list[tuple[int, int]] = []
    n = len(word)
    i = text.find(word)
    tried = 0
    while i >= 0:
        tried += 1
        if tried > _MANY:
            out.extend(m.span() for m in _word_then(word, after).finditer(text, i))
            break
        m = rx.match(text, i + n)
        if m is None:
            i = text.find(word, i + 1)
        else:
            out.append((i, m.end()))
            i = text.find(word, max(m.end(), i + 1))  # where finditer resumes
    return out


# Kept apart from the re module's own cache (512 patterns), which the per-file patterns
# of the gates keep turning over: a frequent name is compiled once per process.
@functools.lru_cache(maxsize=1024)
def _word_then(word: str, after: str) -> re.Pattern[str]:
    return re.compile(re.escape(word) + after)


def in_doctest(text: str, pos: int) -> bool:
    """Whether `pos` sits on a `>>>` / `...` doctest line (code inside a docstring)."""
    head = text[text.rfind("\n", 0, pos) + 1 : pos].lstrip()
    return head.startswith((">>>", "..."))


Confirm = str | tuple[str | tuple[str, ...], str] | tuple[str | tuple[str, ...], str, str]
# How far back a confirming entry's `before` regex may reach.
_BEFORE_WINDOW = 1000


class Gate:
    """`search(text)` is true when the text holds a needle and matches a confirming regex.

    A confirming entry is a regex, or `(needle, regex)`: that regex runs only on texts
    holding the needle (or one of a tuple of needles), so a regex that would scan a
    whole file is skipped where it cannot match. `(needle, regex, before)` also needs
    `before` (ending in `\\Z`) to match the text just ahead of the regex's match: so
    `torch\\s*\\.\\s*load` can be searched from its rarer half (`load`, `before`
    `torch\\s*\\.\\s*\\Z`) instead of from every `torch`. The regexes must accept every
    text the checker could report on: a gate may let extra files through, never hold
    back one with a finding.

    `requires` are needles of which the text must also hold one, asked before `needles`:
    words other gates ask anyway (`load`), whose answer is usually known by then, so a
    rare needle (`yaml`) is scanned for only in the texts that hold one of them.
    """

    def __init__(
        self,
        needles: Sequence[str],
        confirm: Sequence[Confirm] = (),
        *,
        requires: Sequence[str] = (),
        skip_docstrings: bool = False,
    ) -> None:
        if not needles:
            raise ValueError("a gate needs at least one needle")
        self.needles = tuple(needles)
        self.requires = tuple(requires)
        self._sources = tuple(confirm)
        # Compiled on first use: `mlvet rules` and `--version` never pay for it.
        self._confirm: tuple[_Entry, ...] | None = None
        # Also ignore matches inside triple-double-quoted strings (usage examples in
        # library docstrings), judged by counting the quotes before the match.
        self.skip_docstrings = skip_docstrings
        # Shown by anything that prints a checker's pattern.
        self.pattern = "|".join(map(_shown, confirm)) or "|".join(re.escape(n) for n in needles)

    @property
    def confirm(self) -> tuple[_Entry, ...]:
        if self._confirm is None:
            self._confirm = tuple(_entry(c) for c in self._sources)
        return self._confirm

    def search(self, string: str, /) -> bool:
        if self.requires and not any(contains(string, n) for n in self.requires):
            return False
        if not any(contains(string, n) for n in self.needles):
            return False
        if not self.confirm:
            return True
        for needles, regex, before in self.confirm:
            if needles and not any(contains(string, n) for n in needles):
                continue
            if self._matches(regex, string, before):
                return True
        return False

    def _matches(self, regex: re.Pattern[str], string: str, before: re.Pattern[str] | None) -> bool:
        quotes, seen = 0, 0
        for pos in _starts(regex, string):
            if before is not None:
                lead = before.search(string, max(0, pos - _BEFORE_WINDOW), pos)
                if lead is None:
                    continue
                pos = lead.start()  # where the whole spelling starts
            if in_doctest(string, pos):
                continue
            if not self.skip_docstrings:
                return True
            quotes += string.count('"""', seen, pos)
            seen = pos
            if quotes % 2 == 0:
                return True
        return False

    def __repr__(self) -> str:
        return f"Gate({self.needles!r})"


_Entry = tuple[tuple[str, ...], re.Pattern[str], re.Pattern[str] | None]


def _starts(regex: re.Pattern[str], string: str) -> Iterator[int]:
    """Where the regex matches in `string`, in order (a marked one: in its import view)."""
    if not regex.pattern.startswith(_AROUND_IMPORTS):
        for match in regex.finditer(string):
            yield match.start()
        return
    view, view_starts, text_starts = import_view(string)
    for match in regex.finditer(view):
        i = bisect.bisect_right(view_starts, match.start()) - 1
        yield text_starts[i] + match.start() - view_starts[i]


def _entry(item: Confirm) -> _Entry:
    if isinstance(item, str):
        return (), re.compile(item), None
    needles = (item[0],) if isinstance(item[0], str) else tuple(item[0])
    before = re.compile(item[2]) if len(item) == 3 else None
    return needles, re.compile(item[1]), before


def _shown(item: Confirm) -> str:
    if isinstance(item, str):
        return item.removeprefix(_AROUND_IMPORTS)
    shown = item[1].removeprefix(_AROUND_IMPORTS)
    return (item[2].removesuffix(r"\Z") if len(item) == 3 else "") + shown
