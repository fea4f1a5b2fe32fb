"""A two-stage text prefilter for checkers: plain substring tests, then a precise regex.

`needle in text` is the fastest scan Python has (several times faster than a regex
alternation), so the common case, a file that mentions none of the needles, costs a few
substring tests. The confirming regex runs only on the few files that get past them.
"""

from __future__ import annotations

import re


class Gate:
    """`search(text)` is true when the text holds a needle and matches `confirm`.

    The confirming regex must accept every text the checker could report on: a gate may
    let extra files through, never hold back one with a finding.
    """

    def __init__(self, needles: tuple[str, ...], confirm: str | None = None) -> None:
        if not needles:
            raise ValueError("a gate needs at least one needle")
        self.needles = needles
        self.confirm = re.compile(confirm) if confirm else None
        # Shown by anything that prints a checker's pattern.
        self.pattern = confirm or "|".join(re.escape(n) for n in needles)

    def search(self, string: str, /) -> bool:
        if not any(n in string for n in self.needles):
            return False
        return self.confirm is None or self.confirm.search(string) is not None

    def __repr__(self) -> str:
        return f"Gate({self.needles!r})"
