"""Text prefilters for the ML2xx checkers: required words first, then confirming regexes.

A rule like "a fit, then a split" needs several words in one file. Plain substring tests
(`needle in text`, answers shared between gates through `textgate.contains`) reject most
files at a fraction of the cost of one regex alternation; the regexes, each starting with
a literal so the regex engine can use its fast substring search, run only on the rest.
Matches on doctest lines (`>>> x = torch.rand(3)` in a docstring) do not count.
A confirming entry may be a tuple of regexes that must all match (`.eval()` only
matters in a file that also steps an optimizer).
A filter may let extra files through; it must never hold back a file with a finding.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mlvet.rules.textgate import contains, in_doctest


class AllOf:
    """True when the text holds a needle of every group and matches a confirming regex."""

    def __init__(
        self, *groups: Sequence[str], confirm: Sequence[str | tuple[str, ...]] = ()
    ) -> None:
        if not groups or not all(groups):
            raise ValueError("every group needs at least one needle")
        self.groups = tuple(tuple(g) for g in groups)
        self.confirm = tuple(re.compile(p) for p in confirm if isinstance(p, str))
        self.confirm_all = tuple(
            tuple(re.compile(p) for p in c) for c in confirm if not isinstance(c, str)
        )
        # A regex that starts with a literal runs only on texts holding that literal:
        # `needle in text` scans many times faster than the regex engine's own search.
        self._guards = {rx: literal_prefix(rx.pattern) for rx in self.confirm}
        for c in self.confirm_all:
            self._guards.update((rx, literal_prefix(rx.pattern)) for rx in c)
        # Shown by anything that prints a checker's pattern.
        self.pattern = " & ".join("|".join(g) for g in self.groups)

    def search(self, string: str, /) -> bool:
        for group in self.groups:
            if not any(contains(string, n) for n in group):
                return False
        if not self.confirm and not self.confirm_all:
            return True
        if any(self._match(rx, string) for rx in self.confirm):
            return True
        return any(all(self._match(rx, string) for rx in c) for c in self.confirm_all)

    def _match(self, rx: re.Pattern[str], string: str) -> bool:
        guard = self._guards.get(rx)
        if guard and not contains(string, guard):
            return False
        return _code_match(rx, string)

    def __repr__(self) -> str:
        return f"AllOf({self.pattern!r})"


def _code_match(rx: re.Pattern[str], string: str) -> bool:
    # A match on a `>>>` doctest line is documentation, not code the walk will see.
    return any(not in_doctest(string, m.start()) for m in rx.finditer(string))


_SPECIAL = set(".^$*+?()[]{}|\\")
_QUANTIFIERS = set("*+?{")
_ESCAPED_PUNCT = set("-/@#'\"=:<>,!&%~ ")  # `\-` is a literal "-"; `\s`, `\b` are not literals


def literal_prefix(pattern: str) -> str:
    """The literal text every match of `pattern` starts with ("" when unknown).

    `time\\.time\\(` -> "time.time("; a pattern with a top-level `|`, an inline flag or
    a leading class has none. A character made optional by a quantifier is dropped.
    """
    if _top_level_alternation(pattern):
        return ""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            if not nxt or (nxt not in _SPECIAL and nxt not in _ESCAPED_PUNCT):
                break
            char, step = nxt, 2
        elif ch in _SPECIAL:
            break
        else:
            char, step = ch, 1
        if pattern[i + step : i + step + 1] in _QUANTIFIERS and pattern[i + step : i + step + 1]:
            break
        out.append(char)
        i += step
    return "".join(out)


def _top_level_alternation(pattern: str) -> bool:
    depth = 0
    escaped = in_class = False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return True
    return False
