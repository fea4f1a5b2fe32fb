"""`mlvet run`: hooks in their check-only form, merged into one report and extra outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_notebook, notebook_text, run_cli

BAD = "import pickle\n\nobj = pickle.loads(blob)\n"


def test_overlapping_hooks_report_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.py").write_text(BAD)
    code, out, _ = run_cli(
        ["run", "--hooks", "mlvet,check-pickle-load", "--format", "json", str(tmp_path)], capsys
    )
    assert code == 1
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["ML101"]


def test_extra_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sarif_validator: Any
) -> None:
    (tmp_path / "t.py").write_text(BAD)
    outputs, summary = tmp_path / "gh-out", tmp_path / "summary.md"
    code, out, _ = run_cli(
        [
            "run",
            "--hooks",
            "mlvet",
            "--sarif",
            str(tmp_path / "r.sarif"),
            "--json",
            str(tmp_path / "r.json"),
            "--summary",
            str(summary),
            "--outputs",
            str(outputs),
            "--annotations",
            str(tmp_path / "t.py"),
        ],
        capsys,
    )
    assert code == 1
    assert "::error file=" in out and "ML101" in out
    sarif_validator.validate(json.loads((tmp_path / "r.sarif").read_text()))
    assert json.loads((tmp_path / "r.json").read_text())["findings"][0]["rule"] == "ML101"
    assert "| ML101 | pickle-load |" in summary.read_text()
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert values["errors"] == "1" and values["total"] == "1" and values["exit-code"] == "1"


def test_strip_hook_runs_check_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = make_notebook(["print(1)"])
    nb["cells"][0]["execution_count"] = 1
    nb["cells"][0]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["1\n"]}]
    path = tmp_path / "n.ipynb"
    path.write_text(notebook_text(nb))
    before = path.read_bytes()
    code, out, _ = run_cli(
        ["run", "--hooks", "strip-notebook-outputs", "--format", "json", str(tmp_path)], capsys
    )
    assert code == 1
    assert path.read_bytes() == before
    assert {f["source"] for f in json.loads(out)["findings"]} == {"nbstripout"}


def test_select_filters_the_merged_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "t.py").write_text(BAD + "import random\nprint(random.random())\n")
    code, out, _ = run_cli(
        ["run", "--hooks", "mlvet", "--select", "ML2", "--format", "json", str(tmp_path)], capsys
    )
    assert code == 1
    assert {f["rule"] for f in json.loads(out)["findings"]} == {"ML201"}


def test_unknown_hook_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["run", "--hooks", "mlvet,nope", str(tmp_path)], capsys)
    assert code == 2 and "unknown hook id(s): nope" in err
