"""Parse only the definitions of a file that a rule could care about.

Large directory walks already skip files no rule could match (text prefilters). A file
that does get through is often a long library module where one function of fifty draws
a random number. For checkers whose findings depend only on the statements that mention
their words (plus imports and module-level code), parsing the other top-level functions
and classes, and the other methods of a class that is read, is wasted work: this module
cuts the text into top-level statements (and class bodies into their members) and
parses only the ones worth reading, with their real line numbers.

Why a cut is safe: a cut is placed only before a line that starts in column 0 with a
name or `@`. If such a line sits inside a string, a bracket or after a `\\` continuation,
the piece before it ends inside that construct and does not parse; any piece that fails
to parse sends the caller back to parsing the whole file. So when every piece parses,
every cut was a real statement boundary and each piece's tree is exactly the
corresponding part of the whole file's tree.
"""

from __future__ import annotations

import ast
import bisect
import functools
import itertools
import re
from collections.abc import Callable, Sequence

# Lines that may start a top-level statement, and those that continue the one before.
_LINE_START = re.compile(r"\n(?=[A-Za-z_@])")  # a literal first: far faster than ^ with re.M
_CONTINUES = re.compile(r"(?:else|elif|except|finally)\b")
# Only function and class definitions (decorated or not) are ever left out: module-level
# code holds imports, aliases and constants every checker may read.
_DEFINITION = re.compile(r"(?:@|def\b|async\s+def\b|class\b)")

# Below this share of the text left out, parse the whole file. Once the pieces are cut,
# parsing them is cheaper even when they are most of the file (measured on the bench
# corpus: about 10% less parse time where a tenth is left out), so only near-nothing
# left out falls back.
MIN_SAVING = 0.02
# Files smaller than this are parsed whole: the cutting would cost more than it saves.
MIN_SIZE = 8_000


def _string_spans(text: str) -> list[tuple[int, int]]:
    """Rough spans of triple-quoted strings (a wrong guess only costs a whole-file parse).

    Substring searches for each kind of quote: a regex for either kind would stop at
    every quote character of the file.
    """
    spans: list[tuple[int, int]] = []
    double = text.find('"""')
    single = text.find("'''")
    while double >= 0 or single >= 0:
        open_at, quote = (double, '"""') if single < 0 or 0 <= double < single else (single, "'''")
        close = text.find(quote, open_at + 3)
        if close < 0:
            spans.append((open_at, len(text)))
            break
        end = close + 3
        spans.append((open_at, end))
        if double >= 0 and double < end:
            double = text.find('"""', end)
        if single >= 0 and single < end:
            single = text.find("'''", end)
    return spans


def statement_starts(text: str, spans: list[tuple[int, int]] | None = None) -> list[int]:
    """Offsets where top-level statements (probably) begin, the first always 0."""
    if spans is None:
        spans = _string_spans(text)
    starts = [0]
    i = 0
    prev_decorator = text.startswith("@")
    for m in _LINE_START.finditer(text):
        pos = m.end()
        while i < len(spans) and spans[i][1] <= pos:
            i += 1
        if i < len(spans) and spans[i][0] < pos:
            continue  # inside a docstring or other long string
        if _CONTINUES.match(text, pos):
            continue
        if prev_decorator:  # the decorated definition belongs with its decorators
            prev_decorator = text[pos] == "@"
            continue
        prev_decorator = text[pos] == "@"
        starts.append(pos)
    return starts


# A word is a substring, or a compiled pattern for what substrings cannot say (`load` as
# a name of its own, not inside `download`); patterns are matched, never taken for names.
# A pattern should start with a literal, so searching a piece for it stays fast.
Word = str | re.Pattern[str]


def identifier(word: str, suffix: str = "") -> re.Pattern[str]:
    """`word` where a name starts (not inside `download`), followed by `suffix`."""
    return re.compile(re.escape(word) + rf"(?<!\w{re.escape(word)}){suffix}")


