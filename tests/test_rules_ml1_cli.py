"""ML1xx through the real CLI: hook selections, JSON, SARIF, exit codes, notebooks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_notebook, notebook_text, run_cli

SCRIPT = (
    "import pickle\n"
    "import torch\n"
    "from transformers import AutoModel\n"
    "\n"
    "obj = pickle.load(open('a.pkl', 'rb'))\n"
    "sd = torch.load('m.pt')\n"
    "m = AutoModel.from_pretrained('org/m', trust_remote_code=True)\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(SCRIPT, encoding="utf-8")
    nb = make_notebook(
        [("markdown", "# demo"), "import yaml", "%time cfg = yaml.load(open('c.yml'))"]
    )
    (tmp_path / "explore.ipynb").write_text(notebook_text(nb), encoding="utf-8")
    return tmp_path


def findings(out: str) -> list[tuple[str, str, int, int, int | None]]:
    data = json.loads(out)
    return sorted(
        (f["rule"], f["path"], f["line"], f["column"], f["cell"]) for f in data["findings"]
    )


def test_check_pickle_load_hook_selection(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        ["check", "--select", "ML101,ML102,ML103,ML104,ML105", "--format", "json", "."], capsys
    )
    assert code == 1
    assert findings(out) == [
        ("ML101", "train.py", 5, 7, None),
        ("ML102", "train.py", 6, 6, None),
        ("ML104", "explore.ipynb", 1, 13, 3),
    ]


def test_check_remote_code_hook_selection(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(
        ["check", "--select", "ML106,ML107,ML108", "--format", "json", "."], capsys
    )
    assert code == 1
    assert findings(out) == [("ML106", "train.py", 7, 5, None), ("ML108", "train.py", 7, 5, None)]
    data = json.loads(out)
    severities = {f["rule"]: f["severity"] for f in data["findings"]}
    assert severities == {"ML106": "error", "ML108": "warning"}
    assert all(f["source"] == "mlvet" and f["message"] and f["fix"] for f in data["findings"])


def test_clean_project_exits_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.py").write_text(
        "import json, torch, yaml\ncfg = yaml.safe_load(open('c'))\n"
        "sd = torch.load('m.pt', weights_only=True)\nx = json.load(open('j'))\n",
        encoding="utf-8",
    )
    code, out, _ = run_cli(["check", "--select", "ML1", "--format", "json", "."], capsys)
    assert (code, json.loads(out)["findings"]) == (0, [])


def test_sarif_points_notebook_findings_at_the_ipynb_line(
    project: Path, capsys: pytest.CaptureFixture[str], sarif_validator: Any
) -> None:
    code, out, _ = run_cli(["check", "--select", "ML104", "--format", "sarif", "."], capsys)
    assert code == 1
    sarif = json.loads(out)
    sarif_validator.validate(sarif)
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "ML104"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "explore.ipynb"
    raw_lines = (project / "explore.ipynb").read_text(encoding="utf-8").splitlines()
    physical = location["region"]["startLine"]
    assert "yaml.load" in raw_lines[physical - 1]
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert "ML104" in rules


def test_syntax_error_is_a_file_error_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.py").write_text("import pickle\npickle.load(f\n", encoding="utf-8")
    code, out, _ = run_cli(["check", "--select", "ML101", "--format", "json", "."], capsys)
    data = json.loads(out)
    assert code != 0
    assert data["findings"] == []
    assert [e["path"] for e in data["errors"]] == ["broken.py"]
