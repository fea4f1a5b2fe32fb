"""Notebook-level rules (ML301-ML302): committed outputs and out-of-order execution.

These read the notebook's JSON, not its code, so they are plain functions over the
parsed notebook rather than AST checkers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlvet.config import Config
from mlvet.findings import Finding
from mlvet.registry import Rule
from mlvet.rules.base import Checker, NotebookCheck
from mlvet.sources import Source, cell_source

# The tag that marks a cell whose output is kept on purpose (configurable); nbstripout's
# own `keep_output` tag and metadata always count too.
DEFAULT_KEEP_OUTPUT_TAG = "keep-output"
NBSTRIPOUT_KEEP_TAG = "keep_output"


def _nb(cells: str, minor: int = 5) -> str:
    """A notebook in nbformat's on-disk layout, for the rule documentation."""
    return (
        '{\n "cells": [\n' + cells + '\n ],\n "metadata": {\n  "kernelspec": {\n'
        '   "display_name": "Python 3",\n   "language": "python",\n   "name": "python3"\n'
        '  }\n },\n "nbformat": 4,\n "nbformat_minor": ' + str(minor) + "\n}\n"
    )


def _code_cell(cell_id: str, count: str, outputs: str, source: str) -> str:
    return (
        '  {\n   "cell_type": "code",\n   "execution_count": ' + count + ",\n"
        '   "id": "' + cell_id + '",\n   "metadata": {},\n   "outputs": ' + outputs + ",\n"
        '   "source": [\n    ' + source + "\n   ]\n  }"
    )


_STREAM = (
    '[\n    {\n     "name": "stdout",\n     "output_type": "stream",\n'
    '     "text": [\n      "0.93\\n"\n     ]\n    }\n   ]'
)

_ML301_BAD = _nb(_code_cell("a1", "1", _STREAM, '"print(accuracy)"'))
_ML301_GOOD = _nb(_code_cell("a1", "null", "[]", '"print(accuracy)"'))
_ML302_BAD = _nb(
    _code_cell("a1", "2", "[]", '"import numpy as np"')
    + ",\n"
    + _code_cell("a2", "1", "[]", '"x = np.zeros(3)"')
)
_ML302_GOOD = _nb(
    _code_cell("a1", "1", "[]", '"import numpy as np"')
    + ",\n"
    + _code_cell("a2", "3", "[]", '"x = np.zeros(3)"')
)

RULES: list[Rule] = [
    Rule(
        code="ML301",
        name="notebook-outputs",
        severity="warning",
        summary="a notebook holds outputs or execution counts",
        what=(
            "Flags a notebook whose code cells hold outputs or execution counts. One "
            "finding per notebook, at the first such cell, with the counts in the message. "
            "Cell ids and metadata do not count; cells tagged `keep-output` (or carrying "
            "nbstripout's `keep_output` tag or metadata) may keep their output."
        ),
        why=(
            "Outputs make diffs unreadable and merges painful, bloat the repository with "
            "images and data, and can leak data samples, file paths, tokens or personal "
            "data printed while exploring. Execution counts change on every run and add "
            "noise to every commit."
        ),
        bad=_ML301_BAD,
        good=_ML301_GOOD,
        fix=(
            "run `mlvet strip` (the strip-notebook-outputs hook) or Clear All Outputs before "
            "committing; tag a cell `keep-output` to keep its output on purpose"
        ),
        references=(
            "https://github.com/kynan/nbstripout",
            "https://nbformat.readthedocs.io/en/latest/format_description.html",
        ),
        example_kind="notebook",
        tags=("notebook", "hygiene"),
    ),
    Rule(
        code="ML302",
        name="notebook-execution-order",
        severity="warning",
        summary="code cells were executed out of order",
        what=(
            "Among executed code cells, flags a notebook whose execution counts are not "
            "strictly increasing from top to bottom. Gaps are fine (1, 2, 5); repeats and "
            "backward steps (1, 2, 1) are not; cells never executed are ignored. One finding "
            "per notebook, at the first cell out of order."
        ),
        why=(
            "Results that depend on cells run out of order, or run twice, cannot be "
            "reproduced by running the notebook top to bottom: state from a later cell, "
            "or an earlier version of a cell, produced what is shown."
        ),
        bad=_ML302_BAD,
        good=_ML302_GOOD,
        fix="restart the kernel and run all cells top to bottom (or strip the notebook)",
        references=(
            "https://doi.org/10.1109/MSR.2019.00077",
            "https://docs.jupyter.org/en/latest/running.html",
        ),
        example_kind="notebook",
        tags=("notebook", "reproducibility"),
    ),
]

CHECKERS: list[type[Checker]] = []


# -- shared notebook helpers (also used by the stripper) -------------------------------


