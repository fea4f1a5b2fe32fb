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
        # Shown by anything that prints a checker's pattern.
        self.pattern = " & ".join("|".join(g) for g in self.groups)

    def search(self, string: str, /) -> bool:
        for group in self.groups:
            if not any(contains(string, n) for n in group):
                return False
        if not self.confirm and not self.confirm_all:
            return True
        if any(_code_match(rx, string) for rx in self.confirm):
            return True
        return any(all(_code_match(rx, string) for rx in c) for c in self.confirm_all)

    def __repr__(self) -> str:
        return f"AllOf({self.pattern!r})"


def _code_match(rx: re.Pattern[str], string: str) -> bool:
    # A match on a `>>>` doctest line is documentation, not code the walk will see.
    return any(not in_doctest(string, m.start()) for m in rx.finditer(string))
