"""ML301 (notebook outputs) and ML302 (execution order) on real notebook JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import check_notebook, make_notebook, notebook_text, run_cli
from mlvet.config import Config, config_from_table
from mlvet.engine import NATIVE_PREFIXES, check_source, selected_rules
from mlvet.findings import Finding
from mlvet.registry import get_rule
from mlvet.sources import notebook_source


def code(
    source: str,
    count: int | None = None,
    outputs: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": count,
        "id": f"id{abs(hash((source, count))) % 10**8}",
        "metadata": metadata or {},
        "outputs": outputs or [],
        "source": source.splitlines(keepends=True),
    }


def stream(text: str = "ok\n") -> dict[str, Any]:
    return {"name": "stdout", "output_type": "stream", "text": [text]}


def result(count: int | None, text: str = "42") -> dict[str, Any]:
    return {
        "data": {"text/plain": [text]},
        "execution_count": count,
        "metadata": {},
        "output_type": "execute_result",
    }


def md(text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "id": "md", "metadata": {}, "source": [text]}


def ml3(nb: dict[str, Any], config: Config | None = None) -> list[Finding]:
    if config is None:
        return check_notebook(nb, select=["ML3"])
    rules = selected_rules(config.with_cli(select=["ML3"]), NATIVE_PREFIXES)
    source = notebook_source("nb.ipynb", notebook_text(nb).encode())
    findings, errors = check_source(source, config, rules)
    assert not errors
    return findings


def by_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def strip_config(**table: Any) -> Config:
    return config_from_table({"strip": table}, root=Path.cwd(), path=Path("pyproject.toml"))


# -- ML301 ----------------------------------------------------------------------------


def test_ml301_counts_cells_with_outputs_and_counts() -> None:
    nb = make_notebook(
        [
            md("# Training"),
            code("import torch", 1),
            code("print(loss)", 2, [stream()]),
            code("model", 3, [result(3)]),
            code(
                "plt.plot(x)", None, [{"output_type": "display_data", "data": {}, "metadata": {}}]
            ),
            code("x = 1", 5),
        ]
    )
    (f,) = by_rule(ml3(nb), "ML301")
    assert f.message.endswith("3 cells have outputs, 4 have execution counts")
    assert f.cell == 2  # the markdown cell is cell 1
    assert f.line == 1 and f.column == 1
    assert f.severity == "warning" and f.name == "notebook-outputs" and f.source == "mlvet"


def test_ml301_points_at_first_cell_with_only_an_output() -> None:
    nb = make_notebook([code("a = 1"), md("text"), code("print(a)", None, [stream()])])
    (f,) = by_rule(ml3(nb), "ML301")
    assert f.cell == 3
    assert "1 cell has outputs" in f.message and "execution counts" not in f.message


def test_ml301_only_execution_counts() -> None:
    nb = make_notebook([code("a = 1", 1)])
    (f,) = by_rule(ml3(nb), "ML301")
    assert f.message.endswith("1 cell has execution counts")


def test_ml301_clean_notebook_is_quiet() -> None:
    nb = make_notebook([md("# t"), code("import numpy as np\nx = np.ones(3)"), code("")])
    assert ml3(nb) == []


def test_ml301_ids_and_metadata_do_not_count() -> None:
    nb = make_notebook(
        [
            code("a = 1", metadata={"collapsed": True, "scrolled": True, "tags": ["x"]}),
            code("b = 2", metadata={"execution": {"iopub.status.idle": "2024-01-01T00:00:00Z"}}),
        ]
    )
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    assert by_rule(ml3(nb), "ML301") == []


def test_ml301_markdown_attachments_are_not_outputs() -> None:
    cell = md("![img](attachment:a.png)")
    cell["attachments"] = {"a.png": {"image/png": "iVBORw0KGgo="}}
    assert by_rule(ml3(make_notebook([cell])), "ML301") == []


@pytest.mark.parametrize(
    "metadata",
    [
        {"tags": ["keep-output"]},
        {"tags": ["keep_output"]},
        {"keep_output": True},
        {"init_cell": True},
    ],
)
def test_ml301_kept_outputs_are_fine(metadata: dict[str, Any]) -> None:
    nb = make_notebook([code("df.describe()", None, [result(None)], metadata=metadata)])
    assert by_rule(ml3(nb), "ML301") == []


def test_ml301_kept_output_still_reports_its_count() -> None:
    nb = make_notebook([code("df.head()", 7, [result(7)], metadata={"tags": ["keep-output"]})])
    (f,) = by_rule(ml3(nb), "ML301")
    assert f.message.endswith("1 cell has execution counts")


def test_ml301_keep_output_false_metadata_still_fires() -> None:
    nb = make_notebook([code("x", None, [result(None)], metadata={"keep_output": False})])
    assert len(by_rule(ml3(nb), "ML301")) == 1


def test_ml301_notebook_level_keep_output() -> None:
    nb = make_notebook([code("x", None, [result(None)])])
    nb["metadata"]["keep_output"] = True
    assert by_rule(ml3(nb), "ML301") == []


def test_ml301_configured_tag_and_keep_count() -> None:
    nb = make_notebook([code("fig", 4, [result(4)], metadata={"tags": ["show"]})])
    assert len(by_rule(ml3(nb), "ML301")) == 1
    assert by_rule(ml3(nb, strip_config(**{"keep-output-tag": "show"})), "ML301")[
        0
    ].message.endswith("1 cell has execution counts")
    quiet = strip_config(**{"keep-output-tag": "show", "keep-count": True})
    assert by_rule(ml3(nb, quiet), "ML301") == []


def test_ml301_one_finding_per_notebook() -> None:
    nb = make_notebook([code(f"print({i})", i + 1, [stream()]) for i in range(20)])
    found = by_rule(ml3(nb), "ML301")
    assert len(found) == 1
    assert "20 cells have outputs, 20 have execution counts" in found[0].message


def test_ml301_physical_line_points_into_the_ipynb() -> None:
    nb = make_notebook([md("intro"), code("print(1)", 1, [stream()])])
    text = notebook_text(nb)
    (f,) = by_rule(ml3(nb), "ML301")
    assert f.physical_line is not None
    assert '"print(1)"' in text.splitlines()[f.physical_line - 1]


def test_ml301_suppressed_inline_in_the_cell() -> None:
    nb = make_notebook([code("print(1)  # mlvet: ignore[ML301]", 1, [stream()])])
    assert by_rule(ml3(nb), "ML301") == []


def test_ml301_on_non_python_notebook() -> None:
    nb = make_notebook([code('println("hi")', 1, [stream()])], language="julia")
    assert len(by_rule(ml3(nb), "ML301")) == 1


def test_ml301_colab_style_notebook(tmp_path: Path) -> None:
    # Colab writes indent 2 with its own key order and nbformat_minor 0 (no cell ids).
    nb = {
        "nbformat": 4,
        "nbformat_minor": 0,
        "metadata": {"colab": {"provenance": []}, "kernelspec": {"name": "python3"}},
        "cells": [
            {
                "cell_type": "code",
                "source": ["!pip install transformers\n", "import torch"],
                "metadata": {"colab": {"base_uri": "https://localhost:8080/"}},
                "execution_count": 1,
                "outputs": [stream("Collecting transformers\n")],
            }
        ],
    }
    path = tmp_path / "colab.ipynb"
    path.write_text(json.dumps(nb, indent=2), encoding="utf-8")
    source = notebook_source(str(path), path.read_bytes())
    config = Config().with_cli(select=["ML3"])
    findings, errors = check_source(source, config, selected_rules(config))
    assert not errors
    (f,) = findings
    assert f.rule == "ML301" and f.cell == 1
    lines = path.read_text(encoding="utf-8").splitlines()
    assert f.physical_line is not None
    assert "!pip install transformers" in lines[f.physical_line - 1]


# -- ML302 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "cell"),
    [
        ([1, 2, 1], 3),
        ([2, 1], 2),
        ([1, 1], 2),
        ([3, 5, 4, 6], 3),
        ([10, None, 2], 3),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 3], 12),
    ],
)
def test_ml302_fires_on_first_cell_out_of_order(counts: list[int | None], cell: int) -> None:
    nb = make_notebook([code(f"x{i} = {i}", c) for i, c in enumerate(counts)])
    (f,) = by_rule(ml3(nb), "ML302")
    assert f.cell == cell
    assert f.name == "notebook-execution-order" and f.severity == "warning"
    assert f"cell {cell} (execution count {counts[cell - 1]})" in f.message


@pytest.mark.parametrize(
    "counts",
    [
        [1, 2, 3],
        [1, 5, 9],  # gaps are fine
        [None, 1, None, 2],  # unexecuted cells are ignored
        [None, None],
        [],
        [7],
        [2, 3, None, 40],
    ],
)
def test_ml302_quiet_on_increasing_counts(counts: list[int | None]) -> None:
    nb = make_notebook([code(f"y{i} = {i}", c) for i, c in enumerate(counts)])
    assert by_rule(ml3(nb), "ML302") == []


def test_ml302_markdown_between_cells_counts_in_the_cell_index() -> None:
    nb = make_notebook([code("a = 1", 2), md("## next"), md("more"), code("b = 2", 1)])
    (f,) = by_rule(ml3(nb), "ML302")
    assert f.cell == 4
    assert "after cell 1 (execution count 2)" in f.message


def test_ml302_ignores_non_integer_counts() -> None:
    cells = [code("a", 3), code("b", 1), code("c", 4)]
    cells[1]["execution_count"] = True  # not a count
    cells.insert(1, {"cell_type": "raw", "metadata": {}, "source": ["x"], "execution_count": 0})
    assert by_rule(ml3(make_notebook(cells)), "ML302") == []


def test_ml302_once_per_notebook_even_with_many_inversions() -> None:
    nb = make_notebook([code(f"z{i}", c) for i, c in enumerate([5, 4, 3, 2, 1])])
    (f,) = by_rule(ml3(nb), "ML302")
    assert f.cell == 2


def test_ml302_independent_of_outputs_rules() -> None:
    config = Config().with_cli(select=["ML302"])
    nb = make_notebook([code("a", 2, [stream()]), code("b", 1)])
    rules = selected_rules(config, NATIVE_PREFIXES)
    source = notebook_source("nb.ipynb", notebook_text(nb).encode())
    findings, _ = check_source(source, config, rules)
    assert [f.rule for f in findings] == ["ML302"]


# -- documentation examples and the CLI -----------------------------------------------


@pytest.mark.parametrize("code_", ["ML301", "ML302"])
def test_documented_examples(code_: str) -> None:
    rule = get_rule(code_)
    assert rule is not None and rule.example_kind == "notebook"
    bad = json.loads(rule.bad)
    good = json.loads(rule.good)
    assert code_ in [f.rule for f in ml3(bad)]
    assert code_ not in [f.rule for f in ml3(good)]


def test_check_cli_on_notebook_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dirty = make_notebook([code("import pandas as pd", 2), code("pd.DataFrame()", 1, [result(1)])])
    clean = make_notebook([code("import pandas as pd")])
    (tmp_path / "dirty.ipynb").write_text(notebook_text(dirty), encoding="utf-8")
    (tmp_path / "clean.ipynb").write_text(notebook_text(clean), encoding="utf-8")
    rc, out, _ = run_cli(
        [
            "check",
            "--select",
            "ML3",
            "--format",
            "json",
            str(tmp_path / "dirty.ipynb"),
            str(tmp_path / "clean.ipynb"),
        ],
        capsys,
    )
    data = json.loads(out)
    assert rc == 1
    assert sorted((f["rule"], f["cell"]) for f in data["findings"]) == [("ML301", 1), ("ML302", 2)]
    assert all(f["path"].endswith("dirty.ipynb") for f in data["findings"])
    rc, out, _ = run_cli(["check", "--select", "ML3", str(tmp_path / "clean.ipynb")], capsys)
    assert rc == 0


def test_check_cli_text_location(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = make_notebook([md("x"), code("print(2)", 1, [stream()])])
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook_text(nb), encoding="utf-8")
    rc, out, _ = run_cli(["check", "--select", "ML301", str(path)], capsys)
    assert rc == 1
    assert "nb.ipynb:cell_2:1:1: ML301 notebook holds outputs: 1 cell has outputs" in out


def test_cells_missing_keys_and_notebook_without_metadata(tmp_path: Path) -> None:
    raw = json.dumps(
        {
            "cells": [
                {"cell_type": "code", "source": "a = 1", "outputs": [stream()]},
                {"cell_type": "code", "source": "b = 2", "execution_count": 4},
                {"cell_type": "code", "source": "c = 3", "execution_count": 2},
            ],
            "nbformat": 4,
            "nbformat_minor": 1,
        }
    )
    config = Config().with_cli(select=["ML3"])
    findings, errors = check_source(
        notebook_source("nb.ipynb", raw.encode()), config, selected_rules(config)
    )
    assert not errors
    got = {f.rule: f for f in findings}
    assert got["ML301"].cell == 1
    assert got["ML301"].message.endswith("1 cell has outputs, 2 have execution counts")
    assert got["ML302"].cell == 3