def strip_options(config: Config) -> tuple[str, bool]:
    """(keep-output tag, keep-count) from `[tool.mlvet.strip]`, so ML301 agrees with strip."""
    section = config.section("strip")
    tag = section.get("keep-output-tag", DEFAULT_KEEP_OUTPUT_TAG)
    keep_count = section.get("keep-count", False)
    return (
        tag if isinstance(tag, str) and tag else DEFAULT_KEEP_OUTPUT_TAG,
        keep_count is True,
    )


def _metadata(obj: Any) -> Mapping[str, Any]:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return meta if isinstance(meta, dict) else {}


def keeps_output(cell: Any, tag: str, notebook_default: bool = False) -> bool:
    """Whether a cell's output is kept on purpose (nbstripout's rules plus our tag)."""
    meta = _metadata(cell)
    tags = meta.get("tags")
    tags = tags if isinstance(tags, list) else []
    if tag in tags:
        return True
    if "init_cell" in meta:
        return bool(meta["init_cell"])
    if "keep_output" in meta or NBSTRIPOUT_KEEP_TAG in tags:
        return bool(meta.get("keep_output", False)) or NBSTRIPOUT_KEEP_TAG in tags
    return notebook_default


def notebook_keeps_output(nb: Mapping[str, Any]) -> bool:
    return bool(_metadata(nb).get("keep_output", False))


def is_code_cell(cell: Any) -> bool:
    return isinstance(cell, dict) and cell.get("cell_type") == "code"


def execution_count(cell: Any) -> int | None:
    count = cell.get("execution_count") if isinstance(cell, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _have(n: int) -> str:
    return "has" if n == 1 else "have"


def _finding(source: Source, config: Config, rule: Rule, position: int, message: str) -> Finding:
    cell = source.notebook["cells"][position] if source.notebook else None
    first = cell_source(cell).split("\n", 1)[0]
    return Finding(
        rule=rule.code,
        name=rule.name,
        severity=config.severity_for(rule.code, rule.severity),
        path=source.path,
        line=1,
        column=1,
        message=message,
        cell=position + 1,
        fix=rule.fix,
        physical_line=source.physical_line(position, 1),
        snippet=first.strip(),
    )


# -- ML301 -----------------------------------------------------------------------------


def outputs_summary(
    nb: Mapping[str, Any], tag: str, keep_count: bool
) -> tuple[int, int, int | None]:
    """(cells with outputs, cells with execution counts, position of the first such cell)."""
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return 0, 0, None
    nb_keep = notebook_keeps_output(nb)
    with_outputs = with_counts = 0
    first: int | None = None
    for position, cell in enumerate(cells):
        if not is_code_cell(cell):
            continue
        outputs = cell.get("outputs")
        has_outputs = bool(outputs) and not keeps_output(cell, tag, nb_keep)
        has_count = not keep_count and cell.get("execution_count") is not None
        with_outputs += has_outputs
        with_counts += has_count
        if first is None and (has_outputs or has_count):
            first = position
    return with_outputs, with_counts, first


def outputs_message(with_outputs: int, with_counts: int) -> str:
    parts: list[str] = []
    if with_outputs:
        parts.append(f"{_plural(with_outputs, 'cell')} {_have(with_outputs)} outputs")
    if with_counts:
        head = str(with_counts) if parts else _plural(with_counts, "cell")
        parts.append(f"{head} {_have(with_counts)} execution counts")
    return ", ".join(parts)


def check_outputs(source: Source, config: Config) -> list[Finding]:
    if source.notebook is None:
        return []
    tag, keep_count = strip_options(config)
    with_outputs, with_counts, first = outputs_summary(source.notebook, tag, keep_count)
    if first is None:
        return []
    message = outputs_message(with_outputs, with_counts)
    return [_finding(source, config, RULES[0], first, f"notebook holds outputs: {message}")]


# -- ML302 -----------------------------------------------------------------------------


def first_out_of_order(nb: Mapping[str, Any]) -> tuple[int, int, int, int] | None:
    """(position, count, previous position, previous count) of the first cell out of order."""
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return None
    previous: tuple[int, int] | None = None
    for position, cell in enumerate(cells):
        if not is_code_cell(cell):
            continue
        count = execution_count(cell)
        if count is None:
            continue
        if previous is not None and count <= previous[1]:
            return position, count, previous[0], previous[1]
        previous = (position, count)
    return None


def check_order(source: Source, config: Config) -> list[Finding]:
    if source.notebook is None:
        return []
    found = first_out_of_order(source.notebook)
    if found is None:
        return []
    position, count, prev_position, prev_count = found
    message = (
        f"cells ran out of order: cell {position + 1} (execution count {count}) comes "
        f"after cell {prev_position + 1} (execution count {prev_count})"
    )
    return [_finding(source, config, RULES[1], position, message)]


NOTEBOOK_CHECKS: list[NotebookCheck] = [check_outputs, check_order]