def select(text: str, words: Sequence[Word]) -> list[tuple[int, str]] | None:
    """The runs of statements to parse, as (offset, text); None: parse the whole file.

    A function or class definition is left out when none of `words`, nor a name the
    module-level code binds to one of them, occurs in it; so is a method or nested class
    of a class that is kept (replaced by a `pass` on the same lines).
    """
    if len(text) < MIN_SIZE:
        return None
    spans = _string_spans(text)
    starts = statement_starts(text, spans)
    if len(starts) < 3:
        return None
    starts.append(len(text))
    pieces = list(itertools.pairwise(starts))
    definition = [bool(_DEFINITION.match(text, a)) for a, _ in pieces]
    # Only module-level code binds names a definition elsewhere may use (an import or
    # alias inside a definition holds its word, so that definition is kept anyway).
    module_code = "".join(text[a:b] for (a, b), d in zip(pieces, definition, strict=True) if not d)
    plain = [w for w in words if isinstance(w, str)]
    patterns = [w for w in words if not isinstance(w, str)]
    expanded = expand_words(module_code, plain, patterns)
    if expanded is None:
        return None

    # A word absent from the file is absent from each piece: asked once, not per piece.
    present = [w for w in expanded if w in text]
    matching = [p for p in patterns if p.search(text)]

    def holds_word(piece: str) -> bool:
        return any(w in piece for w in present) or any(p.search(piece) for p in matching)

    runs: list[tuple[int, list[str]]] = []  # where each run starts, and its text
    run_end = -1
    left_out = 0
    for (a, b), is_definition in zip(pieces, definition, strict=True):
        kept = text[a:b]
        if is_definition:
            if not holds_word(kept):
                left_out += b - a
                continue
            members = _class_members(text, a, b, spans)
            if members is not None:
                kept, dropped = _without_members(text, a, b, members, holds_word)
                left_out += dropped
        if run_end == a:
            runs[-1][1].append(kept)
        else:
            runs.append((a, [kept]))
        run_end = b
    if left_out < MIN_SAVING * len(text):
        return None
    return [(a, "".join(parts)) for a, parts in runs]


# A class statement at column 0, and a line of its body that may start a member.
_CLASS_WORD = re.compile(r"class\b")
_DECORATED = re.compile(r"\n(class|def|async)\b")
_MEMBER_LINE = re.compile(r"\n([ \t]+)(?=@|def\b|async\s+def\b|class\b)")


_FAR = 1 << 62


def _in_span(spans: list[tuple[int, int]], pos: int) -> bool:
    """Whether `pos` lies inside one of the (sorted) triple-quoted string spans."""
    i = bisect.bisect_right(spans, (pos, _FAR)) - 1
    return i >= 0 and spans[i][0] < pos < spans[i][1]


