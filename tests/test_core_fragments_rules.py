"""Every rule case, padded into a long module: large runs (which parse only the definitions
a checker's words occur in) report exactly what a whole-file parse reports."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator

import pytest
import test_rules_ml1_loaders as loaders
import test_rules_ml1_pickle as pickles
import test_rules_ml1_remote as remote
import test_rules_ml2_ml201 as t201
import test_rules_ml2_ml202 as t202
import test_rules_ml2_ml203 as t203
import test_rules_ml2_ml204 as t204
import test_rules_ml2_ml205 as t205
import test_rules_ml2_ml206 as t206
import test_rules_ml2_ml207 as t207
from mlvet import fragments
from mlvet.config import Config
from mlvet.engine import check_source, selected_rules
from mlvet.registry import all_rules
from mlvet.sources import Source


def _texts() -> Iterator[tuple[str, str]]:
    for name, group in [
        ("ml101", pickles.POSITIVE),
        ("ml101-neg", pickles.NEGATIVE),
        ("ml102", loaders.TORCH),
        ("ml103", loaders.NUMPY),
        ("ml104", loaders.YAML),
        ("ml105", loaders.KERAS),
        ("ml106", remote.TRUST),
        ("ml107", remote.HUB),
        ("ml108", remote.HF),
        ("ml203", {k: v[0] for k, v in t203.POSITIVE.items()}),
        ("ml203-neg", {k: v for k, v in t203.NEGATIVE.items()}),
        ("ml204", {k: t204.IMPORTS + textwrap.dedent(v[0]) for k, v in t204.POSITIVE.items()}),
        ("ml204-neg", {k: t204.IMPORTS + textwrap.dedent(v) for k, v in t204.NEGATIVE.items()}),
        ("ml205", {k: v[0] for k, v in t205.POSITIVE.items()}),
        ("ml205-neg", {k: v for k, v in t205.NEGATIVE.items()}),
    ]:
        for key, text in group.items():
            if isinstance(text, str):
                yield f"{name}-{key}", text
    for name, cases in [
        ("ml201", t201.POSITIVE),
        ("ml201-neg", t201.NEGATIVE),
        ("ml202", t202.POSITIVE),
        ("ml202-neg", t202.NEGATIVE),
        ("ml206", t206.POSITIVE),
        ("ml206-neg", t206.NEGATIVE),
        ("ml207", t207.POSITIVE),
        ("ml207-neg", t207.NEGATIVE),
    ]:
        for i, case in enumerate(cases):
            text = case[0] if isinstance(case, tuple) else case
            if isinstance(text, str):
                yield f"{name}-{i}", text
    for code, rule in all_rules().items():
        for kind in ("bad", "good"):
            example = getattr(rule, kind, None)
            if isinstance(example, str) and example.strip():
                yield f"{code}-{kind}", example


CASES = [(name, textwrap.dedent(text)) for name, text in _texts()]

FILLER = textwrap.dedent(
    '''
    def helper_{i}(x, y=None):
        """Add things up."""
        total = x + 1
        if y is not None:
            total += y
        return total

    '''
)


def padded(text: str) -> str | None:
    """The case with plain helper functions between its top-level statements."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    lines = text.splitlines(keepends=True)
    starts = [
        min([s.lineno, *(d.lineno for d in getattr(s, "decorator_list", []))]) for s in tree.body
    ]
    # Enough helpers that the module is long, and most of it is left out.
    per_gap = max(4, fragments.MIN_SIZE // (len(FILLER) * len(starts)) + 1)
    out: list[str] = []
    prev = 0
    for n, start in enumerate([*starts[1:], len(lines) + 1]):
        out.extend(lines[prev : start - 1])
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.append("".join(FILLER.format(i=f"{n}_{k}") for k in range(per_gap)))
        prev = start - 1
    return "".join(out)


METHOD_FILLER = textwrap.dedent(
    '''
    def helper_method_{i}(
        self,
        x,
    ):
        """Add things up."""
        total = x + 1
        return total

    '''
)


def padded_in_classes(text: str) -> str | None:
    """The case with plain helper methods in front of the statements of each class body
    (then padded at the top level too), for cases that define classes."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    lines = text.splitlines(keepends=True)
    before: dict[int, str] = {}  # line index -> methods to put in front of it
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        done = cls.lineno
        for stmt in cls.body:
            first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
            line = lines[first - 1]
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            if first > done and indent:  # not `class A: x = 1; y = 2`
                methods = "".join(METHOD_FILLER.format(i=f"{first}_{k}") for k in range(3))
                before[first - 1] = textwrap.indent(methods, indent)
            done = stmt.end_lineno or first
    if not before:
        return None
    return padded("".join(before.get(i, "") + line for i, line in enumerate(lines)))


def wrapped_in_class(text: str) -> str | None:
    """The whole case as the body of a class (module code becomes class code)."""
    body = textwrap.indent(text, "    ", lambda line: True)
    return padded_in_classes("class Wrapper:\n    size = 1\n" + body)


CLASS_CASES = [
    *((f"{name}-classes", big) for name, text in CASES if (big := padded_in_classes(text))),
    *((f"{name}-wrapped", big) for name, text in CASES if (big := wrapped_in_class(text))),
]


@pytest.mark.parametrize(("name", "big"), CLASS_CASES, ids=[n for n, _ in CLASS_CASES])
def test_large_run_reports_what_a_whole_parse_reports_with_classes_cut(name: str, big: str) -> None:
    assert run(big, large=True) == run(big, large=False)


def spy_on_fragments(monkeypatch: pytest.MonkeyPatch) -> list[ast.Module | None]:
    """The trees the fragment parser returns from now on (None: it gave up)."""
    trees: list[ast.Module | None] = []
    real = fragments.parse_selected

    def spy(text: str, runs: list[tuple[int, str]], filename: str) -> ast.Module | None:
        trees.append(real(text, runs, filename))
        return trees[-1]

    monkeypatch.setattr(fragments, "parse_selected", spy)
    return trees


def test_class_cases_do_have_members_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    trees = spy_on_fragments(monkeypatch)
    for _, big in CLASS_CASES:
        run(big, large=True)
    cut = [t is not None and any(isinstance(n, ast.Pass) for n in ast.walk(t)) for t in trees]
    assert sum(1 for name, _ in CLASS_CASES if name.endswith("-classes")) >= 10
    assert sum(cut) > len(CLASS_CASES) // 3


def run(text: str, large: bool) -> list[tuple[str, int, int, str]]:
    config = Config()
    source = Source(path="module.py", kind="python", text=text, lines=None)
    found, errors = check_source(source, config, selected_rules(config), always_parse=not large)
    assert not errors
    return sorted((f.rule, f.line, f.column, f.message) for f in found)


@pytest.mark.parametrize(("name", "text"), CASES, ids=[n for n, _ in CASES])
def test_large_run_reports_what_a_whole_parse_reports(name: str, text: str) -> None:
    big = padded(text)
    if big is None:
        pytest.skip("not Python on its own")
    assert run(big, large=True) == run(big, large=False)


def test_the_padded_cases_do_take_the_fragment_path(monkeypatch: pytest.MonkeyPatch) -> None:
    trees = spy_on_fragments(monkeypatch)
    for _, text in CASES:
        big = padded(text)
        if big is not None:
            run(big, large=True)
    # Most cases touch only checkers that read definitions selectively.
    assert sum(t is not None for t in trees) > len(CASES) // 3
