"""Text gates for ML203-ML206: the parts a finding needs, found in the right places.

A finding of these rules needs several parts together: a backward call and an optimizer
step in one loop that clears no gradients (ML203), a preprocessor's fit and then a split
in one function (ML204), a module called in an evaluating block and never put in eval
mode (ML205), a write through two indexing steps on a frame (ML206). Needles (`needle in
text`) reject most files first; the rest is read without parsing: indentation blocks,
the receivers of calls read backwards, imports and assignments of names, and the
file's strings and comments found as the tokenizer finds them.

Every reading errs towards letting a file through: a block whose end is unclear (an
open bracket or triple quote, a `\\` continuation) runs on, a receiver or bracket that
cannot be read counts as a match, and evidence that rules a file *out* (a `zero_grad()`
in the loop, an `.eval()` of the module, a module's own method) counts only where it is
code beyond doubt. Regexes start with a literal (or run on the reversed text, where the
`=` or `(` they look for comes first), so the engine can skip ahead.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from functools import lru_cache

from mlvet.rules.smells_names import (
    CV_FUNCTIONS,
    CV_SPLITTERS,
    FITTED_TRANSFORMERS,
    SPLITTERS,
    TRANSFORMER_FACTORIES,
)
from mlvet.rules.smells_names import (
    EVAL_FUNC as _EVAL_FUNC,
)
from mlvet.rules.smells_names import (
    FACTORY_NAME as _FACTORY_NAME,
)
from mlvet.rules.smells_names import (
    FRAME_NAME as _FRAME_NAME,
)
from mlvet.rules.smells_names import (
    HOOK_FUNC as _HOOK_FUNC,
)
from mlvet.rules.smells_names import (
    MODEL_NAME as _MODEL_NAME,
)
from mlvet.rules.smells_names import (
    MODULE_BASES as _MODULE_BASES,
)
from mlvet.rules.smells_names import (
    MODULE_FACTORIES as _MODULE_FACTORIES,
)
from mlvet.rules.smells_names import (
    OPTIMIZER_CLASSES as _OPTIMIZER_CLASSES,
)
from mlvet.rules.smells_names import (
    SEARCHERS as _SEARCHERS,
)
from mlvet.rules.textgate import contains, followed_by, import_matches

# What the checkers know by name, as the prefilters ask about it.
_TRANSFORMERS = FITTED_TRANSFORMERS | TRANSFORMER_FACTORIES
_SPLIT_FUNCTIONS = SPLITTERS | frozenset(CV_FUNCTIONS)
_CV_SPLITTERS = CV_SPLITTERS

_DEDENTS: dict[int, re.Pattern[str]] = {}


def _dedent(indent: int) -> re.Pattern[str]:
    rx = _DEDENTS.get(indent)
    if rx is None:
        # A line indented no deeper than the header that starts with code: not a comment,
        # not a closing bracket (the end of a bracket opened above, `):`).
        rx = _DEDENTS[indent] = re.compile(r"\n[ \t]{0," + str(indent) + r"}(?=[^\s#)\]}])")
    return rx


# The line last asked about (text, start, end): many questions fall on one line, and a
# minified file's single line would otherwise be searched back once per question.
_LINE: list[object] = ["", 0, -1]


def line_start(text: str, pos: int) -> int:
    cached = _LINE
    if cached[0] is text and cached[1] <= pos <= cached[2]:  # type: ignore[operator]
        return cached[1]  # type: ignore[return-value]
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    cached[0], cached[1], cached[2] = text, start, len(text) if end < 0 else end
    return start


def doctest_at(text: str, pos: int) -> bool:
    """Whether `pos` is on a `>>>` / `...` doctest line (textgate.in_doctest, read from
    the line's start rather than from `pos`)."""
    first = line_start(text, pos)
    while first < pos and text[first] in " \t":
        first += 1
    return text.startswith((">>>", "..."), first)


def starts_statement(text: str, pos: int, after_async: bool = True) -> bool:
    """Whether only indentation (and with `after_async`, an `async`) comes before `pos`
    on its line."""
    j = pos
    while j > 0 and text[j - 1] in " \t":
        j -= 1
    if after_async and text[j - 5 : j] == "async" and j < pos:
        return starts_statement(text, j - 5, after_async=False)
    return j == 0 or text[j - 1] == "\n"


def indent_at(text: str, start: int) -> int:
    """Width of the indentation of the line starting at `start`."""
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return end - start


def _open_brackets(text: str, start: int, end: int) -> int:
    return (
        text.count("(", start, end)
        + text.count("[", start, end)
        + text.count("{", start, end)
        - text.count(")", start, end)
        - text.count("]", start, end)
        - text.count("}", start, end)
    )


def block_end(text: str, start: int, indent: int) -> int:
    """Where the block of the header line at `start` (indented `indent`) ends.

    The first later line indented no deeper that starts with code ends it, unless a
    bracket or triple quote opened since the header is still open (brackets inside
    strings only make a block longer) or the line before ends in a backslash.
    """
    rx = _dedent(indent)
    pos = text.find("\n", start)
    if pos < 0:
        return len(text)
    depth = dq = sq = 0
    seen = start
    while True:
        m = rx.search(text, pos)
        if m is None:
            return len(text)
        end = m.start()
        depth += _open_brackets(text, seen, end)
        dq += text.count('"""', seen, end)
        sq += text.count("'''", seen, end)
        seen = end
        continued = text[end - 1 : end] == "\\" or text[end - 2 : end] == "\\\r"
        if depth == 0 and not dq % 2 and not sq % 2 and not continued:
            return end
        pos = m.end()


def matching_open(text: str, close: int, limit: int = 4000) -> int | None:
    """Index of the bracket that `text[close]` (a closer) closes, or None when unclear.
    Brackets in one-line strings and in comments do not count; a string that does not
    close on its line makes the answer unclear."""
    depth = 0
    stop = max(0, close - limit)
    i = close
    while i >= stop:
        ch = text[i]
        if ch in ")]}":
            depth += 1
        elif ch in "([{":
            depth -= 1
            if depth == 0:
                return i
        elif ch == '"' or ch == "'":
            i = _quote_before(text, ch, i)
            if i < 0:
                return None
        elif ch == "\n" and i > 0:
            hash_ = _comment_at(text, line_start(text, i - 1), i)
            if hash_ >= 0:
                i = hash_
        i -= 1
    return None


def matching_close(text: str, open_: int, limit: int = 4000) -> int | None:
    """Index of the bracket closing `text[open_]` (an opener), or None when unclear (as
    `matching_open` reads strings and comments)."""
    depth = 0
    stop = min(len(text), open_ + limit)
    i = open_
    while i < stop:
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i
        elif ch == '"' or ch == "'":
            i = _quote_after(text, ch, i)
            if i < 0:
                return None
        elif ch == "#":
            i = text.find("\n", i)
            if i < 0:
                return None
        i += 1
    return None


def _escaped(text: str, i: int) -> bool:
    k = i
    while k > 0 and text[k - 1] == "\\":
        k -= 1
    return (i - k) % 2 == 1


def _quote_before(text: str, quote: str, i: int) -> int:
    """The unescaped `quote` before `i` on its line (the string's other end), or -1."""
    start = line_start(text, i)
    j = text.rfind(quote, start, i)
    while j >= 0 and _escaped(text, j):
        j = text.rfind(quote, start, j)
    return j


def _quote_after(text: str, quote: str, i: int) -> int:
    """The unescaped `quote` after `i` on its line (the string's other end), or -1."""
    end = text.find("\n", i)
    end = len(text) if end < 0 else end
    j = text.find(quote, i + 1, end)
    while j >= 0 and _escaped(text, j):
        j = text.find(quote, j + 1, end)
    return j


def _comment_at(text: str, start: int, end: int) -> int:
    """Where a comment starts in text[start:end] (one line), or -1."""
    hash_ = text.find("#", start, end)
    if hash_ < 0:
        return -1
    quote = ""
    i = start
    while i < end:
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c == "#":
            return i
        elif c in "'\"":
            quote = c
        i += 1
    return -1


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def receiver_start(text: str, end: int) -> int | None:
    """Start of the expression (names, attributes, calls, subscripts) that ends at `end`
    (exclusive), read backwards; None when a bracket cannot be matched. Read generously:
    whitespace, line breaks and the comments ending lines are skipped, so the text found
    may be longer than the expression, never shorter."""
    i = end
    while True:
        j = _space_before(text, i)
        if j > 0 and text[j - 1] in ")]":
            opened = matching_open(text, j - 1)
            if opened is None:
                return None
            i = opened
            continue
        k = j
        while k > 0 and text[k - 1] in _NAME_CHARS:
            k -= 1
        if k == j:
            return i
        i = k
        if text[k] != ".":
            m = _space_before(text, k)
            if not (m > 0 and text[m - 1] == "."):
                return k
            i = m - 1


_SPACE = frozenset(" \t\r\n\\")


def statement_rest(text: str, pos: int, max_lines: int = 20) -> str:
    """From `pos` to the end of its logical line (open brackets and backslashes continue
    it), at most `max_lines` lines."""
    end = pos
    for _ in range(max_lines):
        nl = text.find("\n", end)
        if nl < 0:
            return text[pos:]
        end = nl + 1
        if _open_brackets(text, pos, nl) <= 0 and text[pos:nl].rstrip()[-1:] != "\\":
            break
    return text[pos:end]


def defined_here(text: str, pos: int) -> bool:
    """Whether the name starting at `pos` is being defined (`def name(`)."""
    j = pos
    while j > 0 and text[j - 1] in " \t":
        j -= 1
    return text[j - 3 : j] == "def" and (j == 3 or (j > 3 and not _is_word(text[j - 4])))


def _word_before(text: str, pos: int) -> bool:
    return pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_")


def _space_before(text: str, pos: int) -> int:
    """`pos` moved back over spaces, line breaks and the comments that end lines."""
    j = pos
    while j > 0:
        c = text[j - 1]
        if c in " \t\r\\":
            j -= 1
        elif c == "\n":
            j -= 1
            hash_ = _comment_at(text, line_start(text, j), j)
            if hash_ >= 0:
                j = hash_
        else:
            break
    return j


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


@lru_cache(maxsize=4096)
def _dotted_rx(name: str, after: str) -> re.Pattern[str]:
    parts = name.split(".")
    return re.compile(
        re.escape(parts[0]) + "".join(r"[ \t]*\.[ \t]*" + re.escape(p) for p in parts[1:]) + after
    )


def _dotted_at(text: str, name: str, after: str) -> Iterator[re.Match[str]]:
    """Matches of the dotted `name` (not part of a longer name) followed by `after`; the
    regex starts with the name's first part, a literal the engine finds fast."""
    for m in _dotted_rx(name, after).finditer(text):
        if not (m.start() and text[m.start() - 1] in _NAME_CHARS):
            yield m


class Strings:
    """The triple-quoted strings of a text (docstrings, embedded code), found the way
    the tokenizer finds them: a triple quote in a comment or inside a one-line string
    opens nothing; a string ends at the next unescaped triple quote of its kind."""

    def __init__(self, text: str) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        floor = 0
        double = text.find('"""')
        single = text.find("'''")
        while double >= 0 or single >= 0:
            if single < 0 or 0 <= double < single:
                p, quote = double, '"""'
            else:
                p, quote = single, "'''"
            if _open_on_line(text, max(line_start(text, p), floor), p):
                end = p + 1
            else:
                end = floor = _closing(text, quote, p + 3)
                self.starts.append(p)
                self.ends.append(end)
            if double >= 0 and double < end:
                double = text.find('"""', end)
            if single >= 0 and single < end:
                single = text.find("'''", end)

    def inside(self, pos: int) -> bool:
        """Whether `pos` is in a string's body (its opening quote is not)."""
        i = bisect_right(self.starts, pos - 1) - 1
        return i >= 0 and pos < self.ends[i]


def _open_on_line(text: str, start: int, end: int) -> bool:
    """Whether a comment or a one-line string is open at `end` (scanning from `start`)."""
    quote = ""
    i = start
    while i < end:
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c == "#":
            return True
        elif c in "'\"":
            if text.startswith(c * 3, i):  # a triple-quoted string closed on this line
                j = text.find(c * 3, i + 3)
                if j < 0 or j >= end:
                    return True
                i = j + 3
                continue
            quote = c
        i += 1
    return bool(quote)


def _closing(text: str, quote: str, pos: int) -> int:
    """End (exclusive) of the triple-quoted string whose body starts at `pos`."""
    while True:
        e = text.find(quote, pos)
        if e < 0:
            return len(text)
        k = e
        while k > 0 and text[k - 1] == "\\":
            k -= 1
        if (e - k) % 2 == 0:
            return e + 3
        pos = e + 1


_DEF = re.compile(r"\n([ \t]*)(?:async[ \t]+)?def[ \t]+(\w+)")
_FIRST_DEF = re.compile(r"([ \t]*)(?:async[ \t]+)?def[ \t]+(\w+)")
_CLASS_HEAD = re.compile(r"\n([ \t]*)class[ \t]+(\w+)")
_FIRST_CLASS_HEAD = re.compile(r"([ \t]*)class[ \t]+(\w+)")


def headers(text: str, rx: re.Pattern[str], first: re.Pattern[str]) -> list[tuple[int, int, str]]:
    """(line start, indent, name) of every `def` / `class` line (by the regexes given)."""
    out = []
    m = first.match(text)
    if m:
        out.append((0, len(m.group(1)), m.group(2)))
    out.extend((m.start() + 1, len(m.group(1)), m.group(2)) for m in rx.finditer(text))
    return out


def def_headers(text: str) -> list[tuple[int, int, str]]:
    return headers(text, _DEF, _FIRST_DEF)


_QUOTE_OR_HASH = re.compile(r"[\"'#]")


class CodeText:
    """A text with what tells its code from its strings and comments, read lazily."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._strings: Strings | None = None
        self._reversed: str | None = None
        self._class_headers: list[tuple[int, int, str]] | None = None
        self._def_headers: list[tuple[int, int, str]] | None = None
        self._lines: dict[int, tuple[int, list[int], list[int]]] = {}
        self._functions: dict[int, int | None] = {}

    @property
    def reversed_text(self) -> str:
        if self._reversed is None:
            self._reversed = self.text[::-1]
        return self._reversed

    @property
    def strings(self) -> Strings:
        if self._strings is None:
            self._strings = Strings(self.text)
        return self._strings

    def in_string_or_comment(self, pos: int) -> bool:
        """Whether `pos` is inside a string or a comment (read as the tokenizer would)."""
        strings = self.strings
        if strings.inside(pos):
            return True
        start = line_start(self.text, pos)
        spans = self._lines.get(start)
        if spans is None:
            spans = self._lines[start] = self._line_spans(start)
        comment, opened, closed = spans
        if pos >= comment:
            return True
        i = bisect_right(opened, pos) - 1
        return i >= 0 and pos < closed[i]

    def _line_spans(self, start: int) -> tuple[int, list[int], list[int]]:
        """For the line at `start`: where its comment starts (its end if none), and the
        one-line strings on it (starts, ends); triple-quoted strings are skipped."""
        text, strings = self.text, self.strings
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        opened: list[int] = []
        closed: list[int] = []
        i = start
        k = bisect_right(strings.starts, i) - 1
        if k >= 0 and i < strings.ends[k]:  # the line starts inside a triple-quoted string
            i = strings.ends[k]
        starts = strings.starts
        nxt = bisect_left(starts, i)  # the next triple-quoted string
        while i < end:
            if nxt < len(starts) and starts[nxt] == i:
                i = strings.ends[nxt]
                nxt = bisect_left(starts, i)
                continue
            # Only a quote, a `#` or the next triple-quoted string can change anything:
            # jump there (a regex search, not a Python step per character).
            stop = starts[nxt] if nxt < len(starts) and starts[nxt] < end else end
            found = _QUOTE_OR_HASH.search(text, i, stop)
            if found is None:
                i = stop
                continue
            i = found.start()
            if text[i] == "#":
                return i, opened, closed
            j = _quote_after(text, text[i], i)
            opened.append(i)
            closed.append(end if j < 0 else j + 1)
            if j < 0:
                break
            i = j + 1
            nxt = bisect_left(starts, i)
        return end, opened, closed

    def within(self, header: int, indent: int, pos: int) -> bool:
        """No code line between the header line and `pos` is indented `indent` or less
        (lines inside triple-quoted strings are not code)."""
        first = self.text.find("\n", header)
        if first < 0 or first >= pos:
            return False
        return not any(
            not self.strings.inside(m.end())
            for m in _dedent(indent).finditer(self.text, first, pos)
        )

    def function_at(self, pos: int) -> int | None:
        """The start of the function `pos` is in, when beyond doubt: the nearest `def`
        before it with no line between as shallow as its header."""
        if pos not in self._functions:
            self._functions[pos] = self._function_at(pos)
        return self._functions[pos]

    def _function_at(self, pos: int) -> int | None:
        if self._def_headers is None:
            self._def_headers = [
                h for h in def_headers(self.text) if not self.strings.inside(h[0] + h[1])
            ]
        heads = self._def_headers
        i = bisect_right(heads, (pos,)) - 1
        if i < 0:
            return None
        head = heads[i]
        return head[0] if self.within(head[0], head[1], pos) else None

    def other_scopes(self, a: int, b: int) -> bool:
        """Whether `a` and `b` are beyond doubt in different functions."""
        fa, fb = self.function_at(a), self.function_at(b)
        return fa is not None and fb is not None and fa != fb

    def class_headers(self) -> list[tuple[int, int, str]]:
        if self._class_headers is None:
            self._class_headers = [
                h
                for h in headers(self.text, _CLASS_HEAD, _FIRST_CLASS_HEAD)
                if not self.strings.inside(h[0] + h[1])
            ]
        return self._class_headers

    def enclosing_class(self, pos: int) -> tuple[int, int, str] | None:
        """The class whose body `pos` is in, when that is beyond doubt: the nearest class
        before it, with no line between indented as shallow as its header."""
        heads = self.class_headers()
        i = bisect_right(heads, (pos,)) - 1
        if i < 0:
            return None
        head = heads[i]
        return head if self.within(head[0], head[1], pos) else None


class Bindings:
    """What names are bound to, read from the text when first asked: imports (any
    statement, as the walk's aliases are), and assignments anywhere (a superset of the
    module-level aliases the walk follows)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._imports: dict[str, set[str]] | None = None
        self._import_at: dict[str, list[int]] = {}
        self._made: dict[tuple[str, str], bool] = {}
        self._qualnames: dict[str, set[str]] = {}
        self._aliases: dict[str, set[str]] = {}
        self._asked = 0
        self._index: dict[str, list[int]] | None = None

    def _starts(self, name: str) -> list[int] | None:
        """Where names before an `=` (or an annotation and `=`) start, for `name`'s last
        part; None (search the text) until many names were asked about, when one pass
        over the reversed text (where the `=` comes first) indexes them all."""
        self._asked += 1
        if self._asked <= 30:
            return None
        if self._index is None:
            text = self.text
            n = len(text)
            index: dict[str, list[int]] = {}
            for rx in (_REVERSED_ASSIGN, _REVERSED_ANNOTATED):
                for m in rx.finditer(text[::-1]):
                    index.setdefault(m.group(1)[::-1], []).append(n - m.end(1))
            self._index = {k: sorted(set(v)) for k, v in index.items()}
        return self._index.get(name.rpartition(".")[2], [])

    def imports(self) -> dict[str, set[str]]:
        """Local name -> the dotted names it may import (`import a.b as c`: c -> a.b).
        Relative imports bind nothing here, as in the walk."""
        if self._imports is None:
            self._read_imports()
        assert self._imports is not None
        return self._imports

    def imported_before(self, name: str, pos: int, code: Callable[[int], bool]) -> bool:
        """Whether an import statement before `pos` (`code` says it is one) binds `name`."""
        if self._imports is None:
            self._read_imports()
        return any(p < pos and code(p) for p in self._import_at.get(name, ()))

    def _read_imports(self) -> None:
        text = self.text
        out: dict[str, set[str]] = {}
        at: dict[str, list[int]] = {}
        for m in import_matches(text, _IMPORT):
            if m.start() and text[m.start() - 1] not in " \t\n;:":
                continue
            names = m.group(1)
            if names.rstrip().endswith("\\"):
                names = statement_rest(text, m.start(1))
            found = _FROM.search(text, max(line_start(text, m.start()), m.start() - 300), m.start())
            source = _SPACED_DOT.sub(".", found.group(1)) if found else None
            if source and source.startswith("."):
                continue
            for item in names.strip().strip("()").replace("\\", " ").split(","):
                words = _SPACED_DOT.sub(".", item.split("#")[0]).split()
                if not words or not _DOTTED.fullmatch(words[0]):
                    continue
                full = f"{source}.{words[0]}" if source else words[0]
                if len(words) >= 3 and words[1] == "as":
                    bound = words[2]
                elif source:
                    bound = words[0]
                else:
                    bound = full = words[0].split(".")[0]
                out.setdefault(bound, set()).add(full)
                at.setdefault(bound, []).append(m.start())
        self._imports = out
        self._import_at = at

    def qualnames(self, dotted: str) -> set[str]:
        """What a dotted name may resolve to: itself (a conventional module, a local
        name), through its head's imports, and through assignments of its head."""
        known = self._qualnames.get(dotted)
        if known is not None:
            return known
        self._qualnames[dotted] = {dotted}  # a cycle (`a = b.c`, `b = a.d`) ends here
        head, _, rest = dotted.partition(".")
        tail = "." + rest if rest else ""
        out = {dotted}
        out.update(target + tail for target in self.imports().get(head, ()))
        for value in self.aliases(head) if head not in ("self", "cls") else ():
            if value != head:
                out.update(q + tail for q in self.qualnames(value))
        self._qualnames[dotted] = out
        return out

    def aliases(self, head: str) -> set[str]:
        """The plain dotted names `head` is assigned (`S = torch.optim.SGD`): the walk's
        module-level aliases, wherever they are."""
        known = self._aliases.get(head)
        if known is None:
            known = self._aliases[head] = set(self.assigned(head, call=False))
        return known

    def made(self, name: str, kind: str, accept: Callable[[str, str], bool]) -> bool:
        """Whether `name` is assigned a call whose callee `accept(qualname, callee)`
        takes, somewhere in the text."""
        key = (name, kind)
        known = self._made.get(key)
        if known is None:
            known = self._made[key] = any(
                accept(q, callee)
                for callee in self.assigned(name, call=True)
                for q in self.qualnames(callee)
            )
        return known

    def assigned(
        self, name: str, call: bool, depth: int = 0, annotated: bool = False
    ) -> Iterator[str]:
        """With `call`, the callees of the calls assigned to `name` (`name = a.b(...)`);
        without, the plain dotted names assigned to it (`name = a.b`); through chains
        (`name = other = ...`); with `annotated`, `name: T = a.b(...)` too."""
        text = self.text
        for end in assignment_ends(text, name, annotated, self._starts(name)):
            value = _ASSIGNED_VALUE.match(text, end)
            if value is None:
                continue
            dotted = re.sub(r"\s+", "", value.group(1))
            if value.group(2):  # `name = other = ...`: what other is bound to
                if depth < 5 and dotted != name:
                    yield from self.assigned(dotted, call, depth + 1, annotated)
            elif bool(value.group(3)) == call:
                yield dotted


def assignment_ends(
    text: str, name: str, annotated: bool = False, starts: list[int] | None = None
) -> Iterator[int]:
    """Where each occurrence of the dotted `name` (spaces around its dots allowed, not
    part of a longer name) that is followed by `=` (or with `annotated`, `: T =`) ends,
    with that annotation. The search runs on the name's last part, the rarest literal
    (or on `starts`, where it may begin), and checks the parts before it by hand."""
    parts = name.split(".")
    last = parts[-1]
    after = _ANNOTATED_ASSIGN if annotated else _ASSIGN_AFTER
    found = iter(starts) if starts is not None else _finds(text, last, annotated)
    for i in found:
        m = after.match(text, i + len(last))
        if m is not None and not (i and _is_word(text[i - 1])) and _dotted_before(text, i, parts):
            yield m.start(1)


def _finds(text: str, word: str, annotated: bool) -> Iterator[int]:
    """Where `word` is followed by what `assignment_ends` looks for."""
    after = _ANNOTATED_ASSIGN if annotated else _ASSIGN_AFTER
    return (start for start, _ in followed_by(text, word, "(?=" + after.pattern + ")"))


def _dotted_before(text: str, i: int, parts: list[str]) -> bool:
    """Whether the parts of a dotted name before its last (at `i`) come before it."""
    start = i
    for part in reversed(parts[:-1]):
        j = start
        while j > 0 and text[j - 1] in " \t":
            j -= 1
        if not (j > 0 and text[j - 1] == "."):
            return False
        j -= 1
        while j > 0 and text[j - 1] in " \t":
            j -= 1
        if text[j - len(part) : j] != part or (
            j - len(part) > 0 and _is_word(text[j - len(part) - 1])
        ):
            return False
        start = j - len(part)
    return True


# After a name: `=` (not `==`), or an annotation and `=`; group 1 starts at the `=`'s
# leading spaces (what _ASSIGNED_VALUE reads from).
_ASSIGN_AFTER = re.compile(r"()[ \t]*=(?!=)")
_ANNOTATED_ASSIGN = re.compile(r"(?:[ \t]*:[^=\n]*)?()[ \t]*=(?!=)")


_FROM = re.compile(r"from[ \t]+([\w.](?:[\w. \t]*[\w.])?)[ \t]+$")
_SPACED_DOT = re.compile(r"[ \t]*\.[ \t]*")


# -- ML203 / ML205: backward calls and optimizer steps -----------------------------------

_BACKWARD = re.compile(r"backward\s*\(")


def backward_calls(text: str) -> list[int]:
    """Positions of `x.backward(`, `manual_backward(`, `backward(` calls (not defs)."""
    out = []
    for m in _BACKWARD.finditer(text):
        p = m.start()
        if text[p - 7 : p] == "manual_":
            p -= 7
        if _word_before(text, p) or defined_here(text, p) or doctest_at(text, p):
            continue
        out.append(p)
    return out


_STEP = re.compile(r"step\s*\(")
# smells.is_optimizer_name: an optimizer's name holds "opt" and no scheduler word.
_NOT_OPT = re.compile(r"sched|warmup|lr_", re.IGNORECASE)
_IDENT_END = re.compile(r"[A-Za-z_]\w*$")


def _ident(text: str, start: int, end: int) -> str:
    """What `smells.ident` names for the receiver text[start:end]: the last name before
    any trailing calls and subscripts (`self.opts[0]` -> opts)."""
    e = end
    while True:
        while e > start and text[e - 1] in _SPACE:
            e -= 1
        if e > start and text[e - 1] in ")]":
            opened = matching_open(text, e - 1)
            if opened is None or opened < start:
                return text[start:end]
            e = opened
            continue
        break
    m = _IDENT_END.search(text, start, e)
    return m.group() if m else ""


def _optimizer_maker(qualname: str, callee: str) -> bool:
    # smells.optimizer_target: torch.optim.* (not a scheduler), or a known class name.
    if qualname.startswith("torch.optim.") and "lr_scheduler" not in qualname:
        return True
    return qualname.rpartition(".")[2] in _OPTIMIZER_CLASSES


# After a name: `=`, a dotted name, then `=` (a chained assignment) or `(` (a call).
_ASSIGNED_VALUE = re.compile(
    r"[ \t]*=(?!=)[\s(\\]*([A-Za-z_][\w.]*(?:\s*\.\s*\w+)*)\s*(?:(=)(?!=)|(\())?"
)
_IMPORT = re.compile(r"import[ \t]+(\([^)]{0,2000}\)|[^\n]{0,500})")


def optimizer_steps(text: str) -> list[int]:
    """Positions of calls `is_optimizer_step` may accept: `xm.optimizer_step(...)`, and
    `.step(...)` on an optimizer-named or optimizer-bound receiver, or given one."""
    out = []
    opts: Bindings | None = None
    for m in _STEP.finditer(text):
        p = m.start()
        if doctest_at(text, p):
            continue
        if text[p - 10 : p] == "optimizer_" and not _word_before(text, p - 10):
            if not defined_here(text, p - 10):
                out.append(p)
            continue
        if _word_before(text, p):
            continue
        d = _space_before(text, p)
        if d == 0 or text[d - 1] != ".":
            continue
        dot = d - 1
        start = receiver_start(text, dot)
        if start is None:
            out.append(p)
            continue
        name = _ident(text, start, dot)
        if "opt" in name.lower() and not _NOT_OPT.search(name):
            out.append(p)
            continue
        close = matching_close(text, m.end() - 1)
        args = text[m.end() : close] if close is not None else text[m.end() : m.end() + 2000]
        if "opt" in args.lower():
            out.append(p)
            continue
        if opts is None:
            opts = Bindings(text)
        recv = re.sub(r"\s+", "", text[start:dot])
        names = re.findall(r"[A-Za-z_][\w.]*", args)
        if re.fullmatch(r"[A-Za-z_][\w.]*", recv):
            names.append(recv)
        if any(opts.made(n, "optimizer", _optimizer_maker) for n in names):
            out.append(p)
    return out


# -- ML203 ---------------------------------------------------------------------------------

# A loop header: a line starting with `for` / `while` (the file's first line is a line too).
_LOOP = re.compile(r"\n([ \t]*)(?:async[ \t]+)?(?:for|while)\b")
_FIRST_LOOP = re.compile(r"([ \t]*)(?:async[ \t]+)?(?:for|while)\b")


def loop_headers(text: str, end: int) -> Iterator[tuple[int, int]]:
    """(line start, indent) of the loop headers that start before `end`."""
    m = _FIRST_LOOP.match(text)
    if m:
        yield 0, len(m.group(1))
    for m in _LOOP.finditer(text, 0, end):
        yield m.start() + 1, len(m.group(1))


# Calls that clear a loop's gradients: `zero_grad(`, and a new optimizer per iteration.
_ZERO_GRAD = (
    re.compile(r"zero_grad\s*\("),
    re.compile(
        r"^[ \t]*[A-Za-z_][\w.]*[ \t]*=[ \t]*(?:[\w.]*\.)?(?:"
        + "|".join(sorted(_OPTIMIZER_CLASSES, key=len, reverse=True))
        + r")[ \t]*\(",
        re.MULTILINE,
    ),
)
_STATEMENT_START = re.compile(r"[ \t]*[A-Za-z_]")
_SCOPE_WORD = re.compile(r"\b(?:def|lambda|class)\b")


def _within(positions: list[int], start: int, end: int) -> bool:
    """Whether one of the (sorted) positions lies in [start, end)."""
    i = bisect_left(positions, start)
    return i < len(positions) and positions[i] < end


class ZeroGradGate:
    """ML203: a loop whose block holds a backward call and an optimizer step and no
    `zero_grad()` call that is plainly its own code."""

    pattern = "loop with backward( and an optimizer step( but no zero_grad("

    def search(self, text: str, /) -> bool:
        if not contains(text, "backward") or not contains(text, "step"):
            return False
        backward = backward_calls(text)
        if not backward:
            return False
        steps = optimizer_steps(text)
        if not steps:
            return False
        last = min(backward[-1], steps[-1])  # a loop holding both starts before both
        code: CodeText | None = None
        for start, indent in loop_headers(text, last):
            end = block_end(text, start, indent)
            if not (_within(backward, start, end) and _within(steps, start, end)):
                continue
            if code is None:
                code = CodeText(text)
            if not any(
                self._clears(code, start, indent, z.start())
                for rx in _ZERO_GRAD
                for z in rx.finditer(text, start, end)
            ):
                return True
        return False

    @staticmethod
    def _clears(code: CodeText, loop: int, indent: int, pos: int) -> bool:
        """Whether the zero_grad() (or new optimizer) at `pos` plainly clears the loop
        whose header line starts at `loop`: a statement of its own (not a decorator's
        call, not a string or comment) in the loop's block, with no function, lambda or
        class beginning in between (their calls are another scope's)."""
        text = code.text
        return (
            _STATEMENT_START.match(text, line_start(text, pos)) is not None
            and not code.in_string_or_comment(pos)
            and code.within(loop, indent, pos)
            and _SCOPE_WORD.search(text, loop, pos) is None
        )

    def __repr__(self) -> str:
        return "ZeroGradGate()"


# -- ML205 ---------------------------------------------------------------------------------


_GRAD_OFF_WORDS = ("no_grad", "inference_mode", "set_grad_enabled")
_ALIAS_AFTER = re.compile(r"[ \t]+as[ \t]+(\w+)")
_ALIAS_LINE = re.compile(
    r"[ \t]*(\w+)[ \t]*=[ \t]*[\w.]*(?:no_grad|inference_mode|set_grad_enabled)"
)
# A def whose name may be evaluate-like (smells._EVAL_FUNC decides).
_EVAL_DEF = re.compile(
    r"def[ \t]+(_*(?:eval|evaluate|evaluation|validate|validation|valid|val|predict|prediction"
    r"|inference|infer|run_eval|run_test|run_validation|run_inference)(?:_\w*)?"
    r"|\w*_(?:eval|evaluate|evaluation|validate|validation|predict|prediction|inference|infer)"
    r"|_*test(?:ing|_epoch|_loop|_model|_one_epoch)?)[ \t]*\("
)
_BODY_INDENT = re.compile(r"\n([ \t]*)(?=[^\s#])")
_TRAIN_CALL = re.compile(r"\.\s*train\s*\(")
# `model.train()` as a statement: a train event in the rule (not `.train(False)`).
_TRAIN_STATEMENT = re.compile(
    r"\n[ \t]*([A-Za-z_][\w.]*)[ \t]*\.[ \t]*train[ \t]*\([ \t]*(?:True|mode[ \t]*=[ \t]*True)?[ \t]*\)"
    r"[ \t]*(?:#[^\n]*)?(?=\n)"
)
_WITH = ("with ", "with(", "with\t", "async ")


def dotted_calls(
    reversed_text: str, start: int, end: int, keep: Callable[[str], bool]
) -> Iterator[tuple[int, str]]:
    """(position, dotted callee) of the calls in text[start:end] whose callee is a name
    or an attribute chain on a name (`model(`, `self.net . forward (`); spaces around
    dots and before the bracket are dropped. Read in the reversed text, where each
    call's `(` comes first: a literal the regex finds fast. Only callees whose last part
    (before `.forward`), reversed, `keep` takes are made into names."""
    n = len(reversed_text)
    for m in _REVERSED_CALL.finditer(reversed_text, n - end, n - start):
        parts = m.group(1).split(".", 2)
        last = parts[0].strip()
        if last == "drawrof" and len(parts) > 1:
            last = parts[1].strip()
        if not keep(last):
            continue
        after = reversed_text[m.end() : m.end() + 1]
        if after and (after in ".)]" or _is_word(after)):
            continue  # an attribute of a call or subscript result
        if _DEF_OR_CLASS_BEFORE.match(reversed_text, m.end()):
            continue  # `def name(` / `class Name(`: no call
        key = m.group(1)[::-1]
        if key[0].isdigit():
            continue
        if not key.isidentifier():
            key = re.sub(r"\s+", "", key)
        yield n - m.end(), key


# Keywords before a bracket (`if (`, `return (`), and `self(`, which the rule skips.
_NOT_CALLEES = frozenset(
    [
        "if",
        "elif",
        "while",
        "for",
        "return",
        "and",
        "or",
        "not",
        "in",
        "is",
        "assert",
        "del",
        "yield",
        "await",
        "with",
        "lambda",
        "def",
        "class",
        "except",
        "raise",
        "else",
        "from",
        "import",
        "as",
        "self",
    ]
)
_CLASS = re.compile(r"class[ \t]+(\w+)")
_TORCH_HEADS = ("torch", "torchvision", "timm", "segmentation_models_pytorch")
# `name(` / `a . b (` in reversed text: `(`, then the reversed dotted name.
_DEF_OR_CLASS_BEFORE = re.compile(r"\s+(?:fed|ssalc)(?!\w)")
_REVERSED_CALL = re.compile(r"\(\s*((?:\w+\s*\.\s*)*\w+)")
# `name =` (not `==`, `<=`, ...) in reversed text: `=` then the reversed name.
_REVERSED_ASSIGN = re.compile(r"=(?![=!<>])[ \t]*(\w+)")
# `name: T =` in reversed text: `=`, the annotation, `:`, the reversed name.
_REVERSED_ANNOTATED = re.compile(r"=(?![=!<>])[^\n=]*?:[ \t]*(\w+)")
# `name =` or `name:` (an annotated assignment or parameter) in reversed text.
_REVERSED_BOUND = re.compile(r"[=:](?![=!<>])[ \t]*(\w+)")
# `.eval()` and `.train(False)`, found from the method's name (a literal) back to the dot.
_EVAL_CALLS = (
    ("eval", re.compile(r"eval\s*\(\s*\)")),
    ("train", re.compile(r"train\s*\(\s*(?:False|mode\s*=\s*False)\s*\)")),
)


def mode_switches(text: str) -> Iterator[tuple[int, int]]:
    """(position of the `.`, end) of each `x.eval()` / `x.train(False)` call."""
    for word, rx in _EVAL_CALLS:
        if not contains(text, word):
            continue
        for m in rx.finditer(text):
            if m.start() and _is_word(text[m.start() - 1]):
                continue
            dot = _space_before(text, m.start())
            if dot and text[dot - 1] == ".":
                yield dot - 1, m.end()


# smells._CHAIN_METHODS, as a call after a value (`.to(device)`, `.eval()`).
_CHAIN_METHOD = re.compile(
    r"\s*\.\s*(?:to|cuda|cpu|float|double|half|bfloat16|eval|train|requires_grad_"
    r"|share_memory)\s*\("
)


class _EvalFacts(CodeText):
    """What ML205 needs to know about one text, each fact read when first asked."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.bindings = Bindings(text)
        self._made: dict[str, bool] = {}
        self._assigned_names: set[str] | None = None
        self._torch_aliases: dict[str, set[str]] | None = None
        self._trained: set[str] | None = None
        self._trained_lasts: set[str] = set()
        self._looks: dict[str, bool] = {}
        self._trained_any = False  # a `.train(` whose receiver could not be read
        self._trains: bool | None = None
        self._module_classes: dict[int, bool] = {}
        self._maybe_module_classes: dict[int, bool] = {}
        self._switches: list[tuple[int, str | None]] | None = None
        self._mode_switches: list[tuple[int, int]] | None = None
        self._verdicts: dict[str, bool] = {}

    def switches(self) -> list[tuple[int, str | None]]:
        """Plainly-code `.eval()` / `.train(False)` calls: (position, dotted receiver or
        None); a receiver is also the name such a chain is assigned to (`m = net.eval()`)."""
        if self._switches is None:
            text = self.text
            out: list[tuple[int, str | None]] = []
            for dot, end in self.mode_switches():
                if self.in_string_or_comment(dot):
                    continue
                start = receiver_start(text, dot)
                recv = re.sub(r"\s+", "", text[start:dot]) if start is not None else ""
                out.append((dot, recv if _DOTTED.fullmatch(recv) else None))
                bound = self._assigned_chain(dot)
                if bound and _STATEMENT_END.match(text, end):
                    out.append((dot, bound))
            self._switches = out
        return self._switches

    def _assigned_chain(self, dot: int) -> str | None:
        """`name` for `name = Callee(...).to(...).eval()`, a statement of its own whose
        value is a call followed by mode/device methods only (the walk marks that name
        as put in eval mode)."""
        text = self.text
        bound = _ASSIGNED_CHAIN.match(text, line_start(text, dot))
        if bound is None:
            return None
        call = _VALUE_CALL.match(text, bound.end())
        end = matching_close(text, call.end() - 1) if call else None
        while end is not None and end + 1 < dot:
            chained = _CHAIN_METHOD.match(text, end + 1)
            end = matching_close(text, chained.end() - 1) if chained else None
        if end is None or text[end + 1 : dot].strip():
            return None
        return re.sub(r"\s+", "", bound.group(1))

    def mode_switches(self) -> list[tuple[int, int]]:
        if self._mode_switches is None:
            self._mode_switches = list(mode_switches(self.text))
        return self._mode_switches

    def eval_calls(self) -> list[tuple[int, str | None]]:
        """Every `.eval()` / `.train(False)` call outside strings, with its receiver when
        that reads as a dotted name (the ones that make a mode event)."""
        text = self.text
        out: list[tuple[int, str | None]] = []
        for dot, _ in self.mode_switches():
            if self.strings.inside(dot) or doctest_at(text, dot):
                continue
            start = receiver_start(text, dot)
            recv = re.sub(r"\s+", "", text[start:dot]) if start is not None else ""
            out.append((dot, recv if _DOTTED.fullmatch(recv) else None))
        return out

    def restored(self, e: int, recv: str | None, st: int) -> bool:
        """Whether a `.train()` of the module switched to eval mode at `e` (or of one
        related to it) plainly runs between `e` and the step at `st`: a statement of its
        own in the same function as both."""
        if recv is None:
            return False
        scope = self.function_at(e)
        if scope is None or self.function_at(st) != scope:
            return False
        text = self.text
        for m in _TRAIN_STATEMENT.finditer(text, e, st):
            name = re.sub(r"\s+", "", m.group(1))
            if (
                _related(name, recv)
                and not self.in_string_or_comment(m.start(1))
                and self.function_at(m.start(1)) == scope
            ):
                return True
        return False

    def may_be_module(self, reversed_last: str) -> bool:
        """A cheap first look at a callee's last part (reversed, as read): named like a
        module, assigned at all, or `.train()`-ed."""
        known = self._looks.get(reversed_last)
        if known is None:
            last = reversed_last[::-1]
            self.trained("")
            known = self._looks[reversed_last] = (
                reversed_last in self.assigned_names()
                or _MODEL_NAME.search(last) is not None
                or self._trained_any
                or last in self._trained_lasts
            )
        return known

    def assigned_names(self) -> set[str]:
        """The last parts of all names before an `=`, reversed (`ledom` for `model =`),
        read in one pass over the reversed text, where the `=` comes first: a literal
        the regex finds fast."""
        if self._assigned_names is None:
            self._assigned_names = set(_REVERSED_ASSIGN.findall(self.reversed_text))
        return self._assigned_names

    def module_call(self, key: str) -> bool:
        """Whether `key(...)` in an evaluating block may be reported: a module by how it
        is made or named, not put in eval mode by any plain `.eval()` of the file."""
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = self._module_call(key)
        return verdict

    def _module_call(self, key: str) -> bool:
        last = key.rpartition(".")[2]
        named = _MODEL_NAME.search(last) is not None and not _FACTORY_NAME.match(last)
        trained = self.trained(key)
        made = self.made(key)
        if not (named or trained or made):
            return False
        if not (made or trained) and (self._plain_def(key) or self._plain_import(key)):
            return False
        switches = self.switches()
        if switches and not made:
            return False  # some module is put in eval mode: only made ones are judged
        if any(e is not None and _related(key, e) for _, e in switches):
            return False
        return trained or not self._pretrained(key)

    def in_own_or_wrapper_method(self, key: str, pos: int) -> bool:
        """The call at `pos` is one the rule skips for where it is: in a method of a
        module class (its caller decides the mode), or, for a name not made here, in
        any class or on `self.` in a file that never trains (an inference wrapper)."""
        cls = self.enclosing_class(pos)
        if cls is not None and self.module_class(cls):
            return True
        if cls is None and not key.startswith("self."):
            return False
        if self.made(key):
            return False
        if self._trains is None:
            self._trains = bool(_TRAIN_CALL.search(self.text)) or bool(optimizer_steps(self.text))
        return not self._trains

    def module_class(self, head: tuple[int, int, str], sure: bool = True, depth: int = 0) -> bool:
        """Whether the class is a torch module for the rule: a base named like one
        (`nn.Module`, `PreTrainedModel`), a base that is such a class of this file
        defined earlier, or a `forward` method of its own. With `sure`, only when beyond
        doubt; without, unless beyond doubt not (bases that cannot be read, a `forward`
        anywhere in its block, a base of that name defined anywhere count)."""
        cache = self._module_classes if sure else self._maybe_module_classes
        known = cache.get(head[0])
        if known is not None:
            return known
        cache[head[0]] = not sure  # a cycle of bases
        text = self.text
        start, indent, name = head
        found = False
        opened = text.find(name, start + indent) + len(name)
        while opened < len(text) and text[opened] in " \t":
            opened += 1
        close = None
        if text[opened : opened + 1] == "(":
            close = matching_close(text, opened)
            if close is None and not sure:
                found = True
            bases = text[opened + 1 : close] if close is not None else ""
            for item in bases.split(","):
                base = re.sub(r"\s+", "", item)
                if not _DOTTED.fullmatch(base):
                    continue
                if base.rpartition(".")[2].endswith(_MODULE_BASES):
                    found = True
                    break
                if depth < 10 and any(
                    other[2] == base
                    and (other[0] < start or not sure)
                    and self.module_class(other, sure, depth + 1)
                    for other in self.class_headers()
                ):
                    found = True
                    break
        if not found and not sure:
            found = "forward" in text[start : block_end(text, start, indent)]
        elif not found and (close is not None or text[opened : opened + 1] != "("):
            # The first line of the body: after the line that closes the bases.
            body = _BODY_INDENT.search(text, text.find("\n", close if close is not None else start))
            if body is not None:
                width = len(body.group(1))
                rx = re.compile(r"\n[ \t]{" + str(width) + r"}(?:async[ \t]+)?def[ \t]+forward\b")
                found = any(
                    self.within(start, indent, m.start() + 1) and not self.strings.inside(m.end())
                    for m in rx.finditer(text, start)
                )
        cache[start] = found
        return found

    def made(self, key: str) -> bool:
        """Whether `key` may be a module variable of the rule: assigned a call of a class
        of the file or of a torch.nn / torchvision / timm / hub / compile factory
        (through imports and aliases)."""
        known = self._made.get(key)
        if known is None:
            last = key.rpartition(".")[2]
            known = self._made[key] = last[::-1] in self.assigned_names() and any(
                self._module_maker(callee) for callee in self.bindings.assigned(key, call=True)
            )
        return known

    def _module_maker(self, callee: str, depth: int = 0) -> bool:
        if callee.startswith(_MODULE_FACTORIES):
            return True
        last = callee.rpartition(".")[2]
        if any(
            head[2] == last and self.module_class(head, sure=False) for head in self.class_headers()
        ):
            return True
        head, _, rest = callee.partition(".")
        tail = "." + rest if rest else ""
        targets = self.bindings.imports().get(head, set()) | self.torch_aliases().get(head, set())
        return depth < 5 and any(
            target != head and self._module_maker(target + tail, depth + 1) for target in targets
        )

    def torch_aliases(self) -> dict[str, set[str]]:
        """Names assigned a plain dotted name that starts with torch (or timm, ...) or
        with a name imported from there or so assigned: `Conv = nn.Conv2d`."""
        if self._torch_aliases is None:
            text = self.text
            out: dict[str, set[str]] = {}
            heads = set(_TORCH_HEADS)
            heads.update(
                name
                for name, targets in self.bindings.imports().items()
                if any(t.split(".")[0] in _TORCH_HEADS for t in targets)
            )
            new = set(heads)
            while new:
                names = "|".join(map(re.escape, sorted(new, key=len, reverse=True)))
                rx = re.compile(r"=[ \t]*((?:" + names + r")(?:\.[\w.]*)?)[ \t]*(?=#|\n|;|$)")
                new = set()
                for m in rx.finditer(text):
                    if m.start() and text[m.start() - 1] in "=!<>":
                        continue
                    head = text[max(line_start(text, m.start()), m.start() - 300) : m.start()]
                    targets = re.split(r"[;:]", head)
                    for target in targets[-1].split("="):
                        target = target.strip()
                        if target.isidentifier():
                            out.setdefault(target, set()).add(m.group(1))
                            if target not in heads:
                                heads.add(target)
                                new.add(target)
            self._torch_aliases = out
        return self._torch_aliases

    def trained(self, key: str) -> bool:
        """Whether `key.train(...)` may be called (a receiver that cannot be read back
        may be any name)."""
        if self._trained is None:
            text = self.text
            self._trained = set()
            for m in _TRAIN_CALL.finditer(text):
                start = receiver_start(text, m.start())
                if start is None:
                    self._trained_any = True
                    continue
                recv = re.sub(r"\s+", "", text[start : m.start()])
                if _DOTTED.fullmatch(recv):
                    self._trained.add(recv)
                    self._trained_lasts.add(recv.rpartition(".")[2])
        return self._trained_any or key in self._trained

    def _plain_def(self, name: str) -> bool:
        if "." in name:
            return False
        text = self.text
        for m in re.finditer(r"def[ \t]+" + re.escape(name) + r"[ \t]*\(", text):
            if starts_statement(text, m.start()) and not self.in_string_or_comment(m.start()):
                return True
        return False

    def _plain_import(self, name: str) -> bool:
        if "." in name:
            return False
        text = self.text
        for m in import_matches(text, _IMPORT):
            start = line_start(text, m.start())
            if not _IMPORT_LINE.match(text, start) or self.strings.inside(m.start()):
                continue
            for item in m.group(1).strip("()").split(","):
                words = item.split()
                bound = words[-1] if len(words) == 3 and words[1] == "as" else item.strip()
                if bound.split(".")[0] == name:
                    return True
        return False

    def _pretrained(self, name: str) -> bool:
        """`name = X.from_pretrained(...)` (then only `.to()`, `.eval()` and the like)."""
        text = self.text
        for m in _dotted_at(text, name, r"[ \t]*=[ \t]*[\w.]+\.from_pretrained\s*\("):
            if not starts_statement(text, m.start(), after_async=False) or (
                self.in_string_or_comment(m.start())
            ):
                continue
            end = matching_close(text, m.end() - 1)
            while end is not None:
                chained = _CHAIN_METHOD.match(text, end + 1)
                if chained is None:
                    break
                end = matching_close(text, chained.end() - 1)
            if end is not None and _STATEMENT_END.match(text, end + 1):
                return True
        return False


_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_ASSIGNED_CHAIN = re.compile(r"[ \t]*([A-Za-z_][\w.]*)[ \t]*=(?!=)")
_VALUE_CALL = re.compile(r"[ \t]*[A-Za-z_][\w.]*[ \t]*\(")
_STATEMENT_END = re.compile(r"[ \t]*(?:#[^\n]*)?(?:\n|$)")
_IMPORT_LINE = re.compile(r"[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import\b")


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


class EvalModeGate:
    """ML205: a module called in an evaluating block (a `with torch.no_grad()` block, a
    function decorated so or named like `evaluate`) and not put in eval mode; or an
    `.eval()` and an optimizer step in one file."""

    pattern = "module call under no_grad / in evaluate() without .eval(); .eval() then step("

    _FIRST = ("torch", "lightning")

    def search(self, text: str, /) -> bool:
        if not any(contains(text, n) for n in self._FIRST):
            return False
        facts = _EvalFacts(text)
        if self._never_restored(text, facts):
            return True
        done = -1  # blocks nest: a block inside one already read adds nothing
        for start, end in sorted(
            (start, block_end(text, start, indent)) for start, indent in self._contexts(text)
        ):
            if end <= done:
                continue
            calls = dotted_calls(facts.reversed_text, max(start, done), end, facts.may_be_module)
            for pos, key in calls:
                if self._judged(key, pos, facts):
                    return True
            done = end
        return False

    @staticmethod
    def _judged(key: str, pos: int, facts: _EvalFacts) -> bool:
        """Whether the call of `key` at `pos` in an evaluating block may be reported."""
        if key.endswith(".forward"):
            key = key[: -len(".forward")]
        if key in _NOT_CALLEES or facts.in_string_or_comment(pos):
            return False
        if not facts.module_call(key):
            return False
        # A callee the walk resolves through an import (`torch.Generator`) is skipped.
        if facts.bindings.imported_before(
            key.partition(".")[0], pos, lambda p: not facts.in_string_or_comment(p)
        ):
            return False
        return not facts.in_own_or_wrapper_method(key, pos)

    @staticmethod
    def _never_restored(text: str, facts: _EvalFacts) -> bool:
        """An `.eval()` (or `.train(False)`) and an optimizer step in one function: the
        step after it (with no `.train()` of that module plainly between), or before it
        in a loop around both."""
        if not contains(text, "step"):
            return False  # no optimizer step: skip reading the `.eval()` calls
        evals = facts.eval_calls()
        if not evals:
            return False
        steps = optimizer_steps(text)
        if len(evals) * len(steps) > 2000:
            return True  # too many to pair up: let the file through
        for e, recv in evals:
            for st in steps:
                if facts.other_scopes(e, st):
                    continue
                if st > e:
                    if not facts.restored(e, recv, st):
                        return True
                elif any(
                    block_end(text, start, indent) > e for start, indent in loop_headers(text, st)
                ):
                    return True
        return False

    def _contexts(self, text: str) -> Iterator[tuple[int, int]]:
        """(line start, indent) of the headers of evaluating blocks: `with` statements
        that turn gradients off, functions decorated so, and evaluate-like functions."""
        words = [w for w in _GRAD_OFF_WORDS if contains(text, w)]
        if words:
            aliases: list[str] = []
            for word in words:
                p = text.find(word)
                while p >= 0:
                    yield from self._grad_off_at(text, p)
                    end = p + len(word)
                    alias = _ALIAS_AFTER.match(text, end)
                    if alias:
                        aliases.append(alias.group(1))
                    line = _ALIAS_LINE.fullmatch(text[max(line_start(text, p), p - 300) : end])
                    if line and _STATEMENT_END.match(text, end):
                        aliases.append(line.group(1))
                    p = text.find(word, end)
            if aliases:  # `from torch import no_grad as ng`, `ng = torch.no_grad`
                rx = re.compile(r"\b(?:" + "|".join(map(re.escape, set(aliases))) + r")\b")
                for m in rx.finditer(text):
                    yield from self._grad_off_at(text, m.start())
        for m in _EVAL_DEF.finditer(text):
            if starts_statement(text, m.start()):
                start = line_start(text, m.start())
                indent = indent_at(text, start)
                name = m.group(1)
                if _EVAL_FUNC.search(name) and not _HOOK_FUNC.search(name):
                    yield start, indent

    @staticmethod
    def _grad_off_at(text: str, p: int) -> Iterator[tuple[int, int]]:
        """The block a gradient-off word at `p` opens: its `with` statement, or the
        function it decorates."""
        if doctest_at(text, p):
            return
        start = line_start(text, p)
        indent = indent_at(text, start)
        if text.startswith(_WITH, start + indent, p):
            yield start, indent
        elif text.startswith("@", start + indent, p):
            d = _DEF.search(text, p)
            if d and not _HOOK_FUNC.search(d.group(2)):
                yield d.start() + 1, len(d.group(1))
        else:
            # `with (\n    torch.no_grad(),\n    ...\n):`, `with \\\n  torch.no_grad():`
            above = start
            for _ in range(30):
                if above == 0:
                    break
                above = line_start(text, above - 1)
                lead = indent_at(text, above)
                if text.startswith(_WITH, above + lead):
                    if _open_brackets(text, above, p) > 0 or "\\\n" in text[above:p]:
                        yield above, lead
                    break

    def __repr__(self) -> str:
        return "EvalModeGate()"


# -- ML206 ---------------------------------------------------------------------------------

# Writes to a subscript read in reversed text, where the assignment's `=` comes first (a
# literal the regex finds fast): `= ]`, `=+ ]`, `= )]` (a parenthesised target). Either the
# subscript written (without brackets inside) is on another subscript or an indexer
# (`]b[]a[x`, `]b[col.]a[x`: group 1 ends at the inner `]`), or it holds brackets and is
# read by hand from its `]` (group 2).
_WRITE = r"=(?:[-+*/%&|^@]|//|\*\*|<<|>>|(?![=!<>]))[\s)]*"
_REVERSED_CHAINED_WRITE = re.compile(_WRITE + r"(\][^\[\]]*\[\s*(?:\]|(?:coli?|tai?)\s*\.\s*\]))")
_REVERSED_NESTED_WRITE = re.compile(_WRITE + r"(\])[^\[\]]*\]")
# An annotated one: `df["a"][0]: int = 1`.
# `==`, `!=`, `<=`, `>=` read backwards: the `=` is no assignment.
_COMPARISON = ("=", "!", "<", ">")
_ANNOTATED_SUBSCRIPT_WRITE = re.compile(r"\][ \t]*:[^\n=]*=(?!=)")
# `loc[` (of `.loc[` / `.iloc[`), from its literal.
_LOC_SUBSCRIPT = re.compile(r"loc[ \t\r\n\\]*\[")
_INDEXER = re.compile(r"\.\s*i?(?:loc|at)\s*$")
_LOC_END = re.compile(r"\.\s*i?loc\s*$")
# What every finding's text holds: a subscript closed and then subscripted again or
# indexed (`][`, `] . loc`), with spaces, line continuations, comments and a closing
# bracket (`(df["a"])[0]`) allowed between; or an `inplace=` keyword. Searched from the
# `]`, a literal; comments end at their line break so no match can be read two ways.
_GAP = r"(?:[\s\\)]|#[^\n]*\n)*"
INDEXED_AGAIN = re.compile(r"\]" + _GAP + r"(?:\[|\." + _GAP + r"i?(?:loc|at)\b)")


class ChainedAssignmentGate:
    """ML206: a write through two indexing steps (`df[a][b] = v`, `df.loc[a][b] = v`,
    `df[a].loc[b] = v`) or an in-place method on one (`df[a].fillna(0, inplace=True)`),
    on a `.loc`/`.iloc` chain or on a name that may be a pandas frame."""

    pattern = "df[a][b] = v / df.loc[a][b] = v / df[a].method(..., inplace=True)"

    # pandas (a frame can be named) or `loc` (`.loc`/`.iloc` chains are pandas anyway).
    _PANDAS = ("pandas", "pd.", "seaborn")

    def search(self, text: str, /) -> bool:
        if not INDEXED_AGAIN.search(text) and not contains(text, "inplace"):
            return False
        pandas = any(contains(text, n) for n in self._PANDAS)
        if not pandas and not contains(text, "loc"):
            return False
        facts = _FrameFacts(text, pandas)
        if not pandas:
            return self._loc_chain(text, facts)
        reversed_text = facts.reversed_text
        n = len(text)
        for m in _REVERSED_CHAINED_WRITE.finditer(reversed_text):
            if reversed_text[m.start() - 1 : m.start()] in _COMPARISON:
                continue
            inner_close = n - m.end()  # the `]` of the subscript written through
            if facts.in_string_or_comment(inner_close):
                continue
            inner = matching_open(text, inner_close)
            if inner is None or facts.chain_base(inner):
                return True
        closes = [
            n - m.end(1)  # the `]` before the `=`
            for m in _REVERSED_NESTED_WRITE.finditer(reversed_text)
            if reversed_text[m.start() - 1 : m.start()] not in _COMPARISON
        ]
        if contains(text, "]:") or contains(text, "] :"):
            closes.extend(m.start() for m in _ANNOTATED_SUBSCRIPT_WRITE.finditer(text))
        for close in closes:
            inner = _outer_subscript(text, close)
            if inner is None or facts.in_string_or_comment(close):
                continue
            if inner < 0 or facts.chain_base(inner):
                return True
        if contains(text, "inplace"):
            for m in _INPLACE.finditer(text):
                if facts.in_string_or_comment(m.start()):
                    continue
                opened = _unclosed_paren(text, m.start())
                if opened is None:
                    return True  # cannot tell whose keyword it is
                recv_end = _method_receiver_end(text, opened)
                if recv_end is not None and text[recv_end - 1] == "]":
                    start = matching_open(text, recv_end - 1)
                    if start is None or facts.chain_base(start):
                        return True
        return False

    @staticmethod
    def _loc_chain(text: str, facts: _FrameFacts) -> bool:
        """Without pandas, only `.loc`/`.iloc` chains count: `x.loc[a][b] = v`,
        `x.loc[a].loc[b] = v`, `x.loc[a].fillna(..., inplace=True)`."""
        for m in _LOC_SUBSCRIPT.finditer(text):
            i = m.start()
            j = _space_before(text, i - 1 if text[i - 1 : i] == "i" else i)
            if (
                j > 0
                and text[j - 1] == "."
                and not facts.in_string_or_comment(i)
                and _written_through(text, i + 3)
            ):
                return True
        return False

    def __repr__(self) -> str:
        return "ChainedAssignmentGate()"


def _written_through(text: str, pos: int) -> bool:
    """After `.loc` at `pos`: a subscript, then a second one (or `.loc[`/`.at[`...) and
    an assignment, or an in-place method call; True when the brackets cannot be read."""
    first = pos
    while first < len(text) and text[first] in " \t\r\n\\":
        first += 1
    if text[first : first + 1] != "[":
        return False
    close = matching_close(text, first)
    if close is None:
        return True
    after = _SECOND_INDEX.match(text, close + 1)
    if after is not None:
        close = matching_close(text, after.end() - 1)
        return close is None or _WRITE_AFTER.match(text, close + 1) is not None
    method = _METHOD_CALL.match(text, close + 1)
    if method is None:
        return False
    end = matching_close(text, method.end() - 1)
    return end is None or _INPLACE.search(text, method.end(), end) is not None


_SECOND_INDEX = re.compile(r"[ \t\r\n\\]*(?:\.[ \t\r\n\\]*i?(?:loc|at)[ \t\r\n\\]*)?\[")
_WRITE_AFTER = re.compile(r"[\s)]*(?:(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)|:[^\n=]*=(?!=))")
_METHOD_CALL = re.compile(r"[ \t\r\n\\]*\.[ \t\r\n\\]*[A-Za-z_]\w*[ \t\r\n\\]*\(")


def _outer_subscript(text: str, close: int) -> int | None:
    """For a target ending in the `]` at `close`: where the subscript that it indexes
    opens, when that is a subscript too (`x[a][b]`, `x[a].loc[b]`); None when it is
    not; -1 when the brackets cannot be read."""
    opened = matching_open(text, close)
    if opened is None:
        return -1
    j = opened
    while j > 0 and text[j - 1] in " \t\r\n\\":
        j -= 1
    indexer = _INDEXER.search(text, max(0, j - 40), j)
    if indexer is not None:
        j = indexer.start()
        while j > 0 and text[j - 1] in " \t\r\n\\":
            j -= 1
    if j == 0 or text[j - 1] != "]":
        return None
    outer = matching_open(text, j - 1)
    return -1 if outer is None else outer


_INPLACE = re.compile(r"inplace\s*=\s*True\b")
_DOTTED_END = re.compile(r"([A-Za-z_]\w*(?:[ \t]*\.[ \t]*[A-Za-z_]\w*)*)[ \t]*$")


def _unclosed_paren(text: str, pos: int, limit: int = 4000) -> int | None:
    """The `(` of the call whose arguments hold `pos`, read backwards (None: unclear)."""
    depth = 0
    i = pos - 1
    stop = max(0, pos - limit)
    while i >= stop:
        c = text[i]
        if c in ")]}":
            depth += 1
        elif c in "([{":
            if depth == 0:
                return i if c == "(" else None
            depth -= 1
        i -= 1
    return None


def _method_receiver_end(text: str, opened: int) -> int | None:
    """For a call `recv.method(` whose bracket is at `opened`: where `recv` ends."""
    j = opened
    while j > 0 and text[j - 1] in " \t":
        j -= 1
    k = j
    while k > 0 and _is_word(text[k - 1]):
        k -= 1
    if k == j:
        return None
    while k > 0 and text[k - 1] in " \t\r\n\\":
        k -= 1
    if not (k > 0 and text[k - 1] == "."):
        return None
    k -= 1
    while k > 0 and text[k - 1] in " \t\r\n\\":
        k -= 1
    return k


class _FrameFacts(CodeText):
    """What ML206 needs to know about one text, read when first asked."""

    def __init__(self, text: str, pandas: bool) -> None:
        super().__init__(text)
        self.bindings = Bindings(text)
        self.pandas = pandas
        self._frames: dict[str, bool] = {}

    def chain_base(self, subscript: int) -> bool:
        """Whether the chain whose first subscript opens at `subscript` may be reported:
        its base is `.loc`/`.iloc` of anything, or a name that may be a frame."""
        text = self.text
        j = _space_before(text, subscript)
        if _LOC_END.search(text, max(0, j - 40), j):
            return True
        if not self.pandas:
            return False
        if text[j - 1 : j] == ")":
            opened = matching_open(text, j - 1)
            if opened is None:
                return True
            if _space_before(text, opened) and _is_word(text[_space_before(text, opened) - 1]):
                return False  # a call's result: never reported
            base = re.sub(r"\s+", "", text[opened + 1 : j - 1])  # `(df)["a"][0] = 1`
            if not _DOTTED.fullmatch(base):
                return False
            rooted = True
        else:
            m = _DOTTED_END.search(text, max(line_start(text, j), j - 200), j)
            if m is None:
                return False  # a subscript's or a literal's result: never reported
            base = re.sub(r"\s+", "", m.group(1))
            before = _space_before(text, m.start(1))
            rooted = text[before - 1 : before] != "."
        if _FRAME_NAME.search(base.rpartition(".")[2]):
            return True
        return rooted and "." not in base and self.may_be_frame(base)

    def may_be_frame(self, name: str, depth: int = 0) -> bool:
        """Whether `name` may be bound to a frame: assigned a value led by a pandas (or
        seaborn) name or by such a name (`df2 = raw[raw.a > 0]`), or a parameter
        annotated with a pandas type."""
        known = self._frames.get(name)
        if known is not None:
            return known
        self._frames[name] = False  # `a = b[...]`, `b = a[...]` ends here
        text = self.text
        found = False
        for m in _dotted_at(text, name, r"[ \t]*(?:=(?!=)|:)[ \t(]*([A-Za-z_]\w*)"):
            head = m.group(1)
            if self._pandas_name(head) or (
                depth < 10 and head != name and self.may_be_frame(head, depth + 1)
            ):
                found = True
                break
        self._frames[name] = found
        return found

    def _pandas_name(self, head: str) -> bool:
        if head in ("pd", "pandas", "seaborn"):
            return True
        return any(q.split(".")[0] in ("pandas", "seaborn") for q in self.bindings.qualnames(head))


# -- ML204 ---------------------------------------------------------------------------------

# `fit(` / `fit_transform(` / `split(`: a method call when a `.` comes before.
_FIT = re.compile(r"fit(?:_transform)?\s*\(")
_SPLIT = re.compile(r"split\s*\(")


class LeakageGate:
    """ML204: a preprocessor's fit (`scaler.fit(X)`, `StandardScaler().fit_transform(X)`)
    and, after it in the same function, a split or cross-validation (`train_test_split`,
    `cross_val_score`, a search's `.fit`, a CV splitter's `.split`)."""

    pattern = (
        "preprocessor .fit( then train_test_split( / cross_val_*( / SearchCV.fit( / Fold.split("
    )

    # A sink is named in full in the text (the checker resolves it by its sklearn name).
    _SINK_WORDS = (
        "train_test_split",
        "cross_val",
        "SearchCV",
        "KFold",
        "ShuffleSplit",
        "learning_curve",
        "validation_curve",
        "permutation_test_score",
        "LeaveO",
        "LeaveP",
        "TimeSeriesSplit",
        "PredefinedSplit",
    )

    def search(self, text: str, /) -> bool:
        if not contains(text, "sklearn") or not contains(text, "fit"):
            return False
        if not any(contains(text, w) for w in self._SINK_WORDS):
            return False
        if not any(contains(text, w) for w in _TRANSFORMER_NEEDLES):
            return False
        facts = _LeakFacts(text)
        fits = facts.preprocessor_fits()
        if not fits:
            return False
        return facts.fit_before_split(fits, facts.sinks(fits[0]))

    def __repr__(self) -> str:
        return "LeakageGate()"


# Names a file must hold for a preprocessor to be made (`make_column_transformer` holds
# "Transformer"; the selectors `Select*`, `RFE`, `RFECV`).
_TRANSFORMER_NEEDLES = (
    "make_column_transformer",
    "Scaler",
    "Normalizer",
    "Transformer",
    "Discretizer",
    "Imputer",
    "Encoder",
    "PCA",
    "SVD",
    "ICA",
    "NMF",
    "Select",
    "RFE",
    "VarianceThreshold",
    "Vectorizer",
)


class _LeakFacts(CodeText):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.bindings = Bindings(text)
        self._kinds: dict[str, frozenset[str]] = {}
        self._made: dict[tuple[str, frozenset[str]], bool] = {}
        self._assigned_names: set[str] | None = None

    def kinds(self, callee: str) -> frozenset[str]:
        """The sklearn names `callee` may resolve to (`SS` -> StandardScaler)."""
        known = self._kinds.get(callee)
        if known is None:
            known = self._kinds[callee] = frozenset(
                q.rpartition(".")[2]
                for q in self.bindings.qualnames(callee)
                if q.startswith("sklearn.")
            )
        return known

    def made_as(self, name: str, names: frozenset[str]) -> bool:
        """Whether `name` may be assigned a call of one of `names` (from sklearn)."""
        key = (name, names)
        known = self._made.get(key)
        if known is None:
            if self._assigned_names is None:  # `name =`, `name: T =`
                self._assigned_names = set(_REVERSED_BOUND.findall(self.reversed_text))
            known = self._made[key] = name.rpartition(".")[2][::-1] in self._assigned_names and any(
                self.kinds(callee) & names
                for callee in self.bindings.assigned(name, call=True, annotated=True)
            )
        return known

    def _receiver_is(self, dot: int, names: frozenset[str]) -> bool:
        """Whether the receiver of the method at `dot` may be made by one of `names`:
        `StandardScaler().fit`, or `scaler.fit` with `scaler = StandardScaler()`."""
        text = self.text
        start = receiver_start(text, dot)
        if start is None:
            return True
        recv = re.sub(r"\s+", "", text[start:dot])
        if _DOTTED.fullmatch(recv):
            return self.made_as(recv, names)
        call = re.match(r"\(*([A-Za-z_][\w.]*)\(", recv)
        return call is None or bool(self.kinds(call.group(1)) & names)

    def fit_before_split(self, fits: list[int], sinks: list[int]) -> bool:
        """Whether a fit comes before a split in the same function (or where the
        function cannot be told)."""
        if not sinks:
            return False
        first: dict[int | None, int] = {}
        for f in fits:
            scope = self.function_at(f)
            first[scope] = min(f, first.get(scope, f))
        unknown = first.get(None)
        for s in sinks:
            scope = self.function_at(s)
            if scope is None:
                if min(first.values()) < s:
                    return True
            elif (scope in first and first[scope] < s) or (unknown is not None and unknown < s):
                return True
        return False

    def methods(self, rx: re.Pattern[str], after: int = 0) -> Iterator[int]:
        """Positions of the `.` of the method calls `rx` finds (from the method's name)."""
        text = self.text
        for m in rx.finditer(text, after):
            if m.start() and _is_word(text[m.start() - 1]):
                continue
            dot = _space_before(text, m.start())
            if dot and text[dot - 1] == "." and not self.in_string_or_comment(m.start()):
                yield dot - 1

    def preprocessor_fits(self) -> list[int]:
        """Positions of `.fit(` / `.fit_transform(` calls on a preprocessor."""
        return [dot for dot in self.methods(_FIT) if self._receiver_is(dot, _TRANSFORMERS)]

    def sinks(self, after: int) -> list[int]:
        """Positions of splits and cross-validations after `after`: the functions (under
        any name they are imported or assigned as), a search's `.fit`, a splitter's
        `.split`."""
        text = self.text
        out = []
        for name in self.split_names():
            for m in _call_rx(name).finditer(text, after):
                if m.start() and _is_word(text[m.start() - 1]):
                    continue
                end = m.start() + len(name)
                chain = _DOTTED_END.search(text, max(line_start(text, end), end - 200), end)
                callee = re.sub(r"\s+", "", chain.group(1)) if chain else name
                if self.kinds(callee) & _SPLIT_FUNCTIONS and not self.in_string_or_comment(
                    m.start()
                ):
                    out.append(m.start())
        for rx, names in ((_FIT, _SEARCHERS), (_SPLIT, _CV_SPLITTERS)):
            out.extend(dot for dot in self.methods(rx, after) if self._receiver_is(dot, names))
        return out

    def split_names(self) -> set[str]:
        """The split and cross-validation functions' names, and the names they are
        imported as (`train_test_split as tts`) or assigned to (`tts = train_test_split`)."""
        names = set(_SPLIT_FUNCTIONS)
        names.update(
            local
            for local, targets in self.bindings.imports().items()
            if any(t.rpartition(".")[2] in _SPLIT_FUNCTIONS for t in targets)
        )
        text = self.text
        for name in _SPLIT_FUNCTIONS:
            for m in _call_rx(name, r"[ \t]*(?:#[^\n]*)?(?:\n|$)").finditer(text):
                alias = _ALIAS_OF.fullmatch(text, line_start(text, m.start()), m.start())
                if alias:
                    names.add(alias.group(1))
        return names


@lru_cache(maxsize=1024)
def _call_rx(name: str, after: str = r"[ \t]*\(") -> re.Pattern[str]:
    """`name` then `after` (a call's bracket by default); the regex starts with the name."""
    return re.compile(re.escape(name) + after)


# `alias = [module.]` before a function's name: a module-level alias of it.
_ALIAS_OF = re.compile(r"[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*(?:[A-Za-z_][\w.]*\.)?")