@functools.lru_cache(maxsize=32)
def _body_lines(indent: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Code lines indented less than `indent` (or otherwise), and lines at exactly
    `indent` that start with a name or `@`."""
    shallower = re.compile(r"\n(?!" + indent + r")(?=[ \t]*[^\s#])")
    at_indent = re.compile(r"\n" + indent + r"(?=[A-Za-z_@])")
    return shallower, at_indent


def _class_members(
    text: str, a: int, b: int, spans: list[tuple[int, int]]
) -> list[tuple[int, bool]] | None:
    """Where the statements of the class body in text[a:b] start, each with whether it
    is a definition (a method or nested class, with its decorators); None: not a class,
    or a body this reader does not cut (it is then kept whole).

    The body's indent is that of its first definition, and every code line from there
    on must be indented at least as far: so a line at exactly that indent that starts
    with a name or `@` begins a statement of the class body. As at the top level, a
    cut inside a bracket or a string leaves a `pass` where no statement can stand, the
    text does not parse, and the caller falls back to the whole file.
    """
    if _CLASS_WORD.match(text, a):
        head = a
    elif text.startswith("@", a):
        found = _DECORATED.search(text, a, b)
        if found is None or found.group(1) != "class":
            return None  # a decorated function
        head = found.start(1)
    else:
        return None
    first = next(
        (m for m in _MEMBER_LINE.finditer(text, head, b) if not _in_span(spans, m.end())),
        None,
    )
    if first is None:
        return None
    shallower, at_indent = _body_lines(first.group(1))
    for m in shallower.finditer(text, first.start(), b):
        if not _in_span(spans, m.end()):
            return None  # the block ends (or changes its indent) inside the piece
    members: list[tuple[int, bool]] = []
    in_decorators = False
    for m in at_indent.finditer(text, first.start(), b):
        pos = m.end()
        if _CONTINUES.match(text, pos) or _in_span(spans, pos):
            continue
        is_definition = bool(_DEFINITION.match(text, pos))
        if in_decorators:  # decorators stay with what they decorate
            in_decorators = text.startswith("@", pos) or not is_definition
            continue
        in_decorators = text.startswith("@", pos)
        members.append((m.start() + 1, is_definition))
    return members or None


def _without_members(
    text: str,
    a: int,
    b: int,
    members: list[tuple[int, bool]],
    holds_word: Callable[[str], bool],
) -> tuple[str, int]:
    """The class's text with each member definition holding no word replaced by a `pass`
    at its indent and as many newlines (line numbers stay true), and how much was left out."""
    out = [text[a : members[0][0]]]
    dropped = 0
    bounds = [*(m for m, _ in members), b]
    for (start, is_definition), end in zip(members, bounds[1:], strict=True):
        member = text[start:end]
        if is_definition and not holds_word(member):
            code = member.lstrip(" \t")
            out.append(member[: len(member) - len(code)] + "pass" + "\n" * member.count("\n"))
            dropped += end - start
        else:
            out.append(member)
    return "".join(out), dropped


def parse_selected(text: str, runs: list[tuple[int, str]], filename: str) -> ast.Module | None:
    """Parse each run at its own line numbers; None if any run fails (parse the file)."""
    body: list[ast.stmt] = []
    line = 1
    offset = 0
    for start, piece in runs:
        line += text.count("\n", offset, start)
        offset = start
        try:
            # Leading newlines put the piece on its real lines without rewriting the tree.
            mod = ast.parse("\n" * (line - 1) + piece, filename=filename)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        body.extend(mod.body)
    return ast.Module(body=body, type_ignores=[])


_FROM_IMPORT = re.compile(r"from\s+([\w.]+)\s+import\s*(\([^)]*\)|[^\n]*)")
# Each starts with a literal (the lookbehind comes after it): a regex that starts with an
# assertion is tried at every position of the text.
_IMPORT = re.compile(r"import(?<![\w.]import)\s+([^\n(]*)")
_NAME_ALIAS = re.compile(r"([\w.]+)(?:\s+as\s+(\w+))?")
# `name = dotted.name  # comment` as a whole line: its value from the `=`, then its name.
_ALIAS_VALUE = re.compile(r"=[ \t]*([\w.]+)[ \t]*(?:#[^\n]*)?$", re.M)
_ALIAS_NAME = re.compile(r"[ \t]*(\w+)[ \t]*")


@functools.lru_cache(maxsize=64)
def _any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for "holds one of `words`": on the short names `expand_words` asks about
    (hundreds per module), faster than a substring test per word."""
    if not words:
        return re.compile(r"(?!)")
    return re.compile("|".join(map(re.escape, words)))


def expand_words(
    text: str, words: Sequence[str], patterns: Sequence[re.Pattern[str]] = ()
) -> tuple[str, ...] | None:
    """`words` plus every local name that may stand for one of them; None: read it all.

    `from numpy.random import rand as r` makes `r(...)` a draw whose text holds none of
    the words, so `r` becomes a word; so do the names bound by `from <module holding a
    word> import ...`, `import <...word...> as n` and `n = <...word...>` (a plain alias).
    A name or module "holds" a word when it contains it or matches one of `patterns`.
    A star import from such a module binds names nobody can list: the file is read whole.
    Over-approximate on purpose: an extra word only keeps a definition in.
    """
    found = set(words)
    plain = _any_of(tuple(words))

    def holds(s: str) -> bool:
        return plain.search(s) is not None or any(p.search(s) for p in patterns)

    if "import" in text:
        for m in _FROM_IMPORT.finditer(text):
            module, names = m.group(1), m.group(2)
            from_word = holds(module)
            if names.startswith("*") and from_word:
                return None
            for item in _NAME_ALIAS.finditer(names.strip("()")):
                name, alias = item.group(1), item.group(2)
                if from_word or holds(name):
                    found.add(alias or name)
        for m in _IMPORT.finditer(text):
            for item in _NAME_ALIAS.finditer(m.group(1)):
                name, alias = item.group(1), item.group(2)
                if alias and holds(name):
                    found.add(alias)
    for m in _ALIAS_VALUE.finditer(text):
        head = _ALIAS_NAME.fullmatch(text, text.rfind("\n", 0, m.start()) + 1, m.start())
        if head is not None and holds(m.group(1)):
            found.add(head.group(1))
    found.discard("")
    return tuple(sorted(found))
