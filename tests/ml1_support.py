"""Shared helpers for the ML1xx rule tests: run a snippet, compare with `# !` markers."""

from __future__ import annotations

import textwrap

from conftest import check_code

MARK = "# !"


def marked_lines(code: str) -> list[int]:
    """1-based lines that end with the `# !` marker: where a finding is expected."""
    return [i for i, line in enumerate(code.splitlines(), 1) if line.rstrip().endswith(MARK)]


def lines_hit(code: str, rule: str) -> list[int]:
    return sorted(f.line for f in check_code(code, select=[rule]) if f.rule == rule)


def assert_marked(code: str, rule: str) -> None:
    code = textwrap.dedent(code)
    assert lines_hit(code, rule) == marked_lines(code), code
