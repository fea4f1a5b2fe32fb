"""The package supports Python 3.10, whose `re` has no possessive quantifiers (`*+`, `++`,
`?+`, `{m,n}+`) and no atomic groups (`(?>...)`): one of them in a module-level pattern
makes the module fail to import there, so every check that loads it fails."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import mlvet
import pytest

PACKAGE = Path(mlvet.__file__).parent


def python310_incompatible(regex: str) -> str | None:
    """The first 3.11-only construct in a regex (or a piece of one), else None."""
    in_class = False
    i = 0
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if regex.startswith("[]", i) or regex.startswith("[^]", i):
                i += 2 if regex[i + 1] == "]" else 3  # a "]" first in a class is literal
                continue
        elif regex.startswith("(?>", i):
            return "(?>"
        elif c in "*+?}" and regex[i + 1 : i + 2] == "+":
            return regex[i : i + 2]
        i += 1
    return None


@pytest.mark.parametrize(
    ("regex", "found"),
    [
        (r"\n([ \t]*+)def", "*+"),
        (r"[\w.]++", "++"),
        (r"a{0,4}+b", "}+"),
        (r"(?>ab)", "(?>"),
        (r"\n([ \t]*)def", None),
        (r"\*+|x+", None),
        (r"[A-Za-z0-9*+!._-]+", None),
        (r"[]*+]", None),
        (r"a\++", None),
    ],
)
def test_the_detector(regex: str, found: str | None) -> None:
    assert python310_incompatible(regex) == found


def test_no_string_in_the_package_uses_regex_syntax_newer_than_python_310() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for tok in tokens:
            if tok.type != tokenize.STRING:
                continue
            body = tok.string.lstrip("rRbBuUfF")
            if tok.string[: len(tok.string) - len(body)].lower().count("r") != 1:
                continue  # regexes here are raw strings
            quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
            bad = python310_incompatible(body[len(quote) : -len(quote)])
            if bad:
                offenders.append(f"{path.relative_to(PACKAGE)}:{tok.start[0]}: {bad}")
    assert offenders == []
